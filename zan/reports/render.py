"""Rendering: Jinja2 templates → HTML files, charts and maps beside them, PDF by a printer.

Templates live in ``zan/reports/templates`` (``territoire.html.j2``,
``synthese.html.j2``, ``index.html.j2``, ``base.html.j2``, ``_macros.html.j2`` and
the style sheet ``rapport.css``). Pass ``template_dir`` to restyle: a file of that
folder replaces the packaged file of the same name (a new ``rapport.css`` is enough
to change colours and fonts), the others are still found in the package.

Every page is offline: styles are inlined, charts and static maps are files beside
the page, the interactive map is zan's offline Leaflet page (:mod:`zan.maps`) shown in
an ``iframe``, and no font, script or image is fetched from the network.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._write import write_text
from ..errors import DataError
from ..maps import format_number
from . import charts
from .build import DESTINATION_LABELS, ReportContext, regional_data, territory_data

__all__ = [
    "FORMATS",
    "fr_number",
    "fr_ha",
    "fr_pct",
    "environment",
    "territory_report",
    "regional_report",
    "check_formats",
]

#: Output formats of the reports.
FORMATS = ("html", "pdf")

_NO_VALUE = "—"


def fr_number(value: Any, decimals: int = 2, *, signed: bool = False) -> str:
    """A number as printed in the reports: French style, a dash when missing.

    Thousands are separated by a narrow no-break space (U+202F), decimals by a
    comma (:func:`zan.maps.format_number`).

    Examples
    --------
    >>> fr_number(7409.963)
    '7\\u202f409,96'
    >>> fr_number(None), fr_number(float("inf")), fr_number(1.5, 1, signed=True)
    ('—', '—', '+1,5')
    """
    if value is None:
        return _NO_VALUE
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return _NO_VALUE
    return format_number(x, decimals, signed=signed)


def fr_ha(value: Any, decimals: int = 2) -> str:
    """Hectares as printed: ``'1\\u202f234,50\\u00a0ha'``.

    Examples
    --------
    >>> fr_ha(1234.5)
    '1\\u202f234,50\\xa0ha'
    """
    text = fr_number(value, decimals)
    return text if text == _NO_VALUE else f"{text}\u00a0ha"


def fr_pct(value: Any, decimals: int = 1) -> str:
    """A percentage as printed: ``'54,5\\u202f%'``.

    Examples
    --------
    >>> fr_pct(54.47)
    '54,5\\u202f%'
    """
    text = fr_number(value, decimals)
    return text if text == _NO_VALUE else f"{text}\u202f%"


def _css_string(value: Any) -> Any:
    """A CSS string literal, safe inside ``<style>`` (quotes, backslashes and ``<`` escaped)."""
    from markupsafe import Markup

    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    text = text.replace("<", "\\3c ").replace(">", "\\3e ").replace("&", "\\26 ")
    return Markup(f'"{text}"')


@lru_cache(maxsize=8)
def _environment(template_dir: str | None) -> Any:
    import jinja2

    loaders: list[Any] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(template_dir))
    loaders.append(jinja2.PackageLoader("zan.reports", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "j2"), default_for_string=True, default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=fr_number,
        ha=fr_ha,
        pct=fr_pct,
        css_string=_css_string,
        basename=lambda p: Path(str(p)).name,
    )
    return env


def environment(template_dir: str | os.PathLike[str] | None = None) -> Any:
    """The Jinja2 environment of the reports (packaged templates, or ``template_dir`` first).

    Parameters
    ----------
    template_dir : path, optional
        Folder whose files replace the packaged ones of the same name.

    Returns
    -------
    jinja2.Environment
        With the filters ``num``, ``ha``, ``pct`` (French numbers), ``css_string``
        and ``basename``; autoescaping on; undefined variables are errors.

    Raises
    ------
    DataError
        When ``template_dir`` is not a folder.

    Examples
    --------
    >>> env = environment()
    >>> env.from_string("{{ 1234.5 | ha }} {{ '<b>' }}").render()
    '1\\u202f234,50\\xa0ha &lt;b&gt;'
    """
    if template_dir is not None:
        path = Path(template_dir)
        if not path.is_dir():
            raise DataError(
                f"template_dir {str(path)!r} is not a folder; give the folder holding your "
                "templates (e.g. a copy of zan/reports/templates)"
            )
        return _environment(str(path.resolve()))
    return _environment(None)


def _render_page(
    env: Any, template: str, data: Mapping[str, Any], *, print_mode: bool, footer: str, **extra: Any
) -> str:
    return env.get_template(template).render(**data, print=print_mode, footer=footer, **extra)


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The formats asked (``html``, ``pdf``), lower-cased, without repeats; refused when unknown."""
    fmts = tuple(dict.fromkeys(str(f).strip().lower() for f in formats if str(f).strip()))
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise DataError(
            f"--format: unknown format {', '.join(bad) or '(none)'}; valid formats: "
            f"{', '.join(FORMATS)} (e.g. --format html,pdf)"
        )
    return fmts


