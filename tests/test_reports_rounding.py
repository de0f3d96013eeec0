"""One figure, one value on a page: the envelope to share reads the same everywhere.

The allocation hands out whole units of its resolution, never more than the pool:
the synthesis page once showed the pool before rounding ("Enveloppe à répartir",
1 974,05 ha) beside the pool rounded down (1 974,04 ha). These tests read every
labelled figure of the page (key figures, tables, the explanation) and check that
each quantity is written with a single value.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.datasets import scenario_path
from zan.envelope import regional_envelope
from zan.reports import prepare_reports, regional_report
from zan.rounding import total_units

NUM = r"-?\d{1,3}(?: \d{3})*(?:,\d+)?"

#: Label (lower case, start) → the quantity it names.
QUANTITIES = (
    ("enveloppe à répartir", "shared"),
    ("enveloppe répartie", "distributed"),
    ("enveloppe régionale", "regional"),
    ("enveloppe brute", "gross"),
    ("dont pene", "pene"),
    ("pene", "pene"),
    ("réserve régionale", "reserve"),
    ("consommation de référence", "reference"),
    ("consommation d'enaf", "reference"),
    ("dont garantie communale", "garantie"),
    ("garantie communale", "garantie"),
    ("reliquat d'arrondi", "reliquat"),
    ("restant au niveau régional", "unallocated"),
)


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f]", " ", html.unescape(text))


def _quantity(label: str) -> str | None:
    label = label.strip().lower()
    return next((q for start, q in QUANTITIES if label.startswith(start)), None)


def _number(text: str) -> float:
    return abs(float(text.replace(" ", "").replace(",", ".")))


def labelled_figures(page: str) -> list[tuple[str, str, str]]:
    """(quantity, label, number as written) for every labelled figure of a page."""
    page = _plain(page)
    pairs = re.findall(rf'<div class="v">({NUM}) ha</div><div class="l">([^<]+)</div>', page)
    found = [(label, num) for num, label in pairs]
    found += re.findall(rf'<tr><td>([^<]+)</td><td class="n">({NUM})</td></tr>', page)
    for explain in re.findall(r'<div class="explain">(.*?)</div>', page, flags=re.S):
        found += re.findall(rf"(?:^|[.;] )([^.:;]+?) : ({NUM}) ha", explain)
        found += [
            ("Enveloppe brute", n) for n in re.findall(rf"enveloppe brute de ({NUM}) ha", explain)
        ]
        found += [
            ("Garantie communale", n)
            for n in re.findall(rf"dont ({NUM}) ha de garantie communale", explain)
        ]
    return [(q, label, num) for label, num in found if (q := _quantity(label)) is not None]


def values_by_quantity(page: str) -> dict[str, set[float]]:
    out: dict[str, set[float]] = defaultdict(set)
    for q, _, num in labelled_figures(page):
        out[q].add(_number(num))
    return dict(out)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = {}
    for name in (
        "01_reduction_uniforme",
        "04_taux_differencies",
        "05_cascade_reserve_pene_garantie",
    ):
        ctx = prepare_reports(scenario_path(name))
        folder = tmp_path_factory.mktemp(name)
        regional_report(ctx, folder, formats=["html"])
        out[name] = (ctx, (folder / "synthese.html").read_text(encoding="utf-8"))
    return out


@pytest.mark.parametrize(
    "name", ["01_reduction_uniforme", "04_taux_differencies", "05_cascade_reserve_pene_garantie"]
)
def test_every_labelled_figure_of_the_synthesis_has_one_value(pages, name):
    ctx, page = pages[name]
    values = values_by_quantity(page)
    # the parser sees the figures: the key figures, both tables and the explanation
    found = labelled_figures(page)
    assert sum(q == "shared" for q, _, _ in found) == 2  # explanation and table of terms
    assert sum(q == "distributed" for q, _, _ in found) == 2  # key figure and summary table
    assert sum(q == "regional" for q, _, _ in found) >= 4
    several = {q: v for q, v in values.items() if len(v) > 1}
    assert not several, f"{name}: one quantity, several values: {several}"
    alloc = ctx.allocation
    assert values["distributed"] == {round(alloc.distributed_ha, 2)}
    shared = total_units(alloc.envelope.distributed_ha, alloc.resolution) * alloc.resolution
    assert values["shared"] == {round(shared, 2)}
    # what is shared = what is distributed + what stays at the regional level (given rates)
    unallocated = next(iter(values["unallocated"]))
    assert next(iter(values["shared"])) == pytest.approx(
        next(iter(values["distributed"])) + unallocated, abs=1e-9
    )


def test_the_cascade_synthesis_no_longer_shows_the_pool_before_rounding(pages):
    ctx, page = pages["05_cascade_reserve_pene_garantie"]
    env = ctx.allocation.envelope
    assert f"{env.distributed_ha:.2f}" == "1974.05"  # the pool, written to 0.01 ha
    text = _plain(page)
    assert "1 974,05" not in text
    # key figure, explanation, both tables and the total of the territories' table
    assert text.count("1 974,04") == 5
    # the remainder, under one unit, is written once, to 4 decimals
    reliquat = [num for q, _, num in labelled_figures(page) if q == "reliquat"]
    assert reliquat == ["0,0073"]
    assert "(arrondie au 0,01 ha inférieur)" in text


def test_allocation_explanation_and_console_use_the_distributed_figure(tmp_path):
    path = scenario_path("05_cascade_reserve_pene_garantie")
    ctx = prepare_reports(path)
    alloc = ctx.allocation
    top = alloc.levels[0]
    code = alloc.tables[top].index[0]
    said = _plain(alloc.explain(code, level=top))
    assert "l'enveloppe répartie de 1 974,04 ha" in said
    res = CliRunner().invoke(
        main, ["allocate", str(path), "--out", str(tmp_path)], catch_exceptions=False
    )
    out = _plain(res.output)
    assert "Enveloppe à répartir entre les territoires : 1 974,04 ha" in out
    assert re.search(r"Enveloppe répartie\s+1 974,04", out)
    assert "1 974,05" not in out


def test_envelope_shares_the_pool_rounded_down_to_the_grid():
    env = regional_envelope(4_563.9291, reduction=0.5)
    assert env.distributed_ha == pytest.approx(2281.96455)
    assert env.shared_ha() == env.distributed_ha
    assert env.shared_ha(0.01) == 2281.96
    assert env.shared_ha(0.5) == 2281.5
    terms = env.terms(resolution=0.01).set_index("terme")["ha"]
    assert terms["Enveloppe à répartir entre territoires"] == 2281.96
    assert env.terms().set_index("terme")["ha"]["Enveloppe à répartir entre territoires"] == (
        env.distributed_ha
    )
    assert "2 281,96 ha (arrondie au 0,01 ha inférieur)" in _plain(env.explain(resolution=0.01))
    exact = regional_envelope(2_000.0, reduction=0.5)
    assert "inférieur" not in exact.explain(resolution=0.01)  # nothing was rounded off
    with pytest.raises(Exception, match="resolution must be positive"):
        env.shared_ha(0)
