"""The exception tree of zan.

Every error zan raises on purpose derives from :class:`ZanError`, so a caller can
catch them all at once; each also derives from the matching built-in exception,
so ``except ValueError`` keeps working for code that does not know zan::

    ZanError(Exception)
    ├── DataError(ZanError, ValueError)            an input file or table is wrong
    │   ├── SchemaError(DataError)                 columns missing, mistyped or duplicated
    │   │   └── ValidationError(SchemaError)       several problems collected at once (lazy)
    │   ├── CRSError(DataError)                    missing or unsuitable coordinate system
    │   │   └── CoordinatesError(CRSError)         coordinates outside the declared CRS
    │   ├── GeometryError(DataError)               unreadable or unusable geometries
    │   ├── MembershipError(DataError)             commune → territory links inconsistent
    │   └── PeriodError(DataError)                 years asked for are not in the data
    ├── ScenarioError(ZanError, ValueError)        a scenario file or parameter is wrong
    │   ├── InfeasibleError(ScenarioError)         floors/caps cannot meet the envelope
    │   └── NoSraddetError(ScenarioError)          péréquation asked for a region without SRADDET
    ├── LedgerError(ZanError)                      the land account refuses an operation
    │   ├── IntegrityError(LedgerError)            stored entries fail verification
    │   │   └── LedgerDamagedError(IntegrityError)  SQLite cannot read the file (corrupt, truncated)
    │   └── LedgerReadOnlyError(LedgerError, PermissionError)  a write to a read-only ledger
    ├── DownloadError(ZanError, OSError)           fetching official data failed
    ├── MissingDependencyError(ZanError, ImportError)  an optional extra is not installed
    └── ZanWarning(ZanError, UserWarning)          a warning, not raised: a result to check

Messages follow one grammar: *where* (file, column, row or key), *what* is wrong
(with the value found), and *how to fix it*, e.g.::

    conso.csv: column 'idcom' not found (columns: idcomtxt, naf09art10, ...);
    pass code_column= to name the commune code column

The CLI turns any :class:`ZanError` into a one-line message and exit status 2.

Warnings that do not stop a run (e.g. every commune taken as eligible to the
garantie communale for want of a list) are :class:`ZanWarning`; the CLI prints them
as ``warning: <message>`` on standard error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ZanError",
    "DataError",
    "SchemaError",
    "ValidationError",
    "CRSError",
    "CoordinatesError",
    "GeometryError",
    "MembershipError",
    "PeriodError",
    "ScenarioError",
    "InfeasibleError",
    "NoSraddetError",
    "LedgerError",
    "IntegrityError",
    "LedgerDamagedError",
    "LedgerReadOnlyError",
    "DownloadError",
    "MissingDependencyError",
    "Problem",
    "ZanWarning",
    "CLI_OPTIONS",
    "cli_text",
]


class ZanError(Exception):
    """Base class of every error raised by zan on purpose."""


class DataError(ZanError, ValueError):
    """An input file or table cannot be used as it is."""


class SchemaError(DataError):
    """A table lacks a column, has a column of the wrong type, or duplicate keys."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating an input.

    Parameters
    ----------
    source : str
        File name or table name.
    message : str
        What is wrong, with the offending value.
    column : str or None
        Column concerned, when there is one.
    row : str or None
        Row (line number or code) concerned, when there is one.
    fix : str or None
        How to fix it.
    severity : {"error", "warning", "info"}, default "error"
        ``"warning"``: zan repairs or assumes something; the checks of the readers
        (``zan.io.*.check_*``) report those too, as :mod:`zan.validate` shows them.
    code : str or None
        Which rule found it (``"bad_codes"``, ``"not_numeric"``...), when the rule has
        a name; :mod:`zan.validate` translates the message by it.
    params : mapping or None
        Values quoted in the message (``n``, ``values``...), by name.

    Examples
    --------
    >>> str(Problem("a.csv", "2 empty commune code(s)", column="code_insee", code="empty_codes"))
    "a.csv, column 'code_insee': 2 empty commune code(s)"
    """

    source: str
    message: str
    column: str | None = None
    row: str | None = None
    fix: str | None = None
    severity: str = field(default="error", compare=False, repr=False)
    code: str | None = field(default=None, compare=False, repr=False)
    params: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = self.source
        if self.column is not None:
            where += f", column {self.column!r}"
        if self.row is not None:
            where += f", row {self.row}"
        text = f"{where}: {self.message}"
        if self.fix:
            text += f"; {self.fix}"
        return text


class ValidationError(SchemaError):
    """Several problems found at once by a lazy validation.

    Parameters
    ----------
    problems : iterable of Problem
        Every problem found; the message lists them all.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n > 1 else ''} found:"]
        lines += [f"  - {p}" for p in self.problems[:50]]
        if n > 50:
            lines.append(f"  ... and {n - 50} more")
        super().__init__("\n".join(lines))


class CRSError(DataError):
    """A layer has no coordinate reference system, or one unsuitable for areas."""


class CoordinatesError(CRSError):
    """A layer's coordinates do not fit the CRS it declares (or defaults to).

    Lambert-93 metres in a GeoJSON read as WGS 84 degrees, longitude and latitude
    swapped...: the message says which CRSs the numbers do fit, and the fix
    (``crs='EPSG:2154'``, ``--crs 2154``).
    """


class GeometryError(DataError):
    """Geometries cannot be read or used (empty, wrong type, not repairable)."""


