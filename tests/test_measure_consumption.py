"""Consumption per territory and the 2021-2030 trajectory, on hand-computable files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zan.errors import DataError, PeriodError, ScenarioError
from zan.io.consumption import read_consumption
from zan.measure.consumption import consumption, parse_period, trajectory

HA = 10_000
DEST = ("act", "hab", "mix", "rou", "fer", "inc")


def write_cerema(path, rows: dict[str, dict[int, int]], *, last_year: int = 2023, deps=None) -> str:
    """A Cerema-layout file: rows maps commune → {year: total m2}; the total goes
    60 % habitat, 40 % activité (integers), other destinations zero."""
    cols = ["idcom", "idcomtxt", "idreg", "iddep", "epci23", "epci23txt", "scot"]
    years = range(2009, last_year + 1)
    for y in years:
        yy, zz = f"{y - 2000:02d}", f"{y - 1999:02d}"
        cols += [f"naf{yy}art{zz}"] + [f"art{yy}{d}{zz}" for d in DEST]
    cols += [
        f"naf09art{last_year - 2000:02d}",
        "naf11art21",
    ]  # multi-year totals: must not be counted
    lines = [",".join(cols)]
    for i, (code, flows) in enumerate(rows.items()):
        dep = (deps or {}).get(code, code[:2])
        cells = [
            code,
            f"Commune {code}",
            "99",
            dep,
            "200000001" if i < 2 else "200000002",
            "CC Un" if i < 2 else "CC Deux",
            "SCoT A" if i == 0 else "",
        ]
        for y in years:
            total = flows.get(y, 0)
            hab = total * 6 // 10
            cells += [str(total), str(total - hab), str(hab), "0", "0", "0", "0"]
        cells += ["999999999", "888888888"]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def cerema(tmp_path):
    rows = {
        # 10 ha a year 2011-2020 (100 ha ref), 10 ha/yr since 2021 → projected 100 > 50: will exceed
        "96001": {
            **{y: 10 * HA for y in range(2011, 2021)},
            2010: 500 * HA,
            2021: 10 * HA,
            2022: 10 * HA,
            2023: 10 * HA,
        },
        # 5 ha/yr ref (50 ha), 30 ha consumed since 2021 > 25 allowed: exceeded
        "96002": {**{y: 5 * HA for y in range(2011, 2021)}, 2021: 30 * HA},
        # 2 ha/yr ref (20 ha), 1 ha since 2021: on track
        "98003": {**{y: 2 * HA for y in range(2011, 2021)}, 2022: 1 * HA, 2009: 7 * HA},
    }
    return read_consumption(write_cerema(tmp_path / "conso.csv", rows))


def test_reference_uses_exactly_ten_flows(cerema):
    ref = consumption(cerema, level="commune", period=(2011, 2020))
    # 2010 (500 ha) and 2021 must not be counted, nor the multi-year columns
    assert ref.loc["96001", "total_ha"] == pytest.approx(100.0)
    assert ref.loc["96002", "total_ha"] == pytest.approx(50.0)
    assert ref.loc["98003", "total_ha"] == pytest.approx(20.0)


def test_destinations_add_up_and_are_in_hectares(cerema):
    ref = consumption(cerema, period="2011-2020")
    assert ref.loc["96001", "habitat_ha"] == pytest.approx(60.0)
    assert ref.loc["96001", "activite_ha"] == pytest.approx(40.0)
    dest_cols = [c for c in ref.columns if c.endswith("_ha") and c != "total_ha"]
    assert np.allclose(ref[dest_cols].sum(axis=1), ref["total_ha"])


def test_single_year_period(cerema):
    assert consumption(cerema, period="2022").loc["98003", "total_ha"] == pytest.approx(1.0)


def test_period_outside_file_names_file_and_years(cerema):
    with pytest.raises(PeriodError, match=r"conso\.csv.*2009.*2023"):
        consumption(cerema, period="2005-2012")


@pytest.mark.parametrize("bad", ["2011-", "abc", "2020-2011"])
def test_bad_period_text(bad):
    with pytest.raises(PeriodError, match="period"):
        parse_period(bad)


def test_own_groupings_conserve_totals_exactly(cerema):
    communes = consumption(cerema, period=(2009, 2023))
    for level in ("epci", "departement", "region", "scot"):
        table = consumption(cerema, level=level, period=(2009, 2023))
        assert table["total_ha"].sum() == communes["total_ha"].sum()
    dep = consumption(cerema, level="departement")
    assert dep.loc["96", "total_ha"] == pytest.approx(150.0)
    scot = consumption(cerema, level="scot")
    assert set(scot.index) == {"SCoT A", "hors_scot"}
    assert scot.loc["hors_scot", "nom"] == "Hors SCoT"


def test_membership_table_grouping_and_missing_commune(cerema):
    membership = pd.DataFrame(
        {"epci": ["A", "A", "B"], "epci_nom": ["CC A", "CC A", "CC B"]},
        index=pd.Index(["96001", "96002", "98003"], name="code"),
    )
    table = consumption(cerema, membership, level="epci")
    assert table.loc["A", "total_ha"] == pytest.approx(150.0)
    assert table.loc["A", "nom"] == "CC A"
    bigger = pd.concat(
        [
            membership,
            pd.DataFrame(
                {"epci": ["B"], "epci_nom": ["CC B"]}, index=pd.Index(["98004"], name="code")
            ),
        ]
    )
    with pytest.raises(DataError, match=r"98004.*missing='zero'"):
        consumption(cerema, bigger, level="epci")
    zero = consumption(cerema, bigger, level="epci", missing="zero")
    assert zero.loc["B", "total_ha"] == pytest.approx(20.0)


def test_missing_raise_zero_ignore_on_territories(cerema):
    """The three values of missing= on Territories: an EPCI with no data at all is an
    error, a zero, or absent from the table (never a zero with "ignore")."""
    import geopandas as gpd
    from shapely.geometry import box

    from zan.territory import Territories

    codes = ["96001", "96002", "98003", "98004", "98005"]
    layer = gpd.GeoDataFrame(
        {"code": codes, "nom": codes},
        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(5)],
        crs="EPSG:2154",
    ).set_index("code")
    layer["area_ha"] = 100.0
    membership = pd.DataFrame(
        {"epci": ["A", "A", "B", "B", "C"], "epci_nom": ["CC A", "CC A", "CC B", "CC B", "CC C"]},
        index=pd.Index(codes, name="code"),
    )
    t = Territories(layer, membership)
    with pytest.raises(DataError, match=r"missing='zero'.*missing='ignore'"):
        consumption(cerema, t, level="epci")
    zero = consumption(cerema, t, level="epci", missing="zero")
    assert list(zero.index) == ["A", "B", "C"] and zero.loc["C", "total_ha"] == 0.0
    ignore = consumption(cerema, t, level="epci", missing="ignore")
    assert list(ignore.index) == ["A", "B"]
    assert ignore.attrs["left_out"] == ("C",) and ignore.attrs["incomplete"] == ("B",)
    assert ignore.loc["B", "total_ha"] == zero.loc["B", "total_ha"] == pytest.approx(20.0)
    # The same with a membership table alone.
    ignore_m = consumption(cerema, membership, level="epci", missing="ignore")
    assert list(ignore_m.index) == ["A", "B"] and ignore_m.attrs["left_out"] == ("C",)
    assert consumption(cerema, membership, level="epci", missing="zero").loc["C", "total_ha"] == 0


def test_commune_not_in_membership_is_an_error(cerema):
    membership = pd.DataFrame(
        {"epci": ["A", "A"], "epci_nom": ["x", "x"]},
        index=pd.Index(["96001", "96002"], name="code"),
    )
    with pytest.raises(DataError, match="98003"):
        consumption(cerema, membership, level="epci")


def test_trajectory_hand_computed(cerema):
    t = trajectory(cerema, level="commune", reduction=0.5)
    a = t.loc["96001"]
    assert a["reference_ha"] == pytest.approx(100.0)
    assert a["allowed_ha"] == pytest.approx(50.0)
    assert a["consumed_since_2021_ha"] == pytest.approx(30.0)
    assert a["annual_rate_since_2021_ha"] == pytest.approx(10.0)
    assert a["projected_2030_ha"] == pytest.approx(100.0)
    assert a["used_pct"] == pytest.approx(60.0)
    assert a["projected_pct"] == pytest.approx(200.0)
    assert t["status"].to_dict() == {
        "96001": "will_exceed",
        "96002": "exceeded",
        "98003": "on_track",
    }


def test_trajectory_reduction_parameter(cerema):
    t = trajectory(cerema, level="commune", reduction=0.8)
    assert t.loc["96001", "allowed_ha"] == pytest.approx(20.0)
    assert t.loc["96001", "status"] == "exceeded"


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_trajectory_bad_reduction(cerema, bad):
    with pytest.raises(ScenarioError, match="'reduction' must be between 0 and 1"):
        trajectory(cerema, reduction=bad)


def test_trajectory_one_hectare_floor_of_the_states_tool(tmp_path):
    # 0.1 ha/yr ref (1 ha): 0.5 ha after halving, raised to 1 ha; 0 ha ref → 1 ha
    rows = {
        "96001": {**{y: HA // 10 for y in range(2011, 2021)}, 2021: 6_000},
        "96002": {2021: 100},
        "98003": {**{y: 2 * HA for y in range(2011, 2021)}},
    }
    conso = read_consumption(write_cerema(tmp_path / "small.csv", rows))
    t = trajectory(conso, level="commune")
    assert t["allowed_ha"].to_dict() == pytest.approx({"96001": 1.0, "96002": 1.0, "98003": 10.0})
    assert t["allowed_floor_applied"].to_dict() == {"96001": True, "96002": True, "98003": False}
    assert t["allowed_floor_applied"].dtype == bool
    assert t.loc["96001", "used_pct"] == pytest.approx(60.0)
    assert t.loc["96001", "status"] == "will_exceed"
    assert t.attrs["floor_ha"] == 1.0
    off = trajectory(conso, level="commune", floor_ha=0)
    assert off["allowed_ha"].to_dict() == pytest.approx({"96001": 0.5, "96002": 0.0, "98003": 10.0})
    assert not off["allowed_floor_applied"].any()
    assert off.loc["96001", "status"] == "exceeded"
    assert np.isnan(off.loc["96002", "used_pct"])
    # given envelopes are taken as they are: no floor
    envelopes = pd.Series({"96001": 0.2, "96002": 0.0, "98003": 3.0})
    given = trajectory(conso, level="commune", allowed=envelopes)
    assert given.loc["96001", "allowed_ha"] == pytest.approx(0.2)
    assert not given["allowed_floor_applied"].any()


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "1"])
def test_trajectory_bad_floor(cerema, bad):
    with pytest.raises(ScenarioError, match="'floor_ha' must be"):
        trajectory(cerema, floor_ha=bad)


def test_trajectory_needs_years_after_2021(tmp_path):
    conso = read_consumption(
        write_cerema(tmp_path / "old.csv", {"96001": {2015: HA}}, last_year=2020)
    )
    with pytest.raises(PeriodError, match="ends in 2020"):
        trajectory(conso, level="commune")


def test_unknown_year_is_never_counted_as_zero(tmp_path):
    path = write_cerema(
        tmp_path / "gap.csv",
        {"96001": {y: HA for y in range(2009, 2024)}, "96002": {y: HA for y in range(2009, 2024)}},
    )
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.loc[raw["idcom"] == "96001", ["naf15art16"] + [f"art15{d}16" for d in DEST]] = ""
    raw.to_csv(path, index=False)
    conso = read_consumption(path)
    with pytest.raises(DataError, match=r"gap\.csv.*unknown.*96001"):
        consumption(conso, period="2011-2020")
    # outside the gap the commune counts normally
    assert consumption(conso, period="2016-2020").loc["96001", "total_ha"] == pytest.approx(5.0)
    ignored = consumption(conso, period="2011-2020", missing="ignore")
    assert list(ignored.index) == ["96002"]


def test_trajectory_against_given_envelopes(cerema):
    allowed = pd.Series({"96001": 40.0, "96002": 35.0, "98003": 0.5})
    t = trajectory(cerema, level="commune", allowed=allowed)
    assert t["allowed_ha"].to_dict() == allowed.to_dict()
    assert t.loc["96001", "used_pct"] == pytest.approx(75.0)
    assert t["status"].to_dict() == {
        "96001": "will_exceed",
        "96002": "will_exceed",
        "98003": "exceeded",
    }
    with pytest.raises(DataError, match="98003"):
        trajectory(cerema, level="commune", allowed=allowed.drop("98003"))
