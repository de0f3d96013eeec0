"""Tests of zan.io._files: table and layer readers, column lookup, strict numbers."""

from __future__ import annotations

import gzip

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from zan.errors import CRSError, DataError, GeometryError, SchemaError, ValidationError
from zan.io._files import find_column, read_layer, read_table, row_label, to_number

ROWS = [("02001", "Abbécourt", "12,5"), ("62427", "Hénin-Beaumont", "3")]


def _write_csv(path, sep=",", encoding="utf-8", rows=ROWS, header=("code", "nom", "m2")):
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


# ----------------------------------------------------------------------------- read_table


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252"])
def test_read_table_sniffs_separator_and_encoding(tmp_path, sep, encoding):
    rows = [(c, n, m.replace(",", ".") if sep == "," else m) for c, n, m in ROWS]
    path = _write_csv(tmp_path / "t.csv", sep=sep, encoding=encoding, rows=rows)
    df = read_table(path)
    assert list(df.columns) == ["code", "nom", "m2"]
    assert df["code"].tolist() == ["02001", "62427"]  # leading zero kept
    assert df["nom"].tolist() == ["Abbécourt", "Hénin-Beaumont"]
    assert df.attrs["sep"] == sep
    assert df.attrs["encoding"] == encoding
    assert df.attrs["source"] == str(path)


def test_read_table_reads_gzip(tmp_path):
    plain = _write_csv(tmp_path / "t.csv", sep=";")
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    df = read_table(gz)
    assert df["nom"].tolist() == ["Abbécourt", "Hénin-Beaumont"]


def test_read_table_reads_xlsx_as_text(tmp_path):
    path = tmp_path / "t.xlsx"
    pd.DataFrame({"code": ["02001", "59009"], "n": [1, 2]}).to_excel(path, index=False)
    df = read_table(path)
    assert df["code"].tolist() == ["02001", "59009"]
    assert df["n"].tolist() == ["1", "2"]
    assert df.attrs["encoding"] == "xlsx"


def test_read_table_latin1_bytes_that_cp1252_cannot_decode(tmp_path):
    # 0x81 is undefined in cp1252: the reader falls back to Latin-1 instead of failing
    path = tmp_path / "t.csv"
    path.write_bytes(b"code;nom\n02001;Abb\xe9court\x81\n")
    df = read_table(path)
    assert df.attrs["encoding"] == "latin-1"
    assert df.loc[0, "nom"].startswith("Abbécourt")


def test_read_table_blank_lines_keep_line_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,m2\n02001,1\n\n02002,x\n\n")
    df = read_table(path)
    assert len(df) == 2
    assert row_label(df.index) == ["line 2", "line 4"]
    with pytest.raises(SchemaError, match=r"line 4 \('x'\)"):
        to_number(df, "m2", source=str(path))


def test_read_table_drops_trailing_separator_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code;m2;\n02001;1;\n02002;2;\n")
    df = read_table(path)
    assert list(df.columns) == ["code", "m2"]


def test_read_table_missing_file(tmp_path):
    path = tmp_path / "absent.csv"
    with pytest.raises(DataError, match="absent.csv: table file not found"):
        read_table(path)


def test_read_table_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty.csv: the consumption file is empty \(0 bytes\)"):
        read_table(path, what="consumption")


