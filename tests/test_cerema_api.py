"""zan.cerema_api against a local HTTP server serving recorded pages of the Cerema API."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from click.testing import CliRunner

from zan.cerema_api import consumption_rows, fetch_consumption
from zan.cli import main
from zan.download import Settings
from zan.errors import DataError, DownloadError
from zan.io.consumption import read_consumption

DATA = Path(__file__).parent / "data" / "download"
WIDE = Path(__file__).parent / "data" / "conso" / "cerema_2011_2025_mini.csv"
API = "/api/indicateurs/conso_espace"


class _Api:
    """path → function(query dict) → (status, body bytes, delay s); logs every request."""

    def __init__(self) -> None:
        self.routes: dict = {}
        self.log: list[tuple[str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                server.log.append((parts.path, query))
                route = server.routes.get(parts.path.rstrip("/"))
                missing = (404, b'{"detail":"Not found."}', 0)
                status, body, delay = route(query) if route else missing
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # a free port
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _file(name: str):
    body = (DATA / name).read_bytes()
    return lambda q: (200, body, 0)


def _paged(*names: str):
    bodies = [(DATA / n).read_bytes() for n in names]

    def serve(q):
        page = int(q.get("page", 1))
        if page > len(bodies):
            return 404, b'{"detail":"Invalid page."}', 0
        return 200, bodies[page - 1], 0

    return serve


@pytest.fixture
def api():
    with _Api() as srv:
        srv.routes[f"{API}/departements/59"] = _paged(
            "cerema_api_departements_59_page1.json", "cerema_api_departements_59_page2.json"
        )
        srv.routes[f"{API}/departements/62"] = _file("cerema_api_departements_62.json")
        srv.routes[f"{API}/communes/62041"] = _file("cerema_api_communes_62041.json")
        yield srv


def _settings(srv, tmp_path, **kw) -> Settings:
    return Settings(
        cache_dir=tmp_path / "cache",
        cerema_api_url=f"{srv.url}/api",
        progress=False,
        **{"timeout_s": 5, "retries": 1, **kw},
    )


def test_pages_are_all_read_with_the_filters(api, tmp_path):
    rows = consumption_rows(
        "departements", "59", annee_min=2011, annee_max=2024, settings=_settings(api, tmp_path)
    )
    assert len(rows) == 28 and {r["idcom"] for r in rows} == {"59009", "59350"}
    pages = [q for p, q in api.log if p.endswith("/departements/59/")]
    assert [q["page"] for q in pages] == ["1", "2"]
    assert pages[0]["annee_min"] == "2011" and pages[0]["annee_max"] == "2024"
    assert pages[0]["page_size"] == "500"


def test_download_matches_the_release_file(api, tmp_path):
    out = fetch_consumption(
        "59,62", tmp_path / "conso.csv", communes=["62041"], settings=_settings(api, tmp_path)
    )
    # 62's rows are a département total: the client asked Arras on its own.
    assert any(p.endswith("/communes/62041/") for p, _ in api.log)
    api_conso = read_consumption(out)
    wide = read_consumption(WIDE).select(["59009", "59350", "62041"])
    assert list(api_conso.communes.index) == ["59009", "59350", "62041"]
    assert api_conso.years == wide.years
    a, b = wide.by_destination(), api_conso.by_destination()
    assert np.array_equal(a["total"], b["total"])
    for d in ("activite", "habitat", "mixte", "inconnu"):
        assert np.array_equal(a[d], b[d]), d
    assert np.array_equal(a["routes"] + a["ferroviaire"], b["infrastructures"])
    assert api_conso.communes.loc["59009", "nom"] == "Villeneuve-d'Ascq"
    assert sum("negative destination" in n for n in api_conso.notes) == 1  # 59009's 2012 residue


def test_http_errors_name_the_url_and_the_fix(api, tmp_path):
    s = _settings(api, tmp_path)
    with pytest.raises(DownloadError) as err:
        consumption_rows("communes", "5935X", settings=s)
    msg = str(err.value)
    assert "HTTP 404" in msg and f"{api.url}/api/indicateurs/conso_espace/communes/5935X/" in msg
    assert "check the code" in msg
    api.routes[f"{API}/communes/59350"] = lambda q: (503, b"maintenance", 0)
    with pytest.raises(DownloadError) as err:
        consumption_rows("communes", "59350", settings=s)
    msg = str(err.value)
    assert "HTTP 503" in msg and "after 2 attempt(s)" in msg and "communes/59350/" in msg
    assert "try again later" in msg and "--source api" in msg
    assert sum(p.endswith("/communes/59350/") for p, _ in api.log) == 2  # retried once
    with pytest.raises(DataError, match="no EPCI, SCoT or region scale"):
        consumption_rows("epci", "200093201", settings=s)


def test_timeout_is_retried_then_fails_clearly(api, tmp_path):
    calls = []

    def slow_once(q):
        calls.append(q)
        delay = 1.5 if len(calls) == 1 else 0
        return 200, (DATA / "cerema_api_communes_62041.json").read_bytes(), delay

    api.routes[f"{API}/communes/62041"] = slow_once
    s = _settings(api, tmp_path, timeout_s=0.5, retries=1)
    rows = consumption_rows("communes", "62041", settings=s)
    assert len(rows) == 14 and len(calls) == 2  # the second attempt answered
    api.routes[f"{API}/communes/62041"] = lambda q: (200, b"{}", 1.5)
    with pytest.raises(DownloadError) as err:
        consumption_rows("communes", "62041", settings=s)
    msg = str(err.value)
    assert "no answer within 0.5 s" in msg and "after 2 attempt(s)" in msg
    assert "communes/62041/" in msg and "timeout_s" in msg


def test_departement_total_without_commune_list_is_refused(api, tmp_path):
    with pytest.raises(DownloadError, match="département 62 carry no commune code"):
        fetch_consumption("62", tmp_path / "c.csv", settings=_settings(api, tmp_path))
    assert not (tmp_path / "c.csv").exists()


def test_cli_data_download_source_api(api, tmp_path, monkeypatch):
    geo = json.loads((DATA / "geoapi_communes_32.geojson").read_bytes())

    def communes(q):
        dep = q.get("codeDepartement")
        feats = [f for f in geo["features"] if f["properties"]["codeDepartement"] == dep]
        return 200, json.dumps({**geo, "features": feats}).encode(), 0

    api.routes["/geo/communes"] = communes
    for kind in ("epcis", "departements", "regions"):
        api.routes[f"/geo/{kind}"] = _file(f"geoapi_{kind}.json")
    monkeypatch.setenv("ZAN_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ZAN_GEO_API_URL", f"{api.url}/geo")
    monkeypatch.setenv("ZAN_CEREMA_API_URL", f"{api.url}/api")
    out = tmp_path / "nord"
    res = CliRunner().invoke(
        main,
        ["data", "download", "--source", "api", "--departement", "59,62", "--out", str(out),
         "--no-ocsge", "--quiet"],
    )
    assert res.exit_code == 0, res.output
    conso = read_consumption(out / "consumption.csv")
    assert sorted(conso.communes.index) == ["59009", "59350", "62041"]
    assert conso.years == tuple(range(2011, 2025))
    assert "infrastructures" in conso.destinations
    assert 'consumption = "consumption.csv"' in (out / "scenario.toml").read_text()
    sources = json.loads((out / "sources.json").read_text())
    assert any(f["url"].endswith("/indicateurs/conso_espace/") for f in sources["files"])
    assert "road and rail as one figure" in res.output
