"""The bad-input suite, part II: files as users really have them.

Classes of cases (each a section below): communes that cannot be placed in a level
(never silently dropped), lower bounds flagged in the outputs, files as Excel and
data portals make them (``sep=`` hint, zips, binary content, encodings), coordinate
system mistakes, secrets in messages, implausible values. As in
tests/test_bad_input.py, each case checks the exception class (or exit status 2 for
the CLI) and that the message names the file, what is wrong and the fix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zan import errors as E
from zan.datasets import get_path

CONSO = str(get_path("conso_enaf_2009_2023.csv"))
MEMBERSHIP = str(get_path("communes.csv"))


def _cli(args):
    from zan.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


# =============================================================== communes that cannot be placed
def _membership_without(tmp_path, *, drop=(), blank=()):
    """The demo membership table with communes removed (``drop``) or without an EPCI."""
    table = pd.read_csv(MEMBERSHIP, dtype=str, keep_default_na=False)
    table = table[~table["code_insee"].isin(drop)]
    table.loc[table["code_insee"].isin(blank), "epci_siren"] = ""
    path = tmp_path / "membership.csv"
    table.to_csv(path, index=False)
    return path


def _conso_on_membership(tmp_path):
    """The demo consumption file without its two communes of another COG vintage."""
    lines = Path(CONSO).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.startswith(("96127,", "99090,"))]
    path = tmp_path / "conso.csv"
    path.write_text("".join(kept), encoding="utf-8")
    return path


@pytest.mark.parametrize("how", ["drop", "blank"])
def test_commune_without_epci_is_an_error_naming_it(tmp_path, how):
    from zan import read_consumption
    from zan.io.territories import read_membership
    from zan.measure.consumption import consumption

    conso = read_consumption(_conso_on_membership(tmp_path))
    members = read_membership(_membership_without(tmp_path, **{how: ["96001"]}))
    with pytest.raises(E.MembershipError) as info:
        consumption(conso, members, level="epci", missing="zero")
    message = str(info.value)
    assert "96001" in message and "membership.csv" in message
    assert "2.84 ha" in message  # what would have been missing from its EPCI
    assert "unplaced='exclude'" in message


def test_commune_without_epci_excluded_and_reported(tmp_path):
    from zan import read_consumption
    from zan.io.territories import read_membership
    from zan.measure.consumption import consumption

    conso = read_consumption(_conso_on_membership(tmp_path))
    full = consumption(
        conso, read_membership(MEMBERSHIP), level="epci", missing="zero", by_destination=False
    )
    members = read_membership(_membership_without(tmp_path, blank=["96001"]))
    out = consumption(
        conso, members, level="epci", missing="zero", unplaced="exclude", by_destination=False
    )
    assert out.attrs["excluded"] == ("96001",)
    short = full.loc["249604612", "total_ha"] - out.loc["249604612", "total_ha"]
    assert out.attrs["excluded_ha"] == pytest.approx(short) and short > 2.8
    assert "excluded" not in full.attrs


def test_cli_unplaced_error_and_exclusion(tmp_path):
    conso = _conso_on_membership(tmp_path)
    members = _membership_without(tmp_path, drop=["96001"])
    res = _cli(["consumption", conso, "--membership", members, "--by", "epci", "--missing", "zero"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "96001" in res.output and "--unplaced exclude" in res.output
    out = tmp_path / "out" / "conso_epci.csv"
    res = _cli(
        ["consumption", conso, "--membership", members, "--by", "epci", "--missing", "zero"]
        + ["--unplaced", "exclude", "--out", out]
    )
    assert res.exit_code == 0, res.output
    assert "1 commune(s) exclue(s)" in res.output and "96001" in res.output
    record = json.loads((tmp_path / "out" / "conso_epci.sources.json").read_text())
    assert record["excluded"] == ["96001"] and record["excluded_ha"] == pytest.approx(2.8416)
    assert record["output"]["file"] == "conso_epci.csv"


def test_trajectory_passes_unplaced(tmp_path):
    from zan import read_consumption
    from zan.io.territories import read_membership
    from zan.measure.consumption import trajectory

    conso = read_consumption(_conso_on_membership(tmp_path))
    members = read_membership(_membership_without(tmp_path, blank=["96001"]))
    with pytest.raises(E.MembershipError, match="96001"):
        trajectory(conso, members, level="epci", missing="zero")
    t = trajectory(conso, members, level="epci", missing="zero", unplaced="exclude")
    assert t.attrs["excluded"] == ("96001",)


def test_custom_grouping_with_gaps_is_an_error(tmp_path):
    from zan import read_consumption
    from zan.measure.consumption import consumption

    conso = read_consumption(CONSO)
    groups = pd.Series("A", index=conso.communes.index)
    groups.iloc[:3] = None
    with pytest.raises(E.MembershipError, match="3 have no group"):
        consumption(conso, level=groups)
    out = consumption(conso, level=groups, unplaced="exclude")
    assert len(out.attrs["excluded"]) == 3


# ------------------------------------------------------------------ the property
def _conso_frame(codes, m2):
    from zan.io.consumption import Consumption

    flows = pd.DataFrame(
        {
            "code": np.repeat(np.asarray(codes, dtype=object), 10),
            "year": np.tile(np.arange(2011, 2021), len(codes)),
            "destination": "total",
            "m2": np.repeat(np.asarray(m2, dtype="float64"), 10),
        }
    )
    communes = pd.DataFrame({"nom": codes}, index=pd.Index(codes, name="code"))
    return Consumption(
        flows=flows, communes=communes, years=tuple(range(2011, 2021)), destinations=()
    )


@st.composite
def _placements(draw):
    n = draw(st.integers(1, 25))
    codes = [f"{59000 + i:05d}" for i in range(n)]
    m2 = draw(st.lists(st.integers(0, 10**7), min_size=n, max_size=n))
    # Each commune: in the table with a group, in the table without one, or absent.
    fate = draw(
        st.lists(st.sampled_from(["group", "group", "blank", "absent"]), min_size=n, max_size=n)
    )
    group = draw(st.lists(st.sampled_from(["E1", "E2", "E3"]), min_size=n, max_size=n))
    return codes, m2, fate, group


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_placements(), st.sampled_from(["raise", "exclude"]), st.sampled_from(["table", "series"]))
def test_property_no_commune_lost_without_a_word(case, unplaced, how):
    """No aggregation returns fewer communes (or fewer m²) than it was given, unless it
    raised or reported the difference as an exclusion."""
    from zan.measure.consumption import consumption

    codes, m2, fate, group = case
    conso = _conso_frame(codes, m2)
    kept = [i for i, f in enumerate(fate) if f != "absent"]
    epci = [group[i] if fate[i] == "group" else None for i in kept]
    if how == "table":
        grouping = pd.DataFrame(
            {"epci": pd.array(epci, dtype="string")}, index=pd.Index([codes[i] for i in kept])
        )
        kwargs = {"territories": grouping, "level": "epci"}
    else:
        kwargs = {"level": pd.Series(epci, index=[codes[i] for i in kept], dtype=object)}
    try:
        out = consumption(conso, by_destination=False, unplaced=unplaced, **kwargs)
    except E.MembershipError as exc:
        lost = [codes[i] for i, f in enumerate(fate) if f != "group"]
        assert lost and all(c in str(exc) for c in lost[:20])
        return
    given_m2 = 10 * sum(m2)
    excluded = out.attrs.get("excluded", ())
    assert all(f == "group" for f in fate) or unplaced == "exclude"
    assert set(excluded) == {codes[i] for i, f in enumerate(fate) if f != "group"}
    counted = out["total_ha"].sum() + out.attrs.get("excluded_ha", 0.0)
    assert counted * 1e4 == pytest.approx(given_m2, abs=1e-6)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.integers(1001, 99999).filter(lambda n: not 20000 <= n < 21000),  # 20xxx: no code
        min_size=1,
        max_size=30,
        unique=True,
    ),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    st.booleans(),
)
def test_property_reader_keeps_every_commune(tmp_path, numbers, sep, encoding, excel_hint):
    """read_consumption returns every commune of the file and every m² of it."""
    from zan import read_consumption

    header = sep.join(["idcom", "idcomtxt", *[f"naf{y:02d}art{y + 1:02d}" for y in range(11, 21)]])
    rows = [header]
    for i, n in enumerate(numbers):
        rows.append(sep.join([f"{n:05d}", f"Commune é{i}", *[str(n % 97 + y) for y in range(10)]]))
    text = "\n".join(rows) + "\n"
    if excel_hint:
        text = f"sep={sep}\n" + text
    path = tmp_path / f"conso_{abs(hash((tuple(numbers), sep, encoding, excel_hint)))}.csv"
    path.write_bytes(text.encode(encoding))
    conso = read_consumption(path)
    assert sorted(conso.communes.index) == sorted(f"{n:05d}" for n in numbers)
    expected = sum(n % 97 * 10 + 45 for n in numbers)
    assert conso.period_total(2011, 2020).sum() == expected


# ==================================================================== lower bounds flagged
def _api_file(tmp_path, *, total=False):
    rows = ["idcom;idcomtxt;epci23;annee;conso_act_m2;conso_hab_m2;conso_mix_m2;conso_inc_m2"]
    if total:
        rows[0] += ";naf_arti_m2"
    for code in ("59001", "59002"):
        for year in range(2011, 2024):
            rows.append(f"{code};C{code};200000001;{year};10;20;0;0" + (";40" if total else ""))
    path = tmp_path / "api.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_api_without_road_rail_is_flagged_lower_bound(tmp_path):
    from zan import read_consumption
    from zan.measure.consumption import consumption, trajectory

    conso = read_consumption(_api_file(tmp_path))
    assert list(conso.lower_bound_codes(2011, 2020)) == ["59001", "59002"]
    table = consumption(conso, level="epci")
    assert table["lower_bound"].tolist() == [True]
    assert table.attrs["lower_bound"] == ("200000001",)
    assert trajectory(conso, level="commune")["lower_bound"].all()
    complete = read_consumption(_api_file(tmp_path, total=True))
    assert "lower_bound" not in consumption(complete, level="epci").columns


@pytest.mark.parametrize("command", ["consumption", "trajectory"])
def test_cli_prints_and_writes_the_lower_bound(tmp_path, command):
    out = tmp_path / f"{command}.csv"
    res = _cli([command, _api_file(tmp_path), "--by", "epci", "--out", out])
    assert res.exit_code == 0, res.output
    assert "le total est une borne inférieure" in res.output
    written = pd.read_csv(out, dtype=str)
    assert written["lower_bound"].tolist() == ["True"]
    record = json.loads((tmp_path / f"{command}.sources.json").read_text())
    assert record["lower_bound"] == ["200000001"]


def test_complete_file_writes_no_flag_file(tmp_path):
    out = tmp_path / "c.csv"
    res = _cli(["consumption", CONSO, "--by", "departement", "--out", out])
    assert res.exit_code == 0, res.output
    assert "borne inférieure" not in res.output
    assert not (tmp_path / "c.sources.json").exists()
    assert "lower_bound" not in out.read_text().splitlines()[0]


def test_aligned_file_keeps_its_lower_bounds(tmp_path):
    from zan import read_consumption
    from zan.io.cog import read_passage

    conso = read_consumption(_api_file(tmp_path))
    passage = tmp_path / "passage.csv"
    passage.write_text("code_2023,code_2024\n59001,59001\n59002,59001\n", encoding="utf-8")
    aligned, _ = conso.align(read_passage(passage))
    assert list(aligned.lower_bound_codes(2011, 2020)) == ["59001"]


def test_message_lists_lower_bound_codes_in_order():
    from zan.measure.flags import flag_sentences

    table = pd.DataFrame({"total_ha": [1.0]})
    table.attrs["lower_bound"] = tuple(f"{i:05d}" for i in range(25))
    (line,) = flag_sentences(table)
    assert re.search(r"pour 25 territoire\(s\) \(00000, .*00019 et 5 autres\)", line)


# ======================================================== files as Excel and portals make them
DEP = "code;nom\n96;Côtes-de-Démo\n98;Haut-Démo\n"


def _zip(path, members: dict[str, bytes | str]):
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _table(path):
    from zan.io._files import read_table

    return read_table(path)


@pytest.mark.parametrize(
    "first",
    ["sep=;\n", "sep=;\r\n", '"sep=;"\n', "SEP=;\n"],
    ids=["plain", "crlf", "quoted", "upper"],
)
def test_excel_sep_hint_is_honoured_and_skipped(tmp_path, first):
    path = tmp_path / "dep.csv"
    path.write_bytes((first + DEP.replace(";", ";")).encode("cp1252"))
    df = _table(path)
    assert list(df.columns) == ["code", "nom"] and df["nom"].tolist()[0] == "Côtes-de-Démo"
    assert df.attrs["sep"] == ";"
    from zan.io._files import row_label

    assert row_label(df.index) == ["line 3", "line 4"]  # the hint is line 1, the header line 2


def test_excel_sep_hint_wins_over_sniffing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("sep=|\ncode|nom, prénom\n59001|Dupont, Jean\n", encoding="utf-8")
    df = _table(path)
    assert df.loc[1, "nom, prénom"] == "Dupont, Jean"


def test_excel_sep_hint_line_numbers_in_errors(tmp_path):
    from zan import read_consumption

    naf = ";".join(f"naf{y:02d}art{y + 1:02d}" for y in range(11, 21))
    path = tmp_path / "conso.csv"
    path.write_text(
        f"sep=;\nidcom;{naf}\n59001;{';'.join(['1'] * 10)}\n59002;dix{';1' * 9}\n",
        encoding="utf-8",
    )
    with pytest.raises(E.DataError, match=r"line 4 \('dix'\)"):
        read_consumption(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "utf-8-sig", "cp1252", "latin-1"])
def test_other_encodings_are_read(tmp_path, encoding):
    path = tmp_path / "dep.csv"
    data = DEP.replace("Haut", "Haut-Œuvre" if encoding == "cp1252" else "Haut")
    if encoding == "utf-16-le-bom":
        raw = b"\xff\xfe" + data.encode("utf-16-le")
    else:
        raw = data.encode(encoding)
    path.write_bytes(raw)
    df = _table(path)
    assert df["nom"].tolist()[0] == "Côtes-de-Démo"


@pytest.mark.parametrize(
    "layout",
    ["flat", "folder", "macosx", "with-readme"],
)
def test_zip_with_one_table_is_read_and_named(tmp_path, layout, caplog):
    members = {
        "flat": {"dep.csv": DEP},
        "folder": {"export/2024/dep.csv": DEP},
        "macosx": {"dep/dep.csv": DEP, "__MACOSX/dep/._dep.csv": b"\x00\x05\x16\x07junk"},
        "with-readme": {"dep.csv": DEP, "LISEZMOI.pdf": b"%PDF-1.4", ".DS_Store": b"\x00"},
    }[layout]
    path = _zip(tmp_path / "portail.zip", members)
    with caplog.at_level("WARNING", logger="zan"):
        df = _table(path)
    assert df["code"].tolist() == ["96", "98"]
    member = next(m for m in members if m.endswith(".csv") and "MACOSX" not in m)
    assert df.attrs["source"] == f"{path}!{member}"
    assert f"reading {member}" in caplog.text


def test_zip_with_several_tables_asks_which(tmp_path):
    path = _zip(tmp_path / "portail.zip", {"a/dep.csv": DEP, "b/dep_2023.csv": DEP})
    with pytest.raises(E.DataError) as info:
        _table(path)
    message = str(info.value)
    assert "2 candidate table files (a/dep.csv, b/dep_2023.csv)" in message
    assert f"{path}!a/dep.csv" in message
    assert _table(f"{path}!b/dep_2023.csv").attrs["source"].endswith("!b/dep_2023.csv")
    assert _table(f"{path}!dep_2023.csv")["code"].tolist() == ["96", "98"]  # by file name


def test_zip_member_not_there_lists_the_files(tmp_path):
    path = _zip(tmp_path / "portail.zip", {"a/dep.csv": DEP})
    with pytest.raises(E.DataError, match=r"no member 'b\.csv' in the zip \(files: a/dep\.csv\)"):
        _table(f"{path}!b.csv")


def test_zip_without_table_lists_the_files(tmp_path):
    path = _zip(tmp_path / "portail.zip", {"carte.pdf": b"%PDF", "__MACOSX/._carte.pdf": b"x"})
    with pytest.raises(
        E.DataError, match=r"holds no table file \(CSV, TXT, TSV\); files: carte\.pdf; extract"
    ):
        _table(path)


def test_zip_renamed_csv_is_told_by_its_bytes(tmp_path):
    path = _zip(tmp_path / "dep.csv", {"data/dep.csv": DEP})
    df = _table(path)
    assert df.attrs["source"] == f"{path}!data/dep.csv"


def test_xlsx_renamed_csv_is_named_a_workbook(tmp_path):
    path = tmp_path / "dep.csv"
    pd.DataFrame({"code": ["96"], "nom": ["x"]}).to_excel(tmp_path / "dep.xlsx", index=False)
    (tmp_path / "dep.xlsx").rename(path)
    with pytest.raises(E.DataError, match=r"it is Excel workbook \(\.xlsx\) named \.csv.*\.xlsx"):
        _table(path)


BINARIES = {
    "png": (b"\x89PNG\r\n\x1a\nIHDR\x00\x00secret", "PNG image"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3 secret stream", "PDF document"),
    "sqlite": (b"SQLite format 3\x00secret", "SQLite database"),
    "elf": (b"\x7fELF\x02\x01\x01secret", "executable program"),
    "nul": (b"code;nom\x00\x00secret\x01\x02", "binary data"),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1secret", "old Excel"),
}


@pytest.mark.parametrize("kind", list(BINARIES))
def test_binary_content_is_never_printed(tmp_path, kind):
    raw, words = BINARIES[kind]
    path = tmp_path / "conso.csv"
    path.write_bytes(raw)
    from zan import read_consumption

    with pytest.raises(E.DataError) as info:
        read_consumption(path)
    message = str(info.value)
    assert "not a text table" in message and words in message
    assert f"({len(raw)} bytes, looks like" in message
    assert "secret" not in message and "\x00" not in message


def test_cli_binary_file_exits_2_without_bytes(tmp_path):
    path = tmp_path / "conso.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    res = _cli(["consumption", path])
    assert res.exit_code == 2 and "looks like a PNG image" in res.output
    assert "secret" not in res.output and "Traceback" not in res.output


def test_cli_reads_a_zip_and_says_which_member(tmp_path):
    path = _zip(tmp_path / "conso.zip", {"conso/conso.csv": Path(CONSO).read_bytes()})
    res = _cli(["consumption", path, "--by", "departement"])
    assert res.exit_code == 0, res.output
    assert "reading conso/conso.csv, the only consumption file of the zip" in res.output
    assert "Côtes-de-Démo" in res.output


# ================================================================ coordinate system mistakes
def _box(x0, y0, d):
    ring = [[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _communes_geojson(tmp_path, geometry, crs=None, name="communes.geojson"):
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code_insee": "59001", "nom": "A"}, "geometry": g}
            for g in [geometry]
        ],
    }
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / name
    path.write_text(json.dumps(fc), encoding="utf-8")
    return path


CRS_CASES = {
    # id: (geometry, declared CRS, regexes)
    "lambert93-as-default-wgs84": (
        _box(700000, 7050000, 1000),
        None,
        (r"outside the area of EPSG:4326", r"EPSG:2154 \(Lambert-93\)", r"--crs 2154", r"crs="),
    ),
    "lambert93-declared-wgs84": (
        _box(700000, 7050000, 1000),
        "urn:ogc:def:crs:EPSG::4326",
        (r"outside the area of EPSG:4326", r"--crs 2154"),
    ),
    "web-mercator-as-wgs84": (
        _box(-8000000, 6600000, 1000),  # west of the Lambert-93 area: Web Mercator only
        None,
        (r"EPSG:3857 \(Web Mercator\)", r"--crs 3857"),
    ),
    "lon-lat-swapped": (
        _box(50.1, 3.0, 0.01),
        None,
        (r"x and y look swapped", r"longitude", r"RFC 7946"),
    ),
    "lambert93-x-y-swapped": (
        _box(7050000, 700000, 1000),
        "urn:ogc:def:crs:EPSG::2154",
        (r"x and y look swapped", r"easting"),
    ),
}


@pytest.mark.parametrize("case", list(CRS_CASES))
def test_coordinates_outside_the_declared_crs(tmp_path, case):
    from zan.io.territories import read_communes

    geometry, crs, patterns = CRS_CASES[case]
    path = _communes_geojson(tmp_path, geometry, crs)
    with pytest.raises(E.CRSError) as info:
        read_communes(path)
    message = str(info.value)
    assert "communes.geojson" in message
    assert "invalid" not in message  # no longer "the geometry of N communes is invalid"
    for pattern in patterns:
        assert re.search(pattern, message), (pattern, message)


def test_crs_keyword_reads_lambert93_numbers_read_as_wgs84(tmp_path):
    from zan.io.territories import read_communes

    path = _communes_geojson(tmp_path, _box(700000, 7050000, 1000))
    with pytest.warns(E.ZanWarning, match="do not fit the declared EPSG:4326"):
        communes = read_communes(path, crs="EPSG:2154")
    assert communes.crs.to_epsg() == 2154
    assert communes["area_ha"].iloc[0] == pytest.approx(100.0)


def test_cli_says_crs_option_and_it_works(tmp_path):
    import geopandas as gpd

    layer = gpd.read_file(get_path("communes.gpkg"))
    path = tmp_path / "communes.geojson"
    layer.to_file(path, driver="GeoJSON")
    text = json.loads(path.read_text())
    text.pop("crs", None)  # as a portal's export: numbers in Lambert-93, no CRS said
    path.write_text(json.dumps(text))
    args = ["consumption", CONSO, "--territories", path, "--by", "departement"]
    res = _cli(args)
    assert res.exit_code == 2 and "--crs 2154" in res.output and "Traceback" not in res.output
    res = _cli(args + ["--crs", "2154"])
    assert "outside the area" not in res.output  # past the CRS: the next message is the COG one
    assert "--passage" in res.output


@pytest.mark.parametrize(
    "missing, patterns",
    [
        (".dbf", (r"comes without communes\.dbf", r"attribute table", r"\.shp, \.shx, \.dbf")),
        (".shx", (r"comes without communes\.shx",)),
        (".prj", (r"without communes\.prj", r"crs='EPSG:2154'", r"--crs 2154")),
    ],
)
def test_shapefile_without_a_part_is_named(tmp_path, missing, patterns):
    import geopandas as gpd

    from zan.io.territories import read_communes

    layer = gpd.read_file(get_path("communes.gpkg")).head(3)[["code_insee", "nom", "geometry"]]
    path = tmp_path / "communes.shp"
    layer.to_file(path)
    (tmp_path / f"communes{missing}").unlink()
    error = E.CRSError if missing == ".prj" else E.DataError
    with pytest.raises(error) as info:
        read_communes(path)
    message = str(info.value)
    assert "no commune code column" not in message and "communes.shp" in message
    for pattern in patterns:
        assert re.search(pattern, message), (pattern, message)


def test_shapefile_set_in_a_zip_is_read(tmp_path):
    import geopandas as gpd

    from zan.io.territories import read_communes

    layer = gpd.read_file(get_path("communes.gpkg")).head(3)[["code_insee", "nom", "geometry"]]
    folder = tmp_path / "shp"
    folder.mkdir()
    layer.to_file(folder / "communes.shp")
    members = {f"COMMUNES/{p.name}": p.read_bytes() for p in folder.iterdir()}
    members["__MACOSX/COMMUNES/._communes.shp"] = b"\x00\x05\x16\x07"
    path = _zip(tmp_path / "admin-express.zip", members)
    communes = read_communes(path)
    assert len(communes) == 3
    from zan.io._files import read_layer

    assert read_layer(path).attrs["source"] == f"{path}!COMMUNES/communes.shp"
    del members["COMMUNES/communes.dbf"]
    broken = _zip(tmp_path / "broken.zip", members)
    with pytest.raises(
        E.DataError, match=r"broken\.zip: the shapefile communes\.shp comes without communes\.dbf"
    ):
        read_communes(broken)


# ====================================================================== secrets in messages
SCENARIO = (
    '[scenario]\nname = "t"\n[data]\ncommunes = "demo:communes.gpkg"\n'
    'communes_layer = "communes"\nmembership = "demo:communes.csv"\n'
    'consumption = "{conso}"\n'
    '[envelope]\nenvelope_ha = 1000\n[[criteria]]\nrule = "uniform"\nweight = 1.0\n'
)
SECRETS = {
    "passwd": b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/bin/false\n",
    "env": b"API_TOKEN=sk-secret-123456\n",
    "ssh-key": b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
    "binary": b"\x7fELF\x02\x01\x01\x00secret-in-binary",
}


def _scenario_to(tmp_path, secret: bytes):
    outside = tmp_path / "etc" / "passwd"
    outside.parent.mkdir()
    outside.write_bytes(secret)
    folder = tmp_path / "shared" / "scenarios"
    folder.mkdir(parents=True)
    path = folder / "s.toml"
    path.write_text(SCENARIO.format(conso="../../etc/passwd"), encoding="utf-8")
    return path, outside


@pytest.mark.parametrize("kind", list(SECRETS))
def test_scenario_data_file_content_is_never_quoted(tmp_path, kind):
    from zan.scenario import run_scenario

    path, outside = _scenario_to(tmp_path, SECRETS[kind])
    with pytest.raises(E.ScenarioError) as info:
        run_scenario(path)
    message = str(info.value)
    assert "key 'data.consumption' (../../etc/passwd → " in message
    assert f"→ {outside.resolve()})" in message  # the path resolved
    for word in ("root:x", "sk-secret", "BEGIN OPENSSH", "secret-in-binary", "b3Blbn"):
        assert word not in message, message


def test_data_root_refuses_a_file_outside_it(tmp_path):
    from zan.scenario import load_scenario

    path, outside = _scenario_to(tmp_path, SECRETS["passwd"])
    root = tmp_path / "shared"
    with pytest.raises(E.ScenarioError) as info:
        load_scenario(path, data_root=root)
    message = str(info.value)
    assert f"'../../etc/passwd' resolves to {outside.resolve()}" in message
    assert f"outside the data folder {root.resolve()}" in message and "--data-root" in message
    assert "root:x" not in message


def test_data_root_follows_symbolic_links(tmp_path):
    from zan.scenario import load_scenario

    path, outside = _scenario_to(tmp_path, SECRETS["passwd"])
    link = path.parent / "conso.csv"
    link.symlink_to(outside)
    path.write_text(SCENARIO.format(conso="conso.csv"), encoding="utf-8")
    with pytest.raises(E.ScenarioError, match=r"'conso\.csv' resolves to .*etc/passwd, outside"):
        load_scenario(path, data_root=path.parent)


def test_data_root_accepts_files_inside_and_shipped_ones():
    from zan.datasets import scenario_path
    from zan.scenario import load_scenario

    scenario = scenario_path("01_reduction_uniforme")  # ../demo/... files
    data = Path(scenario).parent.parent
    assert load_scenario(scenario, data_root=data).data.consumption.endswith(".csv")
    with pytest.raises(E.ScenarioError, match="outside the data folder"):
        load_scenario(scenario, data_root=Path(scenario).parent)


def test_data_root_must_be_a_folder(tmp_path):
    from zan.datasets import scenario_path
    from zan.scenario import load_scenario

    with pytest.raises(E.ScenarioError, match=r"nowhere: the data folder .* is not a folder"):
        load_scenario(scenario_path("01_reduction_uniforme"), data_root=tmp_path / "nowhere")


def test_cli_data_root_and_resolved_path(tmp_path):
    path, outside = _scenario_to(tmp_path, SECRETS["env"])
    res = _cli(["allocate", path])
    assert res.exit_code == 2 and "sk-secret" not in res.output
    assert str(outside.resolve()) in res.output
    res = _cli(["allocate", path, "--data-root", tmp_path / "shared"])
    assert res.exit_code == 2 and "outside the data folder" in res.output
    assert "Traceback" not in res.output


# ====================================================================== implausible values
def _conso_with(tmp_path, column: str, value: str, code: str | None = None):
    lines = Path(CONSO).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index(column)] = value
    if code is not None:
        row[0] = code
    lines[1] = ",".join(row)
    path = tmp_path / "conso.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_flow_of_ten_to_the_thirteen_is_refused(tmp_path):
    from zan import read_consumption

    path = _conso_with(tmp_path, "naf11art12", "10000000000000")
    with pytest.raises(E.ValidationError) as info:
        read_consumption(path)
    message = str(info.value)
    assert "1 implausible flow(s) for a commune and a year: 96001 naf11art12 (1e+13 m²)" in message
    assert "2e+10 m²" in message and "check the unit" in message


def test_flow_above_the_commune_area_is_refused(tmp_path):
    from zan import read_consumption

    path = _conso_with(tmp_path, "naf11art12", "20000000")  # 2,000 ha; 96001 is 1,124 ha
    with pytest.raises(E.ValidationError, match=r"96001 naf11art12 \(2e\+07 m², area 1\.12e\+07"):
        read_consumption(path)


def test_api_flow_implausible(tmp_path):
    from zan import read_consumption

    path = tmp_path / "api.csv"
    path.write_text("idcom;annee;naf_arti_m2\n59001;2021;3e13\n59001;2022;100\n", encoding="utf-8")
    with pytest.raises(E.ValidationError, match=r"59001 naf_arti_m2 \(3e\+13 m²\)"):
        read_consumption(path)


@pytest.mark.parametrize("reader", ["consumption", "membership", "communes"])
def test_corsican_code_written_20xxx(tmp_path, reader):
    from zan import read_communes, read_consumption, read_membership

    if reader == "consumption":
        call = lambda: read_consumption(_conso_with(tmp_path, "idcom", "20004"))  # noqa: E731
    elif reader == "membership":
        path = tmp_path / "membership.csv"
        path.write_text("code_insee;epci\n20004;242010056\n2A041;242010056\n", encoding="utf-8")
        call = lambda: read_membership(path)  # noqa: E731
    else:
        path = tmp_path / "communes.geojson"
        fc = {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code_insee": "20004", "nom": "Ajaccio"},
                    "geometry": _box(1180000, 6100000, 1000),
                }
            ],
        }
        path.write_text(json.dumps(fc), encoding="utf-8")
        call = lambda: read_communes(path)  # noqa: E731
    with pytest.raises(E.DataError) as info:
        call()
    message = str(info.value)
    assert "20004" in message and "2A or 2B, never 20" in message


def test_valid_corsican_codes_still_read(tmp_path):
    from zan import read_membership

    path = tmp_path / "membership.csv"
    path.write_text("code_insee;epci\n2A004;242010056\n2B033;242000354\n", encoding="utf-8")
    assert list(read_membership(path).index) == ["2A004", "2B033"]


@pytest.mark.parametrize(
    "key, size, pattern",
    [
        ("name", 50_000_000, r"50,000,\d+ bytes, more than the 1,000,000 of a scenario file"),
        ("name", 201, r"'scenario\.name': String should have at most 200 characters"),
        ("description", 5001, r"'scenario\.description': .* at most 5000 characters"),
    ],
)
def test_scenario_name_and_description_limits(tmp_path, key, size, pattern):
    import time

    from zan.scenario import load_scenario

    text = SCENARIO.replace('consumption = "{conso}"\n', "")
    text = text.replace('name = "t"', 'name = "n"\ndescription = "d"').replace(
        f'{key} = "{key[0]}"', f'{key} = "{"x" * size}"'
    )
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(E.ScenarioError) as info:
        load_scenario(path)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert re.search(pattern, message), message
    assert len(message) < 400  # the value is cut, never echoed whole


def test_scenario_name_limit_through_set():
    from zan.datasets import scenario_path
    from zan.scenario import load_scenario

    with pytest.raises(E.ScenarioError, match=r"at most 200 characters \(got 'yyy.*\.\.\. \(500 "):
        load_scenario(
            scenario_path("01_reduction_uniforme"), overrides={"scenario.name": "y" * 500}
        )


def test_excel_sep_hint_long_row_names_the_file_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("sep=;\ncode;nom\n59001;A\n59002;B;C;D\n", encoding="utf-8")
    with pytest.raises(E.DataError, match=r"line 4 has 4 fields but the header has 2"):
        _table(path)


def test_unreadable_file_is_an_error_not_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "conso.csv"
    path.write_text(DEP, encoding="utf-8")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(E.DataError, match=r"conso\.csv: cannot be read \(Permission denied\)"):
        _table(path)


def test_cli_raster_stats_takes_crs_too(tmp_path):
    import geopandas as gpd

    path = tmp_path / "communes.geojson"
    gpd.read_file(get_path("communes.gpkg")).to_file(path, driver="GeoJSON")
    text = json.loads(path.read_text())
    text.pop("crs", None)
    path.write_text(json.dumps(text))
    args = ["raster-stats", get_path("corine_demo.tif"), "--territories", path, "--quiet"]
    res = _cli(args)
    assert res.exit_code == 2 and "--crs 2154" in res.output
    res = _cli(args + ["--crs", "2154"])
    assert res.exit_code == 0, res.output


def test_validate_reads_a_portal_zip(tmp_path):
    from zan.validate import detect_kind, validate_paths

    table = _zip(tmp_path / "conso.zip", {"data/conso.csv": Path(CONSO).read_bytes()})
    layer = _zip(
        tmp_path / "communes.zip", {"x/communes.gpkg": get_path("communes.gpkg").read_bytes()}
    )
    assert detect_kind(table) == "consumption" and detect_kind(layer) == "communes"
    assert not validate_paths([layer, MEMBERSHIP]).errors


def test_missing_ignore_says_which_communes_it_left_out(tmp_path):
    from zan import read_consumption
    from zan.measure.consumption import consumption

    path = _conso_with(tmp_path, "naf11art12", "")  # 96001: total of 2011 unknown
    path.write_text(path.read_text().replace(",5291,0,3253,0,2038,0,0,", ",,,,,,,,", 1))
    conso = read_consumption(path)
    out = consumption(conso, level="epci", missing="ignore")
    assert out.attrs["unknown"] == ("96001",)
    res = _cli(["consumption", path, "--by", "epci", "--missing", "ignore"])
    assert res.exit_code == 0 and "1 communes of unknown total left out" in res.output
