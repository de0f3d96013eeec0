"""French wording of what the readers say, for ``zan validate --lang fr``.

zan's readers write their notes and errors in English (the API's language). The
validation report in French shows them in French: :func:`to_french` rewrites the
known messages with a table of patterns; a message it does not know keeps its
English text behind a French lead-in, so that the line still says, in French,
what it is.

Examples
--------
>>> to_french("no usage (US) codes: couverture-only estimate")
"pas de codes d'usage (US) : estimation sur la seule couverture"
"""

from __future__ import annotations

import re

__all__ = ["LOADER_FR", "to_french"]

_UNKNOWN_DEST = {
    "infrastructures (routes and ferroviaire)": "les infrastructures (routes et ferroviaire)",
    "infrastructures": "les infrastructures",
}


def _lines(text: str) -> str:
    """``lines 2, 3`` / ``feature 4`` / ``row 5`` in French."""
    text = re.sub(r"\blines\b", "lignes", text)
    text = re.sub(r"\bline\b", "ligne", text)
    text = re.sub(r"\bfeatures?\b", "entité", text)
    return re.sub(r"\brows?\b", "ligne", text)


def _unknown(match: re.Match[str]) -> str:
    what = match.group("what")
    return (
        f"pas de {match.group('col')} pour {match.group('spans')} : le total est la somme des "
        f"destinations connues, un minorant puisque {_UNKNOWN_DEST.get(what, what)} "
        "ne sont pas connu(e)s"
    )


#: (pattern, French) pairs tried in order; the French side may use the groups.
LOADER_FR: list[tuple[re.Pattern[str], object]] = [
    (
        re.compile(
            r"^no (?P<col>\S+) for (?P<spans>.+?): the total is the sum of the known "
            r"destinations, a lower bound since (?P<what>.+) (?:are|is) unknown$"
        ),
        _unknown,
    ),
    (
        re.compile(r"^no (\S+) for (.+?): the total is the sum of the destinations$"),
        r"pas de \1 pour \2 : le total est la somme des destinations",
    ),
    (
        re.compile(r"^no destination figures for (.+?): only the total is known$"),
        r"pas de détail par destination pour \1 : seul le total est connu",
    ),
    (
        re.compile(r"^(\d+) row\(s\) with neither total nor destinations \(first at (.+)\) left out as unknown$"),
        r"\1 ligne(s) sans total ni destination (la première : \2) écartée(s) comme inconnue(s)",
    ),
    (
        re.compile(r"^no idcomtxt column: communes are named by their code$"),
        "pas de colonne idcomtxt : les communes sont désignées par leur code",
    ),
    (
        re.compile(r"^column\(s\) (.+) kept as text \(some values are not numbers\)$"),
        r"colonne(s) \1 gardée(s) en texte (certaines valeurs ne sont pas des nombres)",
    ),
    (
        re.compile(r"^destination '(.+)' has no column for (.+)$"),
        r"la destination '\1' n'a pas de colonne pour \2",
    ),
    (
        re.compile(r"^no destination columns \(artYY\.\.\.ZZ\): only totals are known$"),
        "pas de colonnes de destination (artYY...ZZ) : seuls les totaux sont connus",
    ),
    (
        re.compile(r"^no naf(\S+) column: the (\d+) total is the sum of the six destinations$"),
        r"pas de colonne naf\1 : le total \2 est la somme des six destinations",
    ),
    (
        re.compile(
            r"^no naf(\S+) column and only (\d+) of 6 destinations for (\d+): "
            r"the total of that year is unknown$"
        ),
        r"pas de colonne naf\1 et seulement \2 destinations sur 6 en \3 : "
        r"le total de cette année est inconnu",
    ),
    (
        re.compile(r"^(\d+) empty flow cell\(s\) left out as unknown \(not counted as zero\)$"),
        r"\1 cellule(s) de flux vide(s) écartée(s) comme inconnue(s) (non comptée(s) comme zéro)",
    ),
    (
        re.compile(
            r"^column '(.+)' differs from the sum of the annual flows (\S+) for (\d+) "
            r"commune\(s\) \(first at (.+)\); the annual flows are used$"
        ),
        r"la colonne '\1' diffère de la somme des flux annuels \2 pour \3 commune(s) "
        r"(la première : \4) ; les flux annuels sont retenus",
    ),
    (
        re.compile(r"^no usage \(US\) codes: couverture only; artificialisation will be a couverture-only estimate \(usage unknown\)$"),
        "pas de codes d'usage (US) : couverture seule ; l'artificialisation sera une "
        "estimation sur la seule couverture (usage inconnu)",
    ),
    (
        re.compile(r"^no usage \(US\) codes: couverture-only estimate$"),
        "pas de codes d'usage (US) : estimation sur la seule couverture",
    ),
    (
        re.compile(
            r"^(\d+) invalid (?:(\S+) )?geometr(?:y|ies) repaired: (.+); area change (\S+) m2$"
        ),
        lambda m: (
            f"{m.group(1)} géométrie(s) invalide(s) réparée(s) : "
            + re.sub(r"\brow (\d)", r"ligne \1", m.group(3))
            .replace("Hole lies outside shell", "trou hors du contour")
            .replace("Self-intersection", "auto-intersection")
            + f" ; variation de surface {m.group(4)} m²"
        ),
    ),
    (
        re.compile(r"^(\d+) row\(s\) without a polygon dropped \(empty, missing, or not polygonal\): rows (.+)$"),
        r"\1 ligne(s) sans polygone écartée(s) (vide, absent ou non polygonal) : lignes \2",
    ),
    (
        re.compile(r"^reprojected from (\S+) to (\S+)$"),
        r"reprojetée de \1 en \2",
    ),
    (
        re.compile(r"^(\d+) polygons: overlaps not checked \(pass check_overlaps=True to check them\)$"),
        r"\1 polygones : recouvrements non vérifiés (passer check_overlaps=True pour les vérifier)",
    ),
    (
        re.compile(
            r"^(\d+) polygon\(s\) overlapped others over (\S+) ha; each overlap was kept by the "
            r"smaller polygon and cut out of the larger, so that every m2 is counted once$"
        ),
        r"\1 polygone(s) en recouvraient d'autres sur \2 ha ; chaque recouvrement est gardé par "
        r"le plus petit polygone et retiré du plus grand, pour compter chaque m² une fois",
    ),
    (
        re.compile(r"^no CRS in the file; (\S+) assumed as given$"),
        r"pas de système de coordonnées dans le fichier ; \1 supposé, comme indiqué",
    ),
    (
        re.compile(r"^commune (\S+) is listed several times with different values: (.+) \((lines? .+)\)$"),
        lambda m: (
            f"la commune {m.group(1)} figure plusieurs fois avec des valeurs différentes : "
            f"{m.group(2).replace('(empty)', '(vide)')} ({_lines(m.group(3))})"
        ),
    ),
    (
        re.compile(
            r"^commune (\S+) is listed several times with different names of its (\S+): (.+) "
            r"\((lines? .+)\)$"
        ),
        lambda m: (
            f"la commune {m.group(1)} figure plusieurs fois avec des noms différents pour son "
            f"niveau {m.group(2)} : {m.group(3)} ({_lines(m.group(4))})"
        ),
    ),
    (
        re.compile(r"^commune (\S+) belongs to several territories of level '(.+)': (.+) \((lines? .+)\)$"),
        lambda m: (
            f"la commune {m.group(1)} appartient à plusieurs territoires du niveau "
            f"'{m.group(2)}' : {m.group(3)} ({_lines(m.group(4))})"
        ),
    ),
    (re.compile(r"^keep one row per commune$"), "garder une ligne par commune"),
    (re.compile(r"^keep one (\S+) per commune$"), r"garder un(e) \1 par commune"),
    (re.compile(r"^give every commune its INSEE code$"), "donner à chaque commune son code INSEE"),
    (
        re.compile(r"^(\d+) empty commune code\(s\) \((.+)\)$"),
        lambda m: f"{m.group(1)} code(s) commune vide(s) ({_lines(m.group(2))})",
    ),
    (
        re.compile(r"^(\d+) invalid commune code\(s\): (.+) \((.+)\)$"),
        lambda m: f"{m.group(1)} code(s) commune invalide(s) : {m.group(2)} ({_lines(m.group(3))})",
    ),
    (
        re.compile(
            r"^column '(.+)': (\d+) four-digit code\(s\) \(e\.g\. (.+)\) read as having lost their "
            r"leading zero and padded to five$"
        ),
        r"colonne '\1' : \2 code(s) à quatre chiffres (par exemple \3) lus comme ayant perdu "
        r"leur zéro initial et complétés à cinq",
    ),
]


