"""zan.download against a local HTTP server serving small files in the official formats."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import socket
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from zan import cerema
from zan.download import (
    Settings,
    check_gzip,
    download_region,
    extract_archive,
    fetch,
    ocsge_url,
)
from zan.errors import DataError, DownloadError, ZanError

DATA = Path(__file__).parent / "data" / "download"
DATASET = "conso-test"
CONSO_2025 = Path(__file__).parent / "data" / "conso" / "cerema_2011_2025_mini.csv"
THIS_YEAR = datetime.date.today().year


def _insee_zip(year: int) -> bytes:
    """INSEE's table_passage_annuelle_<year>.zip: an xlsx, sheet COM after five title lines.

    Synthetic rows: 59009, 59350, 62041, 80021 unchanged; 62998 (COG year − 1) merged into
    62041 and 80999 into 80021 in ``year``; 59999 existed in COG year − 2 only.
    """
    import pandas as pd

    y0, y1, y2 = year, year - 1, year - 2
    rows = [
        ("59009", "Villeneuve-d'Ascq", "59009", "Villeneuve-d'Ascq", "59009", "Villeneuve-d'Ascq"),
        ("59350", "Lille", "59350", "Lille", "59350", "Lille"),
        ("59350", "Lille", "59350", "Lille", "59999", "Ancienne"),
        ("62041", "Arras", "62041", "Arras", "62041", "Arras"),
        ("62041", "Arras", "62998", "Fictiville", "62998", "Fictiville"),
        ("80021", "Amiens", "80021", "Amiens", "80021", "Amiens"),
        ("80021", "Amiens", "80999", "Autreville", "80999", "Autreville"),
    ]
    cols = [f"{k}_{y}" for y in (y0, y1, y2) for k in ("CODGEO", "LIBGEO")]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        pd.DataFrame(rows, columns=cols).to_excel(xw, sheet_name="COM", startrow=5, index=False)
        xw.sheets["COM"]["A1"] = f"Table de passage annuelle au 1er janvier {year}"
    return _zip_of({f"table_passage_annuelle_{year}.xlsx": buf.getvalue()})


class _Server:
    """Routes → bytes; honours Range; can cut a response short once; logs requests."""

    def __init__(self) -> None:
        self.routes: dict = {}  # path → bytes, or a function of the query string
        self.cut: dict[str, int] = {}  # path → bytes sent before closing (once)
        self.no_range: set[str] = set()
        self.log: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # silence
                pass

            def do_GET(self):  # noqa: N802
                path = urlsplit(self.path).path
                query = urlsplit(self.path).query
                key = path + ("?" + query if query and path + "?" + query in server.routes else "")
                rng = self.headers.get("Range")
                server.log.append((self.path, rng))
                body = server.routes.get(key)
                if callable(body):
                    body = body(query)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = 0
                if rng and key not in server.no_range:
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                part = body[start:]
                self.send_header("Content-Length", str(len(part)))
                self.send_header("Connection", "close")
                self.end_headers()
                if key in server.cut:
                    n = server.cut.pop(key)
                    self.wfile.write(part[:n])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(part)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.timeout = 5
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _ocsge_zip() -> bytes:
    """A zip in IGN's layout holding an OCCUPATION_SOL GeoPackage of three polygons."""
    import tempfile

    gdf = gpd.GeoDataFrame(
        {
            "ID": ["OCSGE1", "OCSGE2", "OCSGE3"],
            "CODE_CS": ["CS1.1.1.1", "CS2.2.1", "CS2.1.1.1"],
            "CODE_US": ["US5", "US1.1", "US1.2"],
            "MILLESIME": ["2021", "2021", "2021"],
        },
        geometry=[
            box(704000, 7059000, 704100, 7059100),
            box(704100, 7059000, 704300, 7059100),
            box(704300, 7059000, 704500, 7059100),
        ],
        crs="EPSG:2154",
    )
    with tempfile.TemporaryDirectory() as d:
        gpkg = Path(d) / "OCCUPATION_SOL.gpkg"
        gdf.to_file(gpkg, driver="GPKG", engine="pyogrio")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(
                gpkg,
                "OCS-GE/1_DONNEES_LIVRAISON_2024/OCSGE_2-0_GPKG_LAMB93_D59-2021/"
                "OCCUPATION_SOL.gpkg",
            )
            z.writestr("OCS-GE/LISEZ-MOI.txt", "OCS GE")
    return buf.getvalue()


