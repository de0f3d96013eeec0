"""The land-cover, parcel and raster commands on the demo files."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.datasets import get_path

COMMUNES = str(get_path("communes.gpkg"))
MEMBERSHIP = str(get_path("communes.csv"))
OCS_2018 = str(get_path("ocsge_demo_2018.gpkg"))
OCS_2021 = str(get_path("ocsge_demo_2021.gpkg"))
TERR = ["--territories", COMMUNES, "--membership", MEMBERSHIP, "--quiet"]


def _read(path):
    return pd.read_csv(path, dtype={"code": str}).set_index("code")


def test_artif_stock_per_commune_conserves_area(tmp_path):
    out, by_class = tmp_path / "a.csv", tmp_path / "cls.csv"
    res = CliRunner().invoke(
        main, ["artif", OCS_2018, *TERR, "--out", str(out), "--by-class", str(by_class)]
    )
    assert res.exit_code == 0, res.output
    table = _read(out)
    covered = table["covered_ha"]
    assert (table["artificialised_ha"] <= covered + 1e-6).all()
    assert covered.sum() > 0
    classes = _read(by_class)
    assert classes.sum(axis=1).sum() == pytest.approx(covered.sum(), abs=1e-3)


def test_artif_change_between_two_vintages(tmp_path):
    out = tmp_path / "net.csv"
    res = CliRunner().invoke(
        main, ["artif", OCS_2018, OCS_2021, *TERR, "--by", "epci", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    t = _read(out)
    assert (t["net_ha"] - (t["artificialisation_ha"] - t["renaturation_ha"])).abs().max() < 1e-3
    assert (t["net_ha"] - (t["stock_after_ha"] - t["stock_before_ha"])).abs().max() < 1e-3


def test_parcels_enaf_per_commune(tmp_path):
    out, per_parcel = tmp_path / "p.csv", tmp_path / "pp.csv"
    files = [str(get_path(f"cadastre-{c}-parcelles.json.gz")) for c in ("99006", "99058", "99061")]
    res = CliRunner().invoke(
        main,
        [
            "parcels",
            *files,
            "--landcover",
            OCS_2021,
            "--quiet",
            "--out",
            str(out),
            "--parcel-table",
            str(per_parcel),
        ],
    )
    assert res.exit_code == 0, res.output
    t = _read(out)
    assert set(t.index) == {"99006", "99058", "99061"}
    assert ((t["artificialised_ha"] + t["enaf_ha"]) - t["covered_ha"]).abs().max() < 1e-3
    assert pd.read_csv(per_parcel).shape[0] == t["parcels"].sum()


def test_raster_stats_corine(tmp_path):
    out = tmp_path / "r.csv"
    res = CliRunner().invoke(
        main,
        [
            "raster-stats",
            str(get_path("corine_demo.tif")),
            *TERR,
            "--by",
            "departement",
            "--legend",
            "corine",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    t = _read(out)
    assert sorted(t.index) == ["96", "98", "99"]
    assert (
        (t["artificial_ha"] / t["classified_ha"] * 100) - t["artificial_pct"]
    ).abs().max() < 1e-3


def test_artif_on_territories_elsewhere_is_a_clear_error(tmp_path):
    far = tmp_path / "far.geojson"
    far.write_text(
        '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:2154"}},'
        '"features":[{"type":"Feature","properties":{"code":"59001","nom":"Loin"},'
        '"geometry":{"type":"Polygon","coordinates":[[[100000,6100000],[101000,6100000],'
        "[101000,6101000],[100000,6100000]]]}}]}"
    )
    res = CliRunner().invoke(main, ["artif", OCS_2018, "--territories", str(far), "--quiet"])
    assert res.exit_code == 2, res.output
    assert "Error:" in res.output and "Traceback" not in res.output
