"""Every Cerema release as published: the 2011-2025 layout, rounding residues, both layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.errors import DataError, ValidationError
from zan.io.consumption import (
    DESTINATIONS,
    RESIDUE_MAX_M2,
    TOLERANCE_M2,
    clip_destinations,
    read_consumption,
)
from zan.measure.consumption import consumption
from zan.validate import validate_paths

DATA = Path(__file__).parent / "data" / "conso"
R2025 = DATA / "cerema_2011_2025_mini.csv"
API2025 = DATA / "cerema_api_2011_2025_mini.csv"


def _table() -> pd.DataFrame:
    return pd.read_csv(R2025, sep=";", dtype=str)


def _write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, sep=";", index=False)
    return path


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(df.set_index("idcom")[col])


# ----------------------------------------------------------------------------- 2011-2025 layout


def test_release_2011_2025_window_and_non_annual_columns():
    conso = read_consumption(R2025)
    raw = _table()
    assert conso.years == tuple(range(2011, 2025))  # no 2009, 2010: the window slid
    assert conso.destinations == DESTINATIONS
    communes = conso.communes
    for col in ("naf11art21", "naf21art25", "naf11art25", "naf11art16", "naf16art22",
                "naf11art22", "art11hab25", "art21inc25", "surfcom2025", "artcom1125",
                "artpop1116", "mepart1622", "menhab1122", "pop1122"):
        assert pd.api.types.is_numeric_dtype(communes[col]), col
    assert communes.loc["59350", "epci25"] == "200093201"
    # The annual flows give the published multi-year totals; these are never added as flows.
    ref = conso.period_total(2011, 2020)
    assert (ref == _num(raw, "naf11art21").reindex(ref.index)).all()
    since = conso.period_total(2021, 2024)
    assert (since == _num(raw, "naf21art25").reindex(since.index)).all()
    total = conso.flows.loc[conso.flows["destination"] == "total", "m2"].sum()
    assert total == _num(raw, "naf11art25").sum()
    assert not any("differs from the sum" in n for n in conso.notes)


def test_any_window_is_detected(tmp_path):
    raw = _table()
    cols = [c for c in raw.columns if not c.startswith(("naf11art12", "art11"))]
    conso = read_consumption(_write(raw[cols], tmp_path / "c.csv"))
    assert conso.years == tuple(range(2012, 2025))


# ----------------------------------------------------------------------------- residues


def test_negative_residues_load_and_are_noted_once():
    conso = read_consumption(R2025)
    notes = [n for n in conso.notes if "negative destination" in n]
    assert len(notes) == 1
    note = notes[0]
    assert "4 negative destination value(s) in 4 column(s)" in note
    assert "art12inc13, art17inc18, art20inc21, art22inc23" in note
    assert "largest magnitude 2 m²" in note
    f = conso.flows.set_index(["code", "year", "destination"])["m2"]
    assert f[("59350", 2017, "inconnu")] == -2.0  # kept as published
    raw = _table()
    assert f[("59350", 2017, "total")] == float(_num(raw, "naf17art18")["59350"])


@pytest.mark.parametrize("value", [-(RESIDUE_MAX_M2 + 1), -146])
def test_negative_destination_beyond_residue_is_an_error(tmp_path, value):
    raw = _table()
    raw.loc[raw["idcom"] == "62041", "art15inc16"] = str(value)
    raw.loc[raw["idcom"] == "62041", "art15hab16"] = str(
        int(raw.loc[raw["idcom"] == "62041", "art15hab16"].iloc[0]) - int(value)
    )
    path = _write(raw, tmp_path / "neg.csv")
    with pytest.raises(ValidationError) as err:
        read_consumption(path)
    msg = str(err.value)
    assert "column 'art15inc16'" in msg and "line 5 (62041:" in msg
    assert "beyond a rounding residue" in msg


def test_negative_total_is_an_error(tmp_path):
    raw = _table()
    raw.loc[raw["idcom"] == "02001", "naf13art14"] = "-1"
    with pytest.raises(ValidationError) as err:
        read_consumption(_write(raw, tmp_path / "neg_total.csv"))
    msg = str(err.value)
    assert "column 'naf13art14'" in msg and "line 2 (-1.0)" in msg


@pytest.mark.parametrize("off, fails", [(TOLERANCE_M2, False), (TOLERANCE_M2 + 2, True)])
def test_destinations_must_match_the_total_within_a_few_m2(tmp_path, off, fails):
    raw = _table()
    row = raw["idcom"] == "80021"
    raw.loc[row, "art14act15"] = str(int(raw.loc[row, "art14act15"].iloc[0]) + int(off))
    path = _write(raw, tmp_path / "off.csv")
    if fails:
        with pytest.raises(ValidationError, match=r"line 6 \(80021: destinations .* vs total"):
            read_consumption(path)
    else:
        assert read_consumption(path).years[-1] == 2024


def _residue_only_inconnu(tmp_path) -> Path:
    """Lille's unknown destination is 0 every year but its 2017 residue (−2 m²)."""
    raw = _table()
    row = raw["idcom"] == "59350"
    for y in range(2011, 2025):
        col = f"art{y % 100:02d}inc{(y + 1) % 100:02d}"
        v = int(raw.loc[row, col].iloc[0])
        if y != 2017 and v:
            hab = f"art{y % 100:02d}hab{(y + 1) % 100:02d}"
            raw.loc[row, hab] = str(int(raw.loc[row, hab].iloc[0]) + v)
            raw.loc[row, col] = "0"
    return _write(raw, tmp_path / "lille.csv")


