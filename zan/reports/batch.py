"""Batch reports: one folder per territory, the regional summary and an index, in parallel.

:func:`write_reports` prepares the data once (:func:`~zan.reports.context.prepare_reports`),
then renders the reports in worker processes, one per core. On Linux the workers are
forked after the preparation, so they share the prepared tables without copying or
pickling them; elsewhere each worker receives them once. Each worker keeps one
headless browser open for all its PDFs (:class:`~zan.reports.pdf.PdfPrinter`).

A territory whose report fails is reported (in the return value, in ``index.html`` and,
with its traceback, in ``erreurs.txt``) and does not stop the others. Each territory's
folder is written in a temporary folder and moved into place when complete, so a
failed or interrupted report never leaves a half-written folder. The whole run is
written the same way (:mod:`zan.reports.staging`): in a hidden folder beside the
output folder, swapped in at the end; a second run replaces the first whole, and an
interrupted one (an exception, Ctrl-C) leaves the previous run as it was.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import shutil
import tempfile
import time
import traceback
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._write import write_text
from ..errors import DataError
from ..formatting import french_sort_key
from .context import ReportContext, page_meta, prepare_reports, select_codes
from .render import check_formats, environment, regional_report, territory_report
from .staging import check_replaceable, staged_folder

__all__ = ["ReportResult", "ReportBatch", "folder_name", "write_reports", "render_batch"]

SUMMARY_FOLDER = "synthese"
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


@dataclass(frozen=True)
class ReportResult:
    """What happened to one report.

    Attributes
    ----------
    code : str
        Territory code (``"synthese"`` for the regional summary).
    nom : str
    folder : pathlib.Path
        Its folder (absent when the report failed).
    files : tuple of pathlib.Path
        Report files written (HTML, PDF).
    error : str or None
        One-line message when the report failed.
    traceback : str or None
    seconds : float
        Time spent on this report (in its worker).
    """

    code: str
    nom: str
    folder: Path
    files: tuple[Path, ...] = ()
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the report was written."""
        return self.error is None


@dataclass(frozen=True)
class ReportBatch:
    """Result of :func:`write_reports`.

    Attributes
    ----------
    out : pathlib.Path
        Output folder.
    index : pathlib.Path
        ``index.html`` linking every report.
    level : str
    results : tuple of ReportResult
        One per territory, in code order.
    summary : ReportResult or None
        The regional summary.
    seconds : float
        Wall time of the whole batch (preparation included).
    prepare_seconds : float
    jobs : int
        Worker processes used.
    """

    out: Path
    index: Path
    level: str
    results: tuple[ReportResult, ...]
    summary: ReportResult | None
    seconds: float
    prepare_seconds: float
    jobs: int
    formats: tuple[str, ...] = field(default=("html", "pdf"))

    @property
    def failures(self) -> list[ReportResult]:
        """Reports that failed (territories and summary)."""
        items = [*self.results, *([self.summary] if self.summary is not None else [])]
        return [r for r in items if not r.ok]

    @property
    def ok(self) -> bool:
        """True when every report was written."""
        return not self.failures

    def __repr__(self) -> str:
        n_ok = sum(r.ok for r in self.results)
        return (
            f"<ReportBatch {n_ok}/{len(self.results)} territories, "
            f"{len(self.failures)} failure(s), {self.seconds:.1f} s, {self.jobs} jobs, out={self.out}>"
        )


def folder_name(code: str, nom: str = "") -> str:
    """A safe folder name from a territory code and name: ``<code>_<slug>``.

    Only ASCII letters, digits, ``-`` and ``_`` are kept, so that no name can
    climb out of the output folder (``..``, ``/``) or be refused by a file system.

    Examples
    --------
    >>> folder_name("249600297", "CA de Lontigny-le-Bas")
    '249600297_ca-de-lontigny-le-bas'
    >>> folder_name("../../etc", "Évin-Malmaison / <b>")
    'etc_evin-malmaison-b'
    """

    def slug(text: str, limit: int) -> str:
        ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")

    c = re.sub(r"[^0-9A-Za-z_-]+", "_", str(code)).strip("_-")[:40]
    s = slug(nom, 50)
    name = "_".join(p for p in (c, s) if p) or "territoire"
    if name.lower() in _RESERVED or name == SUMMARY_FOLDER:
        name += "_"
    return name


# ============================================================================ workers
_STATE: dict[str, Any] = {}


