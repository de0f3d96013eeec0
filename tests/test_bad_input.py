"""The bad-input suite: malformed inputs for every reader, scenarios and CLI commands.

Each case writes one malformed input, feeds it to a reader (or a ``zan`` command)
and checks two things: the exception class (or, for the CLI, exit status 2 and no
traceback), and that the message names the problem: the file, and the column, row,
key or value at fault. A case marked ``xfail(strict=True)`` documents a reader whose
message is still bare or unclear; it fails loudly once the reader is fixed.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from zan import errors as E
from zan.datasets import get_path

NAF = ";".join(f"naf{y:02d}art{y + 1:02d}" for y in range(11, 21))
TEN = ";".join(["10"] * 10)


def _box(x0=700000, y0=7050000, d=1000):
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]],
    }


def _geojson(features, crs="EPSG:2154") -> str:
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }
    if crs:
        fc["crs"] = {
            "type": "name",
            "properties": {"name": "urn:ogc:def:crs:" + crs.replace(":", "::")},
        }
    return json.dumps(fc)


def _write(tmp: Path, name: str, content: str | bytes) -> Path:
    path = tmp / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@dataclass
class Case:
    id: str
    run: Callable[[Path], Callable[[], object]]  # tmp → the call that must fail
    error: type[BaseException]
    patterns: tuple[str, ...]  # regexes the message must match (the file name is added)
    names_file: bool = True
    xfail: str | None = None


def _conso(text: str | bytes | None, name: str = "conso.csv"):
    def make(tmp):
        from zan.io.consumption import read_consumption

        path = _write(tmp, name, text) if text is not None else tmp / name
        return lambda: read_consumption(path)

    return make


def _member(text: str, name: str = "membership.csv"):
    def make(tmp):
        from zan.io.territories import read_membership

        path = _write(tmp, name, text)
        return lambda: read_membership(path)

    return make


def _communes(content: str | bytes, name: str = "communes.geojson", **kw):
    def make(tmp):
        from zan.io.territories import read_communes

        path = _write(tmp, name, content)
        return lambda: read_communes(path, **kw)

    return make


def _territories(layer: str, members: str):
    def make(tmp):
        from zan.territory import Territories

        lay = _write(tmp, "communes.geojson", layer)
        mem = _write(tmp, "membership.csv", members)
        return lambda: Territories.from_files(lay, mem)

    return make


def _passage(text: str, **kw):
    def make(tmp):
        from zan.io.cog import read_passage

        path = _write(tmp, "passage.csv", text)
        return lambda: read_passage(path, **kw)

    return make


def _ocsge(content: str, name: str = "ocsge.geojson", **kw):
    def make(tmp):
        from zan.io.ocsge import read_ocsge

        path = _write(tmp, name, content)
        return lambda: read_ocsge(path, **kw)

    return make


def _parcels(content: str | bytes | None, name: str = "cadastre-59350-parcelles.json", twice=False):
    def make(tmp):
        from zan.io.cadastre import read_parcels

        if content is None:
            folder = tmp / "empty_folder"
            folder.mkdir()
            return lambda: read_parcels(folder)
        path = _write(tmp, name, content)
        return lambda: read_parcels([path, path] if twice else path)

    return make


def _raster(dtype="uint8", crs="EPSG:2154", band=1, text: str | None = None, legend=None):
    def make(tmp):
        from zan.io.raster import open_raster

        path = tmp / "raster.tif"
        if text is not None:
            path.write_text(text)
        else:
            import rasterio
            from affine import Affine

            with rasterio.open(
                path,
                "w",
                driver="GTiff",
                width=3,
                height=3,
                count=1,
                dtype=dtype,
                crs=crs,
                transform=Affine(100, 0, 700000, 0, -100, 7050000),
            ) as ds:
                ds.write(np.ones((1, 3, 3), dtype=dtype))
        if legend is not None:
            leg = _write(tmp, "legend.csv", legend)
            return lambda: open_raster(path, legend=leg)
        return lambda: open_raster(path, band=band)

    return make


SCENARIO_OK = (
    '[scenario]\nname = "t"\n[data]\ncommunes = "demo:communes.gpkg"\n'
    'communes_layer = "communes"\nmembership = "demo:communes.csv"\n'
    '[envelope]\nenvelope_ha = 1000\n[[criteria]]\nrule = "uniform"\nweight = 1.0\n'
)


def _scenario(text: str | bytes):
    def make(tmp):
        from zan.scenario import load_scenario

        path = _write(tmp, "scenario.toml", text)
        return lambda: load_scenario(path)

    return make


def _conso_period(start, end):
    def make(tmp):
        from zan.io.consumption import read_consumption

        conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
        return lambda: conso.check_period(start, end)

    return make


COMMUNE_OK = _geojson(
    [({"code": "59350", "nom": "Lille"}, _box()), ({"code": "59009", "nom": "VdA"}, _box(702000))]
)
MEMBERS_OK = (
    "code_insee,epci_siren,departement,region\n59350,200093201,59,32\n59009,200093201,59,32\n"
)
OCSGE_ROW = {"code_cs": "CS1.1.1.1", "code_us": "US5"}

CASES: list[Case] = [
    # --- Cerema consumption file (read_table + read_consumption)
    Case(
        "conso-missing-file",
        _conso(None),
        E.DataError,
        (r"conso\.csv", r"not found"),
        names_file=False,
    ),
    Case("conso-empty-file", _conso(""), E.DataError, (r"empty",)),
    Case("conso-header-only", _conso(f"idcom;{NAF}\n"), E.DataError, (r"no data rows",)),
    Case("conso-one-column", _conso("idcom\n59350\n"), E.DataError, (r"one column",)),
    Case(
        "conso-long-row",
        _conso(f"idcom;{NAF}\n59350;{TEN}\n59009;{TEN};5;5\n"),
        E.DataError,
        (r"line 3 has 13 fields",),
    ),
    Case(
        "conso-duplicate-header",
        _conso(f"idcom;idcom;{NAF}\n59350;59350;{TEN}\n"),
        E.SchemaError,
        (r"duplicate column names.*idcom",),
    ),
    Case(
        "conso-no-flow-columns",
        _conso("idcom;pop20\n59350;100\n"),
        E.SchemaError,
        (r"no consumption columns", r"nafYYartZZ"),
    ),
    Case(
        "conso-no-code-column",
        _conso(f"insee;{NAF}\n59350;{TEN}\n"),
        E.SchemaError,
        (r"commune code", r"code_column="),
    ),
    Case(
        "conso-non-numeric",
        _conso(f"idcom;{NAF}\n59350;{TEN.replace('10', 'dix', 1)}\n"),
        E.ValidationError,
        (r"naf11art12", r"line 2", r"'dix'"),
    ),
    Case(
        "conso-negative",
        _conso(f"idcom;{NAF}\n59350;{TEN.replace('10', '-10', 1)}\n"),
        E.ValidationError,
        (r"naf11art12", r"negative", r"line 2"),
    ),
    Case(
        "conso-duplicate-commune",
        _conso(f"idcom;{NAF}\n59350;{TEN}\n59350;{TEN}\n"),
        E.ValidationError,
        (r"duplicate", r"59350", r"line 2, line 3"),
    ),
    Case(
        "conso-malformed-code",
        _conso(f"idcom;{NAF}\n5935X;{TEN}\n"),
        E.ValidationError,
        (r"malformed commune code", r"'5935X'", r"line 2"),
    ),
    Case(
        "conso-destinations-do-not-add-up",
        _conso(
            "idcom;naf11art12;art11act12;art11hab12;art11mix12;art11rou12;art11fer12;"
            "art11inc12\n59350;100;10;10;10;10;10;10\n"
        ),
        E.ValidationError,
        (r"naf11art12", r"do not add up", r"59350"),
    ),
    Case(
        "conso-named-gz-not-gzip",
        _conso(f"idcom;{NAF}\n59350;{TEN}\n", name="conso.csv.gz"),
        E.DataError,
        (r"named \.gz but not gzip",),
    ),
    Case(
        "conso-corrupt-gzip",
        _conso(gzip.compress(f"idcom;{NAF}\n59350;{TEN}\n".encode() * 50)[:40], "c.csv.gz"),
        E.DataError,
        (r"corrupt", r"download it again"),
    ),
    Case(
        "conso-api-bad-year",
        _conso("idcom;annee;naf_arti_m2\n59350;deux-mille;10\n"),
        E.ValidationError,
        (r"annee", r"invalid year", r"'deux-mille'"),
    ),
    Case(
        "conso-period-not-covered",
        _conso_period(2011, 2040),
        E.PeriodError,
        (r"2011-2040", r"missing 2023-2040"),
    ),
    Case(
        "conso-period-reversed",
        _conso_period(2020, 2011),
        E.PeriodError,
        (r"starts after it ends",),
    ),
    Case(
        "conso-corrupt-xlsx", _conso("not a workbook", name="conso.xlsx"), E.DataError, (r"Excel",)
    ),
    Case(
        "table-bad-encoding-given",
        lambda tmp: _table_ascii(tmp),
        E.DataError,
        (r"cannot decode", r"'ascii'"),
    ),
    # --- membership tables
    Case(
        "member-no-code-column",
        _member("nom,epci_siren\nLille,200093201\n"),
        E.SchemaError,
        (r"commune code", r"code_column="),
    ),
    Case(
        "member-conflicting-epci",
        _member("code_insee,epci_siren\n59350,200093201\n59350,200033579\n"),
        E.MembershipError,
        (r"59350", r"200093201", r"200033579", r"lines 2, 3"),
    ),
    Case(
        "member-no-level",
        _member("code_insee,population\n59350,236710\n"),
        E.SchemaError,
        (r"no territorial level",),
    ),
    Case(
        "member-invalid-code",
        _member("code_insee,epci_siren\n5935X,200093201\n"),
        E.SchemaError,
        (r"invalid commune code", r"'5935X'", r"line"),
    ),
    # --- territories: layer + membership
    Case(
        "territories-membership-missing-communes",
        _territories(COMMUNE_OK, "code_insee,epci_siren\n59350,200093201\n"),
        E.MembershipError,
        (r"59009", r"missing"),
    ),
    Case(
        "territories-commune-without-epci",
        _territories(COMMUNE_OK, "code_insee,epci_siren\n59350,200093201\n59009,\n"),
        E.MembershipError,
        (r"without epci", r"59009"),
    ),
    # --- commune layers
    Case(
        "communes-not-json",
        _communes("{not json"),
        E.GeometryError,
        (r"cannot read the file as a vector layer",),
    ),
    Case("communes-empty-collection", _communes(_geojson([])), E.DataError, (r"empty|no layer",)),
    Case(
        "communes-no-code-column",
        _communes(_geojson([({"name": "Lille"}, _box())])),
        E.SchemaError,
        (r"commune code", r"code_column="),
    ),
    Case(
        "communes-duplicate-codes",
        _communes(_geojson([({"code": "59350"}, _box()), ({"code": "59350"}, _box(702000))])),
        E.SchemaError,
        (r"duplicate commune code", r"59350"),
    ),
    Case(
        "communes-points",
        _communes(_geojson([({"code": "59350"}, {"type": "Point", "coordinates": [7e5, 7e6]})])),
        E.GeometryError,
        (r"not polygons", r"Point", r"59350"),
    ),
    Case(
        "communes-no-geometry",
        _communes(_geojson([({"code": "59350"}, None), ({"code": "59009"}, _box())])),
        E.GeometryError,
        (r"without geometry", r"59350"),
    ),
    Case(
        "communes-unknown-layer",
        _communes(COMMUNE_OK, layer="nope"),
        E.DataError,
        (r"no layer 'nope'",),
    ),
    Case(
        "communes-bad-codes",
        _communes(_geojson([({"code": "ABCDE"}, _box())])),
        E.SchemaError,
        (r"invalid commune code", r"'ABCDE'", r"feature"),
    ),
    Case(
        "communes-short-code-padded-silently",
        _communes(_geojson([({"code": "593"}, _box())])),
        E.SchemaError,
        (r"'593'",),
    ),
    # --- tables de passage
    Case(
        "passage-columns-unknown",
        _passage("a,b\n59001,59002\n"),
        E.SchemaError,
        (r"cannot tell the old and new", r"from_column="),
    ),
    Case(
        "passage-chained",
        _passage("code_2023,code_2024\n59001,59002\n59002,59003\n"),
        E.DataError,
        (r"chains changes", r"59001 → 59002"),
    ),
    Case(
        "passage-negative-weight",
        _passage("code_2023,code_2024,weight\n59001,59002,-1\n59001,59003,2\n"),
        E.DataError,
        (r"weight", r"negative"),
    ),
    Case(
        "passage-empty-code",
        _passage("code_2023,code_2024\n59001,\n"),
        E.ValidationError,
        (r"code_2024", r"empty code", r"line 2"),
    ),
    Case(
        "passage-only-from-column",
        _passage("x,y\n59001,59002\n", from_column="x"),
        E.SchemaError,
        (r"both from_column= and to_column=",),
    ),
    # --- OCS GE
    Case(
        "ocsge-unknown-codes",
        _ocsge(_geojson([({"code_cs": "CS9.9", "code_us": "US5"}, _box())])),
        E.DataError,
        (r"unknown OCS GE codes", r"CS9\.9", r"code_cs"),
    ),
    Case(
        "ocsge-no-couverture-column",
        _ocsge(_geojson([({"foo": "x"}, _box())])),
        E.SchemaError,
        (r"couverture", r"code_cs="),
    ),
    Case(
        "ocsge-missing-couverture",
        _ocsge(
            _geojson([(OCSGE_ROW, _box()), ({"code_cs": None, "code_us": "US5"}, _box(702000))])
        ),
        E.DataError,
        (r"code_cs", r"without a couverture code", r"rows 1"),
    ),
    Case(
        "ocsge-bad-artif-flag",
        _ocsge(_geojson([({**OCSGE_ROW, "artif": "peut-être"}, _box())])),
        E.DataError,
        (r"artif", r"'peut-être'"),
    ),
    Case(
        "ocsge-no-crs",
        lambda tmp: _shp_without_crs(tmp),
        E.CRSError,
        (r"no coordinate reference system", r"crs="),
    ),
    # --- Etalab parcels
    Case(
        "parcels-bad-ids",
        _parcels(_geojson([({"id": "59350AB1", "commune": "59350"}, _box())], crs=None)),
        E.SchemaError,
        (r"'59350AB1'", r"14-character"),
    ),
    Case(
        "parcels-given-twice",
        _parcels(
            _geojson([({"id": "59350000AB0001", "commune": "59350"}, _box())], crs=None), twice=True
        ),
        E.DataError,
        (r"59350000AB0001", r"given twice|give each file once"),
    ),
    Case("parcels-empty-folder", _parcels(None), E.DataError, (r"no cadastre-", r"parcelles")),
    Case(
        "parcels-not-json",
        _parcels("<html>erreur</html>"),
        E.GeometryError,
        (r"cannot read the parcels",),
    ),
    Case("parcels-empty-file", _parcels(""), E.DataError, (r"empty",)),
    Case(
        "parcels-truncated-gz",
        _parcels(
            gzip.compress(_geojson([({"id": "59350000AB0001"}, _box())], crs=None).encode())[:30],
            name="cadastre-59350-parcelles.json.gz",
        ),
        E.DataError,
        (r"truncated|corrupt",),
    ),
    # --- rasters
    Case(
        "raster-float-pixels",
        _raster(dtype="float32"),
        E.DataError,
        (r"not integer classes", r"float32"),
    ),
    Case("raster-band-out-of-range", _raster(band=3), E.DataError, (r"band 3", r"1 band")),
    Case("raster-no-crs", _raster(crs=None), E.CRSError, (r"no coordinate reference system",)),
    Case("raster-not-a-raster", _raster(text="hello"), E.DataError, (r"cannot read the raster",)),
    Case(
        "raster-legend-no-value",
        _raster(legend="code,libelle\n1,bati\n"),
        E.SchemaError,
        (r"no 'value' column", r"legend\.csv"),
    ),
    # --- scenarios
    Case(
        "scenario-toml-syntax",
        _scenario("[scenario\nname = 1"),
        E.ScenarioError,
        (r"not valid TOML",),
    ),
    Case(
        "scenario-unknown-key",
        _scenario(SCENARIO_OK + "[floors]\ngarantie = true\n"),
        E.ScenarioError,
        (r"unknown key 'floors\.garantie'", r"garantie_communale"),
    ),
    Case(
        "scenario-weights",
        _scenario(SCENARIO_OK.replace("weight = 1.0", "weight = 0.4")),
        E.ScenarioError,
        (r"weights sum to 0\.4",),
    ),
    Case(
        "scenario-reduction-out-of-range",
        _scenario(SCENARIO_OK.replace("envelope_ha = 1000", "reduction = 1.5")),
        E.ScenarioError,
        (r"envelope\.reduction", r"1\.5", r"0\.5 for a 50 %"),
    ),
    Case(
        "scenario-missing-data-file",
        _scenario(SCENARIO_OK.replace("demo:communes.gpkg", "absent.gpkg")),
        E.ScenarioError,
        (r"data\.communes", r"absent\.gpkg"),
    ),
    Case(
        "scenario-unknown-rule",
        _scenario(SCENARIO_OK.replace('"uniform"', '"uniforme"')),
        E.ScenarioError,
        (r"criteria\[0\]\.rule", r"uniforme"),
    ),
    Case(
        "scenario-not-utf8",
        _scenario('[scenario]\nname = "é"\n'.encode("latin-1")),
        E.ScenarioError,
        (r"not UTF-8",),
    ),
    Case(
        "scenario-unknown-profile",
        _scenario(SCENARIO_OK.replace("[envelope]", '[envelope]\nprofile = "loi_2099"')),
        E.ScenarioError,
        (r"envelope\.profile", r"loi_2099", r"loi_2023"),
    ),
]


def _table_ascii(tmp: Path):
    from zan.io._files import read_table

    path = _write(tmp, "latin.csv", "code;nom\n02001;Abbécourt\n")
    return lambda: read_table(path, encoding="ascii")


def _shp_without_crs(tmp: Path):
    import geopandas as gpd
    from shapely.geometry import box

    from zan.io.ocsge import read_ocsge

    path = tmp / "ocsge_nocrs.shp"
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame({"code_cs": ["CS1.1.1.1"]}, geometry=[box(0, 0, 10, 10)]).to_file(path)
    return lambda: read_ocsge(path)


def _params():
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.id, marks=marks)


def test_suite_is_large_and_distinct():
    ids = [c.id for c in CASES] + [_cli_id(c) for c in CLI_CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 40


@pytest.mark.parametrize("case", list(_params()))
def test_reader_names_the_problem(case: Case, tmp_path):
    call = case.run(tmp_path)
    with pytest.raises(case.error) as info:
        call()
    assert isinstance(info.value, E.ZanError)
    message = str(info.value)
    if case.names_file:
        files = [p.name for p in tmp_path.rglob("*")] + ["conso_enaf_2009_2023.csv"]
        assert any(f in message for f in files), f"message names no file: {message}"
    for pattern in case.patterns:
        assert re.search(pattern, message), f"{pattern!r} not in: {message}"


# ---------------------------------------------------------------------------- CLI

CONSO = str(get_path("conso_enaf_2009_2023.csv"))
COMMUNES = str(get_path("communes.gpkg"))
MEMBERSHIP = str(get_path("communes.csv"))


def _bad_csv(tmp: Path) -> str:
    return str(_write(tmp, "bad.csv", f"idcom;{NAF}\n59350;{TEN.replace('10', 'dix', 1)}\n"))


def _float_tif(tmp: Path) -> str:
    _raster(dtype="float32")(tmp)  # writes tmp / "raster.tif"
    return str(tmp / "raster.tif")


def _not_ocsge(tmp: Path) -> str:
    return str(_write(tmp, "not_ocsge.geojson", _geojson([({"foo": "x"}, _box())])))


#: (id, args built from tmp, regexes the output must match)
CLI_CASES: list = [
    (
        "cli-consumption-bad-file",
        lambda t: ["consumption", _bad_csv(t)],
        (r"bad\.csv", r"naf11art12", r"'dix'"),
    ),
    (
        "cli-consumption-period-not-covered",
        lambda t: ["consumption", CONSO, "--period", "2011-2040"],
        (r"conso_enaf_2009_2023\.csv", r"2011-2040"),
    ),
    (
        "cli-consumption-period-garbage",
        lambda t: ["consumption", CONSO, "--period", "hier"],
        (r"'hier'", r"2011-2020"),
    ),
    (
        "cli-consumption-unknown-level",
        lambda t: ["consumption", CONSO, "--by", "canton"],
        (r"canton",),
    ),
    (
        "cli-consumption-layer-without-passage",
        lambda t: ["consumption", CONSO, "--territories", COMMUNES, "--membership", MEMBERSHIP],
        (r"conso_enaf_2009_2023\.csv", r"96127", r"--passage"),
    ),
    (
        "cli-trajectory-reduction-out-of-range",
        lambda t: ["trajectory", CONSO, "--reduction", "1.5"],
        (r"reduction", r"1\.5"),
    ),
    (
        "cli-trajectory-bad-membership",
        lambda t: ["trajectory", CONSO, "--membership", str(_write(t, "m.csv", "nom\nLille\n"))],
        (r"m\.csv",),
    ),
    (
        "cli-artif-not-ocsge",
        lambda t: ["artif", _not_ocsge(t), "--territories", COMMUNES, "--quiet"],
        (r"not_ocsge\.geojson", r"couverture"),
    ),
    (
        "cli-raster-stats-float",
        lambda t: ["raster-stats", _float_tif(t), "--territories", COMMUNES, "--quiet"],
        (r"raster\.tif", r"float32"),
    ),
    (
        "cli-raster-stats-bad-legend",
        lambda t: [
            "raster-stats",
            str(get_path("corine_demo.tif")),
            "--territories",
            COMMUNES,
            "--legend",
            str(_write(t, "leg.csv", "code,libelle\n1,x\n")),
            "--quiet",
        ],
        (r"leg\.csv", r"value"),
    ),
]


def _cli_id(case) -> str:
    return case.values[0] if hasattr(case, "values") else case[0]


@pytest.mark.parametrize("case_id, build, patterns", CLI_CASES, ids=[_cli_id(c) for c in CLI_CASES])
def test_cli_exits_2_with_one_clear_message(case_id, build, patterns, tmp_path):
    from zan.cli import main

    res = CliRunner().invoke(main, build(tmp_path))
    output = res.output  # standard output and error, mixed
    assert res.exit_code == 2, (res.exit_code, output, res.exception)
    assert "Traceback" not in output
    for pattern in patterns:
        assert re.search(pattern, output), f"{pattern!r} not in: {output}"
