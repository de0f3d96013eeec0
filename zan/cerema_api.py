"""A client for the Cerema API "Données foncières": ENAF consumption per commune and year.

The API (DOMAIN.md §3; base URL :data:`CEREMA_API_URL`, ``ZAN_CEREMA_API_URL`` or
:attr:`zan.download.Settings.cerema_api_url` to change it) serves the Cerema
consumption as one row per territory and year:

- ``/indicateurs/conso_espace/communes/{code}`` and
  ``/indicateurs/conso_espace/departements/{code}``;
- filters ``annee``, ``annee_min``, ``annee_max`` (inclusive years);
- paged as Django REST framework pages: ``{"count", "next", "previous", "results"}``
  with ``page`` and ``page_size``;
- fields ``annee``, ``naf_arti`` (the total), ``conso_act``, ``conso_hab``,
  ``conso_mix``, ``conso_inc`` and ``conso_infra`` (road and rail as one figure: the
  API has no split), in m².

:func:`consumption_rows` reads every page of one endpoint; :func:`fetch_consumption`
gathers the communes of some départements and writes them in the long layout that
:func:`zan.read_consumption` reads (``idcom``, ``idcomtxt``, ``annee``,
``naf_arti_m2``, ``conso_{act,hab,mix,inc,infra}_m2``). When a département's rows
carry no commune code (a département total), its communes are asked one by one.

Errors name the URL and what to do: an HTTP error (4xx: the code or the parameters;
5xx: the service), or no answer within :attr:`~zan.download.Settings.timeout_s`
after :attr:`~zan.download.Settings.retries` new attempts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DataError, DownloadError
from .settings import CEREMA_API_URL

if TYPE_CHECKING:
    from .fetching import Settings

__all__ = ["CEREMA_API_URL", "consumption_rows", "fetch_consumption", "LONG_COLUMNS"]

#: The Cerema API "Données foncières" (pre-production host, as the open client
#: CEREMA/apifoncier uses it).
#: Columns written by :func:`fetch_consumption` (the long layout of zan.read_consumption).
LONG_COLUMNS = (
    "idcom",
    "idcomtxt",
    "iddep",
    "annee",
    "naf_arti_m2",
    "conso_act_m2",
    "conso_hab_m2",
    "conso_mix_m2",
    "conso_inc_m2",
    "conso_infra_m2",
)
_FIELDS = {
    "naf_arti_m2": ("naf_arti", "naf_arti_m2"),
    "conso_act_m2": ("conso_act", "conso_act_m2"),
    "conso_hab_m2": ("conso_hab", "conso_hab_m2"),
    "conso_mix_m2": ("conso_mix", "conso_mix_m2"),
    "conso_inc_m2": ("conso_inc", "conso_inc_m2"),
    "conso_infra_m2": ("conso_infra", "conso_infra_m2"),
}
_CODE_FIELDS = ("idcom", "code_insee", "codgeo", "insee_com", "code_commune")
_NAME_FIELDS = ("idcomtxt", "libcom", "nom_commune", "libgeo", "nom")
_PAGE_SIZE = 500
_MAX_PAGES = 10_000


def _settings(settings: Settings | None) -> Settings:
    from .fetching import Settings

    return settings or Settings.from_env()


def _get(url: str, params: dict[str, Any], s: Settings) -> dict[str, Any]:
    """One page, retried on timeouts, connection errors, 429 and 5xx."""
    import requests

    from ._version import __version__

    shown = requests.Request("GET", url, params=params).prepare().url or url
    attempts = 1 + max(0, int(s.retries))
    last = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
        try:
            r = requests.get(
                url,
                params=params,
                headers={"User-Agent": f"zan/{__version__}", "Accept": "application/json"},
                timeout=s.timeout_s,
            )
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            last = f"no answer within {s.timeout_s:g} s ({type(exc).__name__})"
            continue
        except requests.exceptions.RequestException as exc:
            raise DownloadError(
                f"Cerema API: the request {shown} failed ({type(exc).__name__}: {exc}); "
                "check the base URL (ZAN_CEREMA_API_URL)"
            ) from None
        if r.status_code == 429 or r.status_code >= 500:
            last = f"HTTP {r.status_code} {r.reason}"
            continue
        if r.status_code >= 400:
            detail = r.text.strip().replace("\n", " ")[:200]
            raise DownloadError(
                f"Cerema API: HTTP {r.status_code} {r.reason} for {shown}"
                + (f" ({detail})" if detail else "")
                + "; check the code (a commune's INSEE code, or a département's) and the "
                "years (annee_min, annee_max), or the base URL (ZAN_CEREMA_API_URL)"
            )
        try:
            data = r.json()
        except ValueError:
            raise DownloadError(
                f"Cerema API: {shown} did not answer JSON (content type "
                f"{r.headers.get('Content-Type', '?')}); check the base URL (ZAN_CEREMA_API_URL)"
            ) from None
        if isinstance(data, list):  # an unpaged answer
            return {"count": len(data), "next": None, "results": data}
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise DownloadError(
                f"Cerema API: {shown} answered without a 'results' list; check the base URL "
                "(ZAN_CEREMA_API_URL)"
            )
        return data
    raise DownloadError(
        f"Cerema API: {shown} failed after {attempts} attempt(s) ({last}); the service may be "
        "down or slow: try again later, raise Settings.timeout_s / Settings.retries, or use "
        "the release file instead (zan data download without --source api)"
    )


def consumption_rows(
    scale: str,
    code: str,
    *,
    annee_min: int | None = None,
    annee_max: int | None = None,
    page_size: int = _PAGE_SIZE,
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Every row of ``/indicateurs/conso_espace/{scale}/{code}``, all pages read.

    Parameters
    ----------
    scale : {"communes", "departements"}
    code : str
        INSEE code of the commune or the département.
    annee_min, annee_max : int, optional
        Inclusive years.
    page_size : int, default 500
    settings : Settings, optional
        Base URL (``cerema_api_url``), ``timeout_s``, ``retries``.

    Returns
    -------
    list of dict
        The API's rows as they are.

    Raises
    ------
    DownloadError
        HTTP error, no answer after the retries, or an answer that is not a page.

    Examples
    --------
    >>> consumption_rows("regions", "32")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zan.errors.DataError: Cerema API: scale 'regions' is not served...
    """
    if scale not in ("communes", "departements"):
        raise DataError(
            f"Cerema API: scale {scale!r} is not served (communes or departements only; "
            "no EPCI, SCoT or region scale): ask the départements and group the communes"
        )
    s = _settings(settings)
    url = f"{s.cerema_api_url.rstrip('/')}/indicateurs/conso_espace/{scale}/{code}/"
    params: dict[str, Any] = {"page_size": int(page_size)}
    if annee_min is not None:
        params["annee_min"] = int(annee_min)
    if annee_max is not None:
        params["annee_max"] = int(annee_max)
    rows: list[dict[str, Any]] = []
    # Pages are asked by number: the "next" links of the API may carry another host
    # or scheme than the one used (a proxy), so only their presence is trusted.
    for page in range(1, _MAX_PAGES + 1):
        data = _get(url, {**params, "page": page}, s)
        rows += [r for r in data["results"] if isinstance(r, dict)]
        count = data.get("count")
        if not data.get("next") or not data["results"]:
            break
        if isinstance(count, int) and len(rows) >= count:
            break
    return rows


