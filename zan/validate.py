"""Validation of every input: all the problems of a set of files, found at once.

:func:`validate_paths` reads each file, tells what it is from its content (commune
layer, département or région layer, membership table, communes déléguées table,
Cerema consumption file, table de passage, OCS GE layer, cadastral parcels, raster,
scenario, receiving territories and their communes: :mod:`zan.validate_roles`), checks
it against its schema and then checks the files against each other
(:mod:`zan.validate_cross`). It never stops at the first problem: every problem
is collected (as pandera's ``lazy=True`` does) into a :class:`Report`, a table of
problems with the file, the row, the column, the message, the fix and a severity:

``error``
    zan would refuse the file, or would compute a wrong figure with it;
``warning``
    zan repairs or assumes something (invalid geometry repaired with
    :func:`shapely.make_valid`, code padded...), or two files disagree in a way
    that matters only when they are used together;
``info``
    worth knowing (a layer in degrees is reprojected to Lambert-93 for areas).

Checks per file: INSEE commune codes (five characters, ``2A``/``2B`` in Corsica,
``97xxx`` overseas), SIREN (nine digits), duplicates, membership completeness,
numeric columns, negative values, the CRS (missing, or geographic where areas are
computed), geometries (missing, not polygons, invalid), and everything the zan
readers themselves check (their messages are kept as they are). Checks across
files: codes present in one file and absent from another (COG vintage mismatch:
communes merged or created since; the alignment with a table de passage is
offered), communes missing from the membership or the consumption file, stale
polygons (a commune far smaller in one layer than the same code in another, as
when a commune nouvelle kept its pre-merger boundary), communes consuming more
than their area (``surfcomYYYY`` of the Cerema file, else the layer's area).

:meth:`Report.to_text` renders the table in French (default) or English; the
readers' English notes are given in French (:mod:`zan.validate_text`).

Examples
--------
>>> from zan.datasets import get_path
>>> report = validate_paths([get_path("communes.gpkg"), get_path("communes.csv")])
>>> {Path(f).name: kind for f, kind in report.kinds.items()}
{'communes.gpkg': 'communes', 'communes.csv': 'membership'}
>>> report.ok
True
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import Problem, ValidationError, ZanError
from .validate_roles import FIX as ROLE_FIX
from .validate_roles import KIND_NAMES as ROLE_KINDS
from .validate_roles import TEXT as ROLE_TEXT

__all__ = ["KINDS", "Issue", "Report", "detect_kind", "validate_paths"]

#: Kinds of input recognised, with their French names.
KINDS: dict[str, str] = {
    "communes": "couche de communes",
    "membership": "table d'appartenance",
    "consumption": "fichier de consommation Cerema",
    "passage": "table de passage",
    "ocsge": "couche OCS GE",
    "parcels": "parcelles cadastrales",
    "raster": "raster",
    "scenario": "scénario",
    "unknown": "fichier non reconnu",
}
_KIND_EN = {
    "communes": "commune layer",
    "membership": "membership table",
    "consumption": "Cerema consumption file",
    "passage": "table de passage",
    "ocsge": "OCS GE layer",
    "parcels": "cadastral parcels",
    "raster": "raster",
    "scenario": "scenario",
    "unknown": "unrecognised file",
}
KINDS.update({k: fr for k, (fr, _) in ROLE_KINDS.items()})
_KIND_EN.update({k: en for k, (_, en) in ROLE_KINDS.items()})
SEVERITIES = ("error", "warning", "info")
_SEV_FR = {"error": "ERREUR", "warning": "AVERTISSEMENT", "info": "INFO"}
_SEV_EN = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}

_VECTOR = (".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb", ".gz")
_TABLE = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
_RASTER = (".tif", ".tiff", ".vrt", ".img", ".asc")
_SIREN = r"^\d{9}$"
_LISTED = 20
#: Default threshold of the stale-polygon check: a commune whose area is below this
#: share of the same code's area in another layer.
STALE_RATIO = 0.7

# Message templates: code → (English, French). Parameters are filled with str.format.
_TEXT: dict[str, tuple[str, str]] = {
    "unreadable": ("cannot be read: {reason}", "illisible : {reason}"),
    "unknown_kind": (
        "not recognised as an input of zan (columns: {columns})",
        "non reconnu comme une donnée de zan (colonnes : {columns})",
    ),
    "no_code_column": (
        "no commune code (INSEE) column (columns: {columns})",
        "aucune colonne de code commune (INSEE) (colonnes : {columns})",
    ),
    "empty_codes": ("{n} empty commune code(s)", "{n} code(s) commune vide(s)"),
    "bad_codes": (
        "{n} malformed commune code(s): {values}",
        "{n} code(s) commune mal formé(s) : {values}",
    ),
    "padded_codes": (
        "{n} four-digit code(s) read as having lost their leading zero: {values}",
        "{n} code(s) à quatre chiffres lus comme ayant perdu leur zéro initial : {values}",
    ),
    "duplicate_codes": (
        "{n} commune code(s) appear more than once: {values}",
        "{n} code(s) commune présent(s) plusieurs fois : {values}",
    ),
    "no_crs": (
        "the layer has no coordinate reference system",
        "la couche n'a pas de système de coordonnées",
    ),
    "geographic_crs": (
        "the layer is in a geographic CRS ({crs}, degrees); areas are computed after "
        "reprojection to {target}",
        "la couche est en coordonnées géographiques ({crs}, degrés) ; les surfaces sont "
        "calculées après reprojection en {target}",
    ),
    "coordinates_out_of_range": (
        "{n} feature(s) have coordinates outside the range of {crs} (degrees): {values}",
        "{n} entité(s) ont des coordonnées hors des limites de {crs} (degrés) : {values}",
    ),
    "geographic_raster": (
        "the raster is in a geographic CRS ({crs}): its pixels have no constant area",
        "le raster est en coordonnées géographiques ({crs}) : ses pixels n'ont pas de "
        "surface constante",
    ),
    "no_geometry": (
        "{n} feature(s) without geometry: {values}",
        "{n} entité(s) sans géométrie : {values}",
    ),
    "not_polygon": (
        "{n} feature(s) are not polygons ({types}): {values}",
        "{n} entité(s) ne sont pas des polygones ({types}) : {values}",
    ),
    "invalid_geometry": (
        "{n} invalid geometr(y/ies) repaired with make_valid: {values}",
        "{n} géométrie(s) invalide(s) réparée(s) par make_valid : {values}",
    ),
    "invalid_geometry_lost": (
        "{n} invalid geometr(y/ies) with no area left once repaired: {values}",
        "{n} géométrie(s) invalide(s) sans surface une fois réparée(s) : {values}",
    ),
    "bad_siren": (
        "{n} SIREN code(s) not of nine digits: {values}",
        "{n} code(s) SIREN qui n'ont pas neuf chiffres : {values}",
    ),
    "missing_level": (
        "{n} commune(s) without {level}: {values}",
        "{n} commune(s) sans {level} : {values}",
    ),
    "dep_mismatch": (
        "{n} commune(s) whose département does not match their INSEE code: {values}",
        "{n} commune(s) dont le département ne correspond pas au code INSEE : {values}",
    ),
    "not_numeric": (
        "{n} non-numeric value(s): {values}",
        "{n} valeur(s) non numérique(s) : {values}",
    ),
    "negative": ("{n} negative value(s): {values}", "{n} valeur(s) négative(s) : {values}"),
    "duplicate_rows": (
        "{n} row(s) repeated exactly (merged when read)",
        "{n} ligne(s) répétée(s) à l'identique (fusionnées à la lecture)",
    ),
    "destination_residues": (
        "{n} negative destination value(s), largest magnitude {largest:g} m²: {values}; "
        "rounding residues of the Cerema's destination split, loaded as published (the total "
        "is authoritative; displays show these destinations at 0)",
        "{n} valeur(s) de destination négative(s), au plus {largest:g} m² en valeur absolue : "
        "{values} ; résidus d'arrondi de la ventilation du Cerema, chargés tels que publiés "
        "(le total fait foi ; les affichages montrent ces destinations à 0)",
    ),
    "consumes_more_than_area": (
        "{n} commune(s) consume more than their area over {years}: {values}",
        "{n} commune(s) consomment plus que leur surface sur {years} : {values}",
    ),
    "cog_mismatch": (
        "{n} commune code(s) of this file are absent from {other}: {values}; {reason}",
        "{n} code(s) commune de ce fichier sont absents de {other} : {values} ; {reason_fr}",
    ),
    "cog_covered": (
        "{n} commune code(s) absent from {other} are mapped by the table de passage "
        "{passage}: {values}",
        "{n} code(s) commune absents de {other} sont couverts par la table de passage "
        "{passage} : {values}",
    ),
    "missing_communes": (
        "{n} commune(s) of {other} are missing from this file: {values}",
        "{n} commune(s) de {other} manquent dans ce fichier : {values}",
    ),
    "stale_polygon": (
        "commune {code}: {area:.0f} ha here, far below the {other_area:.0f} ha of the same "
        "code in {other} ({ratio:.0%}): a stale polygon (e.g. a commune nouvelle that kept a "
        "pre-merger boundary)",
        "commune {code} : {area:.0f} ha ici, bien moins que les {other_area:.0f} ha du même "
        "code dans {other} ({ratio:.0%}) : polygone périmé (par exemple une commune nouvelle "
        "restée sur un contour d'avant la fusion)",
    ),
    "passage_unknown_targets": (
        "{n} new code(s) of the table are in none of the commune files: {values}",
        "{n} nouveau(x) code(s) de la table ne figurent dans aucun fichier de communes : {values}",
    ),
    "scenario_ok": (
        "valid scenario; its data files are checked too: {files}",
        "scénario valide ; ses fichiers de données sont vérifiés aussi : {files}",
    ),
    "loader": ("{text}", "{text}"),
    "skipped": (
        "found in the folder, not recognised as an input of zan: not checked",
        "trouvé dans le dossier, non reconnu comme une donnée de zan : non vérifié",
    ),
    "internal_error": (
        "zan could not check this file ({error}: {reason})",
        "zan n'a pas pu vérifier ce fichier ({error} : {reason})",
    ),
}
_FIX: dict[str, tuple[str, str]] = {
    "unreadable": (
        "check the file, or export it again",
        "vérifier le fichier ou l'exporter à nouveau",
    ),
    "unknown_kind": (
        "pass its kind (kinds={{path: 'communes'}}, zan validate --kind), or rename its columns",
        "indiquer sa nature (kinds={{chemin: 'communes'}}, zan validate --kind) "
        "ou renommer ses colonnes",
    ),
    "no_code_column": (
        "rename the INSEE code column to 'code_insee' (or pass code_column=)",
        "renommer la colonne du code INSEE en 'code_insee' (ou passer code_column=)",
    ),
    "empty_codes": ("give every commune its INSEE code", "donner à chaque commune son code INSEE"),
    "bad_codes": (
        "INSEE commune codes have five characters: '02001', '2A004', '97101'",
        "les codes commune INSEE ont cinq caractères : '02001', '2A004', '97101'",
    ),
    "padded_codes": (
        "store codes as text so that they keep their leading zero",
        "enregistrer les codes comme du texte pour garder le zéro initial",
    ),
    "duplicate_codes": (
        "keep one row per commune (dissolve the parts of a commune first)",
        "garder une ligne par commune (fusionner d'abord les parties d'une commune)",
    ),
    "no_crs": (
        "set the CRS on the file (a .prj, or ogr2ogr -a_srs EPSG:2154) or pass crs= to the reader",
        "déclarer le système de coordonnées (fichier .prj, ou ogr2ogr -a_srs EPSG:2154) "
        "ou passer crs=",
    ),
    "geographic_crs": ("", ""),
    "coordinates_out_of_range": (
        "the coordinates look like metres: declare the layer's true CRS (e.g. EPSG:2154)",
        "les coordonnées semblent en mètres : déclarer le vrai système de la couche (EPSG:2154)",
    ),
    "geographic_raster": (
        "warp it to Lambert-93 first: gdalwarp -t_srs EPSG:2154",
        "le reprojeter d'abord en Lambert-93 : gdalwarp -t_srs EPSG:2154",
    ),
    "no_geometry": (
        "give them their boundary or drop them",
        "leur donner un contour ou les supprimer",
    ),
    "not_polygon": (
        "a commune layer needs Polygon or MultiPolygon boundaries",
        "une couche de communes doit contenir des polygones",
    ),
    "invalid_geometry": (
        "nothing to do (check the repaired areas), or fix them in a GIS",
        "rien à faire (vérifier les surfaces réparées), ou les corriger dans un SIG",
    ),
    "invalid_geometry_lost": ("fix these boundaries in a GIS", "corriger ces contours dans un SIG"),
    "bad_siren": (
        "SIREN codes of EPCI have nine digits, e.g. '200093201'; store them as text",
        "les codes SIREN des EPCI ont neuf chiffres, par exemple '200093201' ; "
        "les stocker en texte",
    ),
    "missing_level": (
        "every commune belongs to exactly one {level}: fill in its code",
        "chaque commune appartient à un(e) {level} : renseigner son code",
    ),
    "dep_mismatch": (
        "the département is the first two characters of the INSEE code (three overseas)",
        "le département est formé des deux premiers caractères du code INSEE (trois outre-mer)",
    ),
    "not_numeric": (
        "write plain numbers (no units), or leave the cell empty",
        "écrire des nombres sans unité, ou laisser la cellule vide",
    ),
    "negative": (
        "these quantities cannot be negative; correct the file",
        "ces quantités ne peuvent pas être négatives ; corriger le fichier",
    ),
    "duplicate_rows": ("delete the repeated rows", "supprimer les lignes répétées"),
    "destination_residues": ("", ""),
    "consumes_more_than_area": (
        "check the flows (m², not hectares?) and the commune codes against the Cerema release",
        "vérifier les flux (en m², pas en hectares ?) et les codes commune avec la "
        "publication du Cerema",
    ),
    "cog_mismatch": (
        "align with a table de passage (zan.read_passage, --passage) or use files of the "
        "same COG vintage",
        "aligner avec une table de passage (zan.read_passage, --passage) ou utiliser des "
        "fichiers du même millésime du COG",
    ),
    "cog_covered": (
        "pass the table de passage when using these files together (--passage)",
        "passer la table de passage pour utiliser ces fichiers ensemble (--passage)",
    ),
    "missing_communes": (
        "add them, or use files of the same COG vintage (or --missing zero)",
        "les ajouter, ou utiliser des fichiers du même millésime du COG (ou --missing zero)",
    ),
    "stale_polygon": (
        "take this commune's boundary from an up-to-date layer (IGN ADMIN EXPRESS)",
        "prendre le contour de cette commune dans une couche à jour (IGN ADMIN EXPRESS)",
    ),
    "passage_unknown_targets": (
        "check that the table goes to the COG vintage of the commune files",
        "vérifier que la table mène au millésime du COG des fichiers de communes",
    ),
    "scenario_ok": ("", ""),
    "loader": ("{fix}", "{fix}"),
    "skipped": (
        "name the file with its kind to check it (--kind)",
        "indiquer sa nature pour le vérifier (--kind)",
    ),
    "internal_error": (
        "this is a bug of zan: please report it with the file",
        "c'est une anomalie de zan : merci de la signaler avec le fichier",
    ),
}


_TEXT.update(ROLE_TEXT)
_FIX.update(ROLE_FIX)


# ----------------------------------------------------------------------------- issues


@dataclass(frozen=True)
class Issue:
    """One problem found in a file.

    Attributes
    ----------
    file : str
        File concerned.
    kind : str
        Its kind (a key of :data:`KINDS`).
    severity : {"error", "warning", "info"}
    code : str
        Which check found it (``"bad_codes"``, ``"cog_mismatch"``...; ``"loader"`` for
        a message of a zan reader, kept in English).
    params : mapping
        Values quoted in the message (``n``, ``values``, ``codes``...).
    row : str or None
        Row: file line (``"line 12"``), feature (``"feature 3"``) or commune code.
    column : str or None
        Column concerned.
    """

    file: str
    kind: str
    severity: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    row: str | None = None
    column: str | None = None

    def message(self, lang: str = "en") -> str:
        """The message in English (``"en"``) or French (``"fr"``)."""
        en, fr = _TEXT[self.code]
        if lang != "fr":
            return en.format(**self.params)
        params = self.params
        if self.code == "loader":  # a reader's English message, in French
            from .validate_text import to_french

            params = {**params, "text": to_french(str(params.get("text", "")))}
        text = fr.format(**params)
        return re.sub(r"\bfeature (\d)", r"entité \1", re.sub(r"\bline (\d)", r"ligne \1", text))

    def fix(self, lang: str = "en") -> str:
        """How to fix it, in English or French."""
        en, fr = _FIX[self.code]
        params = {"fix": "", **self.params}
        if self.code == "loader" and lang == "fr" and params["fix"]:
            from .validate_text import to_french

            params["fix"] = to_french(str(params["fix"]))
        return (fr if lang == "fr" else en).format(**params)

    def to_problem(self) -> Problem:
        """The issue as a :class:`zan.errors.Problem` (English)."""
        return Problem(
            self.file, self.message("en"), column=self.column, row=self.row, fix=self.fix() or None
        )


def _shorten(items: Iterable[Any], limit: int = _LISTED) -> str:
    items = [str(i) for i in items]
    text = ", ".join(items[:limit])
    return text + (f", ... (+{len(items) - limit})" if len(items) > limit else "")


def _rows_text(labels: Sequence[str], values: Sequence[Any] | None = None) -> str:
    if values is None:
        return _shorten(labels)
    return _shorten([f"{lab} ({v!r})" for lab, v in zip(labels, values, strict=True)])


def _loader_issues(
    file: str, kind: str, exc: BaseException, severity: str = "error"
) -> list[Issue]:
    """Turn a zan reader's exception (with its ``problems`` when it has them) into issues."""
    problems = getattr(exc, "problems", None)
    if problems:
        return [
            Issue(
                file,
                kind,
                severity,
                "loader",
                {"text": p.message, "fix": p.fix or ""},
                row=p.row,
                column=p.column,
            )
            for p in problems
        ]
    text = str(exc)
    # Messages start with the file name: do not repeat it.
    for prefix in (f"{file}: ", f"{file}, "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    fix = ""
    if "; " in text:
        text, fix = text.rsplit("; ", 1)
    return [Issue(file, kind, severity, "loader", {"text": text, "fix": fix})]


# ----------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Report:
    """Every problem found in a set of files.

    Attributes
    ----------
    issues : tuple of Issue
        In the order found: file by file, then across files.
    kinds : dict
        File → kind.
    """

    issues: tuple[Issue, ...]
    kinds: dict[str, str]

    @property
    def errors(self) -> tuple[Issue, ...]:
        """Issues of severity ``error``."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """Issues of severity ``warning``."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when no issue is an error."""
        return not self.errors

    def select(self, *, code: str | None = None, file: str | None = None) -> list[Issue]:
        """Issues found by one check and/or in one file (name or path)."""
        out = list(self.issues)
        if code is not None:
            out = [i for i in out if i.code == code]
        if file is not None:
            out = [i for i in out if i.file == file or Path(i.file).name == file]
        return out

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """The problems as a table: file, kind, severity, row, column, message, fix.

        Examples
        --------
        >>> r = Report((Issue("a.csv", "membership", "error", "empty_codes", {"n": 2}),), {})
        >>> r.to_frame("fr").loc[0, "message"]
        '2 code(s) commune vide(s)'
        """
        rows = [
            {
                "file": i.file,
                "kind": i.kind,
                "severity": i.severity,
                "row": i.row,
                "column": i.column,
                "message": i.message(lang),
                "fix": i.fix(lang),
            }
            for i in self.issues
        ]
        columns = ["file", "kind", "severity", "row", "column", "message", "fix"]
        return pd.DataFrame(rows, columns=columns)

    def problems(self, severity: str = "error") -> list[Problem]:
        """Issues of a severity as :class:`zan.errors.Problem` (English)."""
        return [i.to_problem() for i in self.issues if i.severity == severity]

    def raise_for_errors(self) -> None:
        """Raise :class:`zan.errors.ValidationError` listing every error, if any."""
        problems = self.problems("error")
        if problems:
            raise ValidationError(problems)

    def to_text(self, lang: str = "fr") -> str:
        """The report as text, in French (``"fr"``, default) or English (``"en"``).

        Examples
        --------
        >>> r = Report((Issue("a.csv", "membership", "error", "empty_codes", {"n": 2},
        ...                   column="code_insee"),), {"a.csv": "membership"})
        >>> print(r.to_text("en"))
        zan validate: 1 file, 1 error, 0 warnings
        <BLANKLINE>
        a.csv (membership table)
          ERROR column 'code_insee': 2 empty commune code(s)
            fix: give every commune its INSEE code
        """
        fr = lang == "fr"
        n_err, n_warn = len(self.errors), len(self.warnings)
        nf = len(self.kinds)
        if fr:
            head = (
                f"zan validate : {nf} fichier{'s' if nf > 1 else ''}, {n_err} erreur"
                f"{'s' if n_err > 1 else ''}, {n_warn} avertissement{'s' if n_warn > 1 else ''}"
            )
        else:
            head = (
                f"zan validate: {nf} file{'s' if nf != 1 else ''}, {n_err} error"
                f"{'s' if n_err != 1 else ''}, {n_warn} warning{'s' if n_warn != 1 else ''}"
            )
        lines = [head]
        files = list(self.kinds) + [i.file for i in self.issues if i.file not in self.kinds]
        for file in dict.fromkeys(files):
            kind = self.kinds.get(file, "unknown")
            lines += ["", f"{file} ({(KINDS if fr else _KIND_EN)[kind]})"]
            found = [i for i in self.issues if i.file == file]
            if not found:
                lines.append("  OK" if not fr else "  aucun problème")
            for i in found:
                where = []
                if i.row is not None:
                    row = str(i.row)
                    if fr:
                        row = re.sub(r"\bline\b", "ligne", re.sub(r"\bfeature\b", "entité", row))
                    where.append(row)
                if i.column is not None:
                    where.append(f"{'colonne' if fr else 'column'} {i.column!r}")
                sev = (_SEV_FR if fr else _SEV_EN)[i.severity]
                loc = (", ".join(where) + (" : " if fr else ": ")) if where else ""
                lines.append(f"  {sev} {loc}{i.message(lang)}")
                fix = i.fix(lang)
                if fix:
                    lines.append(f"    {'correction' if fr else 'fix'}: {fix}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Report: {len(self.kinds)} files, {len(self.errors)} errors, "
            f"{len(self.warnings)} warnings>"
        )


# ----------------------------------------------------------------------------- detection


def _columns_of_layer(path: Path) -> list[str]:
    import pyogrio

    target = f"/vsigzip/{path}" if path.suffix.lower() == ".gz" else str(path)
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        return [str(c) for c in pq.read_schema(path).names]
    info = pyogrio.read_info(target)
    return [str(c) for c in info["fields"]]


def _table_kind(columns: Sequence[str], frame: Any = None) -> str:
    from .io.cog import _find_pair
    from .io.consumption import _API_DEST_RE, _ART_RE, _NAF_RE
    from .io.territories import _COMMUNE_CODE_COLUMNS, _LEVEL_COLUMNS
    from .validate_roles import table_role

    names = [str(c).strip() for c in columns]
    role = table_role(names, frame)
    if role is not None:
        return role
    lower = {n.lower() for n in names}
    if any(_NAF_RE.match(n) or _ART_RE.match(n) for n in names) or (
        lower & {"annee", "année", "year"}
        and any(_API_DEST_RE.match(n) or n.lower() in ("naf_arti_m2", "naf_arti") for n in names)
    ):
        return "consumption"
    if _find_pair(names) is not None:
        return "passage"
    has_code = bool(lower & {c.lower() for c in _COMMUNE_CODE_COLUMNS})
    levels = {c.lower() for codes, _ in _LEVEL_COLUMNS.values() for c in codes}
    if has_code and (lower & levels or any(re.match(r"^epci\d\d$", n) for n in lower)):
        return "membership"
    return "unknown"


def _layer_kind(path: Path, columns: Sequence[str]) -> str:
    from .io.territories import _COMMUNE_CODE_COLUMNS

    lower = {str(c).lower() for c in columns}
    if (
        re.match(r"cadastre-.*-parcelles", path.name)
        or "contenance" in lower
        or {
            "section",
            "numero",
        }
        <= lower
    ):
        return "parcels"
    if lower & {"code_cs", "couverture", "code_couverture", "cs_avant"}:
        return "ocsge"
    from .validate_roles import layer_role

    role = layer_role(path, columns)  # a département or région layer is not a commune layer
    if role is not None:
        return role
    if lower & {c.lower() for c in _COMMUNE_CODE_COLUMNS}:
        return "communes"
    return "unknown"


def detect_kind(path: str | os.PathLike[str]) -> str:
    """Tell what a file is, from its extension and its columns.

    Returns
    -------
    str
        One of :data:`KINDS`.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> [detect_kind(get_path(n)) for n in ("communes.gpkg", "conso_enaf_2009_2023.csv",
    ...                                     "passage_cog2023_cog2024.csv", "corine_demo.tif")]
    ['communes', 'consumption', 'passage', 'raster']
    """
    from .io._files import read_table

    p = Path(path)
    suffix = p.suffix.lower()
    name = p.name.lower()
    if suffix == ".toml":
        return "scenario"
    if suffix in _RASTER:
        return "raster"
    if name.endswith((".csv.gz", ".txt.gz")) or suffix in _TABLE:
        try:
            table = read_table(p)
            return _table_kind(table.columns, table)
        except Exception:  # unreadable: the validator reports why
            return "unknown"
    if suffix in _VECTOR or p.is_dir():
        try:
            return _layer_kind(p, _columns_of_layer(p))
        except Exception:  # unreadable: the validator reports why
            return "unknown"
    return "unknown"


# ----------------------------------------------------------------------------- per-file checks


@dataclass
class _Checked:
    file: str
    kind: str
    issues: list[Issue] = field(default_factory=list)
    codes: pd.Index | None = None
    areas_ha: pd.Series | None = None
    total_m2: pd.Series | None = None
    surfcom_m2: pd.Series | None = None
    years: str = ""
    passage: pd.DataFrame | None = None
    extra_paths: list[Path] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        severity: str,
        code: str,
        row: str | None = None,
        column: str | None = None,
        **params: Any,
    ) -> None:
        self.issues.append(Issue(self.file, self.kind, severity, code, params, row, column))


