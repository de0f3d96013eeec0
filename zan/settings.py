"""Every ``ZAN_*`` environment variable, its type and its default, in one place.

The library reads the environment only through this module, at call time (never at
import, so that a test or a notebook may set a variable before a call):
:func:`read_setting` reads and checks one variable, :meth:`Settings.from_env` all of
them. :data:`VARIABLES` is the table of ``docs/SETTINGS.md``.

Examples
--------
>>> read_setting("geo_api_url", environ={})
'https://geo.api.gouv.fr'
>>> read_setting("threads", environ={"ZAN_THREADS": " 4 "})
4
>>> Settings.from_env(environ={"ZAN_DATA_DIR": "/tmp/zan-cache"}).data_dir
PosixPath('/tmp/zan-cache')
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ScenarioError

__all__ = [
    "CADASTRE_URL",
    "CEREMA_API_URL",
    "DATAGOUV_URL",
    "GEO_API_URL",
    "IGN_URL",
    "INSEE_URL",
    "Settings",
    "VARIABLES",
    "Variable",
    "read_setting",
]

#: geo.api.gouv.fr: commune contours and lists.
GEO_API_URL = "https://geo.api.gouv.fr"
#: data.gouv.fr: the Cerema's consumption files.
DATAGOUV_URL = "https://www.data.gouv.fr"
#: IGN's download service (Géoplateforme): OCS GE.
IGN_URL = "https://data.geopf.fr/telechargement/download"
#: The Etalab cadastre (parcels per commune).
CADASTRE_URL = "https://cadastre.data.gouv.fr/data/etalab-cadastre"
#: The Cerema API (consumption per commune and year).
CEREMA_API_URL = "https://apidf-preprod.cerema.fr"
#: INSEE's folder of tables de passage between COG years.
INSEE_URL = "https://www.insee.fr/fr/statistiques/fichier/7671867"


def _text(raw: str) -> str | None:
    return raw or None


def _path(raw: str) -> Path | None:
    return Path(raw).expanduser() if raw else None


def _threads(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return max(1, int(raw))
    except ValueError:
        raise ScenarioError(
            f"ZAN_THREADS={raw!r}: not a whole number; set it to the number of threads "
            "(e.g. ZAN_THREADS=2) or unset it"
        ) from None


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, the setting it fills, its default and use.

    Attributes
    ----------
    name : str
        The environment variable, e.g. ``ZAN_THREADS``.
    setting : str
        The :class:`Settings` attribute it fills.
    type : str
        What it holds, as documented (``URL``, ``path``, ``whole number``...).
    default : object
        Value when the variable is unset or empty.
    description : str
        What it changes (one line, for the documentation table).
    parse : callable
        Text → value; raises a :class:`~zan.errors.ZanError` naming the variable
        when the text is wrong.
    """

    name: str
    setting: str
    type: str
    default: Any
    description: str
    parse: Callable[[str], Any] = _text

    def read(self, environ: Mapping[str, str] | None = None) -> Any:
        """The variable's value in ``environ`` (default ``os.environ``), else its default."""
        raw = (os.environ if environ is None else environ).get(self.name, "")
        value = self.parse(raw) if raw else None
        return self.default if value is None else value


