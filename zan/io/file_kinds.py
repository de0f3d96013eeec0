"""Files as Excel and data portals make them: kinds told by their bytes, zips, ``sep=`` hints.

Data portals publish tables and layers as ``.zip`` archives (often with a
``__MACOSX/`` residue or inside a folder); Excel writes ``sep=;`` as the first line of
a CSV it exports for another locale; files get renamed (a zip called ``.csv``). The
readers of :mod:`zan.io` use these helpers so that such files are read, or refused
with a message that names the file, its size and the kind its bytes show, and never
quotes the bytes of a file that is not of the expected kind (it could be anything,
e.g. ``../../etc/passwd`` named in a scenario).

A member of a zip is named ``archive.zip!folder/member.csv`` (the syntax GDAL's
``/vsizip/`` and Java use); the zip's only candidate is read when none is named.
"""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path, PurePosixPath

from ..errors import DataError

__all__ = [
    "LAYER_MEMBERS",
    "MAX_MEMBER_BYTES",
    "TABLE_MEMBERS",
    "choose_member",
    "check_shapefile",
    "describe",
    "detect_kind",
    "excel_sep_hint",
    "is_binary",
    "layer_target",
    "read_member",
    "refuse_binary",
    "split_member",
    "table_bytes",
    "zip_members",
]

logger = logging.getLogger(__name__)
#: Zip members already announced (path, member, modification time).
_ANNOUNCED: set[tuple[str, str, int]] = set()

#: Members of a zip that :func:`zan.io.read_table` reads.
TABLE_MEMBERS: tuple[str, ...] = (".csv", ".txt", ".tsv")
#: Members of a zip that :func:`zan.io.read_layer` reads (a shapefile by its ``.shp``).
LAYER_MEMBERS: tuple[str, ...] = (".geojson", ".json", ".gpkg", ".shp", ".fgb")
#: Largest member read from a zip (2 GiB uncompressed): a bigger one is refused
#: rather than filling the memory (a "zip bomb" declares a huge size).
MAX_MEMBER_BYTES = 2 * 1024**3

#: First bytes → kind, for messages (checked in order).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"SQLite format 3\x00", "SQLite database (GeoPackage?)"),
    (b"%PDF", "PDF document"),
    (b"PAR1", "Parquet file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel (.xls) or Office document"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"Rar!", "RAR archive"),
    (b"\x7fELF", "executable program"),
    (b"MZ", "Windows executable"),
    (b"\x00\x00\x00\x0a", "shapefile part (.shp/.shx)"),
    (b"\x00\x00\x27\x0a", "shapefile part (.shp/.shx)"),
)


def detect_kind(raw: bytes, path: str | Path | None = None) -> str:
    """What the first bytes of a file show it is, in words (``"text"`` for text).

    Examples
    --------
    >>> detect_kind(b"PK\\x03\\x04...") , detect_kind(b"code;nom\\n")
    ('zip', 'text')
    >>> detect_kind(b"\\x00\\x01\\x02binary")
    'binary data'
    """
    for magic, kind in _SIGNATURES:
        if raw.startswith(magic):
            if kind == "zip" and path is not None:
                return _zip_kind(Path(path))
            return kind
    if raw[:5].lower() in (b"<?xml", b"<html") or raw[:15].lower().startswith(b"<!doctype html"):
        return "HTML/XML document"
    return "binary data" if is_binary(raw) else "text"


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return "zip (damaged)"
    if "xl/workbook.xml" in names:
        return "Excel workbook (.xlsx)"
    if "word/document.xml" in names:
        return "Word document (.docx)"
    if "content.xml" in names:
        return "OpenDocument file (.ods/.odt)"
    return "zip"


