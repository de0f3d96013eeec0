"""zan map --by: any level drawn by dissolving communes; credits named after the data."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.datasets import get_path
from zan.errors import DataError
from zan.maps.credits import boundaries_credit, consumption_credit, data_credit
from zan.maps.files import territory_layer

COMMUNES = get_path("communes.gpkg")
MEMBERSHIP = get_path("communes.csv")


def test_dissolved_epci_layer_has_one_polygon_per_epci_and_conserves_area():
    epci = territory_layer(COMMUNES, membership=MEMBERSHIP, level="epci")
    members = pd.read_csv(MEMBERSHIP, dtype=str)
    assert len(epci) == members["epci_siren"].nunique() == 20
    assert sorted(epci.index) == sorted(members["epci_siren"].unique())
    assert epci.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    communes = gpd.read_file(COMMUNES, layer="communes")
    assert epci.geometry.area.sum() == pytest.approx(communes.geometry.area.sum(), rel=1e-9)
    assert epci["area_ha"].sum() == pytest.approx(communes.geometry.area.sum() / 1e4, rel=1e-9)
    # each EPCI's area is the sum of its communes' areas
    by_epci = communes.assign(area=communes.geometry.area / 1e4).merge(
        members[["code_insee", "epci_siren"]], on="code_insee"
    )
    expected = by_epci.groupby("epci_siren")["area"].sum()
    assert (epci["area_ha"] - expected.reindex(epci.index)).abs().max() < 1e-6


def test_bad_level_names_the_valid_ones():
    with pytest.raises(DataError, match=r"no level 'epcii'.*commune, epci, scot, departement"):
        territory_layer(COMMUNES, membership=MEMBERSHIP, level="epcii")
    res = CliRunner().invoke(
        main,
        ["map", "--territories", str(COMMUNES), "--membership", str(MEMBERSHIP), "--by", "canton"],
    )
    assert res.exit_code == 2 and "valid levels (--by): commune, epci, scot" in res.output


def test_map_by_epci_without_values_shows_names_and_synthetic_credit(tmp_path):
    out = tmp_path / "epci.html"
    res = CliRunner().invoke(
        main,
        [
            "map",
            "--territories",
            str(COMMUNES),
            "--membership",
            str(MEMBERSHIP),
            "--by",
            "epci",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    names = pd.read_csv(MEMBERSHIP, dtype=str)["epci_nom"].unique()
    assert all(n in html for n in names)
    assert "Sources : données synthétiques" in html and "Cerema" not in html


def test_map_by_epci_with_values(tmp_path):
    values = tmp_path / "v.csv"
    codes = sorted(pd.read_csv(MEMBERSHIP, dtype=str)["epci_siren"].unique())
    values.write_text(
        "code;x_ha\n" + "".join(f"{c};{i},5\n" for i, c in enumerate(codes)), encoding="utf-8"
    )
    out = tmp_path / "x.html"
    res = CliRunner().invoke(
        main,
        [
            "map",
            "--territories",
            str(COMMUNES),
            "--membership",
            str(MEMBERSHIP),
            "--by",
            "epci",
            "--values",
            str(values),
            "--column",
            "x_ha",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "synthétiques" in out.read_text(encoding="utf-8")
    res = CliRunner().invoke(
        main, ["map", "--territories", str(COMMUNES), "--values", str(values)]
    )
    assert res.exit_code == 2 and "--column" in res.output


def test_cerema_layout_values_name_the_cerema_and_its_years(tmp_path):
    from test_measure_consumption import write_cerema

    layer = gpd.read_file(COMMUNES, layer="communes")
    codes = layer["code_insee"].iloc[:3].tolist()
    conso = write_cerema(
        tmp_path / "conso_com.csv", {c: {y: 10_000 for y in range(2011, 2025)} for c in codes},
        last_year=2024,
    )
    layer.to_file(tmp_path / "communes_admin.gpkg", layer="communes")
    out = tmp_path / "c.html"
    res = CliRunner().invoke(
        main,
        [
            "map",
            "--territories",
            str(tmp_path / "communes_admin.gpkg"),
            "--values",
            conso,
            "--column",
            "naf11art21",
            "--values-code-column",
            "idcom",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "Cerema, fichiers fonciers 2009-2024" in html
    assert "synthétiques" not in html and "contours communes_admin.gpkg" in html


def test_credit_helpers():
    import zan

    demo = zan.read_consumption(get_path("conso_enaf_2009_2023.csv"))
    assert consumption_credit(demo) == "données synthétiques « Région Démo »"
    assert boundaries_credit("x/COMMUNE_admin-express.shp") == "contours IGN ADMIN EXPRESS"
    assert data_credit() == "Calcul zan"
    text = data_credit(communes=COMMUNES, consumption=demo, scenario="A")
    assert text == "Sources : données synthétiques « Région Démo » ; calcul zan, scénario A"


def test_report_and_explore_credits_follow_the_data(tmp_path):
    import shutil

    from zan.datasets import scenario_path
    from zan.reports import prepare_reports
    from zan.scenario import run_scenario

    demo = prepare_reports(scenario_path("01_reduction_uniforme"))
    assert demo.credit.startswith("Sources : données synthétiques « Région Démo »")
    assert "Cerema" not in demo.credit
    html = run_scenario(scenario_path("01_reduction_uniforme")).explore().get_root().render()
    assert "données synthétiques" in html
    # The same files outside the demo folder are credited by what they are.
    for name in ("communes.gpkg", "communes.csv", "conso_enaf_2009_2023.csv",
                 "passage_cog2023_cog2024.csv"):
        shutil.copy(get_path(name), tmp_path / name)
    text = scenario_path("01_reduction_uniforme").read_text(encoding="utf-8")
    (tmp_path / "s.toml").write_text(text.replace("../demo/", ""), encoding="utf-8")
    ctx = prepare_reports(tmp_path / "s.toml")
    assert "Cerema, fichiers fonciers 2009-2022" in ctx.credit
    assert "contours communes.gpkg" in ctx.credit and "synthétiques" not in ctx.credit


@pytest.mark.realdata
def test_hauts_de_france_epci_map_from_communes(tmp_path):
    from helpers import shared_path

    communes = shared_path(
        "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
    )
    members = shared_path("hdf", "admin", "communes_hdf_cog2026.csv")
    epci = territory_layer(communes, membership=members, level="epci")
    assert len(epci) == 92  # DOMAIN.md §4: 92 EPCI
    assert epci["area_ha"].sum() == pytest.approx(3_200_200, rel=0.001)  # 32,002 km²
    out = tmp_path / "epci.html"
    res = CliRunner().invoke(
        main,
        ["map", "--territories", str(communes), "--membership", str(members), "--by", "epci",
         "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "Métropole Européenne de Lille" in html
    assert "contours france-geojson (IGN ADMIN EXPRESS)" in html and "synthétiques" not in html