#: An English number standing alone (not inside a code such as CS2.1.1.1 or 2A004).
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w.,]?\d)")


def _french_numbers(text: str) -> str:
    """``1,234.5`` → ``1 234,5`` (narrow no-break space, decimal comma).

    Examples
    --------
    >>> _french_numbers("+0.08 m² over 1,284.57 ha; CS2.1.1.1, 2A004, 62041 (2010-2023)")
    '+0,08 m² over 1\u202f284,57 ha; CS2.1.1.1, 2A004, 62041 (2010-2023)'
    """

    def one(m: re.Match[str]) -> str:
        whole, frac = m.group(1), m.group(2) or ""
        return whole.replace(",", "\u202f") + frac.replace(".", ",")

    return _NUMBER.sub(one, text)


def to_french(text: str) -> str:
    """A reader's English message in French (known messages), else marked as such.

    Parameters
    ----------
    text : str
        The message, without its file name.

    Returns
    -------
    str

    Examples
    --------
    >>> to_french("no destination figures for 62041 (2010-2023): only the total is known")
    'pas de détail par destination pour 62041 (2010-2023) : seul le total est connu'
    >>> to_french("something new")
    'message du lecteur (en anglais) : something new'
    """
    text = text.strip()
    for pattern, french in LOADER_FR:
        match = pattern.match(text)
        if match:
            return _french_numbers(french(match) if callable(french) else match.expand(french))
    if not text:
        return text
    return f"message du lecteur (en anglais) : {text}"