def _code_checks(c: _Checked, raw: pd.Series, labels: np.ndarray, column: str) -> pd.Series:
    """Empty, malformed, padded and duplicate codes; return the normalised codes."""
    from .io.territories import COMMUNE_CODE_PATTERN, _commune_codes

    text = raw.astype("str").str.strip()
    codes = _commune_codes(raw)
    empty = codes.isna().to_numpy()
    if empty.any():
        c.add(
            "error",
            "empty_codes",
            column=column,
            n=int(empty.sum()),
            values=_shorten(labels[empty]),
        )
    # Readers pad any short number ("593" → "00593"); only four digits is a lost zero.
    short = text.str.fullmatch(r"\d{1,3}", na=False)
    bad = ((~codes.str.fullmatch(COMMUNE_CODE_PATTERN, na=True)) | short).to_numpy()
    if bad.any():
        c.add(
            "error",
            "bad_codes",
            column=column,
            n=int(bad.sum()),
            values=_rows_text(list(labels[bad]), list(text[bad])),
        )
    padded = (text.str.fullmatch(r"\d{4}", na=False) & ~bad).to_numpy()
    if padded.any():
        c.add(
            "warning",
            "padded_codes",
            column=column,
            n=int(padded.sum()),
            values=_rows_text(list(labels[padded]), list(text[padded])),
        )
    dup = (codes.duplicated(keep=False) & codes.notna()).to_numpy()
    if dup.any():
        c.add(
            "error",
            "duplicate_codes",
            column=column,
            n=int(codes[dup].nunique()),
            values=_shorten(sorted(codes[dup].unique())),
        )
    return codes


