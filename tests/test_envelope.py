"""Tests of zan.envelope: the regional envelope, PENE péréquation, reserve, legal profiles."""

from __future__ import annotations

import pytest

from zan.envelope import (
    available_profiles,
    load_profile,
    pene_perequation_ha,
    regional_envelope,
)
from zan.errors import ScenarioError


def test_hauts_de_france_through_the_perequation_formula():
    # DOMAIN.md §1, §4: 16,275 ha × (0.5 − 10,000 / ΣC_ref) = 16,275 × (1 − 0.5447) ≈ 7,410 ha
    env = regional_envelope(16_275, pene="perequation")
    assert abs(env.regional_ha - 7_410) <= 0.5
    assert abs(env.regional_ha - 16_275 * (1 - 0.5447)) <= 0.5
    assert round(env.effort_pct, 2) == 54.47
    # the formula, term by term
    prof = load_profile("loi_2023")
    expected = 16_275 * (0.5 - prof.pene.regions_ha / prof.pene.national_reference_ha)
    assert env.regional_ha == pytest.approx(expected, rel=1e-12)
    assert env.pene_ha == pytest.approx(pene_perequation_ha(16_275))


def test_terms_add_up():
    env = regional_envelope(
        1_000, reduction=0.4, pene=50.0, reserve_share=0.1, garantie_communes=30
    )
    assert env.gross_ha == pytest.approx(600)
    assert env.regional_ha == pytest.approx(550)
    assert env.reserve_ha == pytest.approx(55)
    assert env.distributed_ha == pytest.approx(495)
    assert env.garantie_ha == 30.0
    terms = env.terms().set_index("terme")["ha"]
    assert terms.iloc[1] + terms.iloc[2] + terms.iloc[3] == pytest.approx(env.regional_ha)
    assert terms.iloc[4] + terms.iloc[5] == pytest.approx(env.distributed_ha)


def test_envelope_in_hectares_and_reserve_in_hectares():
    env = regional_envelope(10_000, envelope_ha=4_000, reserve_ha=500)
    assert env.reduction is None and env.distributed_ha == 3_500
    assert "donnée directement" in env.explain()


def test_trace_profile():
    trace = load_profile("trace_2025")
    assert trace.periods.reference == (2014, 2023) and trace.periods.target == (2024, 2033)
    env = regional_envelope(1_000, profile="trace_2025")
    # 1,000 × 0.5 × 1.2, PENE out of the count
    assert env.regional_ha == pytest.approx(600)
    assert env.tolerance_ha == pytest.approx(100)
    assert "hors enveloppe" in env.explain()
    with pytest.raises(ScenarioError, match="leaves PENE out of the regional count"):
        regional_envelope(1_000, profile="trace_2025", pene="perequation")


def test_profiles_are_listed_and_unknown_is_an_error():
    assert available_profiles() == ["loi_2023", "trace_2025"]
    assert load_profile().name == "loi_2023"
    with pytest.raises(ScenarioError, match="valid profiles: loi_2023, trace_2025"):
        load_profile("loi_2030")


def test_profile_file_with_a_wrong_key(tmp_path):
    text = (load_profile.__globals__["_profiles_dir"]() / "loi_2023.toml").read_text(
        encoding="utf-8"
    )
    bad = tmp_path / "mine.toml"
    bad.write_text(text.replace("tolerance = 0.0", "tolerence = 0.0"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="envelope.tolerence"):
        load_profile(bad)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reduction": -0.1}, r"'reduction' must be between 0 and 1 \(got -0.1\); write 0.5"),
        ({"reduction": 1.5}, r"'reduction' must be between 0 and 1 \(got 1.5\)"),
        ({"reduction": 0.5, "envelope_ha": 10}, "either 'reduction' or 'envelope_ha'"),
        ({"pene": "beaucoup"}, "'pene' must be a number of hectares, 'perequation' or 'none'"),
        ({"pene": 900.0}, r"PENE \(900.00 ha\) exceed the gross envelope"),
        ({"reserve_share": 0.1, "reserve_ha": 1}, "either 'reserve_ha' or 'reserve_share'"),
        ({"reserve_ha": 5_000}, "the regional reserve"),
        ({"tolerance": -1}, "'tolerance' must be between 0 and inf"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(ScenarioError, match=message):
        regional_envelope(1_000, **kwargs)


def test_french_explanation_and_html():
    env = regional_envelope(16_275, pene="perequation", reserve_ha=100, garantie_communes=3_782)
    text = env.explain()
    assert "Consommation d'ENAF 2011-2020 : 16 275,00 ha" in text
    assert "727,54 ha déduits par péréquation nationale" in text
    assert "3782 communes × 1,00 ha" in text
    html = env._repr_html_()
    assert "Enveloppe régionale" in html and "7&#8239;409,96&nbsp;ha" in html
