"""Land-cover nomenclatures shipped with zan, and the artificialisation matrix.

Package data (plain CSV, editable in a spreadsheet):

``couverture.csv``
    IGN OCS GE couverture codes (``CS…``): ``code``, ``niveau``, ``parent``,
    ``libelle``, ``couleur`` (IGN's published colour).
``usage.csv``
    IGN OCS GE usage codes (``US…``), same columns.
``artif_matrix.csv``
    The couverture × usage matrix of décret n° 2023-1096 (annex to art. R.101-1
    of the code de l'urbanisme) as applied by the State's tool (DOMAIN.md §2-§3):
    one row per rule, ``code_cs``, ``code_us`` (``*`` for any usage),
    ``artificialise`` (1/0), ``categorie`` (row 1-10 of the décret's annex),
    ``note``. An exact ``(code_cs, code_us)`` row wins over the ``*`` row of the
    same couverture. Artificialised: ``CS1.1.1.1``, ``CS1.1.1.2``, ``CS1.1.2.2``;
    ``CS1.1.2.1`` unless its usage is ``US1.3`` (extraction); ``CS2.2.1`` and
    ``CS2.2.2`` under usages ``US2``, ``US3``, ``US5``, ``US235``,
    ``US4.1.1``-``US4.1.5``, ``US4.2``, ``US4.3``, ``US6.1``, ``US6.2``;
    everything else is not. Pass your own file to :func:`read_matrix` to change it.
``corine.csv``
    Corine Land Cover's 44 classes: ``grid_code`` (1-44, the value in the
    distributed GeoTIFF), ``code`` (111-523), ``libelle``, ``artificiel``
    (the 1xx "territoires artificialisés").
"""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, SchemaError

__all__ = [
    "couverture",
    "usage",
    "corine",
    "read_matrix",
    "normalize_codes",
    "unknown_codes",
    "classify_pairs",
    "ANY_USAGE",
]

#: Wildcard in the ``code_us`` column of the matrix: any usage, or usage unknown.
ANY_USAGE = "*"

_MATRIX_COLUMNS = ("code_cs", "code_us", "artificialise", "categorie")


def _read_package_csv(name: str) -> pd.DataFrame:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])


def _code_table(name: str) -> pd.DataFrame:
    df = _read_package_csv(name)
    df["niveau"] = df["niveau"].astype("int64")
    return df.set_index("code")


def couverture() -> pd.DataFrame:
    """The OCS GE couverture (land cover) codes.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` (``"CS1.1.1.1"``...), columns ``niveau`` (1-4),
        ``parent``, ``libelle`` (French), ``couleur`` (hex).

    Examples
    --------
    >>> couverture().loc["CS1.1.1.1", "libelle"]
    'Zones bâties'
    """
    return _code_table("couverture.csv")


def usage() -> pd.DataFrame:
    """The OCS GE usage (land use) codes.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` (``"US1.1"``...), columns ``niveau``, ``parent``,
        ``libelle``, ``couleur``.

    Examples
    --------
    >>> usage().loc["US235", "libelle"]
    'Production secondaire, tertiaire et usage résidentiel'
    """
    return _code_table("usage.csv")


def corine() -> pd.DataFrame:
    """The 44 Corine Land Cover classes (level 3).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` (int, 111-523), columns ``grid_code`` (int, 1-44),
        ``libelle``, ``artificiel`` (bool: the 1xx classes).

    Examples
    --------
    >>> clc = corine()
    >>> int(clc["artificiel"].sum()), clc.loc[112, "libelle"]
    (11, 'Tissu urbain discontinu')
    """
    df = _read_package_csv("corine.csv")
    df["code"] = df["code"].astype("int64")
    df["grid_code"] = df["grid_code"].astype("int64")
    df["artificiel"] = df["artificiel"] == "1"
    return df.set_index("code")


def normalize_codes(values: pd.Series, kind: str) -> pd.Series:
    """Normalise OCS GE codes: strip, upper case, ``CS``/``US`` prefix added.

    Parameters
    ----------
    values : pandas.Series
        Codes as found in a layer (``"cs1.1.1.1"``, ``"1.1.1.1"``, ``" US5 "``).
    kind : {"cs", "us"}
        Couverture or usage.

    Returns
    -------
    pandas.Series
        ``str`` dtype; missing and empty values stay missing.

    Examples
    --------
    >>> normalize_codes(pd.Series(["cs1.1.1.1", "2.2.1", None]), "cs").tolist()
    ['CS1.1.1.1', 'CS2.2.1', nan]
    """
    prefix = {"cs": "CS", "us": "US"}[kind]
    text = pd.Series(values, dtype="str").str.strip().str.upper().str.replace(" ", "", regex=False)
    text = text.mask(text == "")
    needs = text.str.match(r"^\d", na=False)
    return text.mask(needs, prefix + text)