#: Every variable zan reads, in the order of ``docs/SETTINGS.md``.
VARIABLES: tuple[Variable, ...] = (
    Variable(
        "ZAN_DATA_DIR",
        "data_dir",
        "path",
        None,
        "download cache (`zan data download`); default: the platform cache, "
        "`~/.cache/zan` on Linux",
        _path,
    ),
    Variable(
        "ZAN_GEO_API_URL",
        "geo_api_url",
        "URL",
        GEO_API_URL,
        "base URL of geo.api.gouv.fr (commune contours)",
    ),
    Variable(
        "ZAN_DATAGOUV_URL",
        "datagouv_url",
        "URL",
        DATAGOUV_URL,
        "base URL of data.gouv.fr (the Cerema's files)",
    ),
    Variable(
        "ZAN_CEREMA_DATASET",
        "cerema_dataset",
        "text",
        None,
        "data.gouv.fr dataset (slug or id) of the Cerema file; default: that of "
        "`--vintage`, the newest release",
    ),
    Variable(
        "ZAN_CONSUMPTION_URL",
        "consumption_url",
        "URL",
        None,
        "the consumption file itself (bypasses data.gouv.fr)",
    ),
    Variable(
        "ZAN_CEREMA_API_URL",
        "cerema_api_url",
        "URL",
        CEREMA_API_URL,
        "base URL of the Cerema API (`--source api`)",
    ),
    Variable("ZAN_INSEE_URL", "insee_url", "URL", INSEE_URL, "folder of INSEE's tables de passage"),
    Variable(
        "ZAN_PASSAGE_URL",
        "passage_url",
        "URL",
        None,
        "INSEE's table de passage itself (zip, xlsx or CSV)",
    ),
    Variable(
        "ZAN_IGN_URL", "ign_url", "URL", IGN_URL, "base URL of IGN's download service (OCS GE)"
    ),
    Variable(
        "ZAN_CADASTRE_URL", "cadastre_url", "URL", CADASTRE_URL, "base URL of the Etalab cadastre"
    ),
    Variable(
        "ZAN_THREADS",
        "threads",
        "whole number",
        None,
        "threads of the batch path (sensitivity, scenario grids); default: the "
        "machine's cores, at most 8",
        _threads,
    ),
    Variable(
        "ZAN_CHROMIUM",
        "chromium",
        "path",
        None,
        "Chromium/Chrome executable printing PDF reports; default: one on PATH",
    ),
    Variable(
        "ZAN_SORTIES",
        "sorties",
        "path",
        None,
        "folder of the files written by the notebooks; default: a new temporary folder",
        _path,
    ),
)

_BY_SETTING = {v.setting: v for v in VARIABLES}


def read_setting(setting: str, *, environ: Mapping[str, str] | None = None) -> Any:
    """Read one setting from the environment now: its variable's value, else its default.

    Parameters
    ----------
    setting : str
        A :class:`Settings` attribute, e.g. ``"threads"`` for ``ZAN_THREADS``.
    environ : mapping, optional
        Variables to read (default ``os.environ``).

    Raises
    ------
    KeyError
        ``setting`` is not one of :data:`VARIABLES`.
    zan.errors.ZanError
        The variable's text is wrong (e.g. ``ZAN_THREADS=two``).

    Examples
    --------
    >>> read_setting("chromium", environ={"ZAN_CHROMIUM": "/usr/bin/chromium"})
    '/usr/bin/chromium'
    >>> read_setting("cerema_dataset", environ={"ZAN_CEREMA_DATASET": ""}) is None
    True
    """
    return _BY_SETTING[setting].read(environ)


@dataclass(frozen=True)
class Settings:
    """The ``ZAN_*`` environment variables, typed, with their defaults.

    Attributes
    ----------
    data_dir : pathlib.Path or None
        ``ZAN_DATA_DIR``; ``None``: the platform cache.
    geo_api_url, datagouv_url, cerema_api_url, insee_url, ign_url, cadastre_url : str
        Base URLs of the official sources.
    cerema_dataset, consumption_url, passage_url : str or None
        A Cerema dataset, the consumption file or the table de passage to use instead
        of the default ones.
    threads : int or None
        ``ZAN_THREADS``; ``None``: the machine's cores (at most 8).
    chromium : str or None
        ``ZAN_CHROMIUM``; ``None``: a browser on PATH.
    sorties : pathlib.Path or None
        ``ZAN_SORTIES``, the notebooks' output folder.

    Examples
    --------
    >>> s = Settings.from_env(environ={"ZAN_THREADS": "2"})
    >>> s.threads, s.ign_url
    (2, 'https://data.geopf.fr/telechargement/download')
    """

    data_dir: Path | None = None
    geo_api_url: str = GEO_API_URL
    datagouv_url: str = DATAGOUV_URL
    cerema_dataset: str | None = None
    consumption_url: str | None = None
    cerema_api_url: str = CEREMA_API_URL
    insee_url: str = INSEE_URL
    passage_url: str | None = None
    ign_url: str = IGN_URL
    cadastre_url: str = CADASTRE_URL
    threads: int | None = None
    chromium: str | None = None
    sorties: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Every setting read from ``environ`` (default ``os.environ``) now."""
        return cls(**{f.name: read_setting(f.name, environ=environ) for f in fields(cls)})
