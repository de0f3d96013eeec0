"""The result of a sensitivity analysis: intervals and Sobol indices per territory.

:func:`zan.sensitivity.sensitivity_analysis` computes a :class:`SensitivityResult`; its
tables, fan plot and maps are drawn by :mod:`zan.sensitivity_outputs` (the methods
delegate there).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["SensitivityResult"]


@dataclass(frozen=True, eq=False, repr=False)
class SensitivityResult:
    """What :func:`sensitivity_analysis` computed.

    Attributes
    ----------
    name : str
        The scenario's name.
    level : str
        Allocation level (``epci``, ``commune``...).
    parameters : pandas.DataFrame
        One row per varying parameter (index: key such as ``weights.population`` or
        ``envelope.reduction``): ``label`` (French), ``distribution`` (French
        description), ``min``, ``max``, ``base`` (the scenario's value).
    samples : pandas.DataFrame
        ``(K, P)`` parameter values of every evaluation (Saltelli design order).
    values : numpy.ndarray or BatchColumns
        ``(K, n)`` envelopes (ha) of every evaluation, columns in ``intervals`` order;
        for large analyses a :class:`zan.batch_stream.BatchColumns` that recomputes
        rows and columns on demand (``np.asarray`` gives the whole array).
    intervals : pandas.DataFrame
        Per territory (index: code): ``nom``, ``reference_ha``, ``base_ha`` (the
        scenario's own rounded envelope), ``min_ha``, ``p05_ha``, ``median_ha``,
        ``p95_ha``, ``max_ha``, ``width90_ha`` (p95 − p05), ``width90_pct`` (in % of
        the median).
    first_order, total : pandas.DataFrame
        Sobol indices per territory (rows) and parameter (columns).
    indices : pandas.DataFrame
        Per parameter: ``first_order`` and ``total`` for the whole map (variance-weighted
        over the territories), ``label``.
    n_base : int
        ``N``, rows of each Saltelli matrix; ``len(samples) = N × (P + 2)``.
    seconds : float
        Time spent in the batch evaluations.
    seed : int
    notes : tuple of str
        Remarks in French.
    territories : Territories or None
        For maps.
    """

    name: str
    level: str
    parameters: pd.DataFrame
    samples: pd.DataFrame
    values: Any
    intervals: pd.DataFrame
    first_order: pd.DataFrame
    total: pd.DataFrame
    indices: pd.DataFrame
    n_base: int
    seconds: float
    seed: int
    notes: tuple[str, ...] = ()
    territories: Any = field(default=None)

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        w = self.intervals["width90_ha"]
        return (
            f"<SensitivityResult {self.name} level={self.level} territories={len(self.intervals)} "
            f"parameters={len(self.parameters)} evaluations={len(self.samples)} "
            f"max 90% width={w.max():.2f} ha>"
        )

    def _repr_html_(self) -> str:
        from .sensitivity_outputs import result_html

        return result_html(self)

    # ------------------------------------------------------------------ plots and maps
    def plot(
        self,
        path: str | os.PathLike | None = None,
        *,
        max_territories: int = 40,
        relative: bool = True,
        strip: int = 150,
    ):
        """Fan/strip plot: per territory, the spread of its envelope across the variants.

        Each territory is a row: light dots for a sample of the variants (strip), a thin
        line from minimum to maximum, a thick bar for the 90 % interval, a white dot for
        the median and a black mark for the scenario's own value. With many
        territories, the ``max_territories`` with the widest intervals are shown.

        Parameters
        ----------
        path : path-like, optional
            Write the figure there (PNG, PDF or SVG by suffix), atomically.
        max_territories : int, default 40
        relative : bool, default True
            Plot in % of the scenario's own envelope (territories of every size on one
            scale); False plots hectares.
        strip : int, default 150
            Variants drawn as dots per territory (0 for none).

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> from zan.datasets import scenario_path
        >>> from zan.sensitivity import sensitivity_analysis
        >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=256)
        >>> len(r.plot().axes)
        1
        """
        from .sensitivity_outputs import fan_plot

        return fan_plot(self, path, max_territories=max_territories, relative=relative, strip=strip)

    def explore(self, column: str = "width90_ha", **kwargs: Any):
        """Offline map of the interval width per territory (:func:`zan.maps.choropleth`).

        Parameters
        ----------
        column : str, default "width90_ha"
            Any column of :attr:`intervals` (``width90_pct`` for the relative width).
        **kwargs
            :func:`zan.maps.choropleth` options.

        Returns
        -------
        folium.Map
        """
        from .sensitivity_outputs import width_map

        return width_map(self, column, **kwargs)

    def to_png(self, path: str | os.PathLike, column: str = "width90_ha", **kwargs: Any) -> Path:
        """Static map of the interval width (:func:`zan.maps.to_png`)."""
        from .sensitivity_outputs import width_png

        return width_png(self, path, column, **kwargs)

    # ------------------------------------------------------------------ export
    def to_csv(self, path: str | os.PathLike, *, view: str = "intervalles") -> Path:
        """Write one view as CSV (UTF-8, French headers), atomically.

        Parameters
        ----------
        path : path-like
        view : {"intervalles", "indices", "indices_1er_ordre", "indices_totaux"}

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from zan.datasets import scenario_path
        >>> from zan.sensitivity import sensitivity_analysis
        >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=64)
        >>> p = r.to_csv(pathlib.Path(tempfile.mkdtemp()) / "intervalles.csv")
        >>> p.read_text(encoding="utf-8").splitlines()[0].split(",")[:3]
        ['Code', 'Nom', 'Consommation de référence (ha)']
        """
        from .sensitivity_outputs import write_view_csv

        return write_view_csv(self, path, view=view)

    def to_xlsx(self, path: str | os.PathLike) -> Path:
        """Write every view into one workbook (one sheet each, French headers), atomically.

        Sheets: Intervalles, Indices, Indices du 1er ordre, Indices totaux, Paramètres
        (the analysis itself: scenario, evaluations, seed, notes).

        Examples
        --------
        >>> import tempfile, pathlib, openpyxl
        >>> from zan.datasets import scenario_path
        >>> from zan.sensitivity import sensitivity_analysis
        >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=64)
        >>> p = r.to_xlsx(pathlib.Path(tempfile.mkdtemp()) / "sensibilite.xlsx")
        >>> openpyxl.load_workbook(p).sheetnames[:2]
        ['Intervalles', 'Indices']
        """
        from .sensitivity_outputs import write_xlsx

        return write_xlsx(self, path)
