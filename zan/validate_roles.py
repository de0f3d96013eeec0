"""What a file is, from its content: the roles :mod:`zan.validate` recognises beyond
commune layers and membership tables, and their own checks.

A file's name says little (``communes.csv`` may hold communes déléguées); its
columns and values say more:

``departements`` / ``regions``
    a polygon layer whose codes have two or three characters (``59``, ``2A``,
    ``974``; régions: two digits among the 18 INSEE régions) and few features, or
    an IGN ADMIN EXPRESS ``DEPARTEMENT`` / ``REGION`` layer (``INSEE_DEP`` /
    ``INSEE_REG`` without ``INSEE_COM``). A région layer is told from a
    département layer by its names (the INSEE régions' names), its column names or
    its file name;
``delegated``
    a COG table of communes déléguées and associées: a type column whose values are
    ``COMD`` / ``COMA`` (INSEE) or ``commune-deleguee`` / ``commune-associee``
    (Etalab découpage administratif) and a chef-lieu column (``chef_lieu``,
    ``comparent``). These codes are not communes in force: such a table is never
    compared with the commune files as if it were a membership table;
``territories``
    a table of territories with a reduction rate (``territory_id`` or ``code``,
    ``reduction_pct``...), as the SRADDET's receiving territories;
``territory_membership``
    commune → territory (``code_insee`` and ``territory_id`` / ``territoire``): a
    partial membership, since communes may lie outside every receiving territory
    (DOMAIN.md §1, Hauts-de-France: 3,671 of 3,782 communes).

The checks write into a record with an ``add(severity, code, row=None, column=None,
**params)`` method and a ``facts`` dict, read by the cross-file checks of
:mod:`zan.validate_cross`.

Examples
--------
>>> table_role(["code_insee", "nom", "type", "chef_lieu"],
...            {"type": ["commune-deleguee", "commune-associee"]})
'delegated'
>>> table_role(["territory_id", "name", "reduction_pct"])
'territories'
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io.codes import labelled_values
from .io.codes import listed_values as _shorten
from .regions import REGION_NAMES

__all__ = [
    "FIX",
    "KIND_NAMES",
    "REGIONS",
    "TEXT",
    "check_area_layer",
    "check_delegated",
    "check_territories",
    "check_territory_membership",
    "layer_role",
    "mixed_cog_rows",
    "table_role",
]

#: New kinds: (French name, English name).
KIND_NAMES: dict[str, tuple[str, str]] = {
    "departements": ("couche de départements", "département layer"),
    "regions": ("couche de régions", "région layer"),
    "delegated": (
        "table des communes déléguées et associées",
        "communes déléguées/associées table",
    ),
    "territories": ("table des territoires et de leurs taux", "territory table (reduction rates)"),
    "territory_membership": (
        "table d'appartenance des communes aux territoires",
        "commune → territory table",
    ),
}

#: The 18 INSEE régions (COG since 2016): code → name.
REGIONS = REGION_NAMES

#: Messages of the new checks: code → (English, French).
TEXT: dict[str, tuple[str, str]] = {
    "bad_area_codes": (
        "{n} malformed {what} code(s): {values}",
        "{n} code(s) de {what_fr} mal formé(s) : {values}",
    ),
    "duplicate_area_codes": (
        "{n} {what} code(s) appear more than once: {values}",
        "{n} code(s) de {what_fr} présent(s) plusieurs fois : {values}",
    ),
    "area_no_code_column": (
        "no {what} code column (columns: {columns})",
        "aucune colonne de code de {what_fr} (colonnes : {columns})",
    ),
    "unknown_region": (
        "{n} code(s) are not INSEE régions: {values}",
        "{n} code(s) ne sont pas des régions de l'INSEE : {values}",
    ),
    "area_geometry": (
        "{n} feature(s) without a polygon: {values}",
        "{n} entité(s) sans polygone : {values}",
    ),
    "area_invalid": (
        "{n} invalid geometr(y/ies), repaired when read: {values}",
        "{n} géométrie(s) invalide(s), réparée(s) à la lecture : {values}",
    ),
    "mixed_cog_table": (
        "a COG table mixing {in_force} communes in force ({type_column} = COM) with {other} rows of "
        "communes déléguées, associées or arrondissements (COMD, COMA, ARM)",
        "une table du COG qui mêle {in_force} communes en vigueur ({type_column} = COM) et {other} "
        "lignes de communes déléguées, associées ou d'arrondissements (COMD, COMA, ARM)",
    ),
    "delegated_summary": (
        "{n} communes déléguées or associées ({detail}) of {parents} communes in force: not "
        "communes in force themselves, so not compared with the commune files",
        "{n} communes déléguées ou associées ({detail}) de {parents} communes en vigueur : ce ne "
        "sont pas des communes en vigueur, elles ne sont pas comparées aux fichiers de communes",
    ),
    "delegated_no_parent": (
        "{n} row(s) without a chef-lieu (commune in force): {values}",
        "{n} ligne(s) sans chef-lieu (commune en vigueur) : {values}",
    ),
    "delegated_unknown_parent": (
        "{n} chef-lieu code(s) are in none of the commune files: {values}",
        "{n} code(s) de chef-lieu ne figurent dans aucun fichier de communes : {values}",
    ),
    "territories_summary": (
        "{n} territories, reduction {low_en}-{high_en} %",
        "{n} territoires, réduction de {low} à {high} %",
    ),
    "territories_bad_rate": (
        "{n} reduction rate(s) not between 0 and 100 %: {values}",
        "{n} taux de réduction hors de 0-100 % : {values}",
    ),
    "territories_duplicate": (
        "{n} territory id(s) appear more than once: {values}",
        "{n} identifiant(s) de territoire présent(s) plusieurs fois : {values}",
    ),
    "territory_empty": (
        "{n} commune(s) without a territory: {values}",
        "{n} commune(s) sans territoire : {values}",
    ),
    "territory_unknown_ids": (
        "{n} territory id(s) are not in {other}: {values}",
        "{n} identifiant(s) de territoire absent(s) de {other} : {values}",
    ),
    "territory_without_communes": (
        "{n} territory(ies) have no commune in {other}: {values}",
        "{n} territoire(s) sans commune dans {other} : {values}",
    ),
    "territory_count_differs": (
        "{n} territory(ies) whose '{column}' differs from their communes in {other}: {values}",
        "{n} territoire(s) dont '{column}' diffère du nombre de leurs communes dans {other} : "
        "{values}",
    ),
    "outside_territories": (
        "{n} of the {total} communes of {other} are in no territory of this table: {values}",
        "{n} des {total} communes de {other} ne sont dans aucun territoire de cette table : "
        "{values}",
    ),
    "area_not_covered": (
        "{n} {what} of the communes of {other} are not in this layer: {values}",
        "{n} {what_fr} des communes de {other} ne sont pas dans cette couche : {values}",
    ),
    "area_differs": (
        "{what} {code}: {area:.0f} ha here, {other_area:.0f} ha for its communes in {other} "
        "({diff:+.1%})",
        "{what_fr} {code} : {area:.0f} ha ici, {other_area:.0f} ha pour ses communes dans "
        "{other} ({diff:+.1%})",
    ),
    "partial_consumption": (
        "this file covers {covered} of the {total} communes of {other}: an extract; {n} "
        "communes have no figure: {values}",
        "ce fichier couvre {covered} des {total} communes de {other} : un extrait ; {n} "
        "communes n'ont pas de chiffres : {values}",
    ),
}
#: Fixes of the new checks: code → (English, French).
FIX: dict[str, tuple[str, str]] = {
    "bad_area_codes": (
        "département codes have two characters ('59', '2A') or three overseas ('974'); "
        "région codes two digits ('32')",
        "les codes de département ont deux caractères ('59', '2A'), trois outre-mer ('974') ; "
        "ceux des régions deux chiffres ('32')",
    ),
    "duplicate_area_codes": (
        "keep one feature per code (dissolve the parts first)",
        "garder une entité par code (fusionner d'abord les parties)",
    ),
    "area_no_code_column": (
        "name the code column 'code' (or INSEE_DEP / INSEE_REG)",
        "nommer la colonne du code 'code' (ou INSEE_DEP / INSEE_REG)",
    ),
    "unknown_region": (
        "use the INSEE région codes of the COG (e.g. '32' Hauts-de-France)",
        "utiliser les codes de région du COG de l'INSEE (par exemple '32' Hauts-de-France)",
    ),
    "area_geometry": ("give them their boundary", "leur donner un contour"),
    "area_invalid": (
        "nothing to do (check the areas), or fix them in a GIS",
        "rien à faire (vérifier les surfaces), ou les corriger dans un SIG",
    ),
    "mixed_cog_table": (
        "keep the rows of communes in force only ({type_column} = COM) as the membership table",
        "ne garder comme table d'appartenance que les communes en vigueur ({type_column} = COM)",
    ),
    "delegated_summary": ("", ""),
    "delegated_no_parent": (
        "give each row the code of the commune it belongs to",
        "indiquer pour chaque ligne le code de la commune dont elle fait partie",
    ),
    "delegated_unknown_parent": (
        "use a table of the same COG vintage as the commune files",
        "utiliser une table du même millésime du COG que les fichiers de communes",
    ),
    "territories_summary": ("", ""),
    "territories_bad_rate": (
        "write the reduction in percent (54.47 for −54.47 %)",
        "écrire la réduction en pourcentage (54,47 pour −54,47 %)",
    ),
    "territories_duplicate": (
        "keep one row per territory",
        "garder une ligne par territoire",
    ),
    "territory_empty": (
        "give each commune its territory, or drop the row (communes outside every territory "
        "are listed by the scenario)",
        "indiquer le territoire de chaque commune, ou supprimer la ligne (les communes hors de "
        "tout territoire sont listées par le scénario)",
    ),
    "territory_unknown_ids": (
        "add these territories (and their rate) to the territory table, or correct the ids",
        "ajouter ces territoires (et leur taux) à la table des territoires, ou corriger les "
        "identifiants",
    ),
    "territory_without_communes": (
        "check the membership of these territories",
        "vérifier l'appartenance des communes à ces territoires",
    ),
    "territory_count_differs": (
        "check that both tables follow the same COG vintage",
        "vérifier que les deux tables suivent le même millésime du COG",
    ),
    "outside_territories": (
        "nothing to do if they lie outside every territory (they are listed in the outputs, "
        "never dropped); else add them to the table",
        "rien à faire si elles sont hors de tout territoire (elles sont listées dans les "
        "résultats, jamais écartées) ; sinon les ajouter à la table",
    ),
    "area_not_covered": (
        "use a layer covering every département (or région) of the communes",
        "utiliser une couche couvrant tous les départements (ou régions) des communes",
    ),
    "area_differs": (
        "the layers differ in vintage or generalisation: take both from the same source",
        "les couches diffèrent par leur millésime ou leur généralisation : les prendre à la "
        "même source",
    ),
    "partial_consumption": (
        "measures over all these communes need --missing zero or --missing ignore, or a "
        "complete file (zan data download)",
        "les mesures sur toutes ces communes demandent --missing zero ou --missing ignore, ou "
        "un fichier complet (zan data download)",
    ),
}

_WHAT = {"departements": ("département", "département"), "regions": ("région", "région")}
_DELEGATED_TYPES = {
    "comd": "déléguée",
    "coma": "associée",
    "commune-deleguee": "déléguée",
    "commune-associee": "associée",
    "commune deleguee": "déléguée",
    "commune associee": "associée",
    "commune_deleguee": "déléguée",
    "commune_associee": "associée",
    "commune déléguée": "déléguée",
    "commune associée": "associée",
}
_TYPE_COLUMNS = ("typecom", "type_commune", "type_com", "type")
_PARENT_COLUMNS = (
    "chef_lieu",
    "cheflieu",
    "comparent",
    "code_commune_parent",
    "commune_parent",
    "code_parent",
)
_CODE_COLUMNS = ("code_insee", "insee_com", "code_commune", "codgeo", "insee", "com", "code")
_TERRITORY_COLUMNS = (
    "territory_id",
    "territoire_id",
    "id_territoire",
    "code_territoire",
    "territoire",
    "territory",
)
_RATE_COLUMNS = (
    "reduction_pct",
    "taux_reduction",
    "taux_de_reduction",
    "objectif_de_reduction",
    "taux_reduction_pct",
    "reduction",
)
_AREA_CODE_COLUMNS = {
    "departements": (
        "insee_dep",
        "code_dep",
        "code_departement",
        "code_insee_du_departement",
        "dep",
        "departement",
        "code",
        "code_insee",
    ),
    "regions": (
        "insee_reg",
        "code_reg",
        "code_region",
        "code_insee_de_la_region",
        "reg",
        "region",
        "code",
        "code_insee",
    ),
}
_AREA_PATTERN = {"departements": r"^(\d{2}|2A|2B|97\d)$", "regions": r"^\d{2}$"}
_MAX_AREA_FEATURES = 120  # a few more than the 101 départements


def _labelled(labels: Any, values: Any) -> str:
    """``label (value)`` pairs, shortened."""
    return labelled_values(list(labels), list(values))


def _column(columns: Sequence[Any], candidates: Sequence[str]) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def _norm(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


def commune_codes(values: pd.Series) -> pd.Series:
    """INSEE commune codes as text: stripped, upper case, a lost leading zero restored.

    Examples
    --------
    >>> commune_codes(pd.Series([2001, " 2a004 ", "59350"])).tolist()
    ['02001', '2A004', '59350']
    """
    text = values.astype("string").str.strip().str.upper().str.replace(r"\.0$", "", regex=True)
    return text.mask(text.str.fullmatch(r"\d{4}", na=False), "0" + text)


def table_role(columns: Sequence[Any], frame: Mapping[str, Any] | None = None) -> str | None:
    """The role of a table among the new kinds, or None (then the usual rules apply).

    Parameters
    ----------
    columns : sequence
        Column names.
    frame : mapping, optional
        The table (or a sample of it): the type column's values tell a table of
        communes déléguées from a COG list of communes in force.
    """
    type_col = _column(columns, _TYPE_COLUMNS)
    parent_col = _column(columns, _PARENT_COLUMNS)
    code_col = _column(columns, _CODE_COLUMNS)
    if type_col is not None and parent_col is not None and frame is not None:
        values = pd.Series(list(frame[type_col]), dtype="string").str.strip().str.lower()
        values = values[values.notna() & (values != "")]
        in_force = values.isin(["com", "commune-actuelle", "commune actuelle"]).any()
        if len(values) and not in_force and values.isin(list(_DELEGATED_TYPES)).mean() >= 0.5:
            return "delegated"
    territory_col = _column(columns, _TERRITORY_COLUMNS)
    rate_col = _column(columns, _RATE_COLUMNS)
    if rate_col is not None and (territory_col is not None or code_col is not None):
        if territory_col is not None or code_col == _column(columns, ("code",)):
            if _column(columns, ("code_insee", "insee_com", "codgeo", "idcom")) is None:
                return "territories"
    if territory_col is not None and code_col is not None and code_col != territory_col:
        return "territory_membership"
    return None


def mixed_cog_rows(frame: pd.DataFrame) -> tuple[str, int, int] | None:
    """A COG table mixing communes in force (``COM``) with other rows (``COMD``,
    ``COMA``, ``ARM``): (type column, rows in force, other rows), else None.

    Examples
    --------
    >>> mixed_cog_rows(pd.DataFrame({"TYPECOM": ["COM", "COMD", "ARM"], "COM": ["1", "2", "3"]}))
    ('TYPECOM', 1, 2)
    """
    col = _column(frame.columns, ("typecom", "type_commune", "type_com"))
    if col is None:
        return None
    values = frame[col].astype("string").str.strip().str.upper()
    in_force = int((values == "COM").sum())
    other = int(values.isin(["COMD", "COMA", "ARM"]).sum())
    return (str(col), in_force, other) if in_force and other else None


def layer_role(path: Path, columns: Sequence[str]) -> str | None:
    """``"departements"`` or ``"regions"`` for a layer of either, else None."""
    lower = {str(c).lower() for c in columns}
    if "insee_com" in lower:
        return None
    if "insee_reg" in lower and "insee_dep" not in lower:
        return "regions"
    if "insee_dep" in lower:
        return "departements"
    col = _column(columns, ("code", "code_insee", "code_dep", "code_reg", "code_departement",
                            "code_region", "dep", "reg"))
    if col is None:
        return None
    try:
        import pyogrio

        target = f"/vsigzip/{path}" if path.suffix.lower() == ".gz" else str(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = pyogrio.read_dataframe(target, columns=[col], read_geometry=False)
    except Exception:  # unreadable here: the checks say why
        return None
    codes = table[col].astype("string").str.strip()
    codes = codes[codes.notna() & (codes != "")]
    if not len(codes) or len(codes) > _MAX_AREA_FEATURES or (codes.str.len() > 3).any():
        return None
    name_col = _column(columns, ("nom", "name", "libelle", "nom_reg", "nom_region", "nom_dep"))
    hint = path.name.lower()
    regionish = "reg" in str(col).lower() or re.search(r"r[ée]gion", hint) is not None
    if not regionish and codes.isin(list(REGIONS)).all() and name_col is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names = pyogrio.read_dataframe(target, columns=[name_col], read_geometry=False)
        known = {_norm(v) for v in REGIONS.values()}
        regionish = names[name_col].astype("string").map(_norm).isin(known).all()
    if re.search(r"d[ée]partement", hint) or "dep" in str(col).lower():
        regionish = False
    return "regions" if regionish else "departements"


# ----------------------------------------------------------------------------- checks


def check_area_layer(path: Path, c: Any) -> None:
    """Codes, geometries and areas of a département or région layer."""
    import shapely

    from .crs import LAMBERT93
    from .io._files import read_layer

    what, what_fr = _WHAT[c.kind]
    gdf = read_layer(path)
    col = _column(gdf.columns, _AREA_CODE_COLUMNS[c.kind])
    if col is None:
        c.add(
            "error",
            "area_no_code_column",
            what=what,
            what_fr=what_fr,
            columns=_shorten([str(x) for x in gdf.columns]),
        )
        return
    codes = gdf[col].astype("string").str.strip().str.upper()
    codes = codes.mask(codes.str.fullmatch(r"\d", na=False), "0" + codes)
    labels = np.array([f"feature {i + 1}" for i in range(len(gdf))], dtype=object)
    bad = (~codes.str.fullmatch(_AREA_PATTERN[c.kind], na=False)).to_numpy()
    if bad.any():
        c.add(
            "error",
            "bad_area_codes",
            column=str(col),
            what=what,
            what_fr=what_fr,
            n=int(bad.sum()),
            values=_labelled(labels[bad], codes[bad]),
        )
    dup = (codes.duplicated(keep=False) & codes.notna()).to_numpy()
    if dup.any():
        c.add(
            "error",
            "duplicate_area_codes",
            column=str(col),
            what=what,
            what_fr=what_fr,
            n=int(codes[dup].nunique()),
            values=_shorten(sorted(codes[dup].unique())),
        )
    if c.kind == "regions":
        unknown = sorted(set(codes[~bad].dropna()) - set(REGIONS))
        if unknown:
            c.add(
                "warning", "unknown_region", column=str(col), n=len(unknown), values=_shorten(unknown)
            )
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    absent = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    not_poly = ~absent & ~np.isin(shapely.get_type_id(geoms), (3, 6, 7))
    if (absent | not_poly).any():
        shown = np.where(codes.isna(), labels, codes.astype("object"))
        c.add(
            "error",
            "area_geometry",
            n=int((absent | not_poly).sum()),
            values=_shorten(list(shown[absent | not_poly])),
        )
    invalid = ~absent & ~not_poly & ~shapely.is_valid(geoms)
    if invalid.any():
        shown = _shorten(list(codes[invalid]))
        c.add("warning", "area_invalid", n=int(invalid.sum()), values=shown)
    ok = ~bad & ~absent & ~not_poly
    c.facts["area_codes"] = set(codes[ok])
    if gdf.crs is None:
        return
    layer = gdf.geometry[ok]
    if invalid.any():
        layer = layer.make_valid()
    if not gdf.crs.is_projected:
        c.add("info", "geographic_crs", crs=gdf.crs.to_string(), target=LAMBERT93)
        layer = layer.to_crs(LAMBERT93)
    areas = pd.Series(layer.area.to_numpy() / 10_000.0, index=codes[ok].to_numpy())
    c.facts["area_ha"] = areas.groupby(level=0).sum()


def check_delegated(path: Path, c: Any) -> None:
    """A table of communes déléguées / associées: codes and chefs-lieux."""
    from .io._files import read_table
    from .io.territories import COMMUNE_CODE_PATTERN

    df = read_table(path)
    code_col = _column(df.columns, _CODE_COLUMNS)
    parent_col = _column(df.columns, _PARENT_COLUMNS)
    type_col = _column(df.columns, _TYPE_COLUMNS)
    labels = np.array([f"line {i + 2}" for i in range(len(df))], dtype=object)
    parents = commune_codes(df[parent_col]) if parent_col is not None else pd.Series(dtype="string")
    empty = (parents.isna() | (parents == "")).to_numpy() if len(parents) else np.zeros(0, bool)
    if empty.any():
        c.add("error", "delegated_no_parent", column=str(parent_col), n=int(empty.sum()),
              values=_shorten(list(labels[empty])))
    checked = parents[~empty]
    bad = ~checked.str.fullmatch(COMMUNE_CODE_PATTERN, na=False)
    if bad.any():
        c.add(
            "error",
            "bad_codes",
            column=str(parent_col),
            n=int(bad.sum()),
            values=_labelled(labels[~empty][bad.to_numpy()], checked[bad]),
        )
    if code_col is not None:
        codes = commune_codes(df[code_col])
        wrong = ~codes.str.fullmatch(COMMUNE_CODE_PATTERN, na=False)
        if wrong.any():
            c.add(
                "error",
                "bad_codes",
                column=str(code_col),
                n=int(wrong.sum()),
                values=_labelled(labels[wrong.to_numpy()], codes[wrong]),
            )
    kinds = (
        df[type_col].astype("string").str.strip().str.lower().map(_DELEGATED_TYPES)
        if type_col is not None
        else pd.Series(dtype="string")
    )
    counts = kinds.value_counts()
    detail = ", ".join(f"{int(n)} {k}s" for k, n in counts.items()) or "?"
    c.add("info", "delegated_summary", n=len(df), detail=detail,
          parents=int(checked[~bad].nunique()))
    c.facts["parents"] = set(checked[~bad])


def check_territories(path: Path, c: Any) -> None:
    """A table of territories and their reduction rates."""
    from .io._files import read_table

    df = read_table(path)
    id_col = _column(df.columns, _TERRITORY_COLUMNS) or _column(df.columns, ("code",))
    rate_col = _column(df.columns, _RATE_COLUMNS)
    ids = df[id_col].astype("string").str.strip()
    dup = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if dup.any():
        c.add("error", "territories_duplicate", column=str(id_col), n=int(ids[dup].nunique()),
              values=_shorten(sorted(ids[dup].unique())))
    rates = pd.to_numeric(
        df[rate_col].astype("string").str.replace(",", ".", regex=False).str.strip(),
        errors="coerce",
    )
    # Rates as shares (0.52, as in a scenario's fixed_rates table) or in percent (52.0).
    if not str(rate_col).lower().endswith("pct") and (rates.dropna() <= 1).all():
        rates = rates * 100.0
    bad = (rates.isna() | (rates < 0) | (rates > 100)).to_numpy()
    if bad.any():
        c.add(
            "error",
            "territories_bad_rate",
            column=str(rate_col),
            n=int(bad.sum()),
            values=_labelled(ids[bad], df[rate_col][bad]),
        )
    good = rates[~bad].round(6)
    if len(good):
        c.add(
            "info",
            "territories_summary",
            n=len(df),
            low=f"{good.min():g}".replace(".", ","),
            high=f"{good.max():g}".replace(".", ","),
            low_en=f"{good.min():g}",
            high_en=f"{good.max():g}",
        )
    c.facts["territory_ids"] = set(ids.dropna())
    count_col = next((col for col in df.columns if str(col).lower().startswith("n_communes")), None)
    if count_col is not None:
        counts = pd.to_numeric(df[count_col], errors="coerce")
        c.facts["territory_counts"] = pd.Series(counts.to_numpy(), index=ids.to_numpy()).dropna()
        c.facts["territory_count_column"] = str(count_col)


def check_territory_membership(path: Path, c: Any) -> None:
    """Commune → territory: codes (one territory per commune) and empty territories."""
    from .io._files import read_table
    from .io.territories import COMMUNE_CODE_PATTERN

    df = read_table(path)
    code_col = _column(df.columns, _CODE_COLUMNS)
    terr_col = _column(df.columns, _TERRITORY_COLUMNS)
    labels = np.array([f"line {i + 2}" for i in range(len(df))], dtype=object)
    codes = commune_codes(df[code_col])
    bad = (~codes.str.fullmatch(COMMUNE_CODE_PATTERN, na=False)).to_numpy()
    if bad.any():
        c.add("error", "bad_codes", column=str(code_col), n=int(bad.sum()),
              values=_labelled(labels[bad], codes[bad]))
    dup = (codes.duplicated(keep=False) & codes.notna()).to_numpy()
    if dup.any():
        c.add("error", "duplicate_codes", column=str(code_col), n=int(codes[dup].nunique()),
              values=_shorten(sorted(codes[dup].unique())))
    terr = df[terr_col].astype("string").str.strip()
    empty = (terr.isna() | (terr == "")).to_numpy()
    if empty.any():
        c.add("warning", "territory_empty", column=str(terr_col), n=int(empty.sum()),
              values=_shorten(list(codes[empty])))
    ok = ~bad & ~empty
    c.codes = pd.Index(codes[ok].unique(), name="code", dtype="str")
    c.facts["territory_of"] = pd.Series(terr[ok].to_numpy(), index=codes[ok].to_numpy())