def _siren_check(c: _Checked, values: pd.Series, codes: pd.Series, column: str) -> None:
    from .io.territories import _as_code_text

    text = _as_code_text(values)
    bad = (text.notna() & ~text.str.fullmatch(_SIREN, na=False)).to_numpy()
    if bad.any():
        c.add(
            "error",
            "bad_siren",
            column=column,
            n=int(bad.sum()),
            values=_rows_text([str(x) for x in codes[bad]], list(text[bad])),
        )


def _numeric_check(
    c: _Checked, df: pd.DataFrame, column: str, labels: np.ndarray, *, negative: str = "error"
) -> None:
    from .io._files import _parse_numbers

    parsed, bad_type, _ = _parse_numbers(df[[column]], [column], source=c.file)
    raw = df[column]
    values = parsed[column].to_numpy(dtype="float64")
    bad = (raw.notna().to_numpy() & np.isnan(values)) if bad_type else np.zeros(len(df), bool)
    if bad.any():
        c.add(
            "error",
            "not_numeric",
            column=column,
            n=int(bad.sum()),
            values=_rows_text(list(labels[bad]), list(raw[bad])),
        )
    with np.errstate(invalid="ignore"):
        neg = values < 0
    if neg.any():
        c.add(
            negative,
            "negative",
            column=column,
            n=int(neg.sum()),
            values=_rows_text(list(labels[neg]), list(values[neg])),
        )