def _first(row: dict[str, Any], names: Iterable[str]) -> Any:
    for n in names:
        if row.get(n) not in (None, ""):
            return row[n]
    return None


def _long_rows(rows: list[dict[str, Any]], code: str | None = None) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        com = code or _first(r, _CODE_FIELDS)
        if com is None or r.get("annee") in (None, ""):
            continue
        com = str(com).strip().upper().zfill(5)
        rec = {
            "idcom": com,
            "idcomtxt": _first(r, _NAME_FIELDS),
            "iddep": com[:3] if com.startswith("97") else com[:2],
            "annee": r["annee"],
        }
        for col, names in _FIELDS.items():
            rec[col] = _first(r, names)
        out.append(rec)
    return out


def fetch_consumption(
    departements: Sequence[str] | str,
    out: str | Path,
    *,
    communes: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    annee_min: int | None = None,
    annee_max: int | None = None,
    settings: Settings | None = None,
) -> Path:
    """Fetch the consumption of some départements from the API; write the long layout.

    Parameters
    ----------
    departements : sequence of str or comma-separated str
        Départements, e.g. ``"59,62"``.
    out : path-like
        CSV to write (``,``-separated, :data:`LONG_COLUMNS`), atomically.
    communes : sequence of str, optional
        Commune codes of these départements (e.g. from geo.api.gouv.fr), asked one by
        one when a département's rows carry no commune code.
    names : mapping, optional
        Commune code → name, for rows the API serves without a name.
    annee_min, annee_max : int, optional
        Inclusive years.
    settings : Settings, optional

    Returns
    -------
    pathlib.Path
        ``out``, readable by :func:`zan.read_consumption`.

    Raises
    ------
    DownloadError
        The API failed (see :func:`consumption_rows`), or a département's rows have
        no commune code and no commune list was given.
    """
    import pandas as pd

    from ._write import write_csv

    s = _settings(settings)
    deps = (
        [d.strip().upper() for d in departements.split(",") if d.strip()]
        if isinstance(departements, str)
        else [str(d).strip().upper() for d in departements]
    )
    if not deps:
        raise DataError("Cerema API: give at least one département, e.g. '59,62'")
    kw = {"annee_min": annee_min, "annee_max": annee_max, "settings": s}
    records: list[dict[str, Any]] = []
    for dep in deps:
        rows = consumption_rows("departements", dep, **kw)
        per_commune = _long_rows(rows)
        if per_commune:
            records += [r for r in per_commune if r["iddep"] == dep]
            continue
        mine = list(dict.fromkeys(str(c) for c in communes if str(c).upper().startswith(dep)))
        if not mine:
            raise DownloadError(
                f"Cerema API: the rows of département {dep} carry no commune code "
                f"({len(rows)} row(s)) and no commune list was given; pass the communes "
                "(fetch_consumption(..., communes=[...])) to ask them one by one"
            )
        for com in mine:
            records += _long_rows(consumption_rows("communes", com, **kw), code=str(com))
    if not records:
        raise DownloadError(
            f"Cerema API: no consumption row for départements {', '.join(deps)}; check the "
            "codes and the years"
        )
    table = pd.DataFrame.from_records(records, columns=list(LONG_COLUMNS))
    table = table.sort_values(["idcom", "annee"], kind="stable").reset_index(drop=True)
    if names:
        table["idcomtxt"] = table["idcomtxt"].fillna(table["idcom"].map(dict(names)))
    if table["idcomtxt"].isna().all():
        table = table.drop(columns="idcomtxt")
    return write_csv(table, Path(out), index=False)