def _init_worker(state: dict[str, Any] | None) -> None:
    if state is not None:  # spawn: the state comes pickled; fork: already inherited
        _STATE.clear()
        _STATE.update(state)
    _STATE["printer"] = None


def _printer() -> Any:
    if _STATE.get("printer") is None and "pdf" in _STATE["formats"]:
        from .pdf import PdfPrinter

        printer = PdfPrinter(_STATE["engine"])
        _STATE["printer"] = printer
        mp.util.Finalize(None, printer.close, exitpriority=100)
    return _STATE.get("printer")


def _swap_in(tmp: Path, final: Path) -> None:
    """Move a finished folder into place (replacing an older one)."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _run_task(task: tuple[str, str]) -> ReportResult:
    kind, code = task
    ctx: ReportContext = _STATE["ctx"]
    out: Path = _STATE["out"]
    folder = out / _STATE["folders"][code]
    nom = "Synthèse régionale" if kind == "summary" else str(ctx.table.at[code, "nom"])
    start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{folder.name}-", dir=out))
    try:
        if kind == "summary":
            links = {c: f"../{_STATE['folders'][c]}/rapport.html" for c in _STATE["codes"]}
            files = regional_report(
                ctx,
                tmp,
                formats=_STATE["formats"],
                printer=_printer(),
                template_dir=_STATE["template_dir"],
                links=links,
                nav=[{"href": "../index.html", "label": "Tous les rapports"}],
            )
        else:
            files = territory_report(
                ctx,
                code,
                tmp,
                formats=_STATE["formats"],
                printer=_printer(),
                template_dir=_STATE["template_dir"],
                links=[
                    {"href": "../index.html", "label": "Tous les rapports"},
                    {"href": f"../{SUMMARY_FOLDER}/synthese.html", "label": "Synthèse régionale"},
                ],
            )
        _swap_in(tmp, folder)
        return ReportResult(
            code,
            nom,
            folder,
            tuple(folder / p.name for p in files),
            seconds=time.perf_counter() - start,
        )
    except Exception as exc:  # noqa: BLE001 - one report's failure must not stop the others
        shutil.rmtree(tmp, ignore_errors=True)
        message = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        return ReportResult(
            code,
            nom,
            folder,
            (),
            error=message,
            traceback=traceback.format_exc(),
            seconds=time.perf_counter() - start,
        )


def _moved(result: ReportResult, stage: Path, final: Path) -> ReportResult:
    """The result with its paths in the final folder instead of the staging one."""

    def move(p: Path) -> Path:
        return final / p.relative_to(stage)

    return replace(result, folder=move(result.folder), files=tuple(move(p) for p in result.files))


def _start_method() -> str:
    return "fork" if "fork" in mp.get_all_start_methods() else "spawn"


def render_batch(
    ctx: ReportContext,
    out: str | os.PathLike[str],
    *,
    codes: Sequence[str] | None = None,
    formats: Sequence[str] = ("html", "pdf"),
    summary: bool = True,
    jobs: int | None = None,
    template_dir: str | os.PathLike[str] | None = None,
    pdf_engine: str = "auto",
    progress: bool = True,
    prepare_seconds: float = 0.0,
) -> ReportBatch:
    """Render the reports of a prepared context (see :func:`write_reports`).

    Parameters
    ----------
    ctx : ReportContext
    out : path-like
    codes : sequence of str, optional
        Territories (default all of ``ctx.level``).
    formats, summary, jobs, template_dir, pdf_engine, progress
        As in :func:`write_reports`.
    prepare_seconds : float
        Added to the batch's wall time (for the report).

    Returns
    -------
    ReportBatch
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    fmts = check_formats(formats)
    environment(template_dir)  # a bad template_dir fails here, before any work
    if "pdf" in fmts:
        from .pdf import PdfPrinter

        PdfPrinter(pdf_engine).close()  # a missing engine fails here, once
    final = Path(out)
    # the whole run is written in a hidden folder beside `final`, swapped in at the end
    # (zan.reports.staging): an interrupted run leaves the previous one whole
    with staged_folder(final) as out:
        codes = list(ctx.codes if codes is None else codes)
        names = ctx.table["nom"].astype(str)
        folders: dict[str, str] = {}
        used: set[str] = {SUMMARY_FOLDER, "index.html", "erreurs.txt"}
        for c in codes:
            name = folder_name(c, names.get(c, ""))
            base, i = name, 2
            while name.lower() in used:
                name, i = f"{base}-{i}", i + 1
            used.add(name.lower())
            if (out / name).resolve().parent != out.resolve():  # never outside out/
                raise DataError(
                    f"territory {c!r}: folder name {name!r} leaves {out}; report this bug"
                )
            folders[c] = name
        folders[SUMMARY_FOLDER] = SUMMARY_FOLDER
        tasks = ([("summary", SUMMARY_FOLDER)] if summary else []) + [
            ("territory", c) for c in codes
        ]
        state = {
            "ctx": ctx,
            "out": out.resolve(),
            "formats": fmts,
            "template_dir": None if template_dir is None else str(template_dir),
            "engine": pdf_engine,
            "folders": folders,
            "codes": codes,
        }
        n_jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
        results: list[ReportResult] = []
        bar = tqdm(total=len(tasks), desc="Rapports", unit="rapport", disable=not progress)
        _STATE.clear()
        _STATE.update(state)
        try:
            if n_jobs == 1:
                _init_worker(None)
                try:
                    for task in tasks:
                        results.append(_run_task(task))
                        bar.update()
                finally:
                    if _STATE.get("printer") is not None:
                        _STATE["printer"].close()
            else:
                method = _start_method()
                context = mp.get_context(method)
                pool = context.Pool(
                    n_jobs,
                    initializer=_init_worker,
                    initargs=(state if method != "fork" else None,),
                )
                try:
                    for res in pool.imap_unordered(_run_task, tasks):
                        results.append(res)
                        bar.update()
                        if not res.ok:
                            bar.write(f"échec : {res.code} {res.nom} — {res.error}")
                    pool.close()
                    pool.join()  # workers exit normally: their browsers are closed
                finally:
                    pool.terminate()
        finally:
            bar.close()
            _STATE.clear()
        by_code = {r.code: r for r in results}
        summary_res = by_code.pop(SUMMARY_FOLDER, None) if summary else None
        terr = tuple(by_code[c] for c in codes)
        failed = [r for r in terr if not r.ok]
        if summary_res is not None and summary_res.ok and failed and "html" in fmts:
            # relink the summary's table to the reports that exist
            links = {r.code: f"../{folders[r.code]}/rapport.html" for r in terr if r.ok}
            try:
                regional_report(
                    ctx,
                    out / SUMMARY_FOLDER,
                    formats=["html"],
                    template_dir=template_dir,
                    links=links,
                    nav=[{"href": "../index.html", "label": "Tous les rapports"}],
                )
            except Exception as exc:  # noqa: BLE001 - the first summary stays
                bar.write(f"synthèse non mise à jour : {exc}")
        index = _write_index(ctx, out, terr, summary_res, fmts, template_dir)
    terr = tuple(_moved(r, out, final) for r in terr)
    summary_res = None if summary_res is None else _moved(summary_res, out, final)
    return ReportBatch(
        out=final,
        index=final / index.relative_to(out),
        level=ctx.level,
        results=terr,
        summary=summary_res,
        seconds=time.perf_counter() - start + prepare_seconds,
        prepare_seconds=prepare_seconds,
        jobs=n_jobs,
        formats=fmts,
    )


