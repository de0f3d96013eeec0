"""A compte foncier kept per commune, read in reports per EPCI: the accounts summed.

The ledger of the demo cascade (scenario 05) has one account per commune; the report
is per EPCI. Each EPCI's envelope, consumption, commitments and balance must be the
sum of its communes' accounts, as the ledger itself gives them.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from shapely.geometry import box

from zan.datasets import get_path, scenario_path
from zan.errors import LedgerError
from zan.ledger import Ledger, account_groups, example_ledger, group_balances, init_ledger
from zan.reports import fr_number, prepare_reports, regional_data, territory_report

SCENARIO = scenario_path("05_cascade_reserve_pene_garantie")
SUMMED = ["allocated_ha", "envelope_ha", "consumed_ha", "committed_ha", "remaining_ha"]


def plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f]", " ", html.unescape(text))


@pytest.fixture(scope="module")
def ctx():
    return prepare_reports(SCENARIO)


@pytest.fixture(scope="module")
def commune_ledger(tmp_path_factory, ctx):
    """The cascade's ledger (one account per commune), 2021-2022 imported, one project."""
    path = tmp_path_factory.mktemp("compte") / "compte.gpkg"
    ledger = init_ledger(path, SCENARIO, author="région")
    ledger.import_consumption(
        get_path("conso_enaf_2009_2023.csv"),
        passage=get_path("passage_cog2023_cog2024.csv"),
        author="région",
    )
    epci = ctx.codes[0]
    commune = ctx.communes.index[ctx.communes["territory"] == epci][0]
    point = ctx.allocation.territories.communes.loc[commune].geometry.representative_point()
    ledger.add_project(
        commune,
        label="Lotissement des Essais",
        geometry=box(point.x - 50, point.y - 50, point.x + 50, point.y + 50),
        enaf_ha=0.6,
        justification="délibération test",
    )
    ledger.close()
    return path


def test_epci_balances_are_the_sums_of_their_commune_accounts(commune_ledger, ctx):
    assign = ctx.allocation.territories.assignment("epci")
    with Ledger(commune_ledger) as ledger:
        assert ledger.level == "commune"
        per_commune = ledger.balance()
        grouped = group_balances(ledger, assign, names=ctx.table["nom"])
    communes = per_commune[per_commune["account_type"] == "territoire"]
    assert len(communes) == len(assign)
    summed = communes[SUMMED].groupby(assign.reindex(communes.index)).sum()
    epci = grouped[grouped["account_type"] == "territoire"]
    assert sorted(epci.index) == sorted(ctx.codes)
    pd.testing.assert_frame_equal(
        epci.loc[summed.index, SUMMED], summed, check_names=False, atol=1e-6, rtol=0
    )
    counts = assign.value_counts()
    assert (epci["n_accounts"] == counts.reindex(epci.index)).all()
    assert epci["consumed_ha"].sum() > 400  # 2021-2022 imported
    assert epci["committed_ha"].sum() == pytest.approx(0.6)
    # the ledger's envelopes are the allocation's, per EPCI
    env = ctx.table["envelope_ha"].reindex(epci.index)
    assert (epci["envelope_ha"] - env).abs().max() < 1e-6
    assert (epci.loc[ctx.codes, "nom"] == ctx.table.loc[ctx.codes, "nom"]).all()
    # the region, the reserve and the PENE rows are the ledger's own
    for row in ("region", "reserve", "pene"):
        for col in SUMMED:
            assert grouped.at[row, col] == pytest.approx(per_commune.at[row, col], abs=1e-9)
    # pace and status are those of the sums
    last = per_commune.attrs["last_year"]
    rate = summed["consumed_ha"] / (last - 2021 + 1)
    assert epci.loc[rate.index, "annual_rate_ha"].to_numpy() == pytest.approx(rate.to_numpy())
    assert set(epci["status"]) <= {"on_track", "will_exceed", "exceeded"}


def test_epci_report_shows_the_sum_of_its_commune_accounts(commune_ledger, ctx, tmp_path):
    report_ctx = prepare_reports(SCENARIO, ledger=commune_ledger)
    assert report_ctx.ledger_info["summed"] and report_ctx.ledger_info["level"] == "commune"
    code = report_ctx.codes[0]
    with Ledger(commune_ledger) as ledger:
        per_commune = ledger.balance()
    members = report_ctx.communes.index[report_ctx.communes["territory"] == code]
    sums = per_commune.loc[members, SUMMED].sum()
    territory_report(report_ctx, code, tmp_path, formats=["html"])
    page = plain((tmp_path / "rapport.html").read_text(encoding="utf-8"))
    assert "n'a pas de compte" not in page
    assert f"somme des {len(members)} comptes de ce territoire" in page
    rows = dict(re.findall(r"<t[hd]>([^<]+)</t[hd]><td class=\"n\">([^<]+)</td>", page))
    expected = {
        "Enveloppe au compte (allocation, réserve, transferts)": sums["envelope_ha"],
        "Consommé": sums["consumed_ha"],
        "Engagé (projets prévus)": sums["committed_ha"],
        "Solde disponible": sums["remaining_ha"],
    }
    for label, value in expected.items():
        assert rows[label] == plain(fr_number(value)) + " ha", label
    assert sums["committed_ha"] == pytest.approx(0.6)
    assert "Lotissement des Essais" in page  # the project of one of its communes
    # the synthesis gives every EPCI its balance
    r = regional_data(report_ctx)
    by_code = {t["code"]: t["remaining_ha"] for t in r["territories"]}
    assert by_code[code] == pytest.approx(sums["remaining_ha"], abs=1e-9)
    assert all(v is not None for v in by_code.values())


def test_accounts_larger_than_the_territories_are_not_split(tmp_path):
    ledger = example_ledger(tmp_path / "departements.gpkg")  # one account per département
    from zan import Territories

    t = Territories.demo()
    with pytest.raises(LedgerError, match=r"covers communes of \d+ territories.*cannot be split"):
        account_groups(ledger, t.assignment("epci"))
    with pytest.raises(LedgerError, match=r"have no territory in the assignment.*COG"):
        account_groups(ledger, t.assignment("epci").iloc[:10])
    ledger.close()
    # a report per EPCI on that ledger says the territory has no account of its own
    report_ctx = prepare_reports(scenario_path("01_reduction_uniforme"), ledger=ledger.source)
    assert not report_ctx.ledger_info["summed"]
    territory_report(report_ctx, report_ctx.codes[0], tmp_path / "r", formats=["html"])
    page = plain((tmp_path / "r" / "rapport.html").read_text(encoding="utf-8"))
    assert "n'a pas de compte pour ce territoire (niveau du compte : departement)" in page


def test_a_ledger_at_the_report_level_is_read_as_it_is(tmp_path):
    path = tmp_path / "compte.gpkg"
    init_ledger(path, scenario_path("01_reduction_uniforme"), author="région").close()
    report_ctx = prepare_reports(scenario_path("01_reduction_uniforme"), ledger=path)
    assert report_ctx.ledger_info["level"] == "epci" and not report_ctx.ledger_info["summed"]
    assert "n_accounts" not in report_ctx.ledger_balance.columns
