"""Transfers of :mod:`zan.download`: resumable HTTP downloads and safe archive extraction.

:class:`ResumableDownloader` is the downloader :func:`zan.download.fetch` gives
:mod:`pooch`: an interrupted download leaves ``<file>.part`` and the next run asks the
server for the rest (HTTP ``Range``) when it allows it; the file is checked against
its known hash. :func:`extract_archive` extracts zip, 7z and tar archives refusing a
member whose path would leave the target folder, a link, or a total size above the
limit, before anything is written; :func:`check_gzip` checks a ``.gz`` file by a
bounded decompression.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DataError, DownloadError, require

if TYPE_CHECKING:
    from .download import Settings

__all__ = ["ResumableDownloader", "check_gzip", "extract_archive", "file_hash", "quiet_pooch"]

_MAGIC_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_MAGIC_7Z = b"7z\xbc\xaf\x27\x1c"
_CHUNK = 1 << 16


def _hasher(known: str) -> tuple[str, str]:
    """``"sha256:abc"`` → ("sha256", "abc"); a bare hex digest is SHA-256."""
    if ":" in known:
        alg, value = known.split(":", 1)
    else:
        alg, value = "sha256", known
    alg = alg.lower()
    if alg not in ("sha256", "sha1", "md5", "sha512"):
        raise DataError(f"unknown hash algorithm {alg!r} in {known!r}; use sha256:<hex digest>")
    return alg, value.lower()


def file_hash(path: Path, alg: str = "sha256") -> str:
    """Hex digest of a file (SHA-256 by default), read in chunks."""
    h = hashlib.new(alg)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc or url


class ResumableDownloader:
    """A pooch downloader that resumes ``<file>.part`` with HTTP Range and checks the hash."""

    def __init__(self, target: Path, known: str | None, what: str, settings: Settings):
        self.target = target
        self.part = target.with_name(target.name + ".part")
        self.known = known
        self.what = what
        self.settings = settings

    def _offline(self, url: str, reason: str) -> DownloadError:
        return DownloadError(
            f"cannot download the {self.what} from {_host(url)} ({reason}); URL: {url}. "
            f"With no network, fetch that file on another computer and place it at "
            f"{self.target} (this exact path), then run the command again"
        )

    def _interrupted(self, url: str, reason: str) -> DownloadError:
        size = self.part.stat().st_size if self.part.exists() else 0
        return DownloadError(
            f"the download of the {self.what} from {url} was interrupted after {size:,} bytes "
            f"({reason}); the part is kept in {self.part}: run the command again to resume it"
        )

    def __call__(self, url: str, output_file: Any, pooch_obj: Any, check_only: bool = False):
        import requests
        from tqdm.auto import tqdm

        from ._version import __version__

        start = self.part.stat().st_size if self.part.exists() else 0
        headers = {"User-Agent": f"zan/{__version__}", "Accept-Encoding": "identity"}
        if start:
            headers["Range"] = f"bytes={start}-"
        try:
            with requests.get(
                url, headers=headers, stream=True, timeout=self.settings.timeout_s
            ) as r:
                if r.status_code == 416 and start:
                    pass  # the part is already whole
                else:
                    if r.status_code == 404:
                        raise DownloadError(
                            f"the {self.what} is not at {url} (HTTP 404): the publisher may have "
                            "moved or renamed it; check the source page and pass the new URL "
                            "(zan.download.Settings or the ZAN_*_URL variables)"
                        )
                    if r.status_code >= 400:
                        raise DownloadError(
                            f"{_host(url)} refused the {self.what} (HTTP {r.status_code} "
                            f"{r.reason}) for {url}; try again later"
                        )
                    resumed = r.status_code == 206 and start > 0
                    if not resumed:
                        start = 0
                    encoded = r.headers.get("Content-Encoding", "identity") not in ("identity", "")
                    length = r.headers.get("Content-Length")
                    total = int(length) + start if (length and not encoded) else None
                    self.part.parent.mkdir(parents=True, exist_ok=True)
                    with (
                        open(self.part, "ab" if resumed else "wb") as out,
                        tqdm(
                            total=total,
                            initial=start,
                            unit="B",
                            unit_scale=True,
                            desc=self.target.name[:40],
                            disable=not self.settings.progress,
                            leave=False,
                        ) as bar,
                    ):
                        # Small reads: bytes received before a cut are kept for the resume.
                        for chunk in r.iter_content(8192):
                            out.write(chunk)
                            bar.update(len(chunk))
                    if total is not None and self.part.stat().st_size != total:
                        raise self._interrupted(
                            url, f"{self.part.stat().st_size:,} of {total:,} bytes received"
                        )
        except DownloadError:
            raise
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ReadTimeout) as exc:
            raise self._interrupted(url, type(exc).__name__) from None
        except requests.exceptions.RequestException as exc:
            if self.part.exists() and self.part.stat().st_size:
                raise self._interrupted(url, type(exc).__name__) from None
            raise self._offline(url, type(exc).__name__) from None
        if self.known:
            alg, expected = _hasher(self.known)
            actual = file_hash(self.part, alg)
            if actual != expected:
                self.part.unlink()
                raise DownloadError(
                    f"{self.target.name}: {alg.upper()} checksum mismatch for the {self.what} "
                    f"downloaded from {url}: expected {expected}, got {actual}; the file is "
                    "corrupt or was changed by the publisher. It was deleted: run the command "
                    "again; if it fails again, the publisher has changed the file: check its "
                    "page and update the known hash"
                )
        os.replace(self.part, output_file)


@contextlib.contextmanager
def quiet_pooch() -> Iterator[None]:
    """Silence pooch's logger while zan reports downloads itself."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")
    try:
        yield
    finally:
        logger.setLevel(level)