_LABELS = {
    "rapport.html": "HTML",
    "rapport.pdf": "PDF",
    "synthese.html": "HTML",
    "synthese.pdf": "PDF",
}


def _write_index(
    ctx: ReportContext,
    out: Path,
    results: Sequence[ReportResult],
    summary: ReportResult | None,
    formats: Sequence[str],
    template_dir: Any,
) -> Path:
    def files(r: ReportResult) -> list[dict[str, str]]:
        return [
            {"href": f"{r.folder.name}/{p.name}", "label": _LABELS.get(p.name, p.name)}
            for p in r.files
        ]

    rows = [
        {
            "code": r.code,
            "nom": r.nom,
            "envelope_ha": float(ctx.table.at[r.code, "envelope_ha"]),
            "files": files(r),
            "error": r.error,
        }
        for r in sorted(results, key=lambda r: french_sort_key(r.nom))
    ]
    failures = [{"code": r.code, "nom": r.nom, "error": r.error} for r in results if not r.ok]
    if summary is not None and not summary.ok:
        failures.insert(0, {"code": "—", "nom": summary.nom, "error": summary.error})
    page = (
        environment(template_dir)
        .get_template("index.html.j2")
        .render(
            meta=page_meta(ctx),
            rows=rows,
            failures=failures,
            summary=None if summary is None else {"files": files(summary), "error": summary.error},
            n_ok=sum(r.ok for r in results),
            n_total=len(results),
            print=False,
            footer=f"Rapports — scénario {ctx.name}",
        )
    )
    errors = [r for r in [*([summary] if summary else []), *results] if not r.ok]
    log = out / "erreurs.txt"
    if errors:
        write_text(
            "\n\n".join(f"== {r.code} {r.nom}\n{r.traceback or r.error}" for r in errors), log
        )
    elif log.exists():
        log.unlink()
    return write_text(page, out / "index.html")