def _geo_communes(data: bytes, query: str) -> bytes:
    """Filter like geo.api.gouv.fr does on codeRegion / codeDepartement."""
    from urllib.parse import parse_qs

    q = {k: v[0] for k, v in parse_qs(query).items()}
    fc = json.loads(data)
    keep = [
        f
        for f in fc["features"]
        if all(f["properties"].get(k) == q[k] for k in ("codeRegion", "codeDepartement") if k in q)
    ]
    return json.dumps({"type": "FeatureCollection", "features": keep}).encode()


def _zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def ocsge_zip() -> bytes:
    return _ocsge_zip()


@pytest.fixture
def server(ocsge_zip):
    with _Server() as srv:
        communes = (DATA / "geoapi_communes_32.geojson").read_bytes()
        conso = (DATA / "cerema_conso_mini.csv").read_bytes()
        parcels = gzip.compress((DATA / "cadastre-59350-parcelles.json").read_bytes(), mtime=0)
        srv.routes.update(
            {
                "/geo/communes": lambda query: _geo_communes(communes, query),
                "/geo/epcis": (DATA / "geoapi_epcis.json").read_bytes(),
                "/geo/departements": (DATA / "geoapi_departements.json").read_bytes(),
                "/geo/regions": (DATA / "geoapi_regions.json").read_bytes(),
                "/files/conso2009_2022_resultats_com.csv": conso,
                "/ign"
                + urlsplit(ocsge_url("59", "2021-01-01", fmt="SHP")).path.removeprefix(
                    "/telechargement/download"
                ): ocsge_zip,
                "/ign"
                + urlsplit(ocsge_url("62", "2021-01-01", fmt="SHP")).path.removeprefix(
                    "/telechargement/download"
                ): ocsge_zip,
                "/cadastre/latest/geojson/communes/59/59350/"
                "cadastre-59350-parcelles.json.gz": parcels,
            }
        )
        srv.set_dataset = lambda sha=None: srv.routes.__setitem__(  # type: ignore[attr-defined]
            f"/api/1/datasets/{DATASET}/",
            json.dumps(
                {
                    "title": "Consommation d'espaces NAF",
                    "resources": [
                        {
                            "title": "Notice méthodologique",
                            "format": "pdf",
                            "url": f"{srv.url}/files/notice.pdf",
                        },
                        {
                            "title": "Données départementales",
                            "format": "csv",
                            "url": f"{srv.url}/files/conso2009_2022_resultats_dep.csv",
                        },
                        {
                            "title": "Données communales 2009-2022",
                            "format": "csv",
                            "url": f"{srv.url}/files/conso2009_2022_resultats_com.csv",
                            "checksum": {
                                "type": "sha256",
                                "value": sha or hashlib.sha256(conso).hexdigest(),
                            },
                        },
                    ],
                }
            ).encode(),
        )
        srv.set_dataset()
        for year in (THIS_YEAR, THIS_YEAR - 1, 2026):
            srv.routes[f"/insee/table_passage_annuelle_{year}.zip"] = _insee_zip(year)
        for release, conso_file in ((2025, CONSO_2025), (2024, DATA / "cerema_conso_mini.csv")):
            srv.routes[f"/api/1/datasets/{cerema.release(release).dataset}/"] = json.dumps(
                {
                    "title": cerema.release(release).title,
                    "resources": [
                        # 2025: a decoy the title heuristic would prefer (a later year)
                        {
                            "id": "decoy",
                            "title": f"conso_com_{2099 if release == 2025 else 2000}.csv",
                            "format": "csv",
                            "url": f"{srv.url}/files/absent.csv",
                        },
                        {
                            "id": cerema.release(release).resource_id or "r",
                            "title": f"conso_com {release}",
                            "format": "csv",
                            "url": f"{srv.url}/files/conso_com_{release}.csv",
                        },
                    ],
                }
            ).encode()
            srv.routes[f"/files/conso_com_{release}.csv"] = conso_file.read_bytes()
        yield srv


