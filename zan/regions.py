"""Regions: which have a SRADDET, and the figures a region has published.

Two facts of the law in force decide how a regional envelope is built (loi n° 2023-630
"ZAN 2", DOMAIN.md §1):

- the PENE *péréquation* shares 10,000 ha of the 12,500 ha national forfait among the
  regions **with a SRADDET**, pro rata of their 2011-2020 consumption; Île-de-France
  (11), Corse (94) and the overseas regions (01-06) have no SRADDET and share the
  other 2,500 ha: :func:`check_perequation` refuses the péréquation for them
  (:class:`~zan.errors.NoSraddetError`);
- a region's **published envelope in hectares is the authority**; the péréquation
  formula ``C_ref × (0.5 − 10,000 / ΣC_ref)`` only estimates it, since no published
  table gives ΣC_ref and each Cerema release revises 2011-2020.

The published figures of a region live in ``data/regions/<name>/region.toml``
(shipped with the package; :func:`load_region`): its INSEE code, whether it has a
SRADDET, the published envelope with its period, source and date, and optionally the
regional reduction rate, the reference consumption and the consumption since 2021,
each with its source. Hauts-de-France (``"hdf"``): 7,410 ha for 2021-2030 (DREAL
tableau de bord 2025), −54.47 % (SRADDET modified 21 Nov 2024), about 16,275 ha in
2011-2020 (back-solved), 3,763 ha consumed 2021-2023.

A scenario takes a region's published envelope with ``[envelope] region = "hdf"``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as _PydanticValidationError

from .datasets import regions_dir
from .errors import NoSraddetError, ScenarioError

__all__ = [
    "REGION_NAMES",
    "REGIONS_WITHOUT_SRADDET",
    "Region",
    "PublishedFigure",
    "available_regions",
    "load_region",
    "region_info",
    "has_sraddet",
    "check_perequation",
]

#: INSEE codes and names of the regions (COG).
REGION_NAMES: dict[str, str] = {
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
    "11": "Île-de-France",
    "24": "Centre-Val de Loire",
    "27": "Bourgogne-Franche-Comté",
    "28": "Normandie",
    "32": "Hauts-de-France",
    "44": "Grand Est",
    "52": "Pays de la Loire",
    "53": "Bretagne",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "94": "Corse",
}

#: Regions without a SRADDET (loi n° 2023-630: they share the 2,500 ha of the PENE
#: forfait set apart for them, not the péréquation of the 10,000 ha; DOMAIN.md §1).
REGIONS_WITHOUT_SRADDET: frozenset[str] = frozenset({"01", "02", "03", "04", "06", "11", "94"})


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PublishedFigure(_Frozen):
    """A figure a region or the State has published, with its source and date."""

    period: tuple[int, int] | None = Field(None, description="Years covered, both included.")
    source: str = Field(min_length=1, description="Who published it, where.")
    date: str = Field(min_length=1, description="Date (or year) of the publication.")
    estimated: bool = Field(False, description="True when back-solved, not read as published.")


class _Envelope(PublishedFigure):
    period: tuple[int, int] = Field(description="Years the envelope is for, both included.")
    published_ha: float = Field(ge=0, description="Published envelope, PENE already taken off.")


class _Rate(PublishedFigure):
    rate: float = Field(ge=0, le=1, description="Reduction (0.5447 = −54.47 %).")


class _Hectares(PublishedFigure):
    ha: float = Field(ge=0, description="Hectares.")


class Region(_Frozen):
    """A region's identity and published ZAN figures (``data/regions/<name>/region.toml``).

    Attributes
    ----------
    code : str
        INSEE region code (two digits).
    name : str
    sraddet : bool
        Whether the region has a SRADDET (the PENE péréquation applies).
    envelope : PublishedFigure or None
        ``published_ha`` for ``period``, with ``source`` and ``date``.
    reduction, reference, consumed : PublishedFigure or None
        Regional reduction rate (``rate``), reference consumption (``ha``), ENAF
        consumed since the start of the target period (``ha``).

    Examples
    --------
    >>> r = load_region("hdf")
    >>> r.code, r.envelope.published_ha, r.envelope.period, r.reduction.rate
    ('32', 7410.0, (2021, 2030), 0.5447)
    """

    code: str = Field(pattern=r"^\d\d$", description="INSEE region code.")
    name: str
    sraddet: bool
    envelope: _Envelope | None = None
    reduction: _Rate | None = None
    reference: _Hectares | None = None
    consumed: _Hectares | None = None
    file: str | None = Field(None, description="The file read (set by load_region).")

    def published_source(self) -> str:
        """``"<source> (<date>)"`` of the published envelope, or ``""`` without one.

        Examples
        --------
        >>> load_region("hdf").published_source()[:29]
        'DREAL Hauts-de-France, tablea'
        """
        if self.envelope is None:
            return ""
        return f"{self.envelope.source} ({self.envelope.date})"


def available_regions() -> list[str]:
    """Names of the regions shipped with zan (folders of ``data/regions`` with a ``region.toml``).

    Examples
    --------
    >>> "hdf" in available_regions()
    True
    """
    root = regions_dir()
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob("*/region.toml"))


def load_region(name: str | Path | Region) -> Region:
    """Load a region's published figures: a shipped name, an INSEE code, or a TOML file.

    Parameters
    ----------
    name : str, path or Region
        ``"hdf"`` (see :func:`available_regions`), the INSEE code of a shipped
        region (``"32"``), the path of a ``region.toml``, or a Region (returned as is).

    Returns
    -------
    Region

    Raises
    ------
    ScenarioError
        Unknown name (the message lists the shipped ones), a file that is not valid
        TOML or lacks a figure's source.

    Examples
    --------
    >>> load_region("32").name
    'Hauts-de-France'
    """
    if isinstance(name, Region):
        return name
    text = str(name)
    if isinstance(name, Path) or text.endswith(".toml"):
        path = Path(name)
        if not path.is_file():
            raise ScenarioError(f"region file {path} not found; check the path")
    else:
        path = regions_dir() / text / "region.toml"
        if not path.is_file():
            by_code = {load_region(n).code: n for n in available_regions()}
            if text in by_code:
                return load_region(by_code[text])
            raise ScenarioError(
                f"no published figures for region {text!r}; shipped regions: "
                f"{', '.join(available_regions()) or '(none)'} (or give the path of a "
                "region.toml, see data/regions/hdf/region.toml for the layout)"
            )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Region.model_validate({**data, "file": str(path)})
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc}); fix the syntax") from exc
    except _PydanticValidationError as exc:
        problems = "; ".join(
            f"key {'.'.join(str(p) for p in err['loc'])!r}: {err['msg']}" for err in exc.errors()
        )
        raise ScenarioError(
            f"{path}: {problems}; see data/regions/hdf/region.toml for the layout"
        ) from exc


def region_info(value: str | Path | Region) -> Region:
    """A region from a shipped name, a file, or any INSEE code (figures only if shipped).

    An INSEE code without shipped figures gives a Region with its name and
    whether it has a SRADDET, and no published figure.

    Parameters
    ----------
    value : str, path or Region

    Returns
    -------
    Region

    Raises
    ------
    ScenarioError
        Neither a shipped region, a file, nor an INSEE region code.

    Examples
    --------
    >>> r = region_info("11")
    >>> r.name, r.sraddet, r.envelope is None
    ('Île-de-France', False, True)
    """
    if isinstance(value, Region):
        return value
    text = str(value)
    if text in REGION_NAMES and text not in {load_region(n).code for n in available_regions()}:
        return Region(code=text, name=REGION_NAMES[text], sraddet=has_sraddet(text))
    try:
        return load_region(value)
    except ScenarioError as exc:
        if isinstance(value, Path) or text.endswith(".toml"):
            raise
        raise ScenarioError(
            f"{exc}; or give an INSEE region code ({', '.join(sorted(REGION_NAMES))})"
        ) from None


def has_sraddet(code: str) -> bool:
    """Whether a region (INSEE code) has a SRADDET.

    Examples
    --------
    >>> has_sraddet("32"), has_sraddet("94")
    (True, False)
    """
    return str(code).zfill(2) not in REGIONS_WITHOUT_SRADDET


def check_perequation(code: str | None) -> None:
    """Refuse the PENE péréquation for a region without a SRADDET.

    Parameters
    ----------
    code : str or None
        INSEE region code; None (unknown region) passes.

    Raises
    ------
    NoSraddetError
        For Île-de-France (11), Corse (94) and the overseas regions (01-06).

    Examples
    --------
    >>> check_perequation("32")
    >>> check_perequation("11")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zan.errors.NoSraddetError: region 11 (Île-de-France) has no SRADDET: ...
    """
    if code is None:
        return
    code = str(code).zfill(2)
    if not has_sraddet(code):
        raise NoSraddetError(
            f"region {code} ({REGION_NAMES.get(code, 'unknown')}) has no SRADDET: the PENE "
            "péréquation only shares the 10,000 ha of the regions with a SRADDET (Île-de-France, "
            "Corse and overseas share 2,500 ha apart, loi n° 2023-630); give pene as a number "
            "of hectares or 'none'"
        )
