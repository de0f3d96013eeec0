"""Report charts never clip their texts: tick labels, axis labels, titles and legends
lie inside the figure, even with long territory names and large numbers."""

from __future__ import annotations

import pytest
from helpers import texts_outside

from zan.reports import charts

LONG = "Communauté d'agglomération du Pays de Courbonne-en-Sélonnais et des Coteaux"


def _draw_all(tmp_path):
    rows = [
        {"year": 2011 + i, "habitat": 12_000.0 * (i + 1), "activite": 3_000.0} for i in range(10)
    ]
    charts.consumption_chart(
        rows,
        ["habitat", "activite"],
        tmp_path / "c.svg",
        labels={"habitat": "Habitat", "activite": "Activité économique et commerciale"},
        title="Consommation d'espaces naturels, agricoles et forestiers par année et destination",
    )
    charts.trajectory_chart(
        [{"year": 2021, "cumul_ha": 3.0}, {"year": 2022, "cumul_ha": 7.0}],
        20.0,
        tmp_path / "t.svg",
        projected_ha=35.0,
        title="Trajectoire",
    )
    charts.reduction_histogram([10.0, 20.0, 35.0, 50.0, 55.0], tmp_path / "r.svg")
    names = [LONG, "CC du Val", f"{LONG} (bis)"]
    charts.envelope_bars(
        names, [125_000.0, 4.0, 60.0], tmp_path / "e.svg", reference_ha=[250_000.0, 7.0, 90.0]
    )
    charts.comparison_chart(
        names, {"SRADDET": [1.0, 2.0, 3.0], "Population": [1.5, 1.0, 2.5]}, tmp_path / "k.svg"
    )


@pytest.fixture
def figures(monkeypatch):
    seen = []
    save = charts._save

    def spy(fig, path):
        seen.append(fig)
        return save(fig, path)

    monkeypatch.setattr(charts, "_save", spy)
    return seen


def test_chart_texts_lie_inside_the_figure(tmp_path, figures):
    _draw_all(tmp_path)
    assert len(figures) == 5
    for fig in figures:
        assert texts_outside(fig) == []
        names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert all(len(line) <= 40 for n in names for line in n.split("\n"))
        assert fig.axes[0].get_position().width > 0.2  # the plot keeps room to be read


def test_the_check_sees_clipped_labels_without_the_fit(tmp_path, figures, monkeypatch):
    monkeypatch.setattr(charts, "_fit", lambda fig, pad=3.0: None)
    _draw_all(tmp_path)
    clipped = [i for i, fig in enumerate(figures) if texts_outside(fig)]
    # the long title and legend of the consumption chart, the last "1/1/2031" of the trajectory
    assert clipped == [0, 1]