def _settings(srv: _Server, tmp_path: Path, **kw) -> Settings:
    return Settings(
        cache_dir=tmp_path / "cache",
        geo_api_url=f"{srv.url}/geo",
        datagouv_url=srv.url,
        ign_url=f"{srv.url}/ign",
        cadastre_url=f"{srv.url}/cadastre",
        insee_url=f"{srv.url}/insee",
        timeout_s=10,
        progress=False,
        **{"cerema_dataset": DATASET, **kw},
    )


# ---------------------------------------------------------------------------- success path


def test_region_folder_loads_as_territories_and_consumption(server, tmp_path):
    from zan.io.cadastre import read_parcels
    from zan.io.consumption import read_consumption
    from zan.io.ocsge import read_ocsge
    from zan.scenario import load_scenario
    from zan.territory import Territories

    out = tmp_path / "hdf"
    region = download_region(
        "32", out=out, cadastre=["59350"], settings=_settings(server, tmp_path)
    )
    assert set(region.ocsge) == {"59", "62"}
    # the adopted SRADDET, copied beside the files it reads by name
    assert [p.name for p in region.scenarios] == ["hdf_sraddet_2024.toml"]
    sraddet = load_scenario(region.scenarios[0])
    assert (out / sraddet.data.communes).exists() and (out / sraddet.data.consumption).exists()
    assert sraddet.envelope.region == "hdf"
    assert (sraddet.data.passage is None) == (region.passage is None)
    from zan.scenario import run_scenario

    alloc = run_scenario(sraddet)  # Lille's and Arras' SCoT: their official rates
    assert sorted(alloc.table.index) == ["SCOT_1000", "SCOT_7076"]
    t = alloc.table.sort_index()
    exact = t["reference_ha"] * (1 - pd.Series([0.675, 0.651], index=t.index))
    assert (t["envelope_ha"] - exact).abs().max() <= 0.01 + 1e-9
    sc = load_scenario(region.scenario)
    base = region.scenario.parent
    t = Territories.from_files(base / sc.data.communes, base / sc.data.membership)
    assert sorted(t.communes.index) == ["59009", "59350", "62041"]
    assert t.names("epci")["200093201"] == "Métropole Européenne de Lille"
    assert t.names("departement").to_dict() == {"59": "Nord", "62": "Pas-de-Calais"}
    conso = read_consumption(base / sc.data.consumption)
    # Paris (75056) is outside the région and was left out of the regional file.
    assert sorted(conso.communes.index) == ["59009", "59350", "62041"]
    assert conso.years == tuple(range(2009, 2023))
    lc = read_ocsge(region.ocsge["59"])
    assert lc.layer["code_cs"].tolist() == ["CS1.1.1.1", "CS2.2.1", "CS2.1.1.1"]
    parcels = read_parcels(region.parcels)
    assert list(parcels.index) == ["59350000AB0001", "59350000AB0002"]
    sources = json.loads(region.sources.read_text())
    files = {r["file"]: r for r in sources["files"]}
    assert (
        files["consumption.csv"]["sha256"]
        == hashlib.sha256((out / "consumption.csv").read_bytes()).hexdigest()
    )
    assert any(f.startswith("ocsge/59/") for f in files)
    # The folder passes zan validate as it is.
    from zan.validate import validate_paths

    report = validate_paths(out)
    assert report.ok, report.to_text("en")
    assert {"communes", "membership", "consumption", "ocsge", "parcels", "scenario"} <= set(
        report.kinds.values()
    )