def write_reports(
    scenario: Any,
    out: str | os.PathLike[str],
    *,
    ledger: str | os.PathLike[str] | None = None,
    territories: str | Iterable[str] | None = "all",
    formats: str | Sequence[str] = ("html", "pdf"),
    level: str | None = None,
    compare: Sequence[Any] = (),
    summary: bool = True,
    jobs: int | None = None,
    template_dir: str | os.PathLike[str] | None = None,
    pdf_engine: str = "auto",
    progress: bool = True,
) -> ReportBatch:
    """Write the reports of a scenario: one folder per territory, the summary and an index.

    This is ``zan report SCENARIO.toml [--ledger L] [--territories all|CODE,...]
    --format html,pdf --out DIR``.

    Parameters
    ----------
    scenario : path or Scenario
        The scenario (TOML) to report on.
    out : path-like
        Output folder: ``index.html``, ``synthese/`` and one ``<code>_<name>/``
        folder per territory (``rapport.html``, ``rapport.pdf``, charts, maps).
        Written in a hidden sibling folder and swapped in whole at the end: the
        folder of a previous run is replaced (its other territories' reports go
        with it); a folder holding other files is refused, never emptied.
    ledger : path, optional
        Compte foncier (:mod:`zan.ledger`): balance and committed projects shown.
    territories : "all", str or iterable of str, default "all"
        Territory codes (a comma-separated string or a list).
    formats : str or sequence, default ("html", "pdf")
        ``"html"``, ``"pdf"`` or both (``"html,pdf"``).
    level : str, optional
        Level reported on (default ``epci`` when present, else the last level).
    compare : sequence of path, optional
        Other scenarios compared in the regional summary.
    summary : bool, default True
        Write the regional summary.
    jobs : int, optional
        Worker processes (default: the machine's cores; 1 renders in this process).
    template_dir : path, optional
        Templates replacing the packaged ones (:func:`zan.reports.environment`).
    pdf_engine : str, default "auto"
        See :mod:`zan.reports.pdf`.
    progress : bool, default True
        Show a progress bar (tqdm).

    Returns
    -------
    ReportBatch
        Its ``failures`` list the reports that failed, with their message.

    Raises
    ------
    ScenarioError, DataError
        Invalid scenario, unknown territory codes, unknown format, no PDF engine
        (:class:`~zan.errors.MissingDependencyError`), an output folder holding files
        that are not reports of zan: before any report is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.datasets import scenario_path
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> batch = write_reports(scenario_path("02_consommation_population"), out,
    ...                       territories="249600297,249604612", formats="html",
    ...                       jobs=1, progress=False)
    >>> batch.ok, [r.folder.name for r in batch.results]
    (True, ['249600297_ca-de-lontigny-le-bas', '249604612_cc-des-portes-de-queghem'])
    >>> (out / "index.html").exists(), (out / "synthese" / "synthese.html").exists()
    (True, True)
    """
    start = time.perf_counter()
    fmts = check_formats(formats.split(",") if isinstance(formats, str) else formats)
    check_replaceable(out)  # before the preparation, which takes a while
    ctx = prepare_reports(scenario, level=level, ledger=ledger, compare=compare)
    codes = select_codes(ctx, territories)
    # fill the geometry caches before the workers start, so they share them
    ctx.allocation.territories.geometries("commune")
    ctx.allocation.territories.geometries(ctx.level)
    prep = time.perf_counter() - start
    return render_batch(
        ctx,
        out,
        codes=codes,
        formats=fmts,
        summary=summary,
        jobs=jobs,
        template_dir=template_dir,
        pdf_engine=pdf_engine,
        progress=progress,
        prepare_seconds=prep,
    )