def test_displays_clip_destinations_never_totals(tmp_path):
    path = _residue_only_inconnu(tmp_path)
    conso = read_consumption(path)
    table = consumption(conso, period=(2011, 2020))
    assert table.loc["59350", "inconnu_ha"] == pytest.approx(-0.0002)  # exact in the library
    shown = clip_destinations(table)
    assert shown.loc["59350", "inconnu_ha"] == 0.0
    assert shown["total_ha"].equals(table["total_ha"])
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(main, ["consumption", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    written = pd.read_csv(out, dtype={"code": str}).set_index("code")
    assert written.loc["59350", "inconnu_ha"] == 0.0
    assert written.loc["59350", "total_ha"] == pytest.approx(table.loc["59350", "total_ha"])
    assert (written.drop(columns="nom") >= 0).all().all()


def test_reports_show_clipped_destinations(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from zan.reports.build import prepare_reports

    conso_path = _residue_only_inconnu(tmp_path)
    conso = read_consumption(conso_path)
    codes = list(conso.communes.index)
    gpd.GeoDataFrame(
        {"code_insee": codes, "nom": list(conso.communes["nom"])},
        geometry=[box(700_000 + 10_000 * i, 7_000_000, 709_000 + 10_000 * i, 7_009_000)
                  for i in range(len(codes))],
        crs="EPSG:2154",
    ).to_file(tmp_path / "communes.geojson")
    pd.DataFrame(
        {"code_insee": codes, "nom": list(conso.communes["nom"]),
         "epci_siren": list(conso.communes["epci25"]), "population": 1000}
    ).to_csv(tmp_path / "membership.csv", index=False)
    (tmp_path / "s.toml").write_text(
        '[scenario]\nname = "t"\n[data]\ncommunes = "communes.geojson"\n'
        'membership = "membership.csv"\nconsumption = "lille.csv"\n'
        '[envelope]\nreduction = 0.5\n[allocation]\nlevel = "commune"\n'
        '[[criteria]]\nrule = "uniform"\nweight = 1.0\n'
    )
    ctx = prepare_reports(tmp_path / "s.toml", level="commune")
    assert ctx.yearly.loc[("59350", 2017), "inconnu"] == 0.0  # −2 m² shown as 0
    tot = conso.flows.set_index(["code", "year", "destination"])["m2"][("59350", 2017, "total")]
    assert ctx.yearly.loc[("59350", 2017), "total"] == pytest.approx(tot / 1e4)  # exact


def test_validate_warns_about_residues_without_error():
    report = validate_paths(R2025)
    assert not report.errors
    warn = report.select(code="destination_residues")
    assert len(warn) == 1 and warn[0].severity == "warning"
    fr = report.to_text("fr")
    assert "4 valeur(s) de destination négative(s), au plus 2 m²" in fr
    assert "59350 inconnu 2017 (-2 m²)" in fr
    assert "rounding residues" not in fr  # the English reader note is not repeated


# ----------------------------------------------------------------------------- both layouts


def test_wide_and_api_layouts_give_the_same_figures():
    wide = read_consumption(R2025)
    api = read_consumption(API2025)
    assert wide.years == api.years
    assert list(wide.communes.index) == list(api.communes.index)
    assert api.destinations == ("activite", "habitat", "mixte", "inconnu", "infrastructures")
    for period in [(2011, 2020), (2021, 2024), (2011, 2024)]:
        a, b = wide.by_destination(period), api.by_destination(period)
        assert np.array_equal(a["total"], b["total"]), period
        for d in ("activite", "habitat", "mixte", "inconnu"):
            assert np.array_equal(a[d], b[d]), (period, d)
        assert np.array_equal(a["routes"] + a["ferroviaire"], b["infrastructures"])
    assert wide.total().equals(api.total())
    # the residues are seen, and reported once, in both layouts
    assert sum("negative destination" in n for n in api.notes) == 1


def test_api_layout_negative_destination_beyond_residue(tmp_path):
    df = pd.read_csv(API2025, dtype=str)
    df.loc[3, "conso_inc_m2"] = "-50"
    df.to_csv(tmp_path / "api.csv", index=False)
    with pytest.raises(DataError, match=r"column 'conso_inc_m2'.*line 5 \(02001: -50 m²\)"):
        read_consumption(tmp_path / "api.csv")