def test_second_run_uses_the_cache_without_network(server, tmp_path):
    s = _settings(server, tmp_path)
    download_region("32", out=tmp_path / "a", consumption=False, ocsge=False, settings=s)
    n = len(server.log)
    server.httpd.shutdown()  # no server any more: everything must come from the cache
    download_region("32", out=tmp_path / "b", consumption=False, ocsge=False, settings=s)
    assert len(server.log) == n
    assert (tmp_path / "a" / "communes.geojson").read_bytes() == (
        tmp_path / "b" / "communes.geojson"
    ).read_bytes()


def test_departements_filter_and_codes(server, tmp_path):
    s = _settings(server, tmp_path)
    region = download_region(
        departements="59", out=tmp_path / "n", consumption=True, ocsge=False, settings=s
    )
    assert any("codeDepartement=59" in path for path, _ in server.log)
    text = region.consumption.read_text(encoding="utf-8")
    assert "62041" not in text and "59350" in text
    with pytest.raises(DataError, match="'3X'"):
        download_region(departements="3X", out=tmp_path / "x", settings=s)
    with pytest.raises(DataError, match="not in région 32"):
        download_region(
            "32", out=tmp_path / "y", ocsge=False, consumption=False, cadastre=["75056"], settings=s
        )


# ---------------------------------------------------------------------------- failures


def test_checksum_mismatch_names_file_hashes_and_fix(server, tmp_path):
    server.set_dataset(sha="0" * 64)
    with pytest.raises(DownloadError) as info:
        download_region("32", out=tmp_path / "o", ocsge=False, settings=_settings(server, tmp_path))
    msg = str(info.value)
    actual = hashlib.sha256((DATA / "cerema_conso_mini.csv").read_bytes()).hexdigest()
    assert "conso2009_2022_resultats_com.csv" in msg
    assert "expected " + "0" * 64 in msg and f"got {actual}" in msg
    assert "run the command again" in msg
    # Nothing corrupt is left in the cache, and no consumption file was written.
    assert not list((tmp_path / "cache" / "cerema").glob("conso*_com.csv*"))
    assert not (tmp_path / "o" / "consumption.csv").exists()


def test_truncated_archive_is_refused_and_dropped_from_the_cache(server, tmp_path, ocsge_zip):
    path = "/ign" + urlsplit(ocsge_url("59", "2021-01-01", fmt="SHP")).path.removeprefix(
        "/telechargement/download"
    )
    server.routes[path] = ocsge_zip[: len(ocsge_zip) // 2]
    s = _settings(server, tmp_path)
    with pytest.raises(DownloadError, match="truncated or corrupt") as info:
        download_region(departements="59", out=tmp_path / "o", consumption=False, settings=s)
    assert "OCS-GE_2-0__SHP_LAMB93_D059_2021-01-01.7z" in str(info.value)
    assert not (tmp_path / "cache" / "ocsge" / Path(path).name).exists()
    assert not (tmp_path / "o" / "ocsge" / "59").exists()


def test_zip_with_path_traversal_is_refused_before_writing(tmp_path):
    archive = tmp_path / "evil.zip"
    archive.write_bytes(_zip_of({"ok.txt": b"ok", "../../escaped.txt": b"pwned"}))
    with pytest.raises(
        DownloadError,
        match=r"outside the target folder.*'\.\./\.\./escaped\.txt'"
        r"|'\.\./\.\./escaped\.txt'.*outside",
    ):
        extract_archive(archive, tmp_path / "out" / "x")
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "out" / "x").exists()
    absolute = tmp_path / "abs.zip"
    absolute.write_bytes(_zip_of({"/etc/zan-test": b"x"}))
    with pytest.raises(DownloadError, match="outside the target folder"):
        extract_archive(absolute, tmp_path / "out2")