# ----------------------------------------------------------------------------- archives


def _archive_kind(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(_MAGIC_ZIP):
        return "zip"
    if head.startswith(_MAGIC_7Z):
        return "7z"
    try:
        if tarfile.is_tarfile(path):
            return "tar"
    except (OSError, EOFError):
        pass
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    return "unknown"


def _safe_name(name: str, archive: Path) -> str:
    """Refuse absolute paths, drive letters and ``..``; return the normalised name."""
    clean = name.replace("\\", "/")
    parts = [p for p in clean.split("/") if p not in ("", ".")]
    if clean.startswith("/") or re.match(r"^[A-Za-z]:", clean) or ".." in parts or not parts:
        raise DownloadError(
            f"{archive}: the archive holds a member {name!r} that would be written outside "
            "the target folder; refused, nothing was extracted. Get the archive from its "
            "official source"
        )
    return "/".join(parts)


def _corrupt(archive: Path, exc: BaseException) -> DownloadError:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return DownloadError(
        f"{archive}: the archive is truncated or corrupt ({reason}); delete it and run the "
        "command again to download it anew"
    )


def _too_big(archive: Path, size: int, limit: int) -> DownloadError:
    return DownloadError(
        f"{archive}: the archive would expand to {size:,} bytes, above the limit of "
        f"{limit:,}; refused. Raise Settings.max_extract_bytes if the file is genuine"
    )


def _extract_zip(archive: Path, tmp: Path, limit: int, max_members: int) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _corrupt(archive, exc) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_members:
            raise DownloadError(f"{archive}: {len(infos):,} members, above {max_members:,}")
        names = []
        for info in infos:
            names.append(_safe_name(info.filename, archive))
            if stat.S_ISLNK(info.external_attr >> 16):
                raise DownloadError(
                    f"{archive}: member {info.filename!r} is a symbolic link; refused"
                )
        declared = sum(i.file_size for i in infos)
        if declared > limit:
            raise _too_big(archive, declared, limit)
        written = 0
        try:
            for info, name in zip(infos, names, strict=True):
                dest = tmp / name
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as out:
                    for chunk in iter(lambda src=src: src.read(_CHUNK), b""):
                        written += len(chunk)
                        if written > limit:
                            raise _too_big(archive, written, limit)
                        out.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            if isinstance(exc, DownloadError):
                raise
            raise _corrupt(archive, exc) from None


def _extract_tar(archive: Path, tmp: Path, limit: int, max_members: int) -> None:
    try:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            if len(members) > max_members:
                raise DownloadError(f"{archive}: {len(members):,} members, above {max_members:,}")
            for m in members:
                _safe_name(m.name, archive)
                if not (m.isfile() or m.isdir()):
                    raise DownloadError(
                        f"{archive}: member {m.name!r} is a link or a device; refused"
                    )
            declared = sum(m.size for m in members)
            if declared > limit:
                raise _too_big(archive, declared, limit)
            tf.extractall(tmp, filter="data")
    except DownloadError:
        raise
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise _corrupt(archive, exc) from None


def _extract_7z(archive: Path, tmp: Path, limit: int, max_members: int) -> None:
    py7zr = require("py7zr", "download", "extracting IGN .7z archives")
    try:
        with py7zr.SevenZipFile(archive, mode="r") as z:
            infos = z.list()
            if len(infos) > max_members:
                raise DownloadError(f"{archive}: {len(infos):,} members, above {max_members:,}")
            for info in infos:
                _safe_name(info.filename, archive)
                if getattr(info, "is_symlink", False):
                    raise DownloadError(
                        f"{archive}: member {info.filename!r} is a symbolic link; refused"
                    )
            declared = sum(int(i.uncompressed or 0) for i in infos if not i.is_directory)
            if declared > limit:
                raise _too_big(archive, declared, limit)
            z.extractall(path=tmp)
    except (DownloadError, MemoryError):
        raise
    except Exception as exc:  # py7zr raises many types for damaged archives
        raise _corrupt(archive, exc) from None


def extract_archive(
    archive: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    max_bytes: int = 20 * 2**30,
    max_members: int = 100_000,
) -> list[Path]:
    """Extract a zip, 7z or tar archive safely into ``dest`` (replaced whole).

    The format is read from the file's first bytes, not its name. Nothing is
    written when a member would land outside ``dest`` (absolute path, ``..``), is a
    link, or when the archive declares more than ``max_bytes``; the bytes actually
    written are counted too, so an archive lying about its sizes is stopped. The
    files are extracted into a temporary folder beside ``dest`` and renamed, so
    ``dest`` is whole or untouched.

    Parameters
    ----------
    archive : path-like
        The archive.
    dest : path-like
        Folder to create (an existing one is replaced).
    max_bytes : int, default 20 GiB
        Largest total size of the extracted files.
    max_members : int, default 100,000
        Largest number of members.

    Returns
    -------
    list of pathlib.Path
        The extracted files, sorted.

    Raises
    ------
    DownloadError
        Truncated or corrupt archive, unsafe member, too large, unknown format.
    MissingDependencyError
        A .7z archive and ``py7zr`` is not installed (``pip install 'zan[download]'``).

    Examples
    --------
    >>> import tempfile, zipfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(d / "a.zip", "w") as z:
    ...     z.writestr("data/a.csv", "code;nom\\n02001;Abbécourt\\n")
    >>> [p.relative_to(d).as_posix() for p in extract_archive(d / "a.zip", d / "out")]
    ['out/data/a.csv']
    """
    archive, dest = Path(archive), Path(dest)
    if not archive.is_file():
        raise DownloadError(f"{archive}: archive not found")
    kind = _archive_kind(archive)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        if kind == "zip":
            _extract_zip(archive, tmp, max_bytes, max_members)
        elif kind == "7z":
            _extract_7z(archive, tmp, max_bytes, max_members)
        elif kind == "tar":
            _extract_tar(archive, tmp, max_bytes, max_members)
        else:
            raise DownloadError(
                f"{archive}: not a zip, 7z or tar archive (first bytes "
                f"{archive.read_bytes()[:8]!r}); the download is probably an error page or "
                "truncated: delete it and run the command again"
            )
        total = 0
        for p in tmp.rglob("*"):
            if p.is_symlink():
                raise DownloadError(f"{archive}: the archive created a link {p.name!r}; refused")
            if p.is_file():
                total += p.stat().st_size
        if total > max_bytes:
            raise _too_big(archive, total, max_bytes)
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", dir=dest.parent))
            os.replace(dest, old / "x")
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return sorted(p for p in dest.rglob("*") if p.is_file())


def check_gzip(path: str | os.PathLike[str], *, max_bytes: int = 20 * 2**30) -> int:
    """Decompress a ``.gz`` file as a stream to check it; return its expanded size.

    Parameters
    ----------
    path : path-like
        The file.
    max_bytes : int
        Stop and refuse above this expanded size (a decompression bomb).

    Raises
    ------
    DownloadError
        Truncated or corrupt, or expanding beyond ``max_bytes``.

    Examples
    --------
    >>> import gzip, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json.gz"
    >>> _ = p.write_bytes(gzip.compress(b'{"type": "FeatureCollection"}'))
    >>> check_gzip(p)
    29
    """
    import zlib

    path = Path(path)
    size = 0
    try:
        with gzip.open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                size += len(chunk)
                if size > max_bytes:
                    raise _too_big(path, size, max_bytes)
    except DownloadError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise _corrupt(path, exc) from None
    return size