def _check_communes(path: Path, c: _Checked) -> None:
    import geopandas as gpd
    import shapely

    from .crs import LAMBERT93, OVERSEAS_CRS
    from .errors import CRSError
    from .io._files import find_column, read_layer
    from .io.territories import _COMMUNE_CODE_COLUMNS, _LEVEL_COLUMNS

    try:
        gdf = read_layer(path)
    except CRSError:
        c.add("error", "no_crs")
        try:
            gdf = read_layer(path, crs="EPSG:4326")  # go on with the other checks
            gdf = gdf.set_crs(None, allow_override=True)
        except ZanError:
            return
    except ZanError as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)
        return
    code_col = find_column(gdf, _COMMUNE_CODE_COLUMNS, source=c.file, what="code", required=False)
    if code_col is None:
        c.add("error", "no_code_column", columns=_shorten(map(str, gdf.columns)))
        return
    labels = np.array([f"feature {i + 1}" for i in range(len(gdf))], dtype=object)
    codes = _code_checks(c, gdf[code_col], labels, code_col)
    names = np.where(codes.isna(), labels, codes.astype("object"))

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    absent = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if absent.any():
        c.add("error", "no_geometry", n=int(absent.sum()), values=_shorten(names[absent]))
    types = shapely.get_type_id(geoms)
    not_poly = ~absent & ~np.isin(types, (3, 6, 7))
    if not_poly.any():
        found = sorted({str(t) for t in gdf.geometry[not_poly].geom_type.unique()})
        c.add(
            "error",
            "not_polygon",
            n=int(not_poly.sum()),
            types=", ".join(found),
            values=_shorten(names[not_poly]),
        )
    invalid = ~absent & ~not_poly & ~shapely.is_valid(geoms)
    if invalid.any():
        from .io.territories import _polygonal_part

        reasons = [
            re.sub(r"\[.*", "", str(r)).strip() for r in shapely.is_valid_reason(geoms[invalid])
        ]
        fixed = _polygonal_part(shapely.make_valid(geoms[invalid]))
        lost = shapely.is_empty(fixed)
        shown = [f"{n} ({r})" for n, r in zip(names[invalid], reasons, strict=True)]
        if lost.any():
            c.add(
                "error",
                "invalid_geometry_lost",
                n=int(lost.sum()),
                values=_shorten(np.array(shown, dtype=object)[lost]),
            )
        if (~lost).any():
            c.add(
                "warning",
                "invalid_geometry",
                n=int((~lost).sum()),
                values=_shorten(np.array(shown, dtype=object)[~lost]),
            )
        geoms = geoms.copy()
        geoms[invalid] = fixed

    for level in ("epci",):
        col = find_column(gdf, _LEVEL_COLUMNS[level][0], source=c.file, what=level, required=False)
        if col is not None and col != code_col:
            _siren_check(c, gdf[col], pd.Series(names), col)
    pop = find_column(
        gdf, ["population", "pop", "pmun"], source=c.file, what="population", required=False
    )
    if pop is not None:
        _numeric_check(
            c,
            pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True),
            pop,
            names.astype(object),
        )

    ok = codes.notna().to_numpy() & ~absent & ~not_poly
    c.codes = pd.Index(codes[ok].unique(), name="code", dtype="str")
    if gdf.crs is None:
        return
    layer = gpd.GeoSeries(geoms, crs=gdf.crs)
    if not gdf.crs.is_projected:
        xmin, ymin, xmax, ymax = shapely.bounds(geoms[ok]).T if ok.any() else ([0], [0], [0], [0])
        outside = (
            (np.asarray(xmin) < -180)
            | (np.asarray(xmax) > 180)
            | (np.asarray(ymin) < -90)
            | (np.asarray(ymax) > 90)
        )
        if outside.any():
            c.add(
                "error",
                "coordinates_out_of_range",
                crs=gdf.crs.to_string(),
                n=int(outside.sum()),
                values=_shorten(names[ok][outside]),
            )
            return
        overseas = codes[ok].str[:3]
        target = LAMBERT93
        if len(overseas) and overseas.isin(list(OVERSEAS_CRS)).all():
            target = OVERSEAS_CRS[overseas.iloc[0]]
        c.add("info", "geographic_crs", crs=gdf.crs.to_string(), target=target)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            layer = layer.to_crs(target)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        area = layer.area.to_numpy() / 10_000.0
    areas = pd.Series(np.where(np.isfinite(area), area, np.nan), index=codes.to_numpy())[ok]
    c.areas_ha = areas[~areas.index.duplicated()]