def test_tar_with_link_and_bomb_limits_are_refused(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("link")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    (tmp_path / "l.tar").write_bytes(buf.getvalue())
    with pytest.raises(DownloadError, match="link"):
        extract_archive(tmp_path / "l.tar", tmp_path / "t")
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", b"\0" * 2_000_000)
    with pytest.raises(DownloadError, match="above the limit"):
        extract_archive(big, tmp_path / "b", max_bytes=1_000_000)
    assert not (tmp_path / "b").exists()
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(gzip.compress(b"\0" * 3_000_000))
    with pytest.raises(DownloadError, match="above the limit"):
        check_gzip(bomb, max_bytes=1_000_000)
    (tmp_path / "cut.gz").write_bytes(gzip.compress(b"x" * 100_000)[:50])
    with pytest.raises(DownloadError, match="truncated or corrupt"):
        check_gzip(tmp_path / "cut.gz")


def test_7z_archive_is_extracted(tmp_path):
    py7zr = pytest.importorskip("py7zr")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "OCCUPATION_SOL.txt").write_text("ok")
    with py7zr.SevenZipFile(tmp_path / "a.7z", "w") as z:
        z.write(tmp_path / "src" / "OCCUPATION_SOL.txt", "OCS-GE/OCCUPATION_SOL.txt")
    files = extract_archive(tmp_path / "a.7z", tmp_path / "out")
    assert [f.read_text() for f in files] == ["ok"]
    (tmp_path / "cut.7z").write_bytes((tmp_path / "a.7z").read_bytes()[:40])
    with pytest.raises(DownloadError, match="truncated or corrupt"):
        extract_archive(tmp_path / "cut.7z", tmp_path / "out2")


def test_resume_after_interrupted_download(server, tmp_path):
    body = bytes(range(256)) * 400  # 102,400 bytes
    server.routes["/files/big.bin"] = body
    server.cut["/files/big.bin"] = 30_000
    s = _settings(server, tmp_path)
    url = f"{server.url}/files/big.bin"
    sha = "sha256:" + hashlib.sha256(body).hexdigest()
    with pytest.raises(DownloadError, match="interrupted.*run the command again to resume"):
        fetch(url, "big.bin", known_hash=sha, settings=s)
    part = tmp_path / "cache" / "big.bin.part"
    kept = part.stat().st_size
    assert 0 < kept <= 30_000
    path = fetch(url, "big.bin", known_hash=sha, settings=s)
    assert path.read_bytes() == body
    assert server.log[-1] == ("/files/big.bin", f"bytes={kept}-")
    assert not part.exists()


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    body = b"abcdef" * 1000
    server.routes["/files/norange.bin"] = body
    server.no_range.add("/files/norange.bin")
    s = _settings(server, tmp_path)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "n.bin.part").write_bytes(b"zzzz")
    assert fetch(f"{server.url}/files/norange.bin", "n.bin", settings=s).read_bytes() == body


