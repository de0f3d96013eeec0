"""Tables de passage and alignment of per-commune figures on another COG vintage.

Commune codes follow the Code officiel géographique (COG) of a given year; every
year communes merge (communes nouvelles) and, more rarely, split. A figure
published in one geography (e.g. the Cerema consumption file, COG of its release)
must be moved to the geography in use before it is joined to boundaries or
membership tables. As the State's tool does (DOMAIN.md §3): **merges are summed,
splits are shared pro rata of area** (or of any weight given).

A *table de passage* lists old code → new code pairs; codes it does not list are
taken as unchanged. :func:`read_passage` reads one; :func:`align` moves additive
figures with it and conserves every column total.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Problem, SchemaError, ValidationError
from ._files import find_column, read_table, row_label
from .codes import CODE_FIX, COMMUNE_CODE_PATTERN

logger = logging.getLogger(__name__)

__all__ = [
    "COMMUNE_CODE_PATTERN",
    "AlignResult",
    "read_passage",
    "align",
    "normalize_codes",
]


_CODE_PREFIX = (
    r"(?:code|codgeo|cod_geo|com|depcom|insee|code_insee|codeinsee|insee_com"
    r"|code_com|code_commune|cog)"
)
_NAME_PREFIXES = (
    "nom",
    "libgeo",
    "libelle",
    "libellé",
    "lib",
    "nccenr",
    "ncc",
    "nom_com",
    "nom_commune",
)
_YEAR_RE = re.compile(rf"^{_CODE_PREFIX}[_\s-]*(?:cog[_\s-]*)?((?:19|20)\d\d)$", re.IGNORECASE)
#: Named pairs (from, to) of code columns and the suffixes used by their name columns.
_NAMED_PAIRS: tuple[tuple[str, str, str, str], ...] = (
    ("com_ini", "com_fin", "ini", "fin"),
    ("code_ini", "code_fin", "ini", "fin"),
    ("code_avant", "code_apres", "avant", "apres"),
    ("code_avant", "code_après", "avant", "après"),
    ("com_av", "com_ap", "av", "ap"),
    ("code_ancien", "code_nouveau", "ancien", "nouveau"),
    ("old_code", "new_code", "old", "new"),
    ("code_old", "code_new", "old", "new"),
    ("code_from", "code_to", "from", "to"),
)
_WEIGHT_NAMES = ("weight", "poids", "share", "prorata")

STATUSES: tuple[str, ...] = ("unchanged", "merged", "split", "recoded", "missing")


def normalize_codes(
    codes: pd.Series, *, source: str, column: str
) -> tuple[pd.Series, list[Problem], list[str]]:
    """Strip and check commune codes; restore a leading zero dropped by a spreadsheet.

    Parameters
    ----------
    codes : pandas.Series
        Codes as read (text).
    source, column : str
        File and column, for messages.

    Returns
    -------
    codes : pandas.Series
        Codes as ``str``, upper-cased (``2a004`` → ``2A004``), four-digit numeric
        codes padded to five (``2001`` → ``02001``).
    problems : list of Problem
        Empty or malformed codes, with their rows.
    notes : list of str
        What was inferred (padding), for the caller to record.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, problems, notes = normalize_codes(
    ...     pd.Series(["2001", "59009 ", "2a004"]), source="t.csv", column="idcom")
    >>> codes.tolist(), problems
    (['02001', '59009', '2A004'], [])
    >>> notes[0].startswith("t.csv, column 'idcom': 1 four-digit code")
    True
    """
    text = pd.Series(codes, dtype="string").str.strip().str.upper()
    problems: list[Problem] = []
    notes: list[str] = []
    padded = text.str.fullmatch(r"\d{4}").fillna(False).to_numpy(dtype=bool)
    if padded.any():
        examples = ", ".join(text[padded].iloc[:3].tolist())
        text = text.mask(padded, "0" + text)
        notes.append(
            f"{source}, column {column!r}: {int(padded.sum())} four-digit code(s) "
            f"(e.g. {examples}) read as having lost their leading zero and padded to five"
        )
    empty = (text.isna() | (text == "")).to_numpy(dtype=bool)
    if empty.any():
        problems.append(
            Problem(
                source,
                f"{int(empty.sum())} empty code(s) at "
                + ", ".join(row_label(codes.index[empty][:10])),
                column=column,
                fix="fill in the INSEE code of every row, or delete the row",
            )
        )
    valid = text.str.fullmatch(COMMUNE_CODE_PATTERN).fillna(False).to_numpy(dtype=bool)
    bad = ~valid & ~empty
    if bad.any():
        labels = row_label(codes.index[bad])
        shown = ", ".join(
            f"{lab} ({v!r})" for lab, v in zip(labels[:10], text[bad].iloc[:10], strict=True)
        )
        problems.append(
            Problem(
                source,
                f"{int(bad.sum())} malformed commune code(s): {shown}"
                + (f" and {int(bad.sum()) - 10} more" if bad.sum() > 10 else ""),
                column=column,
                fix=CODE_FIX,
            )
        )
    return text.fillna("").astype(str), problems, notes


def find_passage_columns(columns: list[str]) -> tuple[str, str, str | None, str | None] | None:
    """Detect (from, to, from name suffix, to name suffix) among the columns."""
    years: dict[int, list[str]] = {}
    for col in columns:
        m = _YEAR_RE.match(col.strip())
        if m:
            years.setdefault(int(m.group(1)), []).append(col)
    if len(years) == 2 and all(len(v) == 1 for v in years.values()):
        old, new = sorted(years)
        return years[old][0], years[new][0], str(old), str(new)
    if len(years) > 2:
        return None
    folded = {c.strip().casefold(): c for c in columns}
    for a, b, sa, sb in _NAMED_PAIRS:
        if a in folded and b in folded:
            return folded[a], folded[b], sa, sb
    return None


def _find_name(columns: list[str], suffix: str | None) -> str | None:
    if suffix is None:
        return None
    folded = {c.strip().casefold(): c for c in columns}
    for prefix in _NAME_PREFIXES:
        for joiner in ("_", "", " ", "-"):
            col = folded.get(f"{prefix}{joiner}{suffix}".casefold())
            if col is not None:
                return col
    return None


def read_passage(
    path: str | Path,
    *,
    from_column: str | None = None,
    to_column: str | None = None,
    weight_column: str | None = None,
) -> pd.DataFrame:
    """Read a table de passage between two COG vintages.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or Excel table with one row per (old code, new code) pair. Codes not
        listed are taken as unchanged, so a table of changed communes only is
        enough. The code columns are found automatically when named after their
        years (``code_2018``/``code_2026``, ``CODGEO_2023``/``CODGEO_2024``: the older
        year is the origin) or as ``COM_INI``/``COM_FIN``, ``code_avant``/``code_apres``,
        ``COM_AV``/``COM_AP``; name columns (``nom_2018``, ``LIBGEO_2024``, ``nom_avant``...)
        are picked up alongside.
    from_column, to_column : str, optional
        Old and new code columns, when they cannot be found automatically.
    weight_column : str, optional
        Share of the old commune going to the new one, for splits (found
        automatically when named ``weight``, ``poids``, ``share`` or ``prorata``).
        Shares are normalised per old code, so areas or percentages work as well.

    Returns
    -------
    pandas.DataFrame
        Columns ``code_from``, ``code_to`` (str), plus ``nom_from``, ``nom_to`` when
        the table has names, and ``weight`` when it has weights. Exact duplicate
        rows are dropped. ``attrs``: ``source``, ``notes`` (what was inferred).

    Raises
    ------
    SchemaError
        When the code columns cannot be found (the message lists the columns and
        says to pass ``from_column=`` and ``to_column=``), or codes are empty or
        malformed.
    DataError
        When the table chains changes (A → B and B → C): compose them first; or
        weights are negative or non-numeric.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> passage = read_passage(get_path("passage_cog2023_cog2024.csv"))
    >>> list(passage.columns)
    ['code_from', 'code_to', 'nom_from', 'nom_to']
    """
    df = read_table(path, what="table de passage")
    source = df.attrs["source"]
    columns = [str(c) for c in df.columns]
    notes: list[str] = []
    name_from = name_to = None
    if from_column is not None or to_column is not None:
        if from_column is None or to_column is None:
            raise SchemaError(
                f"{source}: pass both from_column= and to_column= (got only "
                f"{'from_column' if from_column else 'to_column'}); columns: {', '.join(columns)}"
            )
        col_from = find_column(
            df, from_column, source=source, what="old code", argument="from_column"
        )
        col_to = find_column(df, to_column, source=source, what="new code", argument="to_column")
    else:
        pair = find_passage_columns(columns)
        if pair is None:
            raise SchemaError(
                f"{source}: cannot tell the old and new commune code columns apart "
                f"(columns: {', '.join(columns)}); expected e.g. code_2023 and code_2024, "
                "COM_INI and COM_FIN, or code_avant and code_apres; "
                "pass from_column= and to_column= to name them"
            )
        col_from, col_to, sfx_from, sfx_to = pair
        name_from = _find_name(columns, sfx_from)
        name_to = _find_name(columns, sfx_to)
    if weight_column is not None:
        col_weight = find_column(
            df, weight_column, source=source, what="weight", argument="weight_column"
        )
    else:
        col_weight = find_column(df, _WEIGHT_NAMES, source=source, what="weight", required=False)

    problems: list[Problem] = []
    code_from, p1, n1 = normalize_codes(df[col_from], source=source, column=col_from)
    code_to, p2, n2 = normalize_codes(df[col_to], source=source, column=col_to)
    problems += p1 + p2
    notes += n1 + n2
    if problems:
        raise ValidationError(problems)
    out = pd.DataFrame(
        {"code_from": code_from.to_numpy(), "code_to": code_to.to_numpy()}, index=df.index
    )
    if name_from is not None:
        out["nom_from"] = df[name_from].astype(str).to_numpy()
    if name_to is not None:
        out["nom_to"] = df[name_to].astype(str).to_numpy()
    if col_weight is not None:
        from ._files import to_number

        weights = to_number(df[[col_weight]], col_weight, source=source, allow_negative=False)
        out["weight"] = weights[col_weight].to_numpy()
        if out["weight"].isna().any():
            lines = row_label(out.index[out["weight"].isna()])
            raise DataError(
                f"{source}, column {col_weight!r}: empty weight at {', '.join(lines[:10])}; "
                "give the share of the old commune going to each new one"
            )
    out = out.drop_duplicates(subset=["code_from", "code_to"])
    _check_chains(out, source)
    out.attrs["source"] = source
    out.attrs["notes"] = tuple(notes)
    return out


def _check_chains(passage: pd.DataFrame, source: str) -> None:
    """Refuse A → B, B → C tables: the result would depend on the row order."""
    moved = passage[passage["code_from"] != passage["code_to"]]
    kept = set(passage.loc[passage["code_from"] == passage["code_to"], "code_from"])
    chained = moved[moved["code_to"].isin(moved["code_from"]) & ~moved["code_to"].isin(kept)]
    if len(chained):
        pairs = [
            f"{a} → {b} ({row_label(pd.Index([i]))[0]})"
            for i, a, b in zip(
                chained.index[:10], chained["code_from"], chained["code_to"], strict=False
            )
        ]
        raise DataError(
            f"{source}: the table chains changes: {', '.join(pairs)} "
            "and these new codes change again; "
            "compose the successive tables into one from the first vintage to the last"
        )


@dataclass(frozen=True, eq=False)
class AlignResult:
    """Figures moved onto a new COG, with what happened to each commune.

    Attributes
    ----------
    values : pandas.DataFrame
        Indexed by new ``code``, same columns as the input; NaN for target codes
        with no source row, and wherever a source value was NaN (unknown stays
        unknown).
    status : pandas.Series
        Indexed by new ``code``: ``"unchanged"``, ``"merged"`` (several old
        communes summed), ``"split"`` (receives a share of an old commune),
        ``"recoded"`` (one old commune under another code), ``"missing"`` (a
        target code no row maps to).
    report : pandas.DataFrame
        One row per change applied: ``code_from``, ``code_to``, ``share``,
        ``change`` and the names when the table has them.
    mapping : pandas.DataFrame
        Every (``code_from``, ``code_to``, ``share``) used, unchanged codes
        included.
    """

    values: pd.DataFrame
    status: pd.Series
    report: pd.DataFrame
    mapping: pd.DataFrame

    def __repr__(self) -> str:
        counts = self.status.value_counts()
        parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts.index)
        return f"<AlignResult: {len(self.values)} communes ({parts}); {len(self.report)} changes>"


def align(
    values: pd.DataFrame | pd.Series,
    passage: pd.DataFrame,
    *,
    target_codes: Iterable[str] | None = None,
    split_weights: pd.Series | None = None,
    source: str = "values",
) -> AlignResult:
    """Move additive per-commune figures onto the new codes of a table de passage.

    Merges are summed; an old commune split among several new ones is shared pro
    rata of the passage table's ``weight`` column, or else of ``split_weights``
    (e.g. the area of the new communes), as the State's tool does (DOMAIN.md §3).
    Column totals are conserved: exactly for merges of integer figures, within
    floating-point rounding for splits.

    Parameters
    ----------
    values : pandas.DataFrame or pandas.Series
        Additive numbers (m², inhabitants...) indexed by old commune code.
    passage : pandas.DataFrame
        Table from :func:`read_passage` (``code_from``, ``code_to``, optional
        ``weight``, ``nom_from``, ``nom_to``). Codes it does not list map to
        themselves.
    target_codes : iterable of str, optional
        The codes of the new geography. When given, the result is indexed by them
        in that order; a target no row maps to gets NaN and status ``"missing"``;
        an old code neither in the table nor among the targets is an error.
    split_weights : pandas.Series, optional
        Weight of each new commune (indexed by new code), used to share split
        communes when the table has no ``weight`` column.
    source : str, default "values"
        Name of the figures, for messages.

    Returns
    -------
    AlignResult

    Raises
    ------
    DataError
        When ``values`` has duplicate or non-numeric columns, the table has splits
        and no weights are available, a weight is missing for a new commune, or
        old codes fall outside both the table and ``target_codes``.

    Examples
    --------
    >>> import pandas as pd
    >>> passage = pd.DataFrame({"code_from": ["01002", "01003", "01003"],
    ...                         "code_to":   ["01001", "01003", "01004"]})
    >>> values = pd.DataFrame({"m2": [100.0, 20.0, 60.0]}, index=["01001", "01002", "01003"])
    >>> area = pd.Series({"01003": 1.0, "01004": 2.0})
    >>> res = align(values, passage, split_weights=area)
    >>> res.values["m2"].to_dict()
    {'01001': 120.0, '01003': 20.0, '01004': 40.0}
    >>> res.status.to_dict()
    {'01001': 'merged', '01003': 'split', '01004': 'split'}
    """
    frame = (
        values.to_frame(values.name if values.name is not None else "value")
        if isinstance(values, pd.Series)
        else values
    )
    if not frame.index.is_unique:
        dupes = frame.index[frame.index.duplicated()].unique()
        raise DataError(
            f"{source}: duplicate commune codes in the index ({', '.join(map(str, dupes[:20]))}); "
            "sum or deduplicate them before aligning"
        )
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if non_numeric:
        raise DataError(
            f"{source}: non-numeric column(s) {', '.join(map(repr, non_numeric))}; "
            "only additive numbers can be aligned: select numeric columns first"
        )
    for col in ("code_from", "code_to"):
        if col not in passage.columns:
            raise SchemaError(
                f"{passage.attrs.get('source', 'passage table')}: no {col!r} column "
                f"(columns: {', '.join(map(str, passage.columns))}); "
                "read it with zan.io.cog.read_passage"
            )
    psource = passage.attrs.get("source", "passage table")
    codes = pd.Index(frame.index.astype(str))
    in_table = codes.isin(passage["code_from"])
    rows = passage[passage["code_from"].isin(codes)]
    identity = pd.DataFrame({"code_from": codes[~in_table], "code_to": codes[~in_table]})

    # Shares: 1 for merges and unchanged codes; pro rata for splits.
    n_to = rows.groupby("code_from")["code_to"].transform("size").to_numpy()
    share = np.ones(len(rows))
    is_split = n_to > 1
    if is_split.any():
        split = rows[is_split]
        if "weight" in rows.columns:
            w = split["weight"].to_numpy(dtype="float64")
        elif split_weights is None:
            olds = sorted(split["code_from"].unique())
            shown = "; ".join(
                f"{o} → {', '.join(split.loc[split['code_from'] == o, 'code_to'])}"
                for o in olds[:10]
            )
            raise DataError(
                f"{psource}: {len(olds)} commune(s) of {source} split among several new codes "
                f"({shown}) and the table has no weight column; pass split_weights= "
                "(e.g. the area of the new communes, indexed by new code)"
            )
        else:
            weights = pd.Series(split_weights)
            weights.index = weights.index.astype(str)
            absent = sorted(set(split["code_to"]) - set(weights.index))
            if absent:
                raise DataError(
                    f"split_weights: no weight for new commune(s) {', '.join(absent[:20])}, "
                    f"which receive a share of a split commune in {psource}; "
                    "add them to split_weights"
                )
            w = weights.reindex(split["code_to"]).to_numpy(dtype="float64")
            bad = ~np.isfinite(w) | (w < 0)
            if bad.any():
                raise DataError(
                    "split_weights: invalid weight for "
                    f"{', '.join(split['code_to'][bad].iloc[:20])} "
                    f"({w[bad][:5].tolist()}); weights must be finite and non-negative"
                )
        totals = pd.Series(w).groupby(split["code_from"].to_numpy()).transform("sum").to_numpy()
        if (totals <= 0).any():
            zero = sorted(set(split["code_from"].to_numpy()[totals <= 0]))
            raise DataError(
                f"{psource}: the weights of the new communes sharing "
                f"{', '.join(zero[:20])} sum to 0; "
                "give positive weights (e.g. areas)"
            )
        share[is_split] = w / totals
    mapping = pd.concat(
        [
            pd.DataFrame(
                {
                    "code_from": rows["code_from"].to_numpy(),
                    "code_to": rows["code_to"].to_numpy(),
                    "share": share,
                    "split": is_split,
                }
            ),
            identity.assign(share=1.0, split=False),
        ],
        ignore_index=True,
    )

    target = None
    if target_codes is not None:
        target = pd.Index(pd.Series(list(target_codes), dtype="string").astype(str)).unique()
        unknown = identity.loc[~identity["code_from"].isin(target), "code_from"]
        if len(unknown):
            raise DataError(
                f"{source}: {len(unknown)} commune code(s) are neither in the table de passage "
                f"({psource}) nor in the target geography: {', '.join(sorted(unknown)[:30])}"
                f"{' ...' if len(unknown) > 30 else ''}; use the table de passage between the "
                "two vintages, or check these codes"
            )
        outside = rows.loc[~rows["code_to"].isin(target)]
        if len(outside):
            pairs = [
                f"{a} → {b}" for a, b in zip(outside["code_from"], outside["code_to"], strict=True)
            ]
            raise DataError(
                f"{psource}: maps commune(s) of {source} to code(s) not in the target geography: "
                f"{', '.join(pairs[:20])}; use a table de passage ending in the target vintage"
            )

    # Move the figures: one vectorised product and a group sum; NaN stays NaN.
    src = frame.to_numpy(dtype="float64")
    pos = codes.get_indexer(mapping["code_from"])
    contrib = src[pos] * mapping["share"].to_numpy()[:, None]
    parts = pd.DataFrame(contrib, columns=frame.columns)
    key = mapping["code_to"].to_numpy()
    summed = parts.groupby(key, sort=True).sum()
    unknown_any = parts.isna().groupby(key, sort=True).any()
    summed = summed.mask(unknown_any)

    status = _status(mapping, passage, codes)
    if target is not None:
        summed = summed.reindex(target)
        status = status.reindex(target).fillna("missing")
    summed.index.name = "code"
    status.index.name = "code"
    status = status.astype(str).rename("status")
    report = _report(mapping, passage, status)
    logger.info(
        "aligned %d codes on %d: %s", len(codes), len(status), status.value_counts().to_dict()
    )
    return AlignResult(
        values=summed, status=status, report=report, mapping=mapping.drop(columns="split")
    )


def _status(mapping: pd.DataFrame, passage: pd.DataFrame, codes: pd.Index) -> pd.Series:
    """Classify each new code: split > merged > recoded > unchanged."""
    # A new code is "merged" when the table makes it out of several old communes, counting
    # the new code itself when it is an old code of the figures that the table leaves in place.
    table = passage[["code_from", "code_to"]]
    n_table = table.groupby("code_to").size()
    moved = table.loc[table["code_from"] != table["code_to"], "code_from"]
    kept_in_table = table.loc[table["code_from"] == table["code_to"], "code_to"]
    key = mapping["code_to"]
    new = pd.Index(key.unique()).sort_values()
    implicit = new.isin(codes) & ~new.isin(moved) & ~new.isin(kept_in_table)
    n_sources = n_table.reindex(new, fill_value=0).to_numpy() + implicit
    split = mapping["split"].groupby(key).any().reindex(new).to_numpy()
    recoded = (mapping["code_from"] != key).groupby(key).any().reindex(new).to_numpy()
    status = np.select(
        [split, n_sources > 1, recoded], ["split", "merged", "recoded"], default="unchanged"
    )
    return pd.Series(status, index=new, dtype=object)


def _report(mapping: pd.DataFrame, passage: pd.DataFrame, status: pd.Series) -> pd.DataFrame:
    changed = mapping[(mapping["code_from"] != mapping["code_to"]) | mapping["split"]].copy()
    changed["change"] = np.where(
        changed["split"], "split", status.reindex(changed["code_to"]).fillna("recoded").to_numpy()
    )
    changed = changed.drop(columns="split")
    names = [c for c in ("nom_from", "nom_to") if c in passage.columns]
    if names:
        changed = changed.merge(
            passage[["code_from", "code_to", *names]], on=["code_from", "code_to"], how="left"
        )
    cols = [
        "code_from",
        *(["nom_from"] if "nom_from" in names else []),
        "code_to",
        *(["nom_to"] if "nom_to" in names else []),
        "share",
        "change",
    ]
    return changed[cols].sort_values(["code_to", "code_from"]).reset_index(drop=True)
