"""One settings module for every ZAN_* variable: read at call time, typed, documented once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zan.errors import ScenarioError
from zan.settings import VARIABLES, Settings, read_setting

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_when_unset_or_empty():
    s = Settings.from_env(environ={})
    assert s == Settings()
    assert s.threads is None and s.data_dir is None and s.passage_url is None
    assert read_setting("insee_url", environ={"ZAN_INSEE_URL": ""}) == s.insee_url


def test_values_are_typed(tmp_path):
    env = {"ZAN_THREADS": "3", "ZAN_DATA_DIR": str(tmp_path), "ZAN_SORTIES": "~/sorties"}
    s = Settings.from_env(environ=env)
    assert s.threads == 3 and s.data_dir == tmp_path
    assert s.sorties == Path("~/sorties").expanduser()
    assert read_setting("threads", environ={"ZAN_THREADS": "0"}) == 1  # at least one


def test_bad_threads_names_the_variable_and_the_fix():
    with pytest.raises(ScenarioError, match=r"ZAN_THREADS='two'.*ZAN_THREADS=2"):
        read_setting("threads", environ={"ZAN_THREADS": "two"})
    # a wrong variable does not break the others
    assert read_setting("ign_url", environ={"ZAN_THREADS": "two"}).startswith("https://")


def test_unknown_setting():
    with pytest.raises(KeyError):
        read_setting("nope")


def test_library_reads_the_environment_at_call_time(monkeypatch, tmp_path):
    from zan.allocate import batch_threads
    from zan.download import Settings as DownloadSettings
    from zan.download import cache_dir
    from zan.reports.pdf import chromium_executable

    monkeypatch.setenv("ZAN_THREADS", "3")
    monkeypatch.setenv("ZAN_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ZAN_PASSAGE_URL", "http://127.0.0.1:1/passage.csv")
    browser = tmp_path / "chromium"
    browser.write_text("")
    monkeypatch.setenv("ZAN_CHROMIUM", str(browser))
    assert batch_threads(10**8) == 3
    assert cache_dir() == tmp_path / "cache"
    d = DownloadSettings.from_env(progress=False)
    assert d.passage_url == "http://127.0.0.1:1/passage.csv" and d.cache_dir == tmp_path / "cache"
    assert chromium_executable() == str(browser)
    monkeypatch.setenv("ZAN_THREADS", "many")
    with pytest.raises(ScenarioError, match="ZAN_THREADS"):
        batch_threads(10**8)


def test_download_defaults_are_the_settings_defaults():
    from zan import cerema, cerema_api, download

    s = Settings()
    assert (download.GEO_API_URL, download.DATAGOUV_URL, download.IGN_URL) == (
        s.geo_api_url,
        s.datagouv_url,
        s.ign_url,
    )
    assert download.CADASTRE_URL == s.cadastre_url
    assert cerema.INSEE_URL == s.insee_url and cerema_api.CEREMA_API_URL == s.cerema_api_url
    d = download.Settings(cache_dir=Path("."))
    for name in ("geo_api_url", "datagouv_url", "ign_url", "cadastre_url", "cerema_api_url"):
        assert getattr(d, name) == getattr(s, name), name


def test_one_documented_table():
    text = (ROOT / "docs" / "SETTINGS.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(ZAN_[A-Z_]+)` \| ([^|]+) \| ([^|]+) \|", text, flags=re.M)
    documented = [name for name, _, _ in rows if name in {v.name for v in VARIABLES}]
    assert documented == [v.name for v in VARIABLES]
    for (name, kind, default), var in zip(
        [r for r in rows if r[0] in documented], VARIABLES, strict=True
    ):
        assert kind.strip() == var.type, name
        shown = default.strip()
        assert (shown == "—") if var.default is None else (shown == f"`{var.default}`"), name
    assert "docs/SETTINGS.md" in (ROOT / "README.md").read_text(encoding="utf-8")


_READ = re.compile(r"""(\.get\(|getenv\(|environ\[)\s*["']ZAN_""")


def test_no_other_module_reads_a_zan_variable():
    offenders = []
    for path in sorted((ROOT / "zan").rglob("*.py")):
        if path.name == "settings.py" and path.parent.name == "zan":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.strip()
            if code.startswith((">>>", "...")):  # doctests may set a variable
                continue
            if _READ.search(code):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {code}")
    assert offenders == []
    # and every ZAN_ variable named in zan/ is one of the settings
    named = set()
    for path in (ROOT / "zan").rglob("*.py"):
        named |= set(re.findall(r"\bZAN_[A-Z_]+[A-Z]\b", path.read_text(encoding="utf-8")))
    assert named <= {v.name for v in VARIABLES}, sorted(named - {v.name for v in VARIABLES})