def _raw_table(path: Path, c: _Checked) -> pd.DataFrame | None:
    from .io._files import read_table

    try:
        return read_table(path)
    except ZanError as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)
        return None


def _check_membership(path: Path, c: _Checked) -> None:
    from .io._files import find_column
    from .io.territories import _COMMUNE_CODE_COLUMNS, _commune_codes, read_membership

    df = _raw_table(path, c)
    if df is None:
        return
    labels = np.array([f"line {i + 2}" for i in df.index], dtype=object)
    code_col = find_column(df, _COMMUNE_CODE_COLUMNS, source=c.file, what="code", required=False)
    if code_col is None:
        c.add("error", "no_code_column", columns=_shorten(map(str, df.columns)))
        return
    repeated = df.duplicated(keep="first").to_numpy()
    if repeated.any():
        c.add("warning", "duplicate_rows", row=_shorten(labels[repeated]), n=int(repeated.sum()))
    from .validate_roles import mixed_cog_rows

    mixed = mixed_cog_rows(df)
    if mixed is not None:  # INSEE's list of communes: COMD/COMA/ARM rows are not communes
        column, in_force, other = mixed
        c.add(
            "error",
            "mixed_cog_table",
            column=column,
            type_column=column,
            in_force=in_force,
            other=other,
        )
    codes = _commune_codes(df[code_col])
    c.codes = pd.Index(codes.dropna().unique(), name="code", dtype="str")
    try:
        m = read_membership(path)
    except ZanError as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)
        return
    names = m.index.to_numpy().astype(object)
    if "epci" in m.columns:
        col = next(
            (
                k
                for k in df.columns
                if str(k).lower()
                in (
                    "epci_siren",
                    "siren_epci",
                    "code_siren_epci",
                    "codeepci",
                    "code_epci",
                    "epci_code",
                    "epci",
                )
            ),
            "epci",
        )
        _siren_check(c, m["epci"], pd.Series(names), str(col))
    for level in ("epci", "departement", "region"):
        if level in m.columns:
            gaps = m[level].isna().to_numpy()
            if gaps.any():
                c.add(
                    "error",
                    "missing_level",
                    column=level,
                    level=level,
                    n=int(gaps.sum()),
                    values=_shorten(names[gaps]),
                )
    if "departement" in m.columns:
        expected = pd.Series(
            np.where(m.index.str.startswith("97"), m.index.str[:3], m.index.str[:2]),
            index=m.index,
        )
        dep = m["departement"].astype("str")
        wrong = (m["departement"].notna() & (dep != expected)).to_numpy()
        if wrong.any():
            c.add(
                "error",
                "dep_mismatch",
                column="departement",
                n=int(wrong.sum()),
                values=_rows_text(list(names[wrong]), list(dep[wrong])),
            )
    for col in df.columns:
        if re.search(r"pop|menages|emplois|surface|_ha$|_m2$", str(col), re.IGNORECASE):
            _numeric_check(c, df, col, labels)