def test_read_table_header_only(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("idcom;naf09art10\n")
    with pytest.raises(
        DataError, match=r"header.csv: .*header \(idcom, naf09art10\) but no data rows"
    ):
        read_table(path)


def test_read_table_single_column_is_not_a_table(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("idcom naf09art10\n02001 12\n")
    with pytest.raises(DataError, match=r"one.csv: not a table.*pass sep="):
        read_table(path)


def test_read_table_row_longer_than_header(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("code,m2\n02001,1\n02002,2,3\n")
    with pytest.raises(DataError, match=r"ragged.csv: .*line 3 has 3 fields but the header has 2"):
        read_table(path)


def test_read_table_duplicate_columns(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("code,m2,m2\n02001,1,2\n")
    with pytest.raises(SchemaError, match=r"dup.csv: duplicate column names in the header: m2"):
        read_table(path)


def test_read_table_wrong_explicit_encoding(tmp_path):
    path = _write_csv(tmp_path / "t.csv", encoding="cp1252")
    with pytest.raises(DataError, match=r"t.csv: cannot decode .* as 'utf-8'.*encoding=None"):
        read_table(path, encoding="utf-8")


def test_read_table_not_gzip(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_text("code,m2\n02001,1\n")
    with pytest.raises(DataError, match=r"t.csv.gz: named .gz but not gzip-compressed"):
        read_table(path)


# ----------------------------------------------------------------------------- read_layer


def _layer(crs="EPSG:2154"):
    return gpd.GeoDataFrame(
        {"code": ["02001", "02002"], "nom": ["A", "B"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs=crs,
    )


@pytest.mark.parametrize("name", ["c.geojson", "c.gpkg", "c.shp", "c.parquet"])
def test_read_layer_formats(tmp_path, name):
    path = tmp_path / name
    gdf = _layer()
    if name.endswith(".parquet"):
        gdf.to_parquet(path)
    else:
        gdf.to_file(path)
    out = read_layer(path)
    assert out["code"].tolist() == ["02001", "02002"]
    assert out.crs.to_epsg() == 2154
    np.testing.assert_allclose(out.area.to_numpy(), [1e6, 1e6])
    assert out.attrs["source"] == str(path)


def test_read_layer_columns(tmp_path):
    path = tmp_path / "c.gpkg"
    _layer().to_file(path)
    out = read_layer(path, columns=["code"])
    assert list(out.columns) == ["code", "geometry"]
    with pytest.raises(
        SchemaError, match=r"c.gpkg: layer 'c' has no column 'insee'.*columns: code, nom"
    ):
        read_layer(path, columns=["insee"])


def test_read_layer_several_layers(tmp_path):
    path = tmp_path / "multi.gpkg"
    _layer().to_file(path, layer="communes")
    _layer().to_file(path, layer="epci")
    with pytest.raises(
        DataError, match=r"multi.gpkg: the file holds 2 layers \(communes, epci\); pass layer="
    ):
        read_layer(path)
    assert len(read_layer(path, layer="epci")) == 2
    with pytest.raises(DataError, match=r"no layer 'scot' in the file \(layers: communes, epci\)"):
        read_layer(path, layer="scot")


def test_read_layer_invalid_json(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(
        GeometryError, match=r"broken.geojson: cannot read the file as a vector layer \(.+\)"
    ):
        read_layer(path)


def test_read_layer_missing_and_empty_file(tmp_path):
    with pytest.raises(DataError, match="absent.gpkg: layer file not found"):
        read_layer(tmp_path / "absent.gpkg")
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty.geojson: the layer file is empty \(0 bytes\)"):
        read_layer(empty)


def test_read_layer_empty_layer(tmp_path):
    path = tmp_path / "none.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(DataError, match=r"none.geojson: the layer is empty \(0 features\)"):
        read_layer(path)


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_read_layer_without_crs(tmp_path):
    path = tmp_path / "nocrs.shp"
    _layer(crs=None).to_file(path)
    with pytest.raises(CRSError, match=r"nocrs.shp: the layer has no coordinate reference system"):
        read_layer(path)
    out = read_layer(path, crs="EPSG:2154")
    assert out.crs.to_epsg() == 2154
    # a CRS declared in the file wins over the fallback
    path4326 = tmp_path / "wgs.geojson"
    _layer().to_crs(4326).to_file(path4326)
    assert read_layer(path4326, crs="EPSG:2154").crs.to_epsg() == 4326


# ----------------------------------------------------------------------------- find_column


def test_find_column_case_insensitive():
    df = pd.DataFrame({"IDCOM": ["02001"], " Nom ": ["A"]})
    assert find_column(df, ["code_insee", "idcom"], source="f.csv", what="commune code") == "IDCOM"
    assert find_column(df, "nom", source="f.csv", what="name") == " Nom "
    assert find_column(df, "pop", source="f.csv", what="population", required=False) is None


def test_find_column_error_lists_columns_and_argument():
    df = pd.DataFrame({"codgeo": ["02001"], "libgeo": ["A"]})
    with pytest.raises(SchemaError) as err:
        find_column(df, ["idcom"], source="conso.csv", what="commune code", argument="code_column")
    msg = str(err.value)
    assert msg.startswith("conso.csv: no commune code column found")
    assert "columns: codgeo, libgeo" in msg
    assert "pass code_column= to name the commune code column" in msg


# ----------------------------------------------------------------------------- to_number


def test_to_number_decimal_comma_spaces_and_empty():
    df = pd.DataFrame(
        {"a": ["1 234,5", "-2", None, "\u202f3\u00a0000"], "b": ["0", "1.5", "2", "3"]}
    )
    out = to_number(df, ["a", "b"], source="f.csv")
    np.testing.assert_array_equal(out["a"].to_numpy(), [1234.5, -2.0, np.nan, 3000.0])
    assert out["b"].dtype == np.float64
    assert df["a"].iloc[0] == "1 234,5"  # input untouched


def test_to_number_non_numeric_names_file_column_lines_values():
    df = pd.DataFrame({"m2": ["1", "n/a", "3", "12 ha"]})
    with pytest.raises(SchemaError) as err:
        to_number(df, "m2", source="conso.csv")
    msg = str(err.value)
    assert "conso.csv, column 'm2'" in msg
    assert "line 3 ('n/a')" in msg and "line 5 ('12 ha')" in msg


def test_to_number_several_columns_collected():
    df = pd.DataFrame({"a": ["x", "1"], "b": ["2", "y"]})
    with pytest.raises(ValidationError) as err:
        to_number(df, ["a", "b"], source="f.csv")
    assert [p.column for p in err.value.problems] == ["a", "b"]


def test_to_number_negative_values():
    df = pd.DataFrame({"m2": ["1", "-5", "2"]})
    assert to_number(df, "m2", source="f.csv")["m2"].iloc[1] == -5.0
    with pytest.raises(
        DataError, match=r"f.csv, column 'm2': 1 negative value\(s\): line 3 \(-5.0\)"
    ):
        to_number(df, "m2", source="f.csv", allow_negative=False)


def test_to_number_rejects_infinite_and_nan_text():
    df = pd.DataFrame({"m2": ["inf", "nan", "1"]})
    with pytest.raises(
        SchemaError, match=r"2 non-numeric value\(s\): line 2 \('inf'\), line 3 \('nan'\)"
    ):
        to_number(df, "m2", source="f.csv")


def test_to_number_unknown_column():
    with pytest.raises(SchemaError, match=r"f.csv: no column 'x' \(columns: m2\)"):
        to_number(pd.DataFrame({"m2": ["1"]}), "x", source="f.csv")


def test_sample_lines_reads_lines_as_stringio_does():
    """The separator sniffer's sample: the first non-blank lines, split on \\n only."""
    import io
    import random

    from zan.io._files import _sample_lines

    def by_stringio(text, n):
        lines = []
        for line in io.StringIO(text):
            if line.strip():
                lines.append(line.rstrip("\r\n"))
                if len(lines) >= n:
                    break
        return lines

    rng = random.Random(2154)
    pieces = ["a", "b;c", " ", "\n", "\r", "\r\n", "\t", "\u2028", "\x0b", "\x0c", "é"]
    for _ in range(2_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 120)))
        for n in (1, 3, 50):
            assert _sample_lines(text, n) == by_stringio(text, n)
