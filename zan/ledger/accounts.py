"""Accounts of the compte foncier: codes, names, and small helpers shared by the writers.

Accounts (DOMAIN.md §1; loi n° 2023-630):

- one per territory of the allocation level (``territoire``), credited with its
  envelope;
- ``reserve``: the regional reserve for *projets d'envergure régionale* (the
  top-slice kept before the split), plus the hectares the rounding or the rates
  left undistributed, so that the accounts and the reserve add up to the
  regional envelope **exactly**; the communes outside every territory of an
  added level (a SRADDET's receiving territories) are attached to it, so that
  their consumption is charged to what the rates left at regional level;
- ``pene``: the region's part of the national forfait for *projets d'envergure
  nationale ou européenne*, counted apart from the regional envelope;
- ``garantie:<code>``: the garantie communale pooled at the level of each
  territory (1 ha per eligible commune, part of the territory's envelope),
  when the allocation level is above the commune.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from typing import Any

from ..errors import DataError

__all__ = [
    "RESERVE",
    "PENE",
    "GARANTIE_PREFIX",
    "ACCOUNT_NAMES",
    "garantie_account",
    "file_sha256",
    "author_name",
    "clean_text",
]

#: Code of the regional reserve account.
RESERVE = "reserve"
#: Code of the PENE forfait account.
PENE = "pene"
#: Prefix of the garantie communale pool accounts (:func:`garantie_account`).
GARANTIE_PREFIX = "garantie:"
#: Names of the reserve and PENE accounts.
ACCOUNT_NAMES = {RESERVE: "Réserve régionale", PENE: "Forfait PENE (part régionale)"}


def garantie_account(territory: str) -> str:
    """Code of the garantie communale pool of a territory.

    Examples
    --------
    >>> garantie_account("249600001")
    'garantie:249600001'
    """
    return f"{GARANTIE_PREFIX}{territory}"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB blocks), as recorded with imported sources.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "vide.csv"
    >>> _ = p.write_bytes(b"")
    >>> file_sha256(p)[:16]
    'e3b0c44298fc1c14'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def author_name(author: str | None) -> str:
    """Who records a write: the name given, else the system user (``"inconnu"`` without one).

    Examples
    --------
    >>> author_name("Région")
    'Région'
    """
    if author:
        return str(author)
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on this system
        return "inconnu"


def clean_text(value: Any, what: str, *, required: bool = False) -> str:
    """A label or justification, stripped; ``required`` refuses an empty one.

    Raises
    ------
    DataError
        Empty while ``required`` (``what`` names the field).

    Examples
    --------
    >>> clean_text("  délibération 2025-01 ", "justification")
    'délibération 2025-01'
    """
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise DataError(
            f"{what} is required (got {value!r}); give e.g. the reference of the deliberation"
        )
    return text
