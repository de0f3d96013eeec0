"""Projects: ENAF area measured on parcels or polygons, commitments and their release."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box
from test_ledger_common import (  # noqa: F401 (fixtures)
    count_entries,
    ledger_fixture,
)

import zan
from zan.errors import DataError, LedgerError, PeriodError
from zan.ledger import Ledger, measure_project

# Land cover on a 300 m x 100 m strip: artificialised on x in [0, 30] and [200, 250].
LANDCOVER = gpd.GeoDataFrame(
    {"artificialised": [True, False, True, False]},
    geometry=[
        box(0, 0, 30, 100),
        box(30, 0, 200, 100),
        box(200, 0, 250, 100),
        box(250, 0, 300, 100),
    ],
    crs="EPSG:2154",
)
# Three 1 ha parcels: two in 99001 (territory A), one in 99003 (territory B).
PARCELS = gpd.GeoDataFrame(
    {"commune": ["99001", "99001", "99003"], "contenance": [10_000, 10_000, 10_000]},
    geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)],
    index=pd.Index(["99001000AB0001", "99001000AB0002", "99003000AB0001"], name="id"),
    crs="EPSG:2154",
)


def _projects_rows(led: Ledger) -> int:
    return led.connection.execute("SELECT COUNT(*) FROM projects").fetchone()[0]


def test_project_on_known_parcels_gives_its_known_enaf_area(ledger: Ledger) -> None:
    # Parcel 1: 10,000 m² of which 3,000 artificialised -> 7,000 m² ENAF; parcel 2: 10,000.
    pid = ledger.add_project(
        "A",
        label="ZA des Prés",
        parcels="99001 AB 1, 99001000AB0002",
        cadastre=PARCELS,
        landcover=LANDCOVER,
        date="2024-04-01",
        justification="PC 099001 24 00012",
    )
    p = ledger.projects().loc[pid]
    assert p["enaf_ha"] == pytest.approx(1.7)
    assert p["area_ha"] == pytest.approx(2.0)
    assert p["parcels"] == "99001000AB0001,99001000AB0002" and p["communes"] == "99001"
    assert p["status"] == "planned" and p["method"] == "parcels"
    assert ledger.balance().loc["A", ["committed_ha", "remaining_ha"]].tolist() == pytest.approx(
        [1.7, 48.3]
    )
    entry = ledger.entries(kind="project").iloc[-1]
    assert entry["amount_m2"] == 17_000 and entry["project"] == pid
    assert "mesurée sur les parcelles" in entry["label"]
    # QGIS sees the footprint: the union of the two parcels.
    layer = pyogrio.read_dataframe(ledger.path, layer="project_status")
    assert layer.crs.to_epsg() == 2154
    assert layer.geometry.area.iloc[0] == pytest.approx(20_000)
    assert layer["status"].tolist() == ["planned"]


def test_a_parcel_given_twice_counts_once(ledger: Ledger) -> None:
    pid = ledger.add_project(
        "A",
        label="Doublon",
        parcels="99001000AB0002, 99001 AB 2",
        cadastre=PARCELS,
        landcover=LANDCOVER,
    )
    assert ledger.projects().loc[pid, ["enaf_ha", "parcels"]].tolist() == [1.0, "99001000AB0002"]


def test_parcel_table_from_the_measure_module(ledger: Ledger) -> None:
    from zan.measure.parcels import parcel_landcover

    table = parcel_landcover(PARCELS, LANDCOVER)
    pid = ledger.add_project(
        "B", label="Plateforme", parcels=["99003000AB0001"], parcel_table=table
    )
    assert ledger.projects().loc[pid, "enaf_ha"] == pytest.approx(0.5)


def test_project_by_polygon(ledger: Ledger, tmp_path) -> None:
    path = tmp_path / "emprise.geojson"
    gpd.GeoDataFrame(geometry=[box(20, 0, 120, 50)], crs="EPSG:2154").to_crs(4326).to_file(path)
    # The tiny ledger holds no territory boundary: the footprint cannot be checked, it says so.
    with pytest.warns(UserWarning, match="no boundary of territory 'A'.*'Voie nouvelle'"):
        pid = ledger.add_project("A", label="Voie nouvelle", geometry=path, landcover=LANDCOVER)
    p = ledger.projects().loc[pid]
    # 5,000 m², of which x in [20, 30] (500 m²) artificialised.
    assert p["enaf_ha"] == pytest.approx(0.45, abs=1e-4)
    assert p["method"] == "polygon"


def test_realise_and_abandon_release_the_commitment(ledger: Ledger) -> None:
    a = ledger.add_project(
        "A", label="Lotissement", parcels="99001000AB0001", enaf_ha=2, date="2023-01-10"
    )
    b = ledger.add_project(
        "A", label="Extension", parcels="99001000AB0002", enaf_ha=1, date="2023-02-10"
    )
    assert ledger.balance().loc["A", "committed_ha"] == 3.0
    ledger.realise_project(a, date="2024-06-01", justification="DAACT")
    ledger.abandon_project(b, date="2024-07-01")
    assert ledger.balance().loc["A", "committed_ha"] == 0.0
    assert ledger.balance(at="2024-06-15").loc["A", "committed_ha"] == 1.0
    assert ledger.projects()["status"].tolist() == ["realised", "abandoned"]
    with pytest.raises(LedgerError, match="project 1 is realised, not planned"):
        ledger.realise_project(a)
    with pytest.raises(LedgerError, match="no project 99"):
        ledger.abandon_project(99)


def test_reversing_a_commitment_cancels_the_project(ledger: Ledger) -> None:
    pid = ledger.add_project("A", label="Erreur de saisie", parcels="99001000AB0001", enaf_ha=4)
    planned = ledger.entries(kind="project").index[-1]
    ledger.reverse(planned, justification="saisie en double")
    assert ledger.projects().loc[pid, "status"] == "cancelled"
    assert ledger.balance().loc["A", "committed_ha"] == 0.0
    with pytest.raises(LedgerError, match="not planned"):
        ledger.realise_project(pid)


def test_reversing_a_realisation_puts_the_project_back(ledger: Ledger) -> None:
    pid = ledger.add_project("A", label="Parc", parcels="99001000AB0001", enaf_ha=1)
    first = ledger.entries(kind="project").index[-1]
    ledger.realise_project(pid)
    with pytest.raises(LedgerError, match="not the last action"):
        ledger.reverse(first, justification="x")
    ledger.reverse(ledger.entries(kind="project").index[-1], justification="pas encore réalisé")
    assert ledger.projects().loc[pid, "status"] == "planned"
    assert ledger.balance().loc["A", "committed_ha"] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            dict(territory="Z", parcels="99001000AB0001", enaf_ha=1),
            LedgerError,
            "unknown territory 'Z'",
        ),
        (
            dict(territory="A", parcels="99001000AB0009", cadastre=PARCELS, landcover=LANDCOVER),
            DataError,
            "not among the parcels measured: 99001000AB0009",
        ),
        (
            dict(territory="A", parcels="rue des Lilas", enaf_ha=1),
            DataError,
            "not cadastral references",
        ),
        (
            dict(territory="A", parcels="99003000AB0001", cadastre=PARCELS, landcover=LANDCOVER),
            LedgerError,
            r"communes outside territory 'A': 99003 \(B\)",
        ),
        (
            dict(territory="A", parcels="99001000AB0001", geometry=box(0, 0, 1, 1), enaf_ha=1),
            DataError,
            "either parcels",
        ),
        (dict(territory="A", parcels="99001000AB0001"), DataError, "nothing to measure"),
        (
            dict(territory="A", parcels="99001000AB0001", landcover=LANDCOVER),
            DataError,
            "pass the cadastre",
        ),
        (
            dict(territory="A", geometry=box(0, 0, 10, 10), parcel_table=PARCELS),
            DataError,
            "a polygon is measured on the land cover",
        ),
        (dict(territory="A", geometry=box(0, 0, 0, 10), enaf_ha=1), DataError, "no polygon"),
        (dict(territory="A", parcels="99001000AB0001", enaf_ha=-1), DataError, "positive number"),
        (
            dict(territory="reserve", parcels="99001000AB0001", enaf_ha=1),
            LedgerError,
            "reserve account",
        ),
        (
            dict(territory="A", parcels="99001000AB0001", enaf_ha=1, period="2051-2060"),
            PeriodError,
            "unknown period '2051-2060'",
        ),
    ],
)
def test_bad_projects_write_nothing(ledger: Ledger, kwargs, error, message) -> None:
    n = count_entries(ledger.path)
    territory = kwargs.pop("territory")
    with pytest.raises(error, match=message):
        ledger.add_project(territory, label="Projet", **kwargs)
    assert count_entries(ledger.path) == n
    assert _projects_rows(ledger) == 0


def test_parcels_of_another_commune_than_the_cadastre_files(tmp_path) -> None:
    t = zan.Territories.demo()

    class Alloc:
        level = "departement"
        table = pd.DataFrame({"nom": t.names("departement"), "envelope_ha": 100.0})
        totals = {"envelope_ha": 500.0}

    led = Ledger.create(tmp_path / "demo.gpkg", Alloc(), territories=t)
    with pytest.raises(DataError, match="no parcel of communes 99007 in the cadastre"):
        led.add_project(
            "99",
            label="P",
            parcels="99007000AB0001",
            cadastre=zan.get_path("cadastre-99006-parcelles.json.gz"),
            landcover=zan.get_path("ocsge_demo_2021.gpkg"),
        )
    assert _projects_rows(led) == 0


def test_demo_parcels_match_the_parcel_measure(tmp_path) -> None:
    from zan.io.cadastre import read_parcels
    from zan.io.ocsge import read_ocsge
    from zan.measure.parcels import lookup_parcels, parcel_landcover

    t = zan.Territories.demo()

    class Alloc:
        level = "epci"
        table = pd.DataFrame({"nom": t.names("epci"), "envelope_ha": 100.0})
        totals = {"envelope_ha": 2500.0}

    led = Ledger.create(tmp_path / "demo.gpkg", Alloc(), territories=t)
    cadastre = zan.get_path("cadastre-99006-parcelles.json.gz")
    ocsge = zan.get_path("ocsge_demo_2021.gpkg")
    parcels = read_parcels(cadastre)
    refs = parcels.index[[3, 10, 25]].tolist()
    epci = t.assignment("epci")["99006"]
    pid = led.add_project(
        epci, label="Projet démo", parcels=refs, cadastre=cadastre, landcover=ocsge
    )
    # The same parcels measured with the whole commune's table.
    whole = lookup_parcels(refs, parcel_landcover(parcels, read_ocsge(ocsge)))
    assert led.projects().loc[pid, "enaf_ha"] == pytest.approx(round(whole["enaf_m2"].sum()) / 1e4)
    assert led.projects().loc[pid, "enaf_ha"] > 0


def test_measure_project_declared_area_needs_no_land_cover() -> None:
    m = measure_project(geometry=box(0, 0, 100, 100), enaf_ha=0.25)
    assert (m.enaf_m2, m.area_m2, m.method) == (2500, 10_000.0, "declared")


# --------------------------------------------------------------------------- footprint in its territory


@pytest.fixture(name="boxes")
def boxes_fixture(tmp_path) -> Ledger:
    """The tiny region with boundaries: A = [0, 2000] x [0, 1000], B = [2000, 3000] x [0, 1000]."""
    from test_ledger_common import FakeAllocation

    communes = gpd.GeoDataFrame(
        {"nom": ["Amont-le-Haut", "Amont-le-Bas", "Aval"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)],
        index=pd.Index(["99001", "99002", "99003"], name="code"),
        crs="EPSG:2154",
    )
    membership = pd.DataFrame(
        {"epci": ["A", "A", "B"], "departement": "99", "region": "99"}, index=communes.index
    )
    t = zan.Territories(communes, membership)
    led = Ledger.create(
        tmp_path / "boites.gpkg", FakeAllocation(garantie={"A": 1.0}), territories=t
    )
    yield led
    led.close()


@pytest.mark.parametrize(
    ("footprint", "message"),
    [
        # 200 m x 100 m astride the boundary: 1 ha of 2 ha in B.
        (
            box(1900, 0, 2100, 100),
            r"project 'ZA du Bord' lies partly outside territory 'A' \(Territoire A\): 1\.0000 ha "
            r"of its 2\.0000 ha footprint lie outside it: 1\.0000 ha in B \(Territoire B\).*"
            r"commit it on the territory that holds it",
        ),
        # Half of it beyond the region (x < 0): outside every territory.
        (
            box(-50, 0, 50, 100),
            r"0\.5000 ha of its 1\.0000 ha footprint lie outside it: 0\.5000 ha outside every "
            r"territory of the ledger",
        ),
        # 300 m² outside, above 0.1 % of 20.03 ha (200.3 m²).
        (box(0, 0, 2003, 100), r"0\.0300 ha of its 20\.0300 ha footprint.*in B"),
    ],
)
def test_polygon_outside_its_territory_writes_nothing(boxes: Ledger, footprint, message) -> None:
    n = count_entries(boxes.path)
    with pytest.raises(LedgerError, match=message):
        boxes.add_project("A", label="ZA du Bord", geometry=footprint, enaf_ha=1)
    assert count_entries(boxes.path) == n and _projects_rows(boxes) == 0


def test_polygon_inside_its_territory_is_accepted(boxes: Ledger) -> None:
    inside = boxes.add_project("A", label="ZA", geometry=box(100, 100, 300, 300), enaf_ha=4)
    # 50 m² outside: within 0.1 % of 20.005 ha (200.05 m²), boundaries are not digitised alike.
    edge = boxes.add_project("A", label="Bord", geometry=box(0, 0, 2000.5, 100), enaf_ha=1)
    # On the garantie communale pool, the territory's boundary holds.
    pool = boxes.add_project(
        "garantie:A", label="Mairie", geometry=box(10, 10, 60, 60), enaf_ha=0.2
    )
    b = boxes.add_project("B", label="Plateforme", geometry=box(2100, 0, 2900, 500), enaf_ha=3)
    p = boxes.projects()
    assert p.loc[[inside, edge, pool, b], "account"].tolist() == ["A", "A", "garantie:A", "B"]
    assert p.loc[inside, "area_ha"] == pytest.approx(4.0)
    assert boxes.balance().loc[["A", "B"], "committed_ha"].tolist() == [5.2, 3.0]
    with pytest.raises(LedgerError, match=r"outside territory 'B'.*40\.0000 ha in A"):
        boxes.add_project("B", label="Mal placé", geometry=box(1000, 0, 1400, 1000), enaf_ha=1)
