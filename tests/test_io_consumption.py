"""Tests of zan.io.consumption: the Cerema wide file and the Cerema API export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import shared_path

from zan.errors import DataError, PeriodError, SchemaError, ValidationError
from zan.io.consumption import DESTINATIONS, Consumption, read_consumption

DATA = Path(__file__).parent / "data" / "conso"
MINI = DATA / "cerema_wide_mini.csv"
SUFFIXES = ("act", "hab", "mix", "rou", "fer", "inc")


def _mini() -> pd.DataFrame:
    return pd.read_csv(MINI, dtype=str)


def _write(df: pd.DataFrame, path: Path, sep: str = ",", encoding: str = "utf-8") -> Path:
    path.write_bytes(df.to_csv(index=False, sep=sep).encode(encoding))
    return path


def _wide(codes, last_year, value=lambda k, y, d: 1.0) -> pd.DataFrame:
    """A Cerema-layout table whose flows of year y end with release last_year + 1."""
    data = {"idcom": list(codes), "idcomtxt": [f"C{c}" for c in codes]}
    for y in range(2009, last_year + 1):
        yy, zz = y % 100, (y + 1) % 100
        parts = {s: [value(k, y, s) for k in range(len(codes))] for s in SUFFIXES}
        data[f"naf{yy:02d}art{zz:02d}"] = [
            sum(parts[s][k] for s in SUFFIXES) for k in range(len(codes))
        ]
        for s in SUFFIXES:
            data[f"art{yy:02d}{s}{zz:02d}"] = parts[s]
    return pd.DataFrame(data)


# ----------------------------------------------------------------------------- wide layout


def test_wide_fixture_contract():
    conso = read_consumption(MINI)
    assert isinstance(conso, Consumption)
    assert conso.years == tuple(range(2009, 2023))
    assert conso.destinations == DESTINATIONS
    assert conso.missing_destinations == ()
    assert conso.source == str(MINI)
    flows = conso.flows
    assert list(flows.columns) == ["code", "year", "destination", "m2"]
    assert flows["m2"].dtype == np.float64 and flows["year"].dtype == np.int64
    # 3 communes x 14 years x (total + 6 destinations)
    assert len(flows) == 3 * 14 * 7
    assert set(flows["destination"]) == {"total", *DESTINATIONS}
    assert sorted(set(flows["code"])) == ["02001", "62427", "80021"]
    communes = conso.communes
    assert communes.index.name == "code"
    assert communes.loc["62427", "nom"] == "Hénin-Beaumont"
    for col in (
        "idreg",
        "iddep",
        "iddeptxt",
        "epci23",
        "epci23txt",
        "scot",
        "pop14",
        "surfcom2023",
    ):
        assert col in communes.columns
    assert communes.loc["02001", "iddep"] == "02"
    assert communes.loc["62427", "pop14"] == 26000.0
    assert not any(c.startswith(("naf09art10", "art09act10")) for c in communes.columns)


def test_wide_hand_computed_totals():
    # Fixture (tests/data/conso/README.md): activite 100(k+1), habitat 10(y-2008), routes 5,
    # inconnu 1.
    conso = read_consumption(MINI)
    ref = conso.period_total(2011, 2020)
    # 02001 (k=0): sum over 2011-2020 of 100 + 10(y-2008) + 6 = 10*106 + 10*(3+...+12) = 1060 + 750
    assert ref["02001"] == 1810.0
    assert ref["80021"] == 10 * 306 + 750
    by_dest = conso.by_destination((2011, 2020))
    assert by_dest.loc["62427", "activite"] == 2000.0
    assert by_dest.loc["62427", "habitat"] == 750.0
    assert by_dest.loc["62427", "routes"] == 50.0
    assert by_dest.loc["62427", "ferroviaire"] == 0.0
    assert list(by_dest.columns) == [*DESTINATIONS, "total"]
    np.testing.assert_array_equal(by_dest["total"].to_numpy(), ref.to_numpy())
    # the multi-year column of the file agrees with the ten annual flows
    assert np.array_equal(ref.to_numpy(), conso.communes["naf11art21"].to_numpy())
    assert conso.total().shape == (3, 14)
    assert conso.total((2021, 2022)).loc["02001", 2022].item() == 100 + 140 + 6


def test_multi_year_columns_are_not_annual_flows(tmp_path):
    df = _mini()
    conso = read_consumption(_write(df, tmp_path / "c.csv"))
    assert 2023 not in conso.years  # naf09art23 is a 2009-2022 total, not the flow of 2009
    assert "naf09art23" in conso.communes.columns
    assert conso.flows.groupby(["code", "year", "destination"]).size().max() == 1
    assert conso.flows.loc[conso.flows["destination"] == "total", "m2"].sum() == pytest.approx(
        pd.to_numeric(df["naf09art23"]).sum()
    )


@pytest.mark.parametrize("release", [2021, 2022, 2023, 2024, 2025])
def test_vintages(tmp_path, release):
    df = _wide(["02001", "59009"], release - 1, value=lambda k, y, d: float(y - 2000 + k))
    conso = read_consumption(_write(df, tmp_path / f"conso_2009_{release}.csv"))
    assert conso.years == tuple(range(2009, release))
    last = conso.total().loc["59009", release - 1]
    assert last == 6 * (release - 1 - 2000 + 1)


def test_missing_destination_columns_reported_not_invented(tmp_path):
    df = _mini()
    df = df.drop(
        columns=[c for c in df.columns if c.startswith("art") and c[5:8] == "fer" and len(c) == 10]
    )
    conso = read_consumption(_write(df, tmp_path / "c.csv"))
    assert conso.missing_destinations == ("ferroviaire",)
    assert "ferroviaire" not in conso.destinations
    assert "ferroviaire" not in set(conso.flows["destination"])
    assert conso.period_total(2011, 2020)["02001"] == 1810.0


def test_year_without_total_is_noted(tmp_path):
    df = _mini().drop(columns=["naf15art16"])
    conso = read_consumption(_write(df, tmp_path / "c.csv"))
    assert any(
        "no naf15art16 column" in n and "sum of the six destinations" in n for n in conso.notes
    )
    assert conso.total().loc["02001", 2015] == 100 + 70 + 6
    # with a destination missing too, the total of that year stays unknown
    df = df.drop(columns=["art15inc16"])
    conso = read_consumption(_write(df, tmp_path / "d.csv"))
    assert any(
        "5 of 6 destinations for 2015" in n and "total of that year is unknown" in n
        for n in conso.notes
    )
    assert np.isnan(conso.total().loc["02001", 2015])
    assert np.isnan(conso.period_total(2011, 2020)["02001"])
    assert "inconnu" in conso.missing_destinations


def test_empty_cells_are_unknown_not_zero(tmp_path):
    df = _mini()
    df.loc[1, "naf12art13"] = None
    conso = read_consumption(_write(df, tmp_path / "c.csv"))
    assert any("1 empty flow cell" in n for n in conso.notes)
    assert np.isnan(conso.period_total(2011, 2020)["62427"])
    assert conso.period_total(2011, 2020)["02001"] == 1810.0


def test_four_digit_codes_are_padded_with_a_note(tmp_path):
    df = _mini()
    df["idcom"] = df["idcom"].str.lstrip("0")
    conso = read_consumption(_write(df, tmp_path / "c.csv"))
    assert "02001" in conso.communes.index
    assert any("four-digit code" in n and "2001" in n for n in conso.notes)


@pytest.mark.parametrize("sep", [",", ";"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_separators_and_encodings(tmp_path, sep, encoding):
    conso = read_consumption(_write(_mini(), tmp_path / "c.csv", sep=sep, encoding=encoding))
    assert conso.communes.loc["62427", "nom"] == "Hénin-Beaumont"
    assert conso.communes.loc["80021", "epci23txt"] == "CA Amiens Métropole"
    assert conso.period_total(2011, 2020)["02001"] == 1810.0


def test_code_column_argument(tmp_path):
    df = _mini().rename(columns={"idcom": "codgeo"})
    conso = read_consumption(_write(df, tmp_path / "c.csv"), code_column="CODGEO")
    assert list(conso.communes.index) == ["02001", "62427", "80021"]


def test_select_and_repr():
    conso = read_consumption(MINI)
    sub = conso.select(["80021", "02001"])
    assert list(sub.communes.index) == ["80021", "02001"]
    assert set(sub.flows["code"]) == {"80021", "02001"}
    assert sub.years == conso.years
    with pytest.raises(
        DataError, match=r"cerema_wide_mini.csv: 1 commune code\(s\) not in the file: 99999"
    ):
        conso.select(["02001", "99999"])
    text = repr(conso)
    assert text.startswith("<Consumption: 3 communes, 2009-2022")
    assert "cerema_wide_mini.csv" in text


# ----------------------------------------------------------------------------- bad inputs


def test_missing_idcom_column(tmp_path):
    df = _mini().rename(columns={"idcom": "code"})
    path = _write(df, tmp_path / "noid.csv")
    with pytest.raises(SchemaError) as err:
        read_consumption(path)
    msg = str(err.value)
    assert str(path) in msg and "'idcom'" in msg
    assert "columns: code, idcomtxt" in msg
    assert "pass code_column=" in msg


def test_non_numeric_flow(tmp_path):
    df = _mini()
    df.loc[2, "art13hab14"] = "12 ha"
    path = _write(df, tmp_path / "text.csv")
    with pytest.raises(SchemaError) as err:
        read_consumption(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "column 'art13hab14'" in msg and "line 4 ('12 ha')" in msg


def test_negative_flow(tmp_path):
    df = _mini()
    df.loc[0, "naf10art11"] = "-20"
    df.loc[0, "art10act11"] = "-146"  # keeps the destinations adding up to the total
    path = _write(df, tmp_path / "neg.csv")
    with pytest.raises(DataError) as err:
        read_consumption(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "column 'naf10art11'" in msg and "line 2 (-20.0)" in msg
    assert "column 'art10act11'" in msg


def test_duplicate_commune_codes(tmp_path):
    df = pd.concat([_mini(), _mini().iloc[[0]]], ignore_index=True)
    path = _write(df, tmp_path / "dup.csv")
    with pytest.raises(SchemaError) as err:
        read_consumption(path)
    msg = str(err.value)
    assert str(path) in msg and "column 'idcom'" in msg
    assert "02001 (line 2, line 5)" in msg


def test_destinations_must_add_up(tmp_path):
    df = _mini()
    df.loc[1, "art18hab19"] = "1000"  # was 100
    path = _write(df, tmp_path / "sum.csv")
    with pytest.raises(DataError) as err:
        read_consumption(path)
    msg = str(err.value)
    assert str(path) in msg and "column 'naf18art19'" in msg
    assert "line 3 (62427: destinations 1,206 m² vs total 306 m²)" in msg


def test_every_problem_is_collected(tmp_path):
    df = _mini()
    df.loc[0, "naf20art21"] = "beaucoup"
    df.loc[1, "art21rou22"] = "-5"
    df.loc[2, "idcom"] = "8O021"  # letter O
    path = _write(df, tmp_path / "all.csv")
    with pytest.raises(ValidationError) as err:
        read_consumption(path)
    columns = {p.column for p in err.value.problems}
    assert {"idcom", "naf20art21", "art21rou22"} <= columns
    assert "'8O021'" in str(err.value)


def test_period_outside_the_file():
    conso = read_consumption(MINI)
    with pytest.raises(PeriodError) as err:
        conso.period_total(2021, 2030)
    msg = str(err.value)
    assert str(MINI) in msg
    assert "the file holds the flows of 2009-2022 (missing 2023-2030)" in msg
    with pytest.raises(PeriodError, match="starts after it ends"):
        conso.check_period(2020, 2011)
    with pytest.raises(PeriodError, match="2005-2010 is not covered"):
        conso.by_destination((2005, 2010))


def test_empty_and_header_only_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty.csv: the consumption file is empty"):
        read_consumption(empty)
    header = tmp_path / "header.csv"
    header.write_text(",".join(_mini().columns) + "\n")
    with pytest.raises(
        DataError, match=r"header.csv: the consumption file has a header .* but no data rows"
    ):
        read_consumption(header)


def test_not_a_consumption_file(tmp_path):
    path = tmp_path / "communes.csv"
    path.write_text("code,nom\n02001,Abbécourt\n")
    with pytest.raises(
        SchemaError, match=r"communes.csv: no consumption columns found \(columns: code, nom\)"
    ):
        read_consumption(path)


def test_wrong_encoding_is_handled(tmp_path):
    # A cp1252 file with a UTF-8 BOM in front (an editor's mix-up) still reads, as cp1252.
    raw = _mini().to_csv(index=False, sep=";").encode("cp1252")
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\xef\xbb\xbf" + raw)
    conso = read_consumption(path)
    assert conso.communes.loc["62427", "nom"] == "Hénin-Beaumont"


# ----------------------------------------------------------------------------- API layout


def _api(rows) -> pd.DataFrame:
    cols = [
        "idcom",
        "idcomtxt",
        "annee",
        "naf_arti_m2",
        "conso_act_m2",
        "conso_hab_m2",
        "conso_mix_m2",
        "conso_inc_m2",
        "conso_infra_m2",
    ]
    return pd.DataFrame(rows, columns=cols)


def test_api_layout_complete_rows(tmp_path):
    df = _api(
        [
            ["02001", "Abbécourt", 2020, 100, 10, 20, 30, 0, 40],
            ["02001", "Abbécourt", 2021, 50, 50, 0, 0, 0, 0],
            ["02002", "Achery", 2020, None, 1, 2, 3, 4, 5],
        ]
    )
    conso = read_consumption(_write(df, tmp_path / "api.csv", sep=";"))
    assert conso.years == (2020, 2021)
    assert conso.destinations == ("activite", "habitat", "mixte", "inconnu", "infrastructures")
    assert conso.missing_destinations == ()  # road and rail come as one figure, not missing
    assert conso.total().loc["02002", 2020] == 15.0  # complete destinations: not a lower bound
    assert any("02002 (2020)" in n and "sum of the destinations" in n for n in conso.notes)
    assert not any("lower bound" in n for n in conso.notes)
    assert conso.by_destination((2020, 2021)).loc["02001", "infrastructures"] == 40.0


def test_api_layout_checks(tmp_path):
    df = _api(
        [
            ["02001", "Abbécourt", 2020, 100, 10, 20, 30, 0, 90],
            ["02001", "Abbécourt", 2020, 100, 10, 20, 30, 0, 40],
            ["02002", "Achery", 2020, 5, 1, None, None, None, None],
            ["02003", "Agnicourt", 2020, 5, 9, None, None, None, None],
        ]
    )
    path = _write(df, tmp_path / "api.csv")
    with pytest.raises(ValidationError) as err:
        read_consumption(path)
    msg = str(err.value)
    assert "duplicate commune and year(s): 02001 2020 (line 2, line 3)" in msg
    assert "line 2 (02001: destinations 150 m² vs total 100 m²)" in msg
    assert "line 5 (02003: destinations 9 m² vs total 5 m²)" in msg  # partial sum above the total
    assert "02002" not in msg.split("02003")[0].split("destinations")[-1]


def test_api_real_sample():
    path = shared_path("hdf", "conso", "conso_enaf_hdf_sample_cerema_api.csv")
    conso = read_consumption(path)
    assert conso.years == tuple(range(2009, 2024))
    assert "infrastructures" in conso.missing_destinations
    # Arras: naf_arti_m2 given (SOURCES.md: 47.821 ha over 2011-2020, 0.4684 ha over 2021-2023)
    arras = conso.select(["62041"])
    assert arras.period_total(2011, 2020)["62041"] == 478_210.0
    assert arras.period_total(2011, 2020)["62041"] / 1e4 == pytest.approx(47.821)
    assert arras.period_total(2021, 2023)["62041"] == 4_684.0
    # Villeneuve-d'Ascq: no total, sum of act + hab + mix + inc, the literal numbers of the file
    act = [4653, 83603, 5653, 41588, 9936, 865, 31531, 16830, 81807, 11552]
    hab = [2044, 1233, 15702, 47280, 3411, 3332, 24258, 927, 8791, 92094]
    mix = [0, 0, 683, 0, 5619, 0, 400, 0, 0, 0]
    inc = [0] * 10
    expected = sum(act) + sum(hab) + sum(mix) + sum(inc)
    assert conso.period_total(2011, 2020)["59009"] == expected
    by_dest = conso.by_destination((2011, 2020))
    assert by_dest.loc["59009", "activite"] == sum(act)
    assert np.isnan(by_dest.loc["62041", "habitat"])  # Arras has no split: unknown, not zero
    note = next(n for n in conso.notes if "59009" in n and "lower bound" in n)
    assert "routes" in note and "ferroviaire" in note
    assert conso.communes.loc["59009", "nom"] == "Villeneuve-d'Ascq"


def test_api_real_sample_in_other_encodings(tmp_path):
    src = shared_path("hdf", "conso", "conso_enaf_hdf_sample_cerema_api.csv")
    df = pd.read_csv(src, dtype=str)
    df["idcomtxt"] = df["idcomtxt"].str.replace(
        "Villeneuve-d'Ascq", "Villeneuve-d'Ascq (Nord, Hauts-de-France é)"
    )
    for enc, sep in [("cp1252", ";"), ("utf-8-sig", ",")]:
        conso = read_consumption(_write(df, tmp_path / f"api_{enc}.csv", sep=sep, encoding=enc))
        assert conso.communes.loc["59009", "nom"].endswith("é)")
        assert conso.period_total(2011, 2020)["62041"] == 478_210.0


# ----------------------------------------------------------------------------- demo data


def test_demo_file_matches_its_readme():
    from zan.datasets import get_path

    conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
    assert len(conso.communes) == 446  # COG 2023 (data/demo/README.md)
    assert conso.years == tuple(range(2009, 2023))
    assert conso.destinations == DESTINATIONS and conso.notes == ()
    ref = conso.period_total(2011, 2020)
    # README: "ENAF consumption 2011-2020 (the reference decade): 4,564 ha; 2021-2022: 495 ha"
    assert round(ref.sum() / 1e4) == 4564
    assert round(conso.period_total(2021, 2022).sum() / 1e4) == 495
    # the file's own multi-year columns agree with the annual flows
    np.testing.assert_array_equal(ref.to_numpy(), conso.communes["naf11art21"].to_numpy())
    np.testing.assert_array_equal(
        conso.period_total(2009, 2022).to_numpy(), conso.communes["naf09art23"].to_numpy()
    )
    shares = conso.by_destination().sum()
    # README: "Destinations 2009-2022: 59 % habitat, 34 % activité"
    assert round(100 * shares["habitat"] / shares["total"]) == 59
    assert round(100 * shares["activite"] / shares["total"]) == 34
