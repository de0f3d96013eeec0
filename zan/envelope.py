"""The regional envelope: reference consumption, reduction, PENE, tolerance and reserve.

The envelope is the number of hectares of ENAF a region may consume over the target
period. It is built in a fixed order, each term kept in the :class:`Envelope` result:

1. **gross** = reference × (1 − reduction), or a number of hectares given directly;
   reference = ENAF consumption over the ten calendar years 2011-2020, target 2021-2030
   (loi n° 2021-1104, art. 191 and 194; DOMAIN.md §1);
2. **− PENE**: the region's share of the national forfait for *projets d'envergure
   nationale ou européenne* (loi n° 2023-630; arrêté of 31 May 2024), given in hectares
   or computed by *péréquation*: 10,000 ha of the 12,500 ha forfait are shared among the
   regions with a SRADDET pro rata of their 2011-2020 consumption, so that
   ``E = C_ref × (0.5 − 10,000 / ΣC_ref)`` (DOMAIN.md §1; Hauts-de-France:
   16,275 ha × (1 − 0.5447) = 7,410 ha). The péréquation is refused for the regions
   without a SRADDET (Île-de-France, Corse, overseas: :mod:`zan.regions`), and its
   result is an **estimate**: a region's **published** envelope in hectares is the
   authority (``region=`` takes it from ``data/regions/<name>/region.toml``, PENE
   already taken off);
3. **× (1 + tolerance)**: 0 in the law in force, +20 % in the Senate's TRACE proposal;
4. **− regional reserve**: hectares kept at regional level for *projets d'envergure
   régionale*, a top-slice taken before the territorial split (DOMAIN.md §1, §4);
5. what remains is **distributed** among territories; the *garantie communale*
   (1 ha per eligible commune, loi n° 2023-630) is reported as the part of it that
   floors lock.

The legal parameters (periods, reduction, tolerance, whether PENE count, the national
figures of the péréquation, the garantie) come from *legal profiles*, TOML files shipped in
``zan/profiles/``: ``loi_2023`` (default, the law in force) and ``trace_2025`` (a variant).
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as _PydanticValidationError

from .errors import ScenarioError
from .formatting import fr_html, fr_text
from .regions import Region, check_perequation, region_info

__all__ = [
    "LegalProfile",
    "Envelope",
    "load_profile",
    "available_profiles",
    "regional_envelope",
    "pene_perequation_ha",
    "DEFAULT_PROFILE",
]

#: Name of the legal profile used when none is given: the law in force.
DEFAULT_PROFILE = "loi_2023"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Periods(_Frozen):
    reference: tuple[int, int] = Field(description="First and last year of the reference period.")
    target: tuple[int, int] = Field(description="First and last year of the target period.")


class _EnvelopeRules(_Frozen):
    reduction: float = Field(ge=0.0, le=1.0, description="Reduction of consumption (0.5 = -50 %).")
    tolerance: float = Field(ge=0.0, description="Tolerance over the envelope (0.2 = +20 %).")


class _PeneRules(_Frozen):
    counted: bool = Field(description="Whether PENE hectares are taken off the regional envelope.")
    national_ha: float = Field(gt=0, description="National PENE forfait (ha).")
    regions_ha: float = Field(ge=0, description="Part of the forfait shared among SRADDET regions.")
    national_reference_ha: float = Field(
        gt=0, description="Sum of the reference consumption of the SRADDET regions (ha)."
    )
    national_reference_source: str = Field(description="Where national_reference_ha comes from.")


class _GarantieRules(_Frozen):
    ha_per_commune: float = Field(ge=0, description="Hectares guaranteed to each eligible commune.")
    document_deadline: _dt.date = Field(description="Planning documents must predate this day.")


class LegalProfile(_Frozen):
    """A legal framework as data: periods, reduction, tolerance, PENE, garantie communale.

    Profiles are TOML files in ``zan/profiles/`` read by :func:`load_profile`; a reform is
    simulated by writing a new file, not new code.

    Examples
    --------
    >>> p = load_profile("loi_2023")
    >>> p.periods.reference, p.envelope.reduction, p.pene.counted
    ((2011, 2020), 0.5, True)
    """

    name: str
    title: str
    status: str
    description: str
    sources: tuple[str, ...]
    periods: _Periods
    envelope: _EnvelopeRules
    pene: _PeneRules
    garantie_communale: _GarantieRules


def _profiles_dir():
    return resources.files("zan").joinpath("profiles")


def available_profiles() -> list[str]:
    """List the legal profiles shipped with zan.

    Returns
    -------
    list of str

    Examples
    --------
    >>> available_profiles()
    ['loi_2023', 'trace_2025']
    """
    return sorted(
        p.name.removesuffix(".toml") for p in _profiles_dir().iterdir() if p.name.endswith(".toml")
    )


def load_profile(name: str | Path | LegalProfile = DEFAULT_PROFILE) -> LegalProfile:
    """Load a legal profile by name (shipped) or from a TOML file.

    Parameters
    ----------
    name : str, path or LegalProfile, default "loi_2023"
        A shipped profile name (see :func:`available_profiles`), a path to a TOML file
        with the same layout, or a profile (returned as it is).

    Returns
    -------
    LegalProfile

    Raises
    ------
    ScenarioError
        Unknown name (the message lists the valid ones) or an invalid profile file.

    Examples
    --------
    >>> load_profile("trace_2025").envelope.tolerance
    0.2
    """
    if isinstance(name, LegalProfile):
        return name
    text_name = str(name)
    if text_name.endswith(".toml") or isinstance(name, Path):
        path = Path(name)
        if not path.exists():
            raise ScenarioError(f"legal profile file {path} not found; check the path")
        source, raw = str(path), path.read_bytes()
    else:
        ref = _profiles_dir().joinpath(f"{text_name}.toml")
        if not ref.is_file():
            raise ScenarioError(
                f"unknown legal profile {text_name!r}; valid profiles: "
                f"{', '.join(available_profiles())} (or give the path of a .toml profile)"
            )
        source, raw = f"profile {text_name}", ref.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return LegalProfile.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML ({exc}); fix the syntax") from exc
    except _PydanticValidationError as exc:
        problems = "; ".join(
            f"key {'.'.join(str(p) for p in err['loc'])!r}: {err['msg']}" for err in exc.errors()
        )
        raise ScenarioError(
            f"{source}: {problems}; see zan/profiles/loi_2023.toml for the layout"
        ) from exc


def pene_perequation_ha(
    region_reference_ha: float,
    *,
    regions_ha: float = 10_000.0,
    national_reference_ha: float = 223_700.0,
) -> float:
    """Share of the national PENE forfait borne by one region (péréquation).

    The 10,000 ha of the forfait shared among the regions with a SRADDET are taken off
    each region pro rata of its 2011-2020 consumption (loi n° 2023-630; arrêté of
    31 May 2024; DOMAIN.md §1, where the formula is inferred from matching figures).

    Parameters
    ----------
    region_reference_ha : float
        The region's reference consumption (ha).
    regions_ha : float, default 10,000
        Part of the national forfait shared among SRADDET regions.
    national_reference_ha : float, default 223,700
        Sum of the reference consumption of those regions (see the ``loi_2023`` profile
        for the source of the default).

    Returns
    -------
    float
        Hectares taken off the regional envelope.

    Examples
    --------
    >>> round(pene_perequation_ha(16_275), 2)
    727.54
    """
    if national_reference_ha <= 0:
        raise ScenarioError(
            f"'national_reference_ha' must be positive (got {national_reference_ha!r})"
        )
    return float(region_reference_ha) * float(regions_ha) / float(national_reference_ha)


@dataclass(frozen=True)
class Envelope:
    """The regional envelope with every term that builds it (hectares).

    Built by :func:`regional_envelope`; ``regional_ha`` is what the region may consume,
    ``distributed_ha`` what is shared among territories.

    Attributes
    ----------
    profile : LegalProfile
    reference_period, target_period : tuple of int
    reference_ha : float
        Consumption over the reference period.
    reduction : float or None
        Reduction applied to the reference (None when ``envelope_ha`` was given).
    gross_ha : float
        reference × (1 − reduction), or the hectares given.
    pene_mode : {"none", "hectares", "perequation"}
    pene_ha : float
        PENE hectares taken off.
    tolerance : float
    tolerance_ha : float
        Hectares added by the tolerance.
    regional_ha : float
        The region's envelope: (gross − PENE) × (1 + tolerance).
    effort_pct : float
        Reduction actually asked of the region, in % of the reference.
    reserve_ha : float
        Regional reserve (top-slice).
    distributed_ha : float
        regional − reserve, shared among territories.
    garantie_communes : int
        Number of communes eligible for the garantie communale.
    garantie_ha : float
        Hectares those communes are guaranteed.
    region : Region or None
        The region (:mod:`zan.regions`), when known: its code decides whether the
        péréquation applies, its published figures are shown next to an estimate.
    published : bool
        True when ``gross_ha`` is the region's published envelope (PENE already
        taken off: ``pene_mode`` is ``"included"``).
    """

    profile: LegalProfile
    reference_period: tuple[int, int]
    target_period: tuple[int, int]
    reference_ha: float
    reduction: float | None
    gross_ha: float
    pene_mode: Literal["none", "hectares", "perequation", "included"]
    pene_ha: float
    tolerance: float
    tolerance_ha: float
    regional_ha: float
    effort_pct: float
    reserve_ha: float
    distributed_ha: float
    garantie_communes: int = 0
    garantie_ha: float = 0.0
    region: Region | None = None
    published: bool = False

    @property
    def kind(self) -> str:
        """How the regional envelope was obtained.

        ``"published"`` (the region's published figure, the authority),
        ``"estimate"`` (the PENE péréquation formula: an estimate of the published
        figure), ``"given"`` (hectares given directly) or ``"computed"`` (reference ×
        (1 − reduction), PENE given in hectares or none).

        Examples
        --------
        >>> regional_envelope(16_275, pene="perequation").kind
        'estimate'
        >>> regional_envelope(16_275, region="hdf").kind
        'published'
        """
        if self.published:
            return "published"
        if self.pene_mode == "perequation":
            return "estimate"
        return "given" if self.reduction is None else "computed"

    def provenance(self) -> dict[str, Any]:
        """How the envelope was obtained, for ``sources.json``.

        Returns
        -------
        dict
            ``kind`` (see :attr:`kind`), ``label`` (French), ``regional_ha``, and
            ``source`` (the published figure's source and date) for a published
            envelope; ``region`` (code and name) and, next to an estimate,
            ``published_ha`` and ``published_source`` when the region has a
            published figure.

        Examples
        --------
        >>> regional_envelope(16_275, pene="perequation").provenance()["label"]
        'estimation (formule de péréquation des PENE)'
        """
        out: dict[str, Any] = {
            "kind": self.kind,
            "label": _KIND_LABELS[self.kind],
            "regional_ha": round(self.regional_ha, 4),
        }
        reg = self.region
        if reg is not None:
            out["region"] = {"code": reg.code, "name": reg.name, "sraddet": reg.sraddet}
        if self.published and reg is not None:
            out["source"] = reg.published_source()
        elif (
            reg is not None
            and reg.envelope is not None
            and tuple(reg.envelope.period) == tuple(self.target_period)
        ):
            out["published_ha"] = reg.envelope.published_ha
            out["published_source"] = reg.published_source()
        return out

    def shared_ha(self, resolution: float | None = None) -> float:
        """Hectares shared among the territories on a rounding grid.

        An allocation hands out whole units of its resolution, never more than
        ``distributed_ha`` (:func:`zan.rounding.total_units`); the rest, under one
        unit, is the "reliquat d'arrondi" of :meth:`zan.Allocation.summary`.

        Parameters
        ----------
        resolution : float, optional
            The allocation's rounding unit (ha); None gives ``distributed_ha`` as is.

        Returns
        -------
        float

        Examples
        --------
        >>> env = regional_envelope(4_563.9291, reduction=0.5)
        >>> round(env.distributed_ha, 4), env.shared_ha(0.01)
        (2281.9646, 2281.96)
        """
        if resolution is None:
            return float(self.distributed_ha)
        if not resolution > 0:
            raise ScenarioError(f"the rounding resolution must be positive (got {resolution!r})")
        return math.floor(self.distributed_ha / resolution + 1e-6) * resolution

    def terms(self, resolution: float | None = None) -> pd.DataFrame:
        """Return the terms of the envelope as a table with French labels.

        Parameters
        ----------
        resolution : float, optional
            The allocation's rounding unit: the envelope to share is then rounded
            down to it (:meth:`shared_ha`), as the allocation's summary shows it.

        Returns
        -------
        pandas.DataFrame
            Columns ``terme`` and ``ha``, in the order the envelope is built.

        Examples
        --------
        >>> env = regional_envelope(16_275, pene="perequation")
        >>> env.terms()["ha"].round(2).tolist()[:4]
        [16275.0, 8137.5, -727.54, 0.0]
        >>> env = regional_envelope(4_563.9291, reduction=0.5)
        >>> float(env.terms(resolution=0.01)["ha"].iloc[-2])
        2281.96
        """
        ref = f"{self.reference_period[0]}-{self.reference_period[1]}"
        if self.published:
            gross_label = "Enveloppe publiée par la région (PENE déjà déduits)"
        elif self.reduction is None:
            gross_label = "Enveloppe brute (donnée en ha)"
        else:
            gross_label = f"Enveloppe brute (réduction de {fr_text(100 * self.reduction, 2)} %)"
        pene_label = {
            "none": "PENE (non déduits)",
            "hectares": "PENE (part régionale donnée en ha)",
            "perequation": "PENE (péréquation nationale, estimation)",
            "included": "PENE (inclus dans l'enveloppe publiée)",
        }[self.pene_mode]
        regional_label = {
            "published": "Enveloppe régionale (publiée)",
            "estimate": "Enveloppe régionale (estimation)",
        }.get(self.kind, "Enveloppe régionale")
        rows = [
            (f"Consommation de référence {ref}", self.reference_ha),
            (gross_label, self.gross_ha),
            (pene_label, -self.pene_ha),
            (f"Tolérance (+{fr_text(100 * self.tolerance, 0)} %)", self.tolerance_ha),
            (regional_label, self.regional_ha),
            ("Réserve régionale (projets d'envergure régionale)", -self.reserve_ha),
            ("Enveloppe à répartir entre territoires", self.shared_ha(resolution)),
            (
                f"dont garantie communale ({self.garantie_communes} communes)",
                self.garantie_ha,
            ),
        ]
        return pd.DataFrame(rows, columns=["terme", "ha"])

    def explain(self, resolution: float | None = None) -> str:
        """Explain in French how the envelope was built.

        Parameters
        ----------
        resolution : float, optional
            The allocation's rounding unit: the envelope to share is then given as
            the territories receive it, rounded down to that unit (:meth:`shared_ha`).

        Returns
        -------
        str

        Examples
        --------
        >>> text = regional_envelope(16_275, pene="perequation").explain()
        >>> print(text[text.index("Enveloppe régionale"):])  # doctest: +ELLIPSIS
        Enveloppe régionale 2021-2030 (estimation) : 7 409,96 ha, soit un effort de 54,47 %...
        >>> text = regional_envelope(4_563.9291, reduction=0.5).explain(resolution=0.01)
        >>> print(text[text.index("Enveloppe à répartir"):])
        Enveloppe à répartir entre les territoires : 2 281,96 ha (arrondie au 0,01 ha inférieur).
        """
        ref = f"{self.reference_period[0]}-{self.reference_period[1]}"
        tgt = f"{self.target_period[0]}-{self.target_period[1]}"
        parts = [f"Profil juridique : {self.profile.title}."]
        reg = self.region
        if self.published and reg is not None:
            parts.append(
                f"Consommation d'ENAF {ref} : {fr_text(self.reference_ha)} ha ; enveloppe publiée "
                f"par la région {reg.name} : {fr_text(self.gross_ha)} ha, PENE déjà déduits "
                f"(source : {reg.published_source()})."
            )
        elif self.reduction is None:
            parts.append(
                f"Consommation d'ENAF {ref} : {fr_text(self.reference_ha)} ha ; "
                f"enveloppe brute donnée directement : {fr_text(self.gross_ha)} ha."
            )
        else:
            parts.append(
                f"Consommation d'ENAF {ref} : {fr_text(self.reference_ha)} ha ; une réduction de "
                f"{fr_text(100 * self.reduction, 2)} % donne une enveloppe brute de "
                f"{fr_text(self.gross_ha)} ha."
            )
        if self.pene_mode == "perequation":
            parts.append(
                f"PENE : {fr_text(self.pene_ha)} ha déduits par péréquation nationale "
                f"({fr_text(self.profile.pene.regions_ha, 0)} ha mutualisés au prorata de "
                f"{fr_text(self.profile.pene.national_reference_ha, 0)} ha consommés par les "
                "régions dotées d'un SRADDET) : une estimation, aucune table publiée ne "
                "donnant cette somme."
            )
        elif self.pene_mode == "hectares":
            parts.append(f"PENE : {fr_text(self.pene_ha)} ha déduits (part régionale donnée).")
        elif not self.profile.pene.counted:
            parts.append("PENE : décomptés hors enveloppe régionale selon ce profil.")
        if self.tolerance:
            parts.append(
                f"Tolérance de +{fr_text(100 * self.tolerance, 0)} % : {fr_text(self.tolerance_ha)} ha."
            )
        what = {"published": " (publiée)", "estimate": " (estimation)"}.get(self.kind, "")
        parts.append(
            f"Enveloppe régionale {tgt}{what} : {fr_text(self.regional_ha)} ha, soit un effort de "
            f"{fr_text(self.effort_pct, 2)} %."
        )
        if (
            not self.published
            and reg is not None
            and reg.envelope is not None
            and tuple(reg.envelope.period) == tuple(self.target_period)
        ):
            parts.append(
                f"Enveloppe publiée par la région {reg.name} pour "
                f"{reg.envelope.period[0]}-{reg.envelope.period[1]} : "
                f"{fr_text(reg.envelope.published_ha)} ha (source : {reg.published_source()}), "
                "qui fait foi."
            )
        if self.reserve_ha:
            parts.append(
                f"Réserve régionale pour les projets d'envergure régionale : "
                f"{fr_text(self.reserve_ha)} ha."
            )
        shared = self.shared_ha(resolution)
        parts.append(f"Enveloppe à répartir entre les territoires : {fr_text(shared)} ha")
        if resolution is not None and self.distributed_ha - shared > 1e-9:
            parts[-1] += f" (arrondie au {fr_text(resolution, 2)} ha inférieur)"
        if self.garantie_communes:
            parts[-1] += (
                f", dont {fr_text(self.garantie_ha)} ha de garantie communale "
                f"({self.garantie_communes} communes × "
                f"{fr_text(self.profile.garantie_communale.ha_per_commune)} ha)."
            )
        else:
            parts[-1] += "."
        return " ".join(parts)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(t)}</td><td style='text-align:right'>{fr_html(v)}</td></tr>"
            for t, v in self.terms().itertuples(index=False)
        )
        return (
            f"<div><strong>Enveloppe foncière {self.target_period[0]}-{self.target_period[1]}"
            f"</strong> — {html.escape(self.profile.title)}"
            f"<table><thead><tr><th>Terme</th><th>Surface</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )


def _period(name: str, value: Any) -> tuple[int, int]:
    """``(first, last)`` years, both included, first <= last."""
    try:
        first, last = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ScenarioError(
            f"{name!r} must be [first year, last year] (got {value!r}); e.g. [2031, 2040]"
        ) from None
    if first > last:
        raise ScenarioError(f"{name!r} must be [first, last] (got [{first}, {last}])")
    return first, last


def regional_envelope(
    reference_ha: float,
    *,
    reduction: float | None = None,
    envelope_ha: float | None = None,
    pene: float | str | None = None,
    reserve_ha: float | None = None,
    reserve_share: float | None = None,
    garantie_communes: int = 0,
    profile: str | Path | LegalProfile = DEFAULT_PROFILE,
    region_reference_ha: float | None = None,
    national_reference_ha: float | None = None,
    pene_regions_ha: float | None = None,
    tolerance: float | None = None,
    reference_period: tuple[int, int] | None = None,
    target_period: tuple[int, int] | None = None,
    region: str | Path | Region | None = None,
) -> Envelope:
    """Compute a region's envelope term by term.

    Order: gross = reference × (1 − reduction) (or ``envelope_ha``), minus PENE, times
    (1 + tolerance), minus the regional reserve = distributed (see the module docstring
    for the legal sources).

    Parameters
    ----------
    reference_ha : float
        ENAF consumption over the profile's reference period (2011-2020 by default), ha.
    reduction : float, optional
        Reduction in [0, 1] (0.5 = −50 %); default the profile's. Exclusive with
        ``envelope_ha``.
    envelope_ha : float, optional
        Gross envelope given directly in hectares instead of a reduction.
    pene : float, "perequation", "none" or None
        PENE taken off: a number of hectares (the region's share), ``"perequation"`` to
        compute it from the national figures, or None / ``"none"`` for nothing.
    reserve_ha, reserve_share : float, optional
        Regional reserve, in hectares or as a share in [0, 1) of the regional envelope
        (exclusive).
    garantie_communes : int, default 0
        Number of communes eligible for the garantie communale (reported, and checked
        against the distributed envelope by the allocation).
    profile : str, path or LegalProfile, default "loi_2023"
        Legal profile (see :func:`load_profile`).
    region_reference_ha : float, optional
        Consumption used for the PENE péréquation when it differs from ``reference_ha``
        (e.g. the profile's reference period is not 2011-2020); default ``reference_ha``.
    national_reference_ha, pene_regions_ha : float, optional
        Override the profile's national figures for the péréquation.
    tolerance : float, optional
        Override the profile's tolerance.
    reference_period : tuple of int, optional
        Years ``reference_ha`` was measured over, when not the profile's (reported).
    target_period : tuple of int, optional
        Years the envelope is for, when not the profile's: a later decade of the
        SRADDET (2031-2040, 2041-2050, in net artificialisation: DOMAIN.md §1 says the
        law leaves each decade's figure to the region), given with its
        ``envelope_ha`` or ``reduction``.
    region : str, path or Region, optional
        The region: a shipped name (``"hdf"``), an INSEE code (``"32"``, ``"11"``...)
        or a ``region.toml`` (:func:`zan.regions.load_region`). Without
        ``reduction`` nor ``envelope_ha``, its published envelope for the target
        period, when it has one, is the envelope (PENE already taken off; the
        authority, DOMAIN.md §1); otherwise the envelope is computed as without a
        region and the published figure, if any for the same period, is shown next
        to it. The péréquation is refused for a region without a SRADDET.

    Returns
    -------
    Envelope

    Raises
    ------
    ScenarioError
        A parameter out of range, both or neither of exclusive parameters, PENE given
        under a profile that leaves them out of the count, or an envelope that the PENE
        or the reserve would make negative; PENE given with a published envelope (it
        already takes them off).
    NoSraddetError
        The péréquation asked for a region without a SRADDET (a ScenarioError).

    Examples
    --------
    Hauts-de-France (DOMAIN.md §4): 16,275 ha, péréquation of the national PENE forfait:

    >>> env = regional_envelope(16_275, pene="perequation")
    >>> round(env.regional_ha, 2), round(env.effort_pct, 2)
    (7409.96, 54.47)

    A regional reserve of 5 %:

    >>> round(regional_envelope(1000, reserve_share=0.05).distributed_ha, 2)
    475.0

    The envelope Hauts-de-France published (the authority), on a reference measured
    in a later Cerema release:

    >>> env = regional_envelope(16_290, region="hdf")
    >>> env.regional_ha, env.kind, round(env.effort_pct, 2)
    (7410.0, 'published', 54.51)
    """
    prof = load_profile(profile)
    ref = _number("reference_ha", reference_ha, minimum=0.0)
    if reduction is not None and envelope_ha is not None:
        raise ScenarioError(
            "give either 'reduction' or 'envelope_ha', not both "
            f"(got reduction={reduction!r}, envelope_ha={envelope_ha!r})"
        )
    reg = None if region is None else region_info(region)
    tgt_period = _period("target_period", target_period or prof.periods.target)
    published = (
        reg is not None
        and reduction is None
        and envelope_ha is None
        and reg.envelope is not None
        and tuple(reg.envelope.period) == tgt_period
    )
    if published:
        assert reg is not None and reg.envelope is not None
        if pene is not None and not (isinstance(pene, str) and pene.lower() == "none"):
            raise ScenarioError(
                f"'pene' is {pene!r} but the published envelope of {reg.name} already takes "
                "the region's PENE contribution off; remove 'pene' (or give 'reduction' to "
                "compute an estimate instead)"
            )
        envelope_ha = reg.envelope.published_ha
    if envelope_ha is not None:
        red = None
        gross = _number("envelope_ha", envelope_ha, minimum=0.0)
    else:
        red = prof.envelope.reduction if reduction is None else reduction
        red = _number("reduction", red, minimum=0.0, maximum=1.0, hint="write 0.5 for -50 %")
        gross = ref * (1.0 - red)

    mode: Literal["none", "hectares", "perequation", "included"]
    if published:
        mode, pene_ha = "included", 0.0
    elif pene is None or (isinstance(pene, str) and pene.lower() == "none"):
        mode, pene_ha = "none", 0.0
    elif not prof.pene.counted:
        raise ScenarioError(
            f"'pene' is {pene!r} but the legal profile {prof.name!r} leaves PENE out of the "
            "regional count; remove 'pene' or use profile 'loi_2023'"
        )
    elif isinstance(pene, str):
        if pene.lower() not in ("perequation", "péréquation"):
            raise ScenarioError(
                f"'pene' must be a number of hectares, 'perequation' or 'none' (got {pene!r})"
            )
        check_perequation(reg.code if reg is not None else None)
        mode = "perequation"
        pene_ha = pene_perequation_ha(
            ref if region_reference_ha is None else region_reference_ha,
            regions_ha=prof.pene.regions_ha if pene_regions_ha is None else pene_regions_ha,
            national_reference_ha=(
                prof.pene.national_reference_ha
                if national_reference_ha is None
                else national_reference_ha
            ),
        )
    else:
        mode, pene_ha = "hectares", _number("pene", pene, minimum=0.0)
    if pene_ha > gross:
        raise ScenarioError(
            f"PENE ({pene_ha:.2f} ha) exceed the gross envelope ({gross:.2f} ha); "
            "check 'pene' and the reference consumption"
        )

    tol = prof.envelope.tolerance if tolerance is None else tolerance
    tol = _number("tolerance", tol, minimum=0.0, hint="write 0.2 for +20 %")
    net = gross - pene_ha
    regional = net * (1.0 + tol)

    if reserve_ha is not None and reserve_share is not None:
        raise ScenarioError(
            "give either 'reserve_ha' or 'reserve_share', not both "
            f"(got {reserve_ha!r} and {reserve_share!r})"
        )
    if reserve_share is not None:
        share = _number("reserve_share", reserve_share, minimum=0.0, maximum=1.0)
        reserve = regional * share
    else:
        reserve = 0.0 if reserve_ha is None else _number("reserve_ha", reserve_ha, minimum=0.0)
    if reserve > regional:
        raise ScenarioError(
            f"the regional reserve ({reserve:.2f} ha) exceeds the regional envelope "
            f"({regional:.2f} ha); lower 'reserve_ha' or 'reserve_share'"
        )
    n_gar = int(garantie_communes)
    if n_gar < 0:
        raise ScenarioError(f"'garantie_communes' must be >= 0 (got {garantie_communes!r})")
    effort = 100.0 * (1.0 - regional / ref) if ref > 0 else float("nan")
    return Envelope(
        profile=prof,
        reference_period=_period("reference_period", reference_period or prof.periods.reference),
        target_period=tgt_period,
        reference_ha=ref,
        reduction=red,
        gross_ha=gross,
        pene_mode=mode,
        pene_ha=pene_ha,
        tolerance=tol,
        tolerance_ha=net * tol,
        regional_ha=regional,
        effort_pct=effort,
        reserve_ha=reserve,
        distributed_ha=regional - reserve,
        garantie_communes=n_gar,
        garantie_ha=n_gar * prof.garantie_communale.ha_per_commune,
        region=reg,
        published=published,
    )


#: French labels of :attr:`Envelope.kind`, for reports and ``sources.json``.
_KIND_LABELS = {
    "published": "enveloppe publiée par la région (fait foi)",
    "estimate": "estimation (formule de péréquation des PENE)",
    "given": "enveloppe donnée en hectares",
    "computed": "référence × (1 − réduction)",
}


def _number(
    key: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    hint: str | None = None,
) -> float:
    """Check one numeric parameter; the error names the key, the value and the fix."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ScenarioError(f"'{key}' must be a number (got {value!r})") from None
    ok = math.isfinite(x)
    ok = ok and (minimum is None or x >= minimum) and (maximum is None or x <= maximum)
    if not ok:
        lo = "-inf" if minimum is None else f"{minimum:g}"
        hi = "inf" if maximum is None else f"{maximum:g}"
        msg = f"'{key}' must be between {lo} and {hi} (got {value!r})"
        if hint:
            msg += f"; {hint}"
        raise ScenarioError(msg)
    return x