def unknown_codes(values: pd.Series, kind: str) -> pd.Series:
    """Count the codes that are not in the nomenclature.

    Parameters
    ----------
    values : pandas.Series
        Normalised codes (:func:`normalize_codes`).
    kind : {"cs", "us"}
        Couverture or usage.

    Returns
    -------
    pandas.Series
        Number of rows per unknown code, most frequent first (empty when all are known).

    Examples
    --------
    >>> unknown_codes(pd.Series(["CS1.1.1.1", "CS9.9", "CS9.9"]), "cs").to_dict()
    {'CS9.9': 2}
    """
    known = (couverture() if kind == "cs" else usage()).index
    present = pd.Series(values).dropna()
    bad = present[~present.isin(known)]
    return bad.value_counts()


def read_matrix(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check a couverture × usage artificialisation matrix.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A CSV with columns ``code_cs``, ``code_us`` (``*`` = any usage),
        ``artificialise`` (1/0, true/false, oui/non), ``categorie`` (optional) and
        ``note`` (optional). Defaults to the décret 2023-1096 matrix shipped with
        zan (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        Columns ``code_cs``, ``code_us``, ``artificialise`` (bool),
        ``categorie`` (Int64), ``note``.

    Raises
    ------
    SchemaError
        Missing columns, values of ``artificialise`` that are not booleans,
        duplicated ``(code_cs, code_us)`` pairs, unknown codes, or a couverture
        code without a ``*`` row (every couverture of the nomenclature's finest
        level needs one, so that any usage has a status).

    Examples
    --------
    >>> m = read_matrix()
    >>> bool(m.query("code_cs == 'CS1.1.1.1'")["artificialise"].all())
    True
    """
    if path is None:
        df = _read_package_csv("artif_matrix.csv")
        source = "artif_matrix.csv (zan)"
    else:
        from ..io._files import read_table

        df = read_table(path, what="artificialisation matrix")
        source = str(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in _MATRIX_COLUMNS[:3] if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{source}: no column {', '.join(map(repr, missing))} (columns: {', '.join(df.columns)}); "
            "the matrix needs code_cs, code_us ('*' for any usage) and artificialise (1/0)"
        )
    out = pd.DataFrame(
        {
            "code_cs": normalize_codes(df["code_cs"], "cs"),
            "code_us": df["code_us"].astype("str").str.strip().str.upper(),
        }
    )
    us_specific = out["code_us"] != ANY_USAGE
    out.loc[us_specific, "code_us"] = normalize_codes(out.loc[us_specific, "code_us"], "us")
    flag = df["artificialise"].astype("str").str.strip().str.lower()
    truthy = flag.isin(["1", "true", "oui", "vrai", "yes"])
    falsy = flag.isin(["0", "false", "non", "faux", "no"])
    bad = ~(truthy | falsy)
    if bad.any():
        shown = ", ".join(f"line {i + 2} ({v!r})" for i, v in flag[bad].head(5).items())
        raise SchemaError(f"{source}, column 'artificialise': not a boolean: {shown}; write 1 or 0")
    out["artificialise"] = truthy.to_numpy()
    cat = df["categorie"] if "categorie" in df.columns else pd.Series(pd.NA, index=df.index)
    out["categorie"] = pd.to_numeric(cat, errors="coerce").astype("Int64")
    out["note"] = df["note"].astype("str") if "note" in df.columns else ""
    dup = out.duplicated(["code_cs", "code_us"], keep=False)
    if dup.any():
        pairs = sorted(set(zip(out.loc[dup, "code_cs"], out.loc[dup, "code_us"], strict=True)))
        raise SchemaError(
            f"{source}: duplicated rules for {', '.join(f'{a}×{b}' for a, b in pairs[:10])}; "
            "keep one row per (code_cs, code_us) pair"
        )
    bad_cs = unknown_codes(out["code_cs"], "cs")
    bad_us = unknown_codes(out.loc[out["code_us"] != ANY_USAGE, "code_us"], "us")
    if len(bad_cs) or len(bad_us):
        codes = list(bad_cs.index) + list(bad_us.index)
        raise SchemaError(
            f"{source}: unknown OCS GE codes {', '.join(codes)}; use codes of "
            "zan.nomenclature.couverture() / usage()"
        )
    cs = couverture()
    leaves = cs.index[~cs.index.isin(cs["parent"].dropna())]
    wild = set(out.loc[out["code_us"] == ANY_USAGE, "code_cs"])
    lacking = [c for c in leaves if c not in wild]
    if lacking:
        raise SchemaError(
            f"{source}: no '*' row for couverture {', '.join(lacking)}; add a row "
            "'<code_cs>,*,0' (or 1) giving their status under any other usage"
        )
    return out.reset_index(drop=True)


def _take(values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """values[pos] where pos >= 0, a filler elsewhere (also for an empty ``values``)."""
    filler = np.zeros(1, dtype=values.dtype) if values.dtype == bool else np.full(1, np.nan)
    padded = np.concatenate([values, filler])
    return padded[np.where(pos >= 0, pos, len(values))]


def classify_pairs(
    code_cs: pd.Series,
    code_us: pd.Series | None = None,
    *,
    matrix: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Status of couverture × usage pairs under the matrix (before thresholds).

    Parameters
    ----------
    code_cs : pandas.Series
        Normalised couverture codes (:func:`normalize_codes`).
    code_us : pandas.Series, optional
        Normalised usage codes, aligned on ``code_cs``. ``None`` (couverture-only
        layer) or missing values use the couverture's ``*`` rule, an estimate.
    matrix : pandas.DataFrame, optional
        As returned by :func:`read_matrix` (default: the décret 2023-1096 matrix).

    Returns
    -------
    pandas.DataFrame
        Aligned on ``code_cs``: ``artificialise`` (bool), ``categorie`` (Int64),
        ``usage_known`` (bool: an exact pair or a ``*`` rule applied to a known
        usage; False where the usage was missing).

    Raises
    ------
    DataError
        When a couverture code has no rule in the matrix (the message lists them).

    Examples
    --------
    >>> cs = pd.Series(["CS2.2.1", "CS2.2.1", "CS1.1.2.1"])
    >>> us = pd.Series(["US5", "US1.1", "US1.3"])
    >>> classify_pairs(cs, us)["artificialise"].tolist()
    [True, False, False]
    """
    m = read_matrix() if matrix is None else matrix
    cs = pd.Series(code_cs).reset_index(drop=True).astype("str")
    if code_us is None:
        us = pd.Series(pd.NA, index=cs.index, dtype="str")
    else:
        us = pd.Series(code_us).reset_index(drop=True).astype("str")
    exact = m[m["code_us"] != ANY_USAGE]
    wild = m[m["code_us"] == ANY_USAGE].set_index("code_cs")
    key_exact = pd.MultiIndex.from_frame(exact[["code_cs", "code_us"]])
    key_data = pd.MultiIndex.from_arrays([cs.to_numpy(), us.fillna("").to_numpy()])
    pos = key_exact.get_indexer(key_data)
    hit = pos >= 0
    w_pos = wild.index.get_indexer(cs.to_numpy())
    lacking = ~hit & (w_pos < 0)
    if lacking.any():
        codes = pd.Series(cs[lacking]).value_counts()
        shown = ", ".join(f"{c} ({n} rows)" for c, n in codes.head(20).items())
        raise DataError(
            f"artificialisation matrix: no rule for couverture {shown}; add a "
            "'<code_cs>,*,0/1' row to the matrix CSV (read_matrix) for them"
        )
    art = np.where(
        hit,
        _take(exact["artificialise"].to_numpy(dtype=bool), pos),
        _take(wild["artificialise"].to_numpy(dtype=bool), w_pos),
    )
    cat = np.where(
        hit,
        _take(exact["categorie"].to_numpy(dtype="float64", na_value=np.nan), pos),
        _take(wild["categorie"].to_numpy(dtype="float64", na_value=np.nan), w_pos),
    )
    out = pd.DataFrame(
        {
            "artificialise": art,
            "categorie": pd.array(np.where(np.isnan(cat), pd.NA, cat), dtype="Int64"),
            "usage_known": us.notna().to_numpy(),
        }
    )
    out.index = pd.Series(code_cs).index
    return out