def _check_consumption(path: Path, c: _Checked) -> None:
    from .errors import ValidationError as _VE
    from .io._files import find_column
    from .io.cog import normalize_codes
    from .io.consumption import read_consumption

    df = _raw_table(path, c)
    if df is None:
        return
    code_col = find_column(
        df, ["idcom", "code_insee", "codgeo"], source=c.file, what="code", required=False
    )
    if code_col is not None:
        codes, _, _ = normalize_codes(df[code_col], source=c.file, column=code_col)
        c.codes = pd.Index(codes[codes != ""].unique(), name="code", dtype="str")
    try:
        conso = read_consumption(path)
    except _VE as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)
        return
    except ZanError as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)
        return
    flows = conso.flows
    residues = flows[(flows["destination"] != "total") & (flows["m2"] < 0)]
    if len(residues):
        c.add(
            "warning",
            "destination_residues",
            n=len(residues),
            largest=float(-residues["m2"].min()),
            values=_shorten(
                (
                    f"{r.code} {r.destination} {r.year} ({r.m2:g} m²)"
                    for r in residues.itertuples()
                ),
                10,
            ),
        )
    for note in conso.notes:
        if len(residues) and "negative destination value(s) in" in note:
            continue  # reported above as a warning, in the report's language
        c.issues.append(
            Issue(
                c.file,
                c.kind,
                "info",
                "loader",
                {"text": note.removeprefix(f"{c.file}: "), "fix": ""},
            )
        )
    c.codes = pd.Index(conso.communes.index, name="code", dtype="str")
    totals = conso.flows[conso.flows["destination"] == "total"]
    c.total_m2 = totals.groupby("code")["m2"].sum()
    c.years = f"{conso.years[0]}-{conso.years[-1]}" if conso.years else ""
    surf = sorted(col for col in conso.communes.columns if re.fullmatch(r"surfcom\d{4}", str(col)))
    if surf and pd.api.types.is_numeric_dtype(conso.communes[surf[-1]]):
        c.surfcom_m2 = conso.communes[surf[-1]].astype("float64")
        _more_than_area(c, c.surfcom_m2, f"{surf[-1]} of this file")