def is_binary(raw: bytes) -> bool:
    """Whether bytes are not text: NUL bytes or control characters (UTF-16 with BOM is text).

    Examples
    --------
    >>> is_binary(b"code;nom\\r\\n59001;Lille\\n"), is_binary(b"\\x00\\x00\\x27\\x0a")
    (False, True)
    >>> is_binary("code;nom\\n".encode("utf-16"))
    False
    """
    head = raw[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return control > max(2, len(head) // 100)


def describe(path: str | Path, raw: bytes | None = None) -> str:
    """``path (12,345 bytes, looks like a zip)``: a file named without quoting its content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = f.write_bytes(b"\\x7fELF\\x02\\x01")
    >>> describe(f).endswith("(6 bytes, looks like an executable program)")
    True
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = len(raw or b"")
    if raw is None:
        try:
            with path.open("rb") as fh:
                raw = fh.read(4096)
        except OSError:
            raw = b""
    kind = detect_kind(raw, path)
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    if kind in ("text", "binary data"):
        article = ""
    return f"{path} ({size:,} bytes, looks like {article + ' ' if article else ''}{kind})"


_MEMBER_RE = re.compile(r"^(?P<archive>.+?\.zip)!(?P<member>.+)$", re.IGNORECASE)


def split_member(path: str | Path) -> tuple[Path, str | None]:
    """``archive.zip!folder/t.csv`` → (``archive.zip``, ``folder/t.csv``); others unchanged.

    Examples
    --------
    >>> split_member("data/conso.zip!conso/conso_2009_2023.csv")
    (PosixPath('data/conso.zip'), 'conso/conso_2009_2023.csv')
    >>> split_member("conso.csv")
    (PosixPath('conso.csv'), None)
    """
    text = str(path)
    if "!" in text and not Path(text).exists():
        match = _MEMBER_RE.match(text)
        if match:
            return Path(match["archive"]), match["member"]
        archive, _, member = text.partition("!")
        if member and Path(archive).is_file() and zipfile.is_zipfile(archive):
            return Path(archive), member
    return Path(path), None


def _residue(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return (
        name.endswith("/")
        or any(p == "__MACOSX" for p in parts)
        or parts[-1].startswith("._")
        or parts[-1] in (".DS_Store", "Thumbs.db", "desktop.ini")
    )


def zip_members(path: Path) -> list[str]:
    """The files of a zip, without folders and the residue of macOS/Windows (``__MACOSX/``...).

    Raises
    ------
    DataError
        When the zip is damaged or encrypted.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{describe(path)}: cannot open the zip ({exc}); download it again"
        ) from None
    return [i.filename for i in infos if not _residue(i.filename)]


def choose_member(path: Path, member: str | None, suffixes: tuple[str, ...], what: str) -> str:
    """The member of the zip to read: the one named, else the only candidate.

    Raises
    ------
    DataError
        When the named member is not in the zip, or the zip holds no candidate or
        several (the message lists them and says how to name one).
    """
    names = zip_members(path)
    shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
    if member is not None:
        wanted = member.strip("/")
        if wanted in names:
            return wanted
        by_name = [n for n in names if PurePosixPath(n).name == wanted]
        if len(by_name) == 1:
            return by_name[0]
        raise DataError(
            f"{path}: no member {member!r} in the zip (files: {shown or 'none'}); "
            f"name one of them as {path}!<member>"
        )
    candidates = [n for n in names if n.lower().endswith(suffixes)]
    if len(candidates) == 1:
        said = (str(path.resolve()), candidates[0], path.stat().st_mtime_ns)
        if said not in _ANNOUNCED:  # once per zip, not at each of its readers
            _ANNOUNCED.add(said)
            logger.warning("%s: reading %s, the only %s file of the zip", path, candidates[0], what)
        return candidates[0]
    kinds = ", ".join(s.lstrip(".").upper() for s in suffixes)
    if not candidates:
        raise DataError(
            f"{path}: the zip holds no {what} file ({kinds}); files: {shown or 'none'}; "
            "extract the right file, or give a zip holding it"
        )
    listed = ", ".join(candidates[:20]) + (" ..." if len(candidates) > 20 else "")
    raise DataError(
        f"{path}: the zip holds {len(candidates)} candidate {what} files ({listed}); "
        f"choose one by naming it after a '!', e.g. {path}!{candidates[0]}"
    )


def read_member(path: Path, member: str) -> bytes:
    """The bytes of a member of a zip (refused above :data:`MAX_MEMBER_BYTES`)."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(member)
            if info.file_size > MAX_MEMBER_BYTES:
                raise DataError(
                    f"{path}!{member}: {info.file_size:,} bytes once uncompressed, more than "
                    f"the {MAX_MEMBER_BYTES:,} read from a zip; extract the file yourself"
                )
            return zf.read(info)
    except (OSError, zipfile.BadZipFile, RuntimeError) as exc:  # RuntimeError: encrypted
        raise DataError(
            f"{path}!{member}: cannot read the member ({exc}); extract it and give the file"
        ) from None


_SEP_HINT_RE = re.compile(r'^"?sep=(.)"?[ \t]*$', re.IGNORECASE)


def excel_sep_hint(text: str) -> tuple[str | None, str]:
    """Excel's first line ``sep=;`` → (``";"``, the text without it); else (None, text).

    Examples
    --------
    >>> excel_sep_hint("sep=;\\ncode;nom\\n")
    (';', 'code;nom\\n')
    >>> excel_sep_hint("code;nom\\n")
    (None, 'code;nom\\n')
    """
    first, newline, rest = text.partition("\n")
    match = _SEP_HINT_RE.match(first.rstrip("\r"))
    if match and newline:
        return match.group(1), rest
    return None, text


def _head(path: Path) -> bytes:
    """The first bytes of a file, or a DataError saying why it cannot be read."""
    try:
        with path.open("rb") as fh:
            return fh.read(4)
    except OSError as exc:
        raise DataError(
            f"{path}: cannot be read ({exc.strerror or exc}); check its permissions, or copy "
            "it somewhere you can read"
        ) from None


def table_bytes(path: Path, member: str | None, what: str) -> tuple[bytes | None, str]:
    """The bytes of the table a zip holds and its name (``archive.zip!member.csv``).

    ``(None, str(path))`` when ``path`` is not a zip (whatever its suffix: a zip renamed
    ``.csv`` is told by its bytes). An Excel workbook, which is a zip too, is read as a
    workbook when named ``.xlsx`` and refused otherwise (rename it).

    Raises
    ------
    DataError
        A workbook named otherwise than ``.xlsx``; a zip without a table, or with
        several and none named; a member that is not in the zip.
    """
    head = _head(path)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if member is not None:
            raise DataError(
                f"{describe(path)}: not a zip, so no member {member!r} can be read from it; "
                "give the file's path alone"
            )
        return None, str(path)
    kind = _zip_kind(path)
    if kind != "zip":
        if kind.startswith("Excel") and path.suffix.lower() in (".xlsx", ".xlsm"):
            return None, str(path)
        raise DataError(
            f"{describe(path)}: not a text table: it is {kind} named {path.suffix or 'without suffix'}; "
            "save it as CSV, or give it its own suffix"
            + (" (.xlsx) to read its first sheet" if kind.startswith("Excel") else "")
        )
    chosen = choose_member(path, member, TABLE_MEMBERS, what)
    return read_member(path, chosen), f"{path}!{chosen}"


def refuse_binary(raw: bytes, path: Path, source: str, what: str) -> None:
    """Raise when bytes meant as a text table are not text, naming its kind, not its bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "conso.csv"
    >>> _ = f.write_bytes(b"%PDF-1.7 ...")
    >>> refuse_binary(f.read_bytes(), f, str(f), "consumption")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zan.errors.DataError: ...conso.csv (12 bytes, looks like a PDF document): not a text table: ...
    """
    kind = detect_kind(raw, path)
    if kind != "text":
        where = source if source != str(path) else ""
        raise DataError(
            f"{where + ': ' if where else ''}{describe(path, raw)}: not a text table: the "
            f"{what} file should be a CSV; export the table again as CSV (or .xlsx)"
        )


def layer_target(path: Path, member: str | None) -> tuple[str, str]:
    """What GDAL opens for a layer file and its name in messages.

    A zip (whatever its suffix) is opened through ``/vsizip/`` on its only layer
    member (a shapefile by its ``.shp``) or the one named; other files as they are.

    Returns
    -------
    (str, str)
        The path for GDAL and the source name (``archive.zip!communes.shp``).
    """
    head = _head(path)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if member is not None:
            raise DataError(
                f"{describe(path)}: not a zip, so no member {member!r} can be read from it; "
                "give the file's path alone"
            )
        return str(path), str(path)
    chosen = choose_member(path, member, LAYER_MEMBERS, "layer")
    if chosen.lower().endswith(".shp"):
        _check_shapefile_parts(path, chosen, set(zip_members(path)))
    return f"/vsizip/{path.resolve().as_posix()}/{chosen}", f"{path}!{chosen}"


def _check_shapefile_parts(where: Path, shp: str, present: set[str] | None) -> None:
    stem = shp[:-4]

    def has(ext: str) -> bool:
        if present is None:
            return any(Path(stem + e).exists() for e in (ext, ext.upper()))
        return any(stem + e in present for e in (ext, ext.upper()))

    missing = [e for e in (".dbf", ".shx") if not has(e)]
    if missing:
        shown = ", ".join(PurePosixPath(stem + e).name for e in missing)
        raise DataError(
            f"{where}: the shapefile {PurePosixPath(shp).name} comes without {shown} "
            f"({'its attribute table: codes and names' if '.dbf' in missing else 'its index'}); "
            "a shapefile is several files: copy the .shp, .shx, .dbf and .prj together"
        )


def check_shapefile(path: Path, has_crs_given: bool) -> None:
    """Raise when a shapefile lacks its ``.dbf`` or ``.shx`` (or its ``.prj`` and no crs= is given).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for ext in (".shp", ".shx", ".prj"):
    ...     _ = (d / f"communes{ext}").write_bytes(b"")
    >>> check_shapefile(d / "communes.shp", False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zan.errors.DataError: ...communes.shp: the shapefile communes.shp comes without communes.dbf (its attribute table: codes and names); ...
    """
    from ..errors import CRSError

    if path.suffix.lower() != ".shp":
        return
    _check_shapefile_parts(path, str(path), None)
    stem = str(path)[:-4]
    if not has_crs_given and not any(Path(stem + e).exists() for e in (".prj", ".PRJ")):
        raise CRSError(
            f"{path}: the layer has no coordinate reference system: the shapefile comes "
            f"without {path.stem}.prj; "
            "copy the .prj with the other files, or pass crs='EPSG:2154' (--crs 2154) "
            "if the coordinates are Lambert-93"
        )
