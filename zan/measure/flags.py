"""What a consumption table does not show by itself: lower bounds and excluded communes.

:func:`zan.consumption` and :func:`zan.trajectory` flag the territories whose total
is only a lower bound (``lower_bound`` column and ``attrs["lower_bound"]``: the
Cerema API long layout without total and without some destination, DOMAIN.md §3)
and list the communes left out with ``unplaced="exclude"`` (``attrs["excluded"]``,
``attrs["excluded_ha"]``). This module says it in French for the command line, and
records it in a ``<table>.sources.json`` beside a written table.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from .._write import sha256_file, write_text

__all__ = ["flag_sentences", "flags_path", "write_flags"]

#: Codes quoted in a sentence; the rest are counted.
_SHOWN = 20


def _codes(codes) -> str:
    codes = [str(c) for c in codes]
    more = len(codes) - _SHOWN
    return ", ".join(codes[:_SHOWN]) + (f" et {more} autres" if more > 0 else "")


def flag_sentences(table: pd.DataFrame) -> list[str]:
    """The French sentences saying which figures are lower bounds and what was excluded.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`zan.consumption` or :func:`zan.trajectory`.

    Returns
    -------
    list of str
        Empty when every figure is complete and no commune was left out.

    Examples
    --------
    >>> t = pd.DataFrame({"total_ha": [1.0, 2.0]}, index=["59001", "59002"])
    >>> flag_sentences(t)
    []
    >>> t.attrs.update(lower_bound=("59002",), excluded=("59999",), excluded_ha=1.5)
    >>> for line in flag_sentences(t):
    ...     print(line)
    Attention : pour 1 territoire(s) (59002), le total est une borne inférieure : la somme des destinations connues de l'API Cerema, sans total naf_arti et avec des destinations inconnues (routes et voies ferrées...) ; la consommation réelle peut être plus élevée.
    Attention : 1 commune(s) exclue(s) faute de territoire de rattachement (--unplaced exclude), soit 1,50 ha non comptés : 59999.
    """
    from ..formatting import fr_text

    lines = []
    lower = table.attrs.get("lower_bound", ())
    if lower:
        lines.append(
            f"Attention : pour {len(lower)} territoire(s) ({_codes(lower)}), le total est une "
            "borne inférieure : la somme des destinations connues de l'API Cerema, sans total "
            "naf_arti et avec des destinations inconnues (routes et voies ferrées...) ; "
            "la consommation réelle peut être plus élevée."
        )
    excluded = table.attrs.get("excluded", ())
    if excluded:
        ha = fr_text(float(table.attrs.get("excluded_ha", 0.0)), 2)
        lines.append(
            f"Attention : {len(excluded)} commune(s) exclue(s) faute de territoire de "
            f"rattachement (--unplaced exclude), soit {ha} ha non comptés : {_codes(excluded)}."
        )
    return lines


def flags_path(out: str | os.PathLike[str]) -> Path:
    """``<folder>/<stem>.sources.json`` beside a written table.

    Examples
    --------
    >>> flags_path("out/conso_epci.csv").as_posix()
    'out/conso_epci.sources.json'
    """
    out = Path(out)
    return out.with_name(out.stem + ".sources.json")


def write_flags(
    table: pd.DataFrame, source: str | os.PathLike[str], out: str | os.PathLike[str]
) -> Path:
    """Record the lower bounds and exclusions of a written table in ``<stem>.sources.json``.

    The record names the input and the output with their SHA-256, the period, the
    lower-bound territories and the excluded communes (with their hectares); no
    date, so the same run gives the same bytes. Written atomically.

    Returns
    -------
    pathlib.Path
        The file written (:func:`flags_path`).
    """
    from ..io.file_kinds import split_member

    archive, member = split_member(source)  # a zip's member: the zip is hashed
    record: dict = {
        "input": {
            "file": archive.name + (f"!{member}" if member else ""),
            "sha256": sha256_file(archive),
        },
        "output": {"file": Path(out).name, "sha256": sha256_file(out)},
    }
    for key in ("period", "reference", "target"):
        if key in table.attrs:
            record[key] = list(table.attrs[key])
    record["lower_bound"] = list(table.attrs.get("lower_bound", ()))
    record["excluded"] = list(table.attrs.get("excluded", ()))
    record["excluded_ha"] = float(table.attrs.get("excluded_ha", 0.0))
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    return write_text(text, flags_path(out))