def _more_than_area(c: _Checked, area_m2: pd.Series, what: str) -> None:
    if c.total_m2 is None:
        return
    area = area_m2.reindex(c.total_m2.index)
    with np.errstate(invalid="ignore"):
        over = (c.total_m2 > area).to_numpy() & area.notna().to_numpy()
    if over.any():
        shown = [
            f"{code} ({t / 10_000:,.1f} ha consumed, area {a / 10_000:,.1f} ha from {what})"
            for code, t, a in zip(c.total_m2.index[over], c.total_m2[over], area[over], strict=True)
        ]
        c.add(
            "error",
            "consumes_more_than_area",
            n=int(over.sum()),
            years=c.years,
            values=_shorten(shown, 10),
        )


def _check_passage(path: Path, c: _Checked) -> None:
    from .io.cog import read_passage

    try:
        c.passage = read_passage(path)
    except ZanError as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)


def _notes(c: _Checked, notes: Iterable[str]) -> None:
    for note in notes:
        severity = "warning" if re.search(r"repaired|dropped|overlap", note) else "info"
        c.issues.append(
            Issue(
                c.file,
                c.kind,
                severity,
                "loader",
                {"text": note.removeprefix(f"{c.file}: "), "fix": ""},
            )
        )


def _check_ocsge(path: Path, c: _Checked) -> None:
    from .io.ocsge import read_ocsge, read_ocsge_difference

    columns = {x.lower() for x in _columns_of_layer(path)} if path.suffix else set()
    try:
        if "cs_avant" in columns:
            lc = read_ocsge_difference(path)
        else:
            lc = read_ocsge(path)
    except ZanError as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)
        return
    _notes(c, lc.notes)


def _check_parcels(path: Path, c: _Checked) -> None:
    from .io.cadastre import _read_one, read_parcels

    try:
        parcels = read_parcels(path)
    except ZanError as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)
        return
    _notes(c, parcels.attrs.get("notes", ()))
    raw = _read_one(path, None)
    ids = pd.Index(parcels.index)
    if "contenance" in raw.columns:
        frame = pd.DataFrame({"contenance": raw["contenance"].to_numpy()})
        _numeric_check(c, frame, "contenance", np.array(list(raw.get("id", ids)), dtype=object))
    wrong = parcels["commune"].astype("str").to_numpy() != ids.str[:5].to_numpy()
    if wrong.any():
        c.add(
            "error",
            "loader",
            column="commune",
            text=(
                f"{int(wrong.sum())} parcel(s) whose 'commune' differs from the first five "
                f"characters of their id: {_shorten(ids[wrong])}"
            ),
            fix="check the file",
        )


def _check_raster(path: Path, c: _Checked) -> None:
    from .io.raster import open_raster

    try:
        src = open_raster(path)
    except ZanError as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)
        return
    if not src.crs.is_projected:
        c.add("warning", "geographic_raster", crs=src.crs.to_string())
    _notes(c, src.notes)


def _check_scenario(path: Path, c: _Checked) -> None:
    from .scenario import _resolve, load_scenario

    try:
        sc = load_scenario(path)
    except ZanError as exc:
        c.issues += _loader_issues(c.file, c.kind, exc)
        return
    found = []
    for key in ("communes", "membership", "consumption", "passage"):
        value = getattr(sc.data, key)
        if value is not None:
            found.append(_resolve(sc, value, f"data.{key}"))
    c.extra_paths = found
    c.add("info", "scenario_ok", files=_shorten(p.name for p in found))


