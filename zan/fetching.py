"""Where downloads come from and where they are kept: :class:`Settings`, the cache, :func:`fetch`.

The base of every download (the region folder of :mod:`zan.download`, the Cerema
releases of :mod:`zan.cerema`, the Cerema API client of :mod:`zan.cerema_api`):
settings read from the ``ZAN_*`` environment variables through :mod:`zan.settings`,
and one resumable, checked download into the cache.
"""

from __future__ import annotations

import os  # noqa: F401 (used by the examples)
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .download_transfer import ResumableDownloader, quiet_pooch
from .errors import DownloadError, ZanError
from .settings import (
    CADASTRE_URL,
    CEREMA_API_URL,
    DATAGOUV_URL,
    GEO_API_URL,
    IGN_URL,
    INSEE_URL,
    read_setting,
)

__all__ = ["Settings", "cache_dir", "fetch"]


def cache_dir() -> Path:
    """Return the download cache folder: ``ZAN_DATA_DIR``, else the platform cache.

    Examples
    --------
    >>> import os
    >>> os.environ["ZAN_DATA_DIR"] = "/tmp/zan-cache"
    >>> str(cache_dir())
    '/tmp/zan-cache'
    >>> del os.environ["ZAN_DATA_DIR"]
    """
    env = read_setting("data_dir")
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("zan"))


@dataclass(frozen=True)
class Settings:
    """Where the data comes from and where it is kept.

    Read the environment with :meth:`from_env` (at call time, never at import).

    Attributes
    ----------
    cache_dir : pathlib.Path
        Download cache (``ZAN_DATA_DIR``).
    geo_api_url, datagouv_url, ign_url, cadastre_url : str
        Base URLs (``ZAN_GEO_API_URL``, ``ZAN_DATAGOUV_URL``, ``ZAN_IGN_URL``,
        ``ZAN_CADASTRE_URL``).
    cerema_dataset : str or None
        data.gouv.fr dataset (slug or id) of the Cerema file (``ZAN_CEREMA_DATASET``);
        ``None``: that of the release asked (``vintage=``, the newest by default).
    consumption_url : str or None
        The consumption file itself, bypassing data.gouv.fr (``ZAN_CONSUMPTION_URL``).
    cerema_api_url : str
        Base URL of the Cerema API (``ZAN_CEREMA_API_URL``).
    insee_url : str
        Folder of INSEE's tables de passage (``ZAN_INSEE_URL``).
    passage_url : str or None
        INSEE's table de passage itself (``ZAN_PASSAGE_URL``).
    timeout_s : float
        Seconds to wait for a server before giving up.
    retries : int
        New attempts of an API request after a timeout, a 429 or a 5xx answer.
    max_extract_bytes : int
        Largest total size an archive may expand to (default 20 GiB).
    max_members : int
        Largest number of files in an archive.
    progress : bool
        Show progress bars (tqdm, on standard error).
    hashes : mapping
        Known hashes by cache file name, e.g. ``{"ocsge_D059_2021-01-01.7z":
        "sha256:..."}``; a mismatch raises :class:`~zan.errors.DownloadError`.

    Examples
    --------
    >>> s = Settings.from_env(geo_api_url="http://127.0.0.1:8000/geo", progress=False)
    >>> s.geo_api_url, s.progress
    ('http://127.0.0.1:8000/geo', False)
    """

    cache_dir: Path
    geo_api_url: str = GEO_API_URL
    datagouv_url: str = DATAGOUV_URL
    ign_url: str = IGN_URL
    cadastre_url: str = CADASTRE_URL
    cerema_dataset: str | None = None
    consumption_url: str | None = None
    cerema_api_url: str = CEREMA_API_URL
    insee_url: str = INSEE_URL
    passage_url: str | None = None
    timeout_s: float = 60.0
    retries: int = 2
    max_extract_bytes: int = 20 * 2**30
    max_members: int = 100_000
    progress: bool = True
    hashes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from the environment variables, then ``overrides``."""
        values: dict[str, Any] = {
            "cache_dir": cache_dir(),
            "geo_api_url": read_setting("geo_api_url"),
            "datagouv_url": read_setting("datagouv_url"),
            "ign_url": read_setting("ign_url"),
            "cadastre_url": read_setting("cadastre_url"),
            "cerema_dataset": read_setting("cerema_dataset"),
            "consumption_url": read_setting("consumption_url"),
            "cerema_api_url": read_setting("cerema_api_url"),
            "insee_url": read_setting("insee_url"),
            "passage_url": read_setting("passage_url"),
        }
        values.update(overrides)
        values["cache_dir"] = Path(values["cache_dir"]).expanduser()
        return cls(**values)


# ----------------------------------------------------------------------------- URLs


def fetch(
    url: str,
    fname: str,
    *,
    subdir: str = "",
    known_hash: str | None = None,
    what: str = "file",
    refresh: bool = False,
    settings: Settings | None = None,
) -> Path:
    """Download a file into the cache, or return the cached copy.

    Parameters
    ----------
    url : str
        Where to get it.
    fname : str
        Name of the file in the cache.
    subdir : str, optional
        Sub-folder of the cache (e.g. ``"ocsge"``).
    known_hash : str, optional
        ``"sha256:<hex>"`` (or ``sha1:``, ``md5:``); else ``settings.hashes[fname]``.
        A cached file that no longer matches is downloaded again.
    what : str, default "file"
        What the file is, for messages.
    refresh : bool, default False
        Download again even when the file is cached (for live sources).
    settings : Settings, optional
        Defaults to :meth:`Settings.from_env`.

    Returns
    -------
    pathlib.Path
        The cached file.

    Raises
    ------
    DownloadError
        No network (the message gives the path where to place the file by hand),
        HTTP error, interrupted download (run again to resume), checksum mismatch.

    Examples
    --------
    A file already in the cache is used as it is, without network:

    >>> import tempfile, pathlib
    >>> s = Settings(cache_dir=pathlib.Path(tempfile.mkdtemp()), progress=False)
    >>> _ = (s.cache_dir / "a.txt").write_text("bonjour")
    >>> fetch("http://127.0.0.1:9/a.txt", "a.txt", settings=s).read_text()
    'bonjour'
    """
    import pooch

    s = settings or Settings.from_env()
    folder = ((s.cache_dir / subdir) if subdir else s.cache_dir).absolute()
    target = folder / fname
    known = known_hash or s.hashes.get(fname)
    if refresh and target.exists():
        target.unlink()
    downloader = ResumableDownloader(target, known, what, s)
    try:
        with quiet_pooch():
            path = pooch.retrieve(
                url, known_hash=known, fname=fname, path=folder, downloader=downloader
            )
    except ZanError:
        raise
    except ValueError as exc:  # pooch's own hash check (a file placed by hand)
        raise DownloadError(f"{target}: {exc}; delete it and run the command again") from None
    except OSError as exc:
        raise DownloadError(
            f"cannot write the {what} to the cache {folder} ({exc}); "
            "check the disk space and permissions, or set ZAN_DATA_DIR to another folder"
        ) from None
    return Path(path)