def test_offline_message_gives_the_exact_path(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    s = Settings(
        cache_dir=tmp_path / "cache",
        geo_api_url=f"http://127.0.0.1:{port}",
        timeout_s=2,
        progress=False,
    )
    with pytest.raises(DownloadError) as info:
        download_region("32", out=tmp_path / "o", settings=s)
    expected = tmp_path / "cache" / "geo-api" / "communes_reg-32.geojson"
    assert str(expected) in str(info.value)
    assert "place it at" in str(info.value) and "commune contours" in str(info.value)
    assert isinstance(info.value, ZanError) and isinstance(info.value, OSError)
    # Placing the file there by hand is enough for that step.
    expected.write_bytes((DATA / "geoapi_communes_32.geojson").read_bytes())
    with pytest.raises(DownloadError, match="epcis.json"):
        download_region("32", out=tmp_path / "o", settings=s)


def test_http_404_and_error_page_instead_of_archive(server, tmp_path):
    s = _settings(server, tmp_path)
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(f"{server.url}/files/missing.csv", "missing.csv", settings=s)
    server.routes["/files/page.7z"] = b"<html>maintenance</html>"
    path = fetch(f"{server.url}/files/page.7z", "page.7z", settings=s)
    with pytest.raises(DownloadError, match="not a zip, 7z or tar archive"):
        extract_archive(path, tmp_path / "x")


def test_unknown_ocsge_vintage_and_env_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("ZAN_DATA_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("ZAN_GEO_API_URL", "http://127.0.0.1:1/geo")
    s = Settings.from_env(progress=False)
    assert s.cache_dir == tmp_path / "c" and s.geo_api_url == "http://127.0.0.1:1/geo"
    from zan.download import _ocsge_vintage

    assert _ocsge_vintage("59", None) == ("2021-01-01", "SHP")
    assert _ocsge_vintage("80", 2017) == ("2017-01-01", "SHP")
    with pytest.raises(DataError, match="département 13.*ocsge_vintage="):
        _ocsge_vintage("13", None)


# ---------------------------------------------------------------------------- Cerema releases


def test_newest_release_by_default_with_its_table_de_passage(server, tmp_path):
    from zan.io.cog import read_passage
    from zan.io.consumption import read_consumption
    from zan.scenario import load_scenario

    s = _settings(server, tmp_path, cerema_dataset=None)
    out = tmp_path / "nord"
    region = download_region(
        departements="59,62", out=out, ocsge=False, passage_cog=2026, settings=s
    )
    newest = cerema.release().dataset
    assert newest.endswith("du-1er-janvier-2011-au-1er-janvier-2025")
    assert cerema.release().resource_id == "b258feec-f8ff-4e0a-93b3-baf1fe46ef66"
    assert not any("absent.csv" in p for p, _ in server.log)  # taken by its resource id
    assert any(path == f"/api/1/datasets/{newest}/" for path, _ in server.log)
    conso = read_consumption(region.consumption)
    assert conso.years == tuple(range(2011, 2025))
    assert sorted(conso.communes.index) == ["59009", "59350", "62041"]
    # COG 2025 (the release) → COG 2026: the pairs of the région's départements only.
    passage = read_passage(region.passage)
    assert sorted(zip(passage["code_from"], passage["code_to"], strict=True)) == [
        ("62041", "62041"),
        ("62998", "62041"),
    ]
    assert "/insee/table_passage_annuelle_2026.zip" in [p for p, _ in server.log]
    sc = load_scenario(region.scenario)
    assert sc.data.passage and (region.scenario.parent / sc.data.passage) == region.passage
    sources = json.loads(region.sources.read_text())
    files = {r["file"]: r for r in sources["files"]}
    assert files["consumption.csv"]["release"] == "du 1er janvier 2011 au 1er janvier 2025"
    assert files["passage.csv"]["url"].endswith("table_passage_annuelle_2026.zip")
    assert any("1 commune code(s) of COG 2025 changed by COG 2026" in n for n in region.notes)
    # the residues of the release are reported, the folder has no error
    from zan.validate import validate_paths

    report = validate_paths(out)
    assert not report.errors, report.to_text("en")
    assert report.select(code="destination_residues")


def test_older_vintage_on_request_and_its_cog_found_from_the_codes(server, tmp_path):
    s = _settings(server, tmp_path, cerema_dataset=None)
    region = download_region(
        departements="59", out=tmp_path / "o", ocsge=False, vintage=2024, passage_cog=2026,
        settings=s,
    )
    asked = cerema.release(2024).dataset
    assert asked.endswith("du-1er-janvier-2009-au-1er-janvier-2024")
    assert any(path == f"/api/1/datasets/{asked}/" for path, _ in server.log)
    assert "naf09art10" in region.consumption.read_text(encoding="utf-8").splitlines()[0]
    # 59009 and 59350 exist in every COG of the table: the latest is taken, no passage.
    assert region.passage is None
    assert any("in COG 2026, as the boundaries: no passage needed" in n for n in region.notes)
    with pytest.raises(DataError, match=r"known vintages: 2023, 2024, 2025.*--vintage 2024"):
        download_region(departements="59", out=tmp_path / "x", ocsge=False, vintage=2019,
                        settings=s)


def test_passage_of_the_previous_year_when_this_year_is_not_published(server, tmp_path):
    del server.routes[f"/insee/table_passage_annuelle_{THIS_YEAR}.zip"]
    s = _settings(server, tmp_path, cerema_dataset=None)
    region = download_region(departements="62", out=tmp_path / "p", ocsge=False, settings=s)
    assert any(
        f"table de passage {THIS_YEAR} is not published yet" in n and f"COG {THIS_YEAR - 1}" in n
        for n in region.notes
    )
    if THIS_YEAR - 1 > 2025:  # the release (COG 2025) differs from the boundaries' COG
        assert region.passage is not None


def test_passage_pairs_find_the_release_cog_from_its_codes():
    import pandas as pd


    with zipfile.ZipFile(io.BytesIO(_insee_zip(2026))) as z:
        table = pd.read_excel(z.open("table_passage_annuelle_2026.xlsx"), sheet_name="COM",
                              skiprows=5, dtype=str)
    pairs, year = cerema.passage_pairs(table, 2026, codes=["59999", "62998", "80021"])
    assert year == 2024  # 59999 exists in COG 2024 only
    assert set(zip(pairs["code_2024"], pairs["code_2026"], strict=True)) == {
        ("59350", "59350"), ("59999", "59350"), ("62041", "62041"), ("62998", "62041"),
        ("80021", "80021"), ("80999", "80021"),
    }
    with pytest.raises(DataError, match="no column CODGEO_2030"):
        cerema.passage_pairs(table, 2030)


def test_cli_vintage_and_no_passage(server, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from zan.cli import main

    monkeypatch.setenv("ZAN_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ZAN_GEO_API_URL", f"{server.url}/geo")
    monkeypatch.setenv("ZAN_DATAGOUV_URL", server.url)
    monkeypatch.setenv("ZAN_INSEE_URL", f"{server.url}/insee")
    out = tmp_path / "n"
    res = CliRunner().invoke(
        main,
        ["data", "download", "--departements", "59", "--vintage", "2024", "--no-passage",
         "--no-ocsge", "--out", str(out), "--quiet"],
    )
    assert res.exit_code == 0, res.output
    assert "written:" in res.output and not (out / "passage.csv").exists()
    assert not any("/insee/" in p for p, _ in server.log)


@pytest.mark.slow
def test_readme_your_region_commands_run_as_written(server, tmp_path, monkeypatch):
    """The README's "Your region" block, line by line, on the recorded region (local server)."""
    import re
    import shlex

    from click.testing import CliRunner

    from zan.cli import main

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Your region\n.*?```sh\n(.*?)```", readme, re.S).group(1)
    lines = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert len(lines) <= 3
    for var, url in (("ZAN_GEO_API_URL", "/geo"), ("ZAN_DATAGOUV_URL", ""),
                     ("ZAN_IGN_URL", "/ign"), ("ZAN_INSEE_URL", "/insee")):
        monkeypatch.setenv(var, server.url + url)
    monkeypatch.setenv("ZAN_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ZAN_CEREMA_DATASET", DATASET)
    monkeypatch.chdir(tmp_path)
    for line in lines:
        for command in line.split("&&"):
            args = shlex.split(command)
            assert args[0] == "zan"
            res = CliRunner().invoke(main, args[1:])
            assert res.exit_code == 0, f"{command}: {res.output}"
    alloc = pd.read_csv(tmp_path / "hdf" / "sraddet" / "allocation.csv", index_col="code")
    assert sorted(alloc.index) == ["SCOT_1000", "SCOT_7076"]
    assert (tmp_path / "hdf" / "rapports" / "index.html").exists()


def test_the_release_file_is_picked_by_the_year_in_its_name_not_in_the_server_port():
    from zan.cerema import _pick_resource

    resources = [
        {"id": "old", "title": "conso_com_2000.csv", "format": "csv",
         "url": "http://127.0.0.1:42097/files/absent.csv"},  # "2097" in the port
        {"id": "new", "title": "conso_com 2024", "format": "csv",
         "url": "http://127.0.0.1:42097/files/conso_com_2024.csv"},
    ]
    assert _pick_resource(resources, "test")["id"] == "new"
