"""The rapport local de suivi de l'artificialisation: one per commune or EPCI, at once.

Article L. 2231-1 of the code général des collectivités territoriales (loi n° 2021-1104
"Climat et Résilience", art. 206) asks every commune or EPCI with a PLU, PLUi or carte
communale to present, at least every three years, a report on the artificialisation of
its soils to its council. Its content is set by article R. 2231-1 CGCT, for the calendar
years it covers, in this order (DOMAIN.md §1-§2):

1° the consumption of ENAF in hectares, by destination, and as a share of the
   territory's area (Cerema files, :func:`zan.consumption`);
2° the balance between artificialised and désartificialised areas in the sense of the
   nomenclature of décret n° 2023-1096 (:func:`zan.measure.artificialisation`, OCS GE);
3° the areas made impervious: couverture categories 1° (built, ``CS1.1.1.1``) and 2°
   (other impervious, ``CS1.1.1.2``) of that nomenclature;
4° the assessment of the objectives set by the planning documents (SRADDET, SCoT,
   PLU(i)): the territory's envelope from a scenario, an objectives table, or the
   adopted SRADDET's reduction rate of its receiving territory.

Items 2° and 3° are only expected once OCS GE covers the territory: the report says so
when it does not. The commentary on the reasons of the changes is left empty for the
council. Every figure names its source, vintage and method.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._write import write_manifest, write_text
from ..errors import DataError
from ..formatting import fr_text, french_sort_key
from .batch import folder_name
from .context import DESTINATION_LABELS, ITEMS, LEVEL_LABELS
from .local_charts import add_chart_data, page_charts
from .local_items import add_renaturation, add_vintage_notes
from .render import environment

__all__ = ["ITEMS", "LocalReports", "local_report", "local_report_data", "sraddet_rates"]

#: Couverture codes of categories 1° and 2° of the décret 2023-1096 annex (impervious).
IMPERVIOUS_CODES = ("CS1.1.1.1", "CS1.1.1.2")
_REFERENCE = (2011, 2020)
_TARGET = (2021, 2030)
_LOCAL_FORMATS = ("html", "pdf", "docx")


@dataclass
class LocalReports:
    """What :func:`local_report` wrote.

    Attributes
    ----------
    out : pathlib.Path
        Output folder.
    index : pathlib.Path
        The regional index page.
    reports : list of dict
        Per territory: ``code``, ``nom``, ``files`` (paths written).
    manifest : pathlib.Path
        ``sources.json``.
    """

    out: Path
    index: Path
    manifest: Path
    reports: list[dict[str, Any]] = field(default_factory=list)


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _parse_period(period: str | tuple[int, int]) -> tuple[int, int]:
    from ..measure.consumption import parse_period

    return parse_period(period)


def _inputs(
    scenario: Any, consumption: Any, territories: Any, membership: Any
) -> tuple[Any, Any, Any, Any, dict[str, str]]:
    """(conso, zones, membership frame, allocation, input files) from either entry."""
    from ..io import read_consumption, read_membership

    files: dict[str, str] = {}
    if scenario is not None:
        from ..scenario import load_consumption, load_scenario, run_scenario, scenario_inputs

        sc = load_scenario(scenario) if isinstance(scenario, (str, os.PathLike)) else scenario
        alloc = run_scenario(sc)
        conso = load_consumption(alloc.prepared)
        if conso is None:
            raise DataError(
                f"{sc.source}: the scenario names no consumption file; add data.consumption"
            )
        files.update({k: str(v) for k, v in scenario_inputs(sc).items()})
        return conso, alloc.territories, None, alloc, files
    if consumption is None:
        raise DataError(
            "local_report() needs a scenario, or a consumption file (Cerema); give scenario= "
            "or consumption= (zan local-report SCENARIO.toml, or --consumption FILE)"
        )
    if isinstance(consumption, (str, os.PathLike)):
        files["consumption"] = str(consumption)
        consumption = read_consumption(consumption)
    zones = None
    if territories is not None:
        from ..territory import Territories

        if isinstance(territories, (str, os.PathLike)):
            files["territories"] = str(territories)
            if membership is not None:
                files["membership"] = str(membership)
            zones = Territories.from_files(territories, membership)
            membership = None
        else:
            zones = territories
    if isinstance(membership, (str, os.PathLike)):
        files["membership"] = str(membership)
        membership = read_membership(membership)
    return consumption, zones, membership, None, files


def _areas(conso: Any, zones: Any, groups: pd.Series | None) -> pd.Series:
    """Territory area in ha: the communes' layer, else the Cerema file's ``surfcomYYYY``."""
    if zones is not None:
        area = zones.communes["area_ha"].astype(float)
        area.index = area.index.astype(str)
    else:
        cols = sorted(c for c in conso.communes.columns if re.fullmatch(r"surfcom\d+", str(c)))
        if not cols:
            return pd.Series(dtype=float)
        area = pd.to_numeric(conso.communes[cols[-1]], errors="coerce") / 1e4
        area.index = area.index.astype(str)
    if groups is None:
        return area
    return area.groupby(groups.reindex(area.index)).sum()


def _groups(conso: Any, zones: Any, membership: Any, level: str) -> pd.Series | None:
    """Commune code → territory code at ``level`` (None at commune level)."""
    if level == "commune":
        return None
    if zones is not None:
        a = zones.assignment(level)
    elif membership is not None:
        a = membership[level]
    else:
        cols = sorted(c for c in conso.communes.columns if re.fullmatch(r"epci\d+", str(c)))
        if level != "epci" or not cols:
            raise DataError(
                f"{conso.source}: cannot group the communes by {level!r}; give territories or a "
                "membership table naming that level"
            )
        a = conso.communes[cols[-1]]
    a = a.astype(str)
    a.index = a.index.astype(str)
    return a


def _names(zones: Any, membership: Any, level: str, codes: Sequence[str]) -> Any:
    """Name of a territory without consumption data (its code when none is known)."""
    found: dict[str, str] = {}
    if codes and zones is not None:
        n = zones.names(level)
        found = {str(k): str(v) for k, v in n.items()}
    elif codes and membership is not None:
        col = "nom" if level == "commune" else f"{level}_nom"
        if col in membership.columns:
            key = membership.index if level == "commune" else membership[level]
            found = dict(zip(key.astype(str), membership[col].astype(str), strict=True))
    return lambda code: found.get(code, code)


def _measure_consumption(conso: Any, zones: Any, membership: Any, level: str, period: Any):
    from ..measure.consumption import consumption

    terr = zones if zones is not None else membership
    return consumption(conso, terr, level=level, period=period, missing="ignore")


def sraddet_rates(codes: pd.Index, level: str, groups: pd.Series | None) -> pd.DataFrame:
    """Adopted SRADDET Hauts-de-France rate of each territory's receiving territory.

    The modified SRADDET adopted on 21 Nov 2024 sets a reduction rate per receiving
    territory (``zan.datasets.region_path("hdf", ...)``); a commune takes its own
    territory's, an EPCI the one most of its communes lie in.

    Parameters
    ----------
    codes : pandas.Index
        Commune or EPCI codes.
    level : {"commune", "epci"}
    groups : pandas.Series, optional
        Commune code → EPCI code (needed at EPCI level).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``codes``: ``territory_id``, ``name``, ``reduction_pct`` (NaN outside
        every receiving territory).

    Examples
    --------
    >>> r = sraddet_rates(pd.Index(["02001", "99999"]), "commune", None)
    >>> bool(r.at["02001", "reduction_pct"] > 0), bool(pd.isna(r.at["99999", "reduction_pct"]))
    (True, True)
    """
    from ..datasets import region_path

    terr = pd.read_csv(region_path("hdf", "territoires_sraddet_hdf_2024.csv"), dtype=str)
    com = pd.read_csv(region_path("hdf", "communes_territoires_sraddet_hdf_2024.csv"), dtype=str)
    terr = terr.set_index("territory_id")
    by_commune = com.set_index("code_insee")["territory_id"]
    if level == "commune":
        tid = by_commune.reindex(codes)
    else:
        members = groups if groups is not None else pd.Series(dtype=str)
        tid_c = by_commune.reindex(members.index)
        tid = pd.Series(
            {
                code: (v.mode().iloc[0] if len(v := tid_c[members == code].dropna()) else None)
                for code in codes
            },
            dtype=object,
        )
    out = pd.DataFrame(index=codes)
    out["territory_id"] = tid.reindex(codes).to_numpy()
    out["name"] = terr["name"].reindex(out["territory_id"]).to_numpy()
    out["reduction_pct"] = pd.to_numeric(
        terr["reduction_pct"].reindex(out["territory_id"]), errors="coerce"
    ).to_numpy()
    return out


def _read_objectives(path: Any) -> pd.DataFrame:
    """An objectives table: ``code`` and ``objective_ha`` or ``reduction_pct``."""
    frame = (
        pd.read_csv(path, sep=None, engine="python", dtype=str, encoding="utf-8-sig")
        if isinstance(path, (str, os.PathLike))
        else path
    )
    cols = {str(c).strip().lower(): c for c in frame.columns}
    if "code" not in cols or not ({"objective_ha", "reduction_pct"} & set(cols)):
        raise DataError(
            f"{path}: an objectives table needs a 'code' column and 'objective_ha' (hectares "
            f"allowed over {_TARGET[0]}-{_TARGET[1]}) or 'reduction_pct' (reduction of the "
            f"{_REFERENCE[0]}-{_REFERENCE[1]} consumption); found {', '.join(map(str, frame.columns))}"
        )
    out = pd.DataFrame(index=frame[cols["code"]].astype(str).str.strip())
    for name in ("objective_ha", "reduction_pct", "document"):
        if name in cols:
            values = frame[cols[name]].to_numpy()
            if name != "document":
                values = pd.to_numeric(
                    pd.Series(values).astype(str).str.replace(",", "."), errors="coerce"
                ).to_numpy()
                bad = np.flatnonzero(~np.isfinite(values) & pd.Series(frame[cols[name]]).notna())
                if len(bad):
                    raise DataError(
                        f"{path}: column {name!r}, row {int(bad[0]) + 2}: not a number "
                        f"({frame[cols[name]].iloc[bad[0]]!r}); write a number such as 12.5"
                    )
            out[name] = values
    return out


def _ocsge(ocsge: Any, later: Any, zones: Any, level: str) -> dict[str, Any] | None:
    if ocsge is None:
        return None
    if zones is None:
        raise DataError(
            "OCS GE needs the communes' contours to be measured per territory; give a scenario "
            "or territories= (--territories FILE) with --ocsge"
        )
    from ..io.ocsge import read_ocsge
    from ..measure.artificialisation import artificialisation_change, artificialisation_stock

    a = read_ocsge(ocsge) if isinstance(ocsge, (str, os.PathLike)) else ocsge
    b = read_ocsge(later) if isinstance(later, (str, os.PathLike)) else later
    stock_a = artificialisation_stock(a, zones, level=level)
    stock_b = artificialisation_stock(b, zones, level=level) if b is not None else None
    change = artificialisation_change(a, b, zones, level=level) if b is not None else None
    return {"a": stock_a, "b": stock_b, "change": change, "files": (ocsge, later)}


def _impervious(stock: Any) -> pd.Series:
    cov = stock.by_couverture()
    cols = [c for c in IMPERVIOUS_CODES if c in cov.columns]
    out = cov[cols].sum(axis=1) if cols else pd.Series(0.0, index=cov.index)
    out.index = out.index.astype(str)
    return out


def local_report_data(
    *,
    scenario: Any = None,
    consumption: Any = None,
    territories: Any = None,
    membership: Any = None,
    level: str = "commune",
    period: str | tuple[int, int] | None = None,
    ocsge: Any = None,
    ocsge_later: Any = None,
    objectives: Any = None,
    sraddet: bool = True,
    renaturation: Any = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The figures of every territory's local report, as plain values.

    Parameters are those of :func:`local_report` (without the output ones).

    Returns
    -------
    (list of dict, dict)
        One dict per territory (``code``, ``nom``, ``items``: the decree's four items
        in order, each with ``title``, ``available`` and its figures or ``reason``),
        sorted by French name; and the run's facts (period, level, input files).

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> rows, run = local_report_data(scenario=scenario_path("01_reduction_uniforme"),
    ...                               level="epci", period="2021-2022")
    >>> len(rows), [item["number"] for item in rows[0]["items"]]
    (20, [1, 2, 3, 4])
    >>> rows[0]["items"][1]["available"]
    False
    """
    if level not in ("commune", "epci"):
        raise DataError(f"level {level!r}: the local report is made per 'commune' or 'epci'")
    conso, zones, member, alloc, files = _inputs(scenario, consumption, territories, membership)
    start, end = (_TARGET[0], max(conso.years)) if period is None else _parse_period(period)
    table = _measure_consumption(conso, zones, member, level, (start, end))
    table.index = table.index.astype(str)
    groups = _groups(conso, zones, member, level)
    area = _areas(conso, zones, groups)
    ref_years = _REFERENCE[0] in conso.years and _REFERENCE[1] in conso.years
    reference = (
        _measure_consumption(conso, zones, member, level, _REFERENCE)["total_ha"]
        if ref_years
        else pd.Series(dtype=float)
    )
    reference.index = reference.index.astype(str)
    since = (
        _measure_consumption(conso, zones, member, level, (_TARGET[0], end))["total_ha"]
        if start >= _TARGET[0]
        else pd.Series(dtype=float)
    )
    since.index = since.index.astype(str)
    dests = [c[:-3] for c in table.columns if c.endswith("_ha") and c != "total_ha"]
    occ = _ocsge(ocsge, ocsge_later, zones, level)
    if occ is not None:
        for key in ("ocsge", "ocsge_later"):
            value = occ["files"][0 if key == "ocsge" else 1]
            if isinstance(value, (str, os.PathLike)):
                files[key] = str(value)
    obj_table = _read_objectives(objectives) if objectives is not None else None
    if isinstance(objectives, (str, os.PathLike)):
        files["objectives"] = str(objectives)
    env_table = None
    if alloc is not None and level in alloc.levels:
        env_table = alloc.level_table(level)
        env_table.index = env_table.index.astype(str)
    parent_table = None
    if alloc is not None and env_table is None and level == "commune" and "epci" in alloc.levels:
        parent_table = alloc.level_table("epci")
        parent_table.index = parent_table.index.astype(str)
        parent_of = alloc.territories.assignment("epci").astype(str)
        parent_of.index = parent_of.index.astype(str)
    every = table.index.append(pd.Index([str(c) for c in table.attrs.get("left_out", ())]))
    rates = sraddet_rates(every, level, groups) if sraddet else None
    conso_src = {
        "source": f"Cerema, fichiers fonciers ({Path(conso.source).name})",
        "vintage": f"flux annuels {conso.years[0]} à {conso.years[-1]}",
        "method": "somme des flux annuels NAF → artificialisé des années civiles "
        f"{start} à {end} (zan.consumption)",
    }
    rows = []
    left_out = [str(c) for c in table.attrs.get("left_out", ())]
    incomplete = {str(c) for c in table.attrs.get("incomplete", ())}
    names = _names(zones, member, level, left_out)
    for code in [*table.index, *left_out]:
        r = table.loc[code] if code in table.index else None
        a = _num(area.get(code))
        item1: dict[str, Any] = {"number": 1, "title": ITEMS[0], "area_ha": a, **conso_src}
        if r is None:
            item1.update(
                available=False,
                total_ha=None,
                share_pct=None,
                destinations=[],
                partial=False,
                reason=f"Le fichier de consommation ({Path(conso.source).name}) ne donne la "
                f"consommation d'ENAF {start}-{end} d'aucune commune de ce territoire : "
                "l'indicateur sera produit avec un fichier complet (Cerema, fichiers fonciers).",
            )
        else:
            total = float(r["total_ha"])
            item1.update(
                available=True,
                total_ha=total,
                share_pct=100 * total / a if a else None,
                destinations=[
                    {"label": DESTINATION_LABELS.get(d, d), "ha": float(r[f"{d}_ha"])}
                    for d in dests
                    if f"{d}_ha" in r.index
                ],
                partial=code in incomplete,
            )
            rest = total - sum(d["ha"] for d in item1["destinations"])
            if item1["destinations"] and abs(rest) > 1e-6:  # total known, split unknown
                item1["destinations"].append({"label": "Non ventilée par destination", "ha": rest})
        item2: dict[str, Any] = {"number": 2, "title": ITEMS[1], "available": False}
        item3: dict[str, Any] = {"number": 3, "title": ITEMS[2], "available": False}
        if occ is None:
            reason = (
                "L'OCS GE (occupation du sol à grande échelle, IGN) n'a pas été fournie pour ce "
                "rapport : cet indicateur n'est attendu qu'une fois l'OCS GE disponible sur le "
                "territoire."
            )
            item2["reason"] = item3["reason"] = reason
        else:
            stock_a = occ["a"]
            st = stock_a.table
            st.index = st.index.astype(str)
            covered = _num(st["covered_ha"].get(code)) or 0.0
            if covered <= 0:
                reason = (
                    f"L'OCS GE millésime {stock_a.vintage} ne couvre pas ce territoire : "
                    "l'indicateur sera produit lorsque l'OCS GE le couvrira."
                )
                item2["reason"] = item3["reason"] = reason
            else:
                cov_pct = 100 * covered / float(st.at[code, "area_ha"])
                ocs_src = {
                    "source": "IGN, OCS GE ("
                    + Path(str(occ["files"][0])).name
                    + (f", {Path(str(occ['files'][1])).name}" if occ["change"] else "")
                    + ")",
                    "coverage_pct": cov_pct,
                }
                chg = occ["change"]
                if chg is not None:
                    ct = chg.table
                    ct.index = ct.index.astype(str)
                    item2.update(
                        available=True,
                        artificialised_ha=float(ct.at[code, "artificialisation_ha"]),
                        desartificialised_ha=float(ct.at[code, "renaturation_ha"]),
                        balance_ha=float(ct.at[code, "net_ha"]),
                        vintage=f"millésimes {chg.vintages[0]} et {chg.vintages[1]}",
                        method="nomenclature du décret n° 2023-1096 (matrice couverture × usage "
                        "et seuils), surfaces artificialisées et désartificialisées entre les "
                        "deux millésimes (zan.measure.artificialisation)",
                        **ocs_src,
                    )
                    imp_a = _impervious(stock_a).get(code, 0.0)
                    imp_b = _impervious(occ["b"]).get(code, 0.0)
                    item3.update(
                        available=True,
                        before_ha=float(imp_a),
                        after_ha=float(imp_b),
                        change_ha=float(imp_b - imp_a),
                        vintage=f"millésimes {chg.vintages[0]} et {chg.vintages[1]}",
                        method="couvertures CS1.1.1.1 (bâti) et CS1.1.1.2 (zones imperméables), "
                        "catégories 1° et 2° de la nomenclature du décret n° 2023-1096",
                        **ocs_src,
                    )
                else:
                    item2["reason"] = (
                        f"Un seul millésime d'OCS GE ({stock_a.vintage}) : le solde demande deux "
                        "millésimes. Stock artificialisé au millésime disponible : "
                    )
                    item2["stock_ha"] = float(st.at[code, "artificialised_ha"])
                    item3.update(
                        available=True,
                        before_ha=None,
                        after_ha=float(_impervious(stock_a).get(code, 0.0)),
                        change_ha=None,
                        vintage=f"millésime {stock_a.vintage} (stock, sans évolution)",
                        method="couvertures CS1.1.1.1 et CS1.1.1.2, catégories 1° et 2° de la "
                        "nomenclature du décret n° 2023-1096",
                        **ocs_src,
                    )
        ref = _num(reference.get(code))
        consumed = _num(since.get(code))
        item4: dict[str, Any] = {
            "number": 4,
            "title": ITEMS[3],
            "available": False,
            "reference_ha": ref,
            "consumed_ha": consumed,
            "consumed_period": f"{_TARGET[0]}-{end}",
            "document": "",
        }
        objective, sraddet_reason = None, ""
        if obj_table is not None and code in obj_table.index:
            o = obj_table.loc[code]
            o = o.iloc[0] if isinstance(o, pd.DataFrame) else o
            if _num(o.get("objective_ha")) is not None:
                objective = float(o["objective_ha"])
                how = "objectif en hectares donné par la table des objectifs"
            elif _num(o.get("reduction_pct")) is not None and ref is not None:
                objective = ref * (1 - float(o["reduction_pct"]) / 100)
                how = (
                    f"réduction de {o['reduction_pct']:g} % de la consommation "
                    f"{_REFERENCE[0]}-{_REFERENCE[1]} (table des objectifs)"
                )
            item4["source"] = f"table des objectifs ({Path(str(objectives)).name})"
            item4["document"] = str(o.get("document", "") or "")
        elif env_table is not None and code in env_table.index:
            objective = float(env_table.at[code, "envelope_ha"])
            how = "enveloppe 2021-2030 allouée par le scénario (zan.allocate)"
            item4["source"] = f"scénario « {alloc.name} »"
        elif rates is not None and _num(rates.at[code, "reduction_pct"]) is not None:
            pct = float(rates.at[code, "reduction_pct"])
            item4["source"] = (
                f"SRADDET Hauts-de-France modifié (21 nov. 2024), territoire de déclinaison "
                f"« {rates.at[code, 'name']} »"
            )
            if ref is not None:
                objective = ref * (1 - pct / 100)
            how = (
                f"taux de réduction de {fr_text(pct, 1)} % du territoire de déclinaison appliqué "
                f"à la consommation {_REFERENCE[0]}-{_REFERENCE[1]} du territoire"
            )
            sraddet_reason = (
                f"Le SRADDET Hauts-de-France modifié (21 nov. 2024) fixe au territoire de "
                f"déclinaison « {rates.at[code, 'name']} » une réduction de {fr_text(pct, 1)} % ; "
                f"la consommation {_REFERENCE[0]}-{_REFERENCE[1]} de ce territoire manque au "
                "fichier : l'objectif en hectares n'est pas calculé."
            )
        item4["partial"] = code in incomplete
        if objective is not None:
            item4.update(
                available=True,
                objective_ha=objective,
                method=how,
                used_pct=100 * consumed / objective if consumed is not None and objective else None,
                remaining_ha=objective - consumed if consumed is not None else None,
                vintage=f"période {_TARGET[0]}-{_TARGET[1]}",
            )
        elif sraddet_reason:
            item4["reason"] = sraddet_reason
        else:
            reason = (
                "Aucun objectif chiffré n'a été fourni pour ce territoire (ni scénario "
                "d'allocation à ce niveau, ni table des objectifs, ni territoire de "
                "déclinaison du SRADDET adopté)."
            )
            if parent_table is not None:
                members = parent_of.reindex([code]).dropna()
                if len(members) and members.iloc[0] in parent_table.index:
                    p = members.iloc[0]
                    reason += (
                        f" L'objectif est fixé à l'échelle de l'EPCI « "
                        f"{parent_table.at[p, 'nom']} » : "
                        f"{fr_text(float(parent_table.at[p, 'envelope_ha']))} ha sur "
                        f"{_TARGET[0]}-{_TARGET[1]} (scénario « {alloc.name} »)."
                    )
            item4["reason"] = reason
        rows.append(
            {
                "code": code,
                "nom": str(r["nom"]) if r is not None and pd.notna(r["nom"]) else names(code),
                "items": [item1, item2, item3, item4],
            }
        )
    measure = lambda p: _measure_consumption(conso, zones, member, level, p)  # noqa: E731
    add_chart_data(rows, measure, conso.years, DESTINATION_LABELS, end)
    if renaturation_file := add_renaturation(rows, renaturation, groups, (start, end)):
        files["renaturation"] = renaturation_file
    if occ is not None:
        vintages = occ["change"].vintages if occ["change"] is not None else (occ["a"].vintage,)
        add_vintage_notes(rows, vintages, (start, end))
    rows.sort(key=lambda x: (french_sort_key(x["nom"]), x["code"]))
    run = {
        "period": f"{start}-{end}",
        "start": start,
        "end": end,
        "level": level,
        "level_label": LEVEL_LABELS.get(level, level),
        "files": files,
        "left_out": left_out,
        "incomplete": sorted(incomplete),
    }
    return rows, run