class MembershipError(DataError):
    """Communes are missing from, or counted twice in, a territorial level."""


class PeriodError(DataError):
    """A period asks for years that the data does not hold."""


class ScenarioError(ZanError, ValueError):
    """A scenario file or an allocation parameter is invalid."""


class InfeasibleError(ScenarioError):
    """Floors and caps cannot be met together with the envelope."""


class NoSraddetError(ScenarioError):
    """The PENE péréquation was asked for a region without a SRADDET.

    Île-de-France (11), Corse (94) and the overseas regions (01-06) have no SRADDET:
    their PENE share comes from the 2,500 ha set apart for them, not from the
    péréquation of the 10,000 ha (loi n° 2023-630, DOMAIN.md §1).
    """


class ZanWarning(ZanError, UserWarning):
    """A result was computed, but on an assumption the user should check.

    Issued with :func:`warnings.warn`, not raised; a ZanError too, so that a
    warning turned into an error (``-W error``) is handled like zan's other errors.
    """


class LedgerError(ZanError):
    """The land account refuses an operation."""


class IntegrityError(LedgerError):
    """Stored ledger entries fail verification (tampering or corruption)."""


class LedgerDamagedError(IntegrityError):
    """SQLite cannot read the ledger file: a page overwritten, the file truncated.

    The message says how to check the file (``PRAGMA integrity_check``) and how to
    get its last good state back (a backup, or the entries checked by their hash chain).
    """


class LedgerReadOnlyError(LedgerError, PermissionError):
    """A write to a ledger file this process cannot write; reading it still works."""


class DownloadError(ZanError, OSError):
    """Official data could not be fetched or failed its checksum."""


class MissingDependencyError(ZanError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


def require(module: str, extra: str | None, feature: str, *, package: str | None = None):
    """Import an optional dependency or raise :class:`MissingDependencyError`.

    Parameters
    ----------
    module : str
        Module to import, e.g. ``"py7zr"``.
    extra : str or None
        Name of the zan extra that installs it, e.g. ``"download"`` (one of
        ``[project.optional-dependencies]``); None for a dependency of zan itself,
        missing from a broken install.
    feature : str
        What needs it, for the message.
    package : str, optional
        The package to install when it is not named as the module (``"xstatic-leaflet"``
        for ``xstatic.pkg.leaflet``).

    Returns
    -------
    module
        The imported module.

    Examples
    --------
    >>> require("json", "download", "reading").__name__
    'json'
    >>> require("no_such_module_zan", None, "maps", package="no-such-package")
    Traceback (most recent call last):
    ...
    zan.errors.MissingDependencyError: maps needs the package 'no-such-package', a dependency of zan that is missing; install it with: pip install 'no-such-package' (or reinstall zan)
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if extra is None:
            name = package or module
            raise MissingDependencyError(
                f"{feature} needs the package {name!r}, a dependency of zan that is missing; "
                f"install it with: pip install {name!r} (or reinstall zan)"
            ) from exc
        raise MissingDependencyError(
            f"{feature} needs the optional package {package or module!r}; "
            f"install it with: pip install 'zan[{extra}]'"
        ) from exc


#: Keyword parameters of the library → the ``zan`` command's option that sets them.
#: Messages keep the Python spelling (``missing='zero'``) for Python callers; the CLI
#: prints them through :func:`cli_text`, which spells the option instead.
CLI_OPTIONS: dict[str, str] = {
    "missing": "--missing",
    "unplaced": "--unplaced",
    "code_column": "--code-column",
    "values_code_column": "--values-code-column",
    "overwrite": "--force",
    "allow_overdraft": "--allow-overdraft",
    "allow_older": "--allow-older",
    "legend": "--legend",
    "scheme": "--scheme",
    "period": "--period",
    "reduction": "--reduction",
}
_KEYWORD_RE = None


def cli_text(message: str) -> str:
    """A library message with its keyword arguments spelt as ``zan`` options.

    ``missing='zero'`` becomes ``--missing zero``, ``overwrite=True`` becomes
    ``--force``; a hint already given both ways (``missing='zero' (--missing zero)``)
    is said once. Only the parameters of :data:`CLI_OPTIONS` are rewritten.

    Examples
    --------
    >>> cli_text("pass missing='zero' to count them as zero, or missing='ignore'")
    'pass --missing zero to count them as zero, or --missing ignore'
    >>> cli_text("choose another name or pass overwrite=True (--force)")
    'choose another name or pass --force'
    >>> cli_text("pass crs='EPSG:2154' to the loader")  # not an option of the CLI: kept
    "pass crs='EPSG:2154' to the loader"
    """
    import re

    global _KEYWORD_RE
    if _KEYWORD_RE is None:
        names = "|".join(sorted(CLI_OPTIONS, key=len, reverse=True))
        _KEYWORD_RE = re.compile(rf"(?<![\w.-])({names})=(?:'([^']*)'|\"([^\"]*)\"|([\w.-]+))")

    def spell(match: re.Match[str]) -> str:
        option = CLI_OPTIONS[match.group(1)]
        value = next(g for g in match.groups()[1:] if g is not None)
        return option if value == "True" else f"{option} {value}"

    text = _KEYWORD_RE.sub(spell, message)
    # "--missing zero (--missing zero)" → said once.
    return re.sub(r"(--[\w-]+(?: [\w.-]+)?) \(\1\)", r"\1", text)
