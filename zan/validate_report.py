"""The report of :func:`zan.validate.validate_paths`: its issues and their messages.

An :class:`Issue` is one problem of a file (which check found it, the values it
quotes, the row and column); its message and fix are given in English or French
from the tables here. The rules the readers check themselves (``zan.io.codes``,
``zan.io._files.check_numbers``, ``zan.io.territories.check_membership_levels``) keep
their English text in the reader: only its French is here. A :class:`Report` is every
issue of a set of files, rendered as a table or as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import Problem, ValidationError
from .io._files import NUMBER_RULES
from .io.codes import CODE_RULES
from .io.residues import RESIDUE_RULES
from .io.territories import MEMBERSHIP_RULES
from .validate_roles import FIX as ROLE_FIX
from .validate_roles import KIND_NAMES as ROLE_KINDS
from .validate_roles import TEXT as ROLE_TEXT

__all__ = [
    "KINDS",
    "SEVERITIES",
    "Issue",
    "Report",
    "loader_issues",
    "problem_issues",
]

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
    "duplicate_rows": (
        "{n} row(s) repeated exactly (merged when read)",
        "{n} ligne(s) répétée(s) à l'identique (fusionnées à la lecture)",
    ),
    "destination_residues": (
        RESIDUE_RULES["destination_residues"][0],
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
    "duplicate_rows": ("delete the repeated rows", "supprimer les lignes répétées"),
    "destination_residues": (RESIDUE_RULES["destination_residues"][1], ""),
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

# The readers' rules (zan.io.codes, zan.io._files, zan.io.territories) keep their
# English message and fix; here is their French: code → (message, fix).
_READER_FR: dict[str, tuple[str, str]] = {
    "empty_codes": ("{n} code(s) commune vide(s)", "donner à chaque commune son code INSEE"),
    "bad_codes": (
        "{n} code(s) commune mal formé(s) : {values}",
        "les codes commune INSEE ont cinq caractères : '02001', '2A004', '97101' ; "
        "ceux de la Corse commencent par 2A ou 2B, jamais 20 (écrire 2A004, pas 20004)",
    ),
    "padded_codes": (
        "{n} code(s) à quatre chiffres lus comme ayant perdu leur zéro initial : {values}",
        "enregistrer les codes comme du texte pour garder le zéro initial",
    ),
    "duplicate_codes": (
        "{n} code(s) commune présent(s) plusieurs fois : {values}",
        "garder une ligne par commune (fusionner d'abord les parties d'une commune)",
    ),
    "bad_siren": (
        "{n} code(s) SIREN qui n'ont pas neuf chiffres : {values}",
        "les codes SIREN des EPCI ont neuf chiffres, par exemple '200093201' ; "
        "les stocker en texte",
    ),
    "missing_level": (
        "{n} commune(s) sans {level} : {values}",
        "chaque commune appartient à un(e) {level} : renseigner son code",
    ),
    "dep_mismatch": (
        "{n} commune(s) dont le département ne correspond pas au code INSEE : {values}",
        "le département est formé des deux premiers caractères du code INSEE (trois outre-mer)",
    ),
    "not_numeric": (
        "{n} valeur(s) non numérique(s) : {values}",
        "écrire des nombres sans unité, ou laisser la cellule vide",
    ),
    "negative": (
        "{n} valeur(s) négative(s) : {values}",
        "ces quantités ne peuvent pas être négatives ; corriger le fichier",
    ),
}
for _code, (_message, _fix) in {**CODE_RULES, **NUMBER_RULES, **MEMBERSHIP_RULES}.items():
    _TEXT[_code] = (_message, _READER_FR[_code][0])
    _FIX[_code] = (_fix, _READER_FR[_code][1])


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


def loader_issues(file: str, kind: str, exc: BaseException, severity: str = "error") -> list[Issue]:
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


def problem_issues(file: str, kind: str, problems: Iterable[Problem]) -> list[Issue]:
    """The problems found by a reader's check (``zan.io.*.check_*``) as issues.

    A problem of a named rule (``code``) keeps its code, severity and values, so that
    its message reads the same in English and is translated into French; any other
    is a reader's message (``"loader"``), as it is.
    """
    return [
        Issue(file, kind, p.severity, p.code, dict(p.params or {}), row=p.row, column=p.column)
        if p.code
        else Issue(
            file,
            kind,
            p.severity,
            "loader",
            {"text": p.message, "fix": p.fix or ""},
            row=p.row,
            column=p.column,
        )
        for p in problems
    ]


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