def _role_checks() -> dict[str, Any]:
    from .validate_roles import (
        check_area_layer,
        check_delegated,
        check_territories,
        check_territory_membership,
    )

    return {
        "departements": check_area_layer,
        "regions": check_area_layer,
        "delegated": check_delegated,
        "territories": check_territories,
        "territory_membership": check_territory_membership,
    }


_CHECKS = {
    "communes": _check_communes,
    "membership": _check_membership,
    "consumption": _check_consumption,
    "passage": _check_passage,
    "ocsge": _check_ocsge,
    "parcels": _check_parcels,
    "raster": _check_raster,
    "scenario": _check_scenario,
}


def _check_file(path: Path, kind: str) -> _Checked:
    c = _Checked(str(path), kind)
    if not path.exists():
        c.add("error", "unreadable", reason=f"file not found (working folder: {Path.cwd()})")
        return c
    if kind == "unknown":
        try:
            cols = _columns_of_layer(path) if path.suffix.lower() in _VECTOR else []
        except Exception:
            cols = []
        if not cols and path.suffix.lower() in _TABLE:
            from .io._files import read_table

            try:
                cols = list(read_table(path).columns)
            except ZanError as exc:
                c.issues += _loader_issues(c.file, c.kind, exc)
                return c
            except Exception as exc:  # a bug of the reader
                c.add("error", "internal_error", error=type(exc).__name__, reason=str(exc)[:200])
                return c
        c.add("warning", "unknown_kind", columns=_shorten(map(str, cols)) or "none")
        return c
    try:
        (_CHECKS.get(kind) or _role_checks()[kind])(path, c)
    except ZanError as exc:  # a reader refused the file in a way not caught above
        c.issues += _loader_issues(c.file, c.kind, exc)
    except Exception as exc:  # a bug of a reader: reported, so that the other files are checked
        c.add("error", "internal_error", error=type(exc).__name__, reason=str(exc)[:200])
    return c


# ----------------------------------------------------------------------------- cross-file checks


def _cross(checked: list[_Checked], stale_ratio: float) -> list[Issue]:
    from .validate_cross import cross_issues

    def make(file, kind, severity, code, params, row=None):
        return Issue(file, kind, severity, code, params, row)

    issues = cross_issues(checked, stale_ratio, make)
    # Consumption larger than the commune's area (layer area when the file has no surfcom).
    layers = [c for c in checked if c.kind == "communes" and c.areas_ha is not None]
    for c in checked:
        if c.kind != "consumption" or c.total_m2 is None or c.surfcom_m2 is not None:
            continue
        for layer in layers:
            tmp = _Checked(c.file, c.kind, total_m2=c.total_m2, years=c.years)
            _more_than_area(tmp, layer.areas_ha * 10_000.0, Path(layer.file).name)
            issues += tmp.issues
            if tmp.issues:
                break
    return issues


# ----------------------------------------------------------------------------- entry point


def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, bool]]:
    """Files to check, and whether each was found in a folder (rather than named)."""
    out: list[tuple[Path, bool]] = []
    skip = (".shx", ".dbf", ".prj", ".cpg", ".qmd", ".md", ".part", ".txt", ".pdf", ".xml")
    for p in map(Path, paths):
        if p.is_dir() and not (p / "metadata.json").exists():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or f.name.startswith("."):
                    continue
                low = f.name.lower()
                if f.suffix.lower() in skip or low == "sources.json":
                    continue
                if low.endswith((".7z", ".zip", ".md5")):
                    continue
                if f.suffix.lower() in _VECTOR + _TABLE + _RASTER + (".toml",):
                    out.append((f, True))
        else:
            out.append((p, False))
    return out


def validate_paths(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    kinds: Mapping[str, str] | None = None,
    stale_ratio: float = STALE_RATIO,
) -> Report:
    """Check files, alone and against each other, and report every problem.

    Parameters
    ----------
    paths : path or iterable of paths
        Files (or folders, whose known files are all checked). A scenario adds the
        data files it names.
    kinds : mapping, optional
        File → kind (a key of :data:`KINDS`) for files whose kind is not detected.
    stale_ratio : float, default 0.7
        A commune whose area is below this share of the same code's area in
        another layer is reported as a stale polygon.

    Returns
    -------
    Report
        :meth:`Report.to_text` prints it; :meth:`Report.raise_for_errors` raises
        :class:`zan.errors.ValidationError` when there are errors.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> r = validate_paths([get_path("communes.gpkg"), get_path("conso_enaf_2009_2023.csv")])
    >>> [i.code for i in r.errors]  # the Cerema file is in COG 2023, the layer in COG 2024
    ['missing_communes', 'cog_mismatch']
    >>> r.errors[1].fix("fr")  # doctest: +ELLIPSIS
    'aligner avec une table de passage...'
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    given = {str(Path(k)): v for k, v in (kinds or {}).items()}
    bad = {k: v for k, v in given.items() if v not in KINDS}
    if bad:
        from .errors import DataError

        raise DataError(
            f"unknown kind(s) {', '.join(f'{k}={v!r}' for k, v in bad.items())}; "
            f"valid kinds: {', '.join(KINDS)}"
        )
    queue = _expand(paths)
    seen: set[Path] = set()
    checked: list[_Checked] = []
    while queue:
        path, in_folder = queue.pop(0)
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        kind = given.get(str(path)) or (detect_kind(path) if path.exists() else "unknown")
        if in_folder and kind == "unknown":
            # Found in a folder (a publisher's notice, a nomenclature...): listed, not checked.
            c = _Checked(str(path), kind)
            c.add("info", "skipped")
        else:
            c = _check_file(path, kind)
        checked.append(c)
        queue += [(extra, False) for extra in c.extra_paths]
    issues = [i for c in checked for i in c.issues] + _cross(checked, stale_ratio)
    return Report(tuple(issues), {c.file: c.kind for c in checked})