def _readable(path: Path) -> None:
    """Give a file the usual permissions (``to_png`` writes through a private temp file)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def _map_column(frame: Any) -> str:
    for column in ("reference_ha", "population", "area_ha"):
        if column in frame.columns and frame[column].notna().any():
            return column
    return "area_ha"


def _territory_maps(
    ctx: ReportContext, code: str, folder: Path, *, html: bool, png: bool
) -> dict[str, str]:
    """Communes of the territory coloured by their 2011-2020 consumption."""
    from ..maps import choropleth, save, to_png

    terr = ctx.allocation.territories
    communes = ctx.communes[ctx.communes["territory"].to_numpy() == code]
    geoms = terr.geometries("commune")
    geoms.index = geoms.index.astype(str)
    geoms = geoms.loc[communes.index]
    values = communes.drop(columns=["nom", "territory"]).copy()
    values["garantie"] = values["garantie"].map({True: "oui", False: "non"})
    column = _map_column(values)
    n = int(values[column].nunique())
    k = max(1, min(5, n))
    scheme = "quantiles" if n > 5 else "equal_interval"
    out: dict[str, str] = {}
    credit = ctx.credit
    if html:
        tip = ["population"] if "population" in values and column != "population" else None
        m = choropleth(
            geoms,
            column,
            values=values,
            k=k,
            scheme=scheme,
            credit=credit,
            tooltip=tip,
            labels=len(geoms) <= 25,
        )
        save(m, folder / "carte.html")
        out["map_html"] = "carte.html"
    if png:
        to_png(
            geoms,
            column,
            folder / "carte.png",
            values=values,
            k=k,
            scheme=scheme,
            credit=credit,
            figsize=(5.5, 4.6),
            dpi=100,
        )
        _readable(folder / "carte.png")
        out["map_png"] = "carte.png"
    return out


def territory_report(
    ctx: ReportContext,
    code: str,
    folder: str | os.PathLike[str],
    *,
    formats: Sequence[str] = FORMATS,
    printer: Any = None,
    template_dir: str | os.PathLike[str] | None = None,
    links: Sequence[Mapping[str, str]] = (),
) -> list[Path]:
    """Write one territory's report into a folder: HTML and/or PDF, charts and maps.

    Files: ``rapport.html`` (interactive map ``carte.html`` in a frame),
    ``rapport.pdf`` (static map ``carte.png``), ``consommation.svg`` and
    ``trajectoire.svg``. Each file is written atomically.

    Parameters
    ----------
    ctx : ReportContext
        From :func:`zan.reports.prepare_reports`.
    code : str
        Territory code at ``ctx.level``.
    folder : path-like
        Output folder (created if needed).
    formats : sequence of {"html", "pdf"}, default both
    printer : zan.reports.pdf.PdfPrinter, optional
        Printer to reuse for the PDF (one is opened and closed otherwise).
    template_dir : path, optional
        Templates replacing the packaged ones (see :func:`environment`).
    links : sequence of mapping
        ``href`` and ``label`` of navigation links shown on screen.

    Returns
    -------
    list of pathlib.Path
        The report files (HTML and PDF).

    Raises
    ------
    DataError
        Unknown code or format.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.datasets import scenario_path
    >>> from zan.reports import prepare_reports
    >>> ctx = prepare_reports(scenario_path("02_consommation_population"))
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in territory_report(ctx, ctx.codes[0], out, formats=["html"])]
    ['rapport.html']
    """
    fmts = check_formats(formats)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = territory_data(ctx, code)
    env = environment(template_dir)
    files: dict[str, str] = {}
    cons = data["consumption"]
    if cons["available"]:
        charts.consumption_chart(
            cons["by_year"],
            [d["key"] for d in cons["destinations"]],
            folder / "consommation.svg",
            labels=DESTINATION_LABELS,
        )
        files["consumption_chart"] = "consommation.svg"
    traj = data["trajectory"]
    if traj is not None:
        charts.trajectory_chart(
            traj["years"],
            traj["envelope_ha"],
            folder / "trajectoire.svg",
            start=traj["first_year"],
            end=traj["end_year"],
            projected_ha=traj["projected_ha"],
        )
        files["trajectory_chart"] = "trajectoire.svg"
    files.update(_territory_maps(ctx, code, folder, html="html" in fmts, png="pdf" in fmts))
    footer = f"{data['territory']['nom']} — scénario {ctx.name}"
    written = []
    if "html" in fmts:
        page = _render_page(
            env,
            "territoire.html.j2",
            data,
            print_mode=False,
            footer=footer,
            files=files,
            links=list(links),
        )
        written.append(write_text(page, folder / "rapport.html"))
    if "pdf" in fmts:
        page = _render_page(
            env, "territoire.html.j2", data, print_mode=True, footer=footer, files=files, links=[]
        )
        written.append(_print(page, folder, "rapport.pdf", printer))
    return written


def _print(page: str, folder: Path, name: str, printer: Any) -> Path:
    """Print a page through a temporary HTML file beside its images."""
    from .pdf import PdfPrinter

    tmp = folder / f".{Path(name).stem}-impression.html"
    write_text(page, tmp)
    try:
        if printer is None:
            with PdfPrinter() as own:
                return own.print(tmp, folder / name)
        return printer.print(tmp, folder / name)
    finally:
        tmp.unlink(missing_ok=True)


def regional_report(
    ctx: ReportContext,
    folder: str | os.PathLike[str],
    *,
    formats: Sequence[str] = FORMATS,
    printer: Any = None,
    template_dir: str | os.PathLike[str] | None = None,
    links: Mapping[str, str] | None = None,
    nav: Sequence[Mapping[str, str]] = (),
) -> list[Path]:
    """Write the regional summary: envelope, PENE, reserve, distribution, map, table, comparison.

    Files: ``synthese.html`` / ``synthese.pdf``, ``carte.html`` / ``carte.png``,
    ``distribution.svg``, ``enveloppes.svg`` and, with several scenarios,
    ``comparaison.svg``.

    Parameters
    ----------
    ctx : ReportContext
    folder : path-like
    formats, printer, template_dir
        As in :func:`territory_report`.
    links : mapping code → relative path, optional
        Links from the table to each territory's report.
    nav : sequence of mapping
        ``href`` and ``label`` of navigation links shown on screen.

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.datasets import scenario_path
    >>> from zan.reports import prepare_reports
    >>> ctx = prepare_reports(scenario_path("01_reduction_uniforme"))
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in regional_report(ctx, out, formats=["html"])]
    ['synthese.html']
    """
    from ..maps import save, to_png

    fmts = check_formats(formats)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = regional_data(ctx, links=links)
    env = environment(template_dir)
    alloc = ctx.allocation
    t = ctx.table
    files = {
        "histogram": charts.reduction_histogram(
            t["reduction_pct"].tolist(),
            folder / "distribution.svg",
            regional_pct=data["distribution"]["regional_reduction_pct"],
        ).name,
        "bars": charts.envelope_bars(
            t["nom"].astype(str).tolist(),
            t["envelope_ha"].tolist(),
            folder / "enveloppes.svg",
            reference_ha=t["reference_ha"].tolist(),
        ).name,
    }
    comp = data["comparison"]
    if comp is not None:
        c = ctx.comparison
        files["comparison"] = charts.comparison_chart(
            c["nom"].astype(str).tolist(),
            {s: c[s].tolist() for s in comp["scenarios"]},
            folder / "comparaison.svg",
        ).name
    title = f"Enveloppe foncière {data['meta']['target_period']} — {ctx.name}"
    if "html" in fmts:
        save(alloc.explore(level=ctx.level, title=title, credit=ctx.credit), folder / "carte.html")
        files["map_html"] = "carte.html"
    if "pdf" in fmts:
        geoms = alloc.territories.geometries(ctx.level)
        geoms.index = geoms.index.astype(str)
        to_png(
            geoms,
            "envelope_ha",
            folder / "carte.png",
            values=t,
            credit=ctx.credit,
            figsize=(7.0, 6.0),
            dpi=110,
        )
        _readable(folder / "carte.png")
        files["map_png"] = "carte.png"
    footer = f"Synthèse régionale — scénario {ctx.name}"
    written = []
    if "html" in fmts:
        page = _render_page(
            env,
            "synthese.html.j2",
            data,
            print_mode=False,
            footer=footer,
            files=files,
            links=list(nav),
        )
        written.append(write_text(page, folder / "synthese.html"))
    if "pdf" in fmts:
        page = _render_page(
            env, "synthese.html.j2", data, print_mode=True, footer=footer, files=files, links=[]
        )
        written.append(_print(page, folder, "synthese.pdf", printer))
    return written


def copy_templates(dest: str | os.PathLike[str]) -> Path:
    """Copy the packaged templates into a folder, to restyle them (``template_dir``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = copy_templates(pathlib.Path(tempfile.mkdtemp()) / "modeles")
    >>> sorted(p.name for p in d.iterdir())[:2]
    ['_macros.html.j2', 'base.html.j2']
    """
    from importlib import resources

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    src = resources.files("zan.reports").joinpath("templates")
    for item in src.iterdir():
        if item.name.endswith((".j2", ".css")):
            with resources.as_file(item) as p:
                shutil.copyfile(p, dest / item.name)
    return dest