def _print_chunk(pairs: Sequence[tuple[str, str]], engine: str) -> None:
    """Print HTML files to PDF with one browser, removing each HTML once printed."""
    from .pdf import PdfPrinter

    with PdfPrinter(engine) as printer:
        for html, pdf in pairs:
            printer.print(html, pdf)
            Path(html).unlink()


def _print_all(pairs: list[tuple[str, str]], engine: str, jobs: int | None) -> None:
    """Print every page, on ``jobs`` browsers in worker processes (1: in this process)."""
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pairs)))
    if jobs == 1:
        _print_chunk(pairs, engine)
        return
    from concurrent.futures import ProcessPoolExecutor

    chunks = [pairs[i::jobs] for i in range(jobs)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(_print_chunk, c, engine) for c in chunks]:
            future.result()


def local_report(
    out: str | os.PathLike[str],
    *,
    scenario: Any = None,
    consumption: Any = None,
    territories: Any = None,
    membership: Any = None,
    level: str = "commune",
    period: str | tuple[int, int] | None = None,
    ocsge: Any = None,
    ocsge_later: Any = None,
    objectives: Any = None,
    ledger: Any = None,
    renaturation: Any = None,
    formats: str | Sequence[str] = ("html",),
    pdf_engine: str = "auto",
    jobs: int | None = None,
) -> LocalReports:
    """Write the rapport local de suivi de l'artificialisation of every territory of a level.

    This is ``zan local-report``. Each report follows article R. 2231-1 CGCT: 1° ENAF
    consumption, 2° artificialisation balance, 3° impervious areas, 4° objectives, then an
    empty commentary section for the council.

    Parameters
    ----------
    out : path-like
        Output folder: ``index.html``, ``sources.json`` and one ``<code>_<name>/`` folder
        per territory with ``rapport_local.html`` (and ``.pdf``, ``.docx``).
    scenario : path or Scenario, optional
        A scenario: its consumption, communes and envelopes (item 4° when it allocates at
        ``level``).
    consumption : path or Consumption, optional
        Without a scenario: the Cerema consumption file.
    territories : path or Territories, optional
        The communes' contours (needed with OCS GE); ``membership`` is read with them.
    membership : path or DataFrame, optional
        Commune → EPCI table; without it the Cerema file's ``epciYY`` column is used.
    level : {"commune", "epci"}, default "commune"
    period : str or (int, int), optional
        Calendar years covered by the report (e.g. ``"2021-2023"``); by default from
        2021 to the last year of the consumption file.
    ocsge, ocsge_later : path or LandCover, optional
        OCS GE vintages A and B (items 2° and 3°).
    objectives : path or DataFrame, optional
        Table with ``code`` and ``objective_ha`` or ``reduction_pct`` (item 4°).
    ledger : path or zan.ledger.Ledger, optional
        A compte foncier: items 1° and 4° from its entries and balances
        (:func:`zan.reports.local_ledger.ledger_report_data`).
    renaturation : path or DataFrame, optional
        Renaturation of built-up land into ENAF (item 1°, optional in the decree): ``code``,
        ``year``, ``renaturated_ha`` or ``_m2`` (:mod:`zan.reports.local_items`).
    formats : str or sequence, default ("html",)
        ``html``, ``pdf`` and/or ``docx``.
    pdf_engine : str, default "auto"
        See :mod:`zan.reports.pdf`.
    jobs : int, optional
        Browsers printing the PDFs in parallel (default: the machine's cores).

    Returns
    -------
    LocalReports

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.datasets import scenario_path
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> res = local_report(out, scenario=scenario_path("01_reduction_uniforme"), level="epci")
    >>> len(res.reports), res.index.name, res.manifest.name
    (20, 'index.html', 'sources.json')
    """
    asked = formats.split(",") if isinstance(formats, str) else list(formats)
    fmts = list(dict.fromkeys(str(f).strip().lower() for f in asked if str(f).strip()))
    bad = [f for f in fmts if f not in _LOCAL_FORMATS]
    if bad or not fmts:
        raise DataError(
            f"unknown report format(s) {', '.join(bad) or '(none)'}; choose among html, pdf, docx"
        )
    data: Any = partial(local_report_data, objectives=objectives)
    if ledger is not None:  # items 1° and 4° from the compte foncier
        from .local_ledger import ledger_report_data

        if objectives is not None:
            raise DataError("give objectives or a ledger, not both: item 4° is its envelope")
        data = partial(ledger_report_data, ledger, base=local_report_data)
    rows, run = data(
        scenario=scenario,
        consumption=consumption,
        territories=territories,
        membership=membership,
        level=level,
        period=period,
        ocsge=ocsge,
        ocsge_later=ocsge_later,
        renaturation=renaturation,
    )
    from .._version import __version__

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env = environment()
    page = env.get_template("rapport_local.html.j2")
    meta = {"version": __version__, "sources": sorted(Path(v).name for v in run["files"].values())}
    written: list[Path] = []
    reports = []
    to_print: list[tuple[str, str]] = []
    if "pdf" in fmts:
        from .pdf import PdfPrinter

        PdfPrinter(pdf_engine)  # no engine: fails here, before any report is written
    for row in rows:
        folder = out / folder_name(row["code"], row["nom"])
        folder.mkdir(exist_ok=True)
        footer = f"Rapport local de suivi de l'artificialisation — {row['nom']} ({row['code']})"
        files = []
        row["charts"] = page_charts(row, run) if {"html", "pdf"} & set(fmts) else {}
        if "html" in fmts:
            html = folder / "rapport_local.html"
            write_text(page.render(t=row, run=run, meta=meta, footer=footer, print=False), html)
            files.append(html)
        if "pdf" in fmts:
            printed = folder / "rapport_local.print.html"
            write_text(page.render(t=row, run=run, meta=meta, footer=footer, print=True), printed)
            to_print.append((str(printed), str(folder / "rapport_local.pdf")))
            files.append(folder / "rapport_local.pdf")
        if "docx" in fmts:
            from .local_docx import write_docx

            files.append(write_docx(row, run, folder / "rapport_local.docx"))
        written.extend(files)
        reports.append({"code": row["code"], "nom": row["nom"], "files": files})
    if to_print:
        _print_all(to_print, pdf_engine, jobs)
    index = write_text(
        env.get_template("index_local.html.j2").render(
            rows=[
                {
                    "code": r["code"],
                    "nom": r["nom"],
                    "files": [f.relative_to(out).as_posix() for f in r["files"]],
                    "items": row["items"],
                }
                for r, row in zip(reports, rows, strict=True)
            ],
            run=run,
            meta=meta,
            footer="Rapports locaux de suivi de l'artificialisation",
            print=False,
        ),
        out / "index.html",
    )
    manifest = write_manifest(
        out,
        run["files"],
        [index, *written],
        extra={
            "report": "rapport local de suivi de l'artificialisation (art. R. 2231-1 CGCT)",
            "level": level,
            "period": run["period"],
            "zan_version": __version__,
        },
    )
    return LocalReports(out=out, index=index, manifest=manifest, reports=reports)
