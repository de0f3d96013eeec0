"""The bad-input suite, part II: files as users really have them.

Classes of cases (each a section below): communes that cannot be placed in a level
(never silently dropped), lower bounds flagged in the outputs, files as Excel and
data portals make them (``sep=`` hint, zips, binary content, encodings), coordinate
system mistakes, secrets in messages, implausible values. As in
tests/test_bad_input.py, each case checks the exception class (or exit status 2 for
the CLI) and that the message names the file, what is wrong and the fix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zan import errors as E
from zan.datasets import get_path

CONSO = str(get_path("conso_enaf_2009_2023.csv"))
MEMBERSHIP = str(get_path("communes.csv"))


def _cli(args):
    from zan.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


# =============================================================== communes that cannot be placed
def _membership_without(tmp_path, *, drop=(), blank=()):
    """The demo membership table with communes removed (``drop``) or without an EPCI."""
    table = pd.read_csv(MEMBERSHIP, dtype=str, keep_default_na=False)
    table = table[~table["code_insee"].isin(drop)]
    table.loc[table["code_insee"].isin(blank), "epci_siren"] = ""
    path = tmp_path / "membership.csv"
    table.to_csv(path, index=False)
    return path


def _conso_on_membership(tmp_path):
    """The demo consumption file without its two communes of another COG vintage."""
    lines = Path(CONSO).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.startswith(("96127,", "99090,"))]
    path = tmp_path / "conso.csv"
    path.write_text("".join(kept), encoding="utf-8")
    return path


@pytest.mark.parametrize("how", ["drop", "blank"])
def test_commune_without_epci_is_an_error_naming_it(tmp_path, how):
    from zan import read_consumption
    from zan.io.territories import read_membership
    from zan.measure.consumption import consumption

    conso = read_consumption(_conso_on_membership(tmp_path))
    members = read_membership(_membership_without(tmp_path, **{how: ["96001"]}))
    with pytest.raises(E.MembershipError) as info:
        consumption(conso, members, level="epci", missing="zero")
    message = str(info.value)
    assert "96001" in message and "membership.csv" in message
    assert "2.84 ha" in message  # what would have been missing from its EPCI
    assert "unplaced='exclude'" in message


def test_commune_without_epci_excluded_and_reported(tmp_path):
    from zan import read_consumption
    from zan.io.territories import read_membership
    from zan.measure.consumption import consumption

    conso = read_consumption(_conso_on_membership(tmp_path))
    full = consumption(
        conso, read_membership(MEMBERSHIP), level="epci", missing="zero", by_destination=False
    )
    members = read_membership(_membership_without(tmp_path, blank=["96001"]))
    out = consumption(
        conso, members, level="epci", missing="zero", unplaced="exclude", by_destination=False
    )
    assert out.attrs["excluded"] == ("96001",)
    short = full.loc["249604612", "total_ha"] - out.loc["249604612", "total_ha"]
    assert out.attrs["excluded_ha"] == pytest.approx(short) and short > 2.8
    assert "excluded" not in full.attrs


def test_cli_unplaced_error_and_exclusion(tmp_path):
    conso = _conso_on_membership(tmp_path)
    members = _membership_without(tmp_path, drop=["96001"])
    res = _cli(["consumption", conso, "--membership", members, "--by", "epci", "--missing", "zero"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "96001" in res.output and "--unplaced exclude" in res.output
    out = tmp_path / "out" / "conso_epci.csv"
    res = _cli(
        ["consumption", conso, "--membership", members, "--by", "epci", "--missing", "zero"]
        + ["--unplaced", "exclude", "--out", out]
    )
    assert res.exit_code == 0, res.output
    assert "1 commune(s) exclue(s)" in res.output and "96001" in res.output
    record = json.loads((tmp_path / "out" / "conso_epci.sources.json").read_text())
    assert record["excluded"] == ["96001"] and record["excluded_ha"] == pytest.approx(2.8416)
    assert record["output"]["file"] == "conso_epci.csv"


def test_trajectory_passes_unplaced(tmp_path):
    from zan import read_consumption
    from zan.io.territories import read_membership
    from zan.measure.consumption import trajectory

    conso = read_consumption(_conso_on_membership(tmp_path))
    members = read_membership(_membership_without(tmp_path, blank=["96001"]))
    with pytest.raises(E.MembershipError, match="96001"):
        trajectory(conso, members, level="epci", missing="zero")
    t = trajectory(conso, members, level="epci", missing="zero", unplaced="exclude")
    assert t.attrs["excluded"] == ("96001",)


def test_custom_grouping_with_gaps_is_an_error(tmp_path):
    from zan import read_consumption
    from zan.measure.consumption import consumption

    conso = read_consumption(CONSO)
    groups = pd.Series("A", index=conso.communes.index)
    groups.iloc[:3] = None
    with pytest.raises(E.MembershipError, match="3 have no group"):
        consumption(conso, level=groups)
    out = consumption(conso, level=groups, unplaced="exclude")
    assert len(out.attrs["excluded"]) == 3


# ------------------------------------------------------------------ the property
def _conso_frame(codes, m2):
    from zan.io.consumption import Consumption

    flows = pd.DataFrame(
        {
            "code": np.repeat(np.asarray(codes, dtype=object), 10),
            "year": np.tile(np.arange(2011, 2021), len(codes)),
            "destination": "total",
            "m2": np.repeat(np.asarray(m2, dtype="float64"), 10),
        }
    )
    communes = pd.DataFrame({"nom": codes}, index=pd.Index(codes, name="code"))
    return Consumption(
        flows=flows, communes=communes, years=tuple(range(2011, 2021)), destinations=()
    )


@st.composite
def _placements(draw):
    n = draw(st.integers(1, 25))
    codes = [f"{59000 + i:05d}" for i in range(n)]
    m2 = draw(st.lists(st.integers(0, 10**7), min_size=n, max_size=n))
    # Each commune: in the table with a group, in the table without one, or absent.
    fate = draw(
        st.lists(st.sampled_from(["group", "group", "blank", "absent"]), min_size=n, max_size=n)
    )
    group = draw(st.lists(st.sampled_from(["E1", "E2", "E3"]), min_size=n, max_size=n))
    return codes, m2, fate, group


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_placements(), st.sampled_from(["raise", "exclude"]), st.sampled_from(["table", "series"]))
def test_property_no_commune_lost_without_a_word(case, unplaced, how):
    """No aggregation returns fewer communes (or fewer m²) than it was given, unless it
    raised or reported the difference as an exclusion."""
    from zan.measure.consumption import consumption

    codes, m2, fate, group = case
    conso = _conso_frame(codes, m2)
    kept = [i for i, f in enumerate(fate) if f != "absent"]
    epci = [group[i] if fate[i] == "group" else None for i in kept]
    if how == "table":
        grouping = pd.DataFrame(
            {"epci": pd.array(epci, dtype="string")}, index=pd.Index([codes[i] for i in kept])
        )
        kwargs = {"territories": grouping, "level": "epci"}
    else:
        kwargs = {"level": pd.Series(epci, index=[codes[i] for i in kept], dtype=object)}
    try:
        out = consumption(conso, by_destination=False, unplaced=unplaced, **kwargs)
    except E.MembershipError as exc:
        lost = [codes[i] for i, f in enumerate(fate) if f != "group"]
        assert lost and all(c in str(exc) for c in lost[:20])
        return
    given_m2 = 10 * sum(m2)
    excluded = out.attrs.get("excluded", ())
    assert all(f == "group" for f in fate) or unplaced == "exclude"
    assert set(excluded) == {codes[i] for i, f in enumerate(fate) if f != "group"}
    counted = out["total_ha"].sum() + out.attrs.get("excluded_ha", 0.0)
    assert counted * 1e4 == pytest.approx(given_m2, abs=1e-6)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.integers(1001, 99999), min_size=1, max_size=30, unique=True),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    st.booleans(),
)
def test_property_reader_keeps_every_commune(tmp_path, numbers, sep, encoding, excel_hint):
    """read_consumption returns every commune of the file and every m² of it."""
    from zan import read_consumption

    header = sep.join(["idcom", "idcomtxt", *[f"naf{y:02d}art{y + 1:02d}" for y in range(11, 21)]])
    rows = [header]
    for i, n in enumerate(numbers):
        rows.append(sep.join([f"{n:05d}", f"Commune é{i}", *[str(n % 97 + y) for y in range(10)]]))
    text = "\n".join(rows) + "\n"
    if excel_hint:
        text = f"sep={sep}\n" + text
    path = tmp_path / f"conso_{abs(hash((tuple(numbers), sep, encoding, excel_hint)))}.csv"
    path.write_bytes(text.encode(encoding))
    conso = read_consumption(path)
    assert sorted(conso.communes.index) == sorted(f"{n:05d}" for n in numbers)
    expected = sum(n % 97 * 10 + 45 for n in numbers)
    assert conso.period_total(2011, 2020).sum() == expected


# ==================================================================== lower bounds flagged
def _api_file(tmp_path, *, total=False):
    rows = ["idcom;idcomtxt;epci23;annee;conso_act_m2;conso_hab_m2;conso_mix_m2;conso_inc_m2"]
    if total:
        rows[0] += ";naf_arti_m2"
    for code in ("59001", "59002"):
        for year in range(2011, 2024):
            rows.append(f"{code};C{code};200000001;{year};10;20;0;0" + (";40" if total else ""))
    path = tmp_path / "api.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_api_without_road_rail_is_flagged_lower_bound(tmp_path):
    from zan import read_consumption
    from zan.measure.consumption import consumption, trajectory

    conso = read_consumption(_api_file(tmp_path))
    assert list(conso.lower_bound_codes(2011, 2020)) == ["59001", "59002"]
    table = consumption(conso, level="epci")
    assert table["lower_bound"].tolist() == [True]
    assert table.attrs["lower_bound"] == ("200000001",)
    assert trajectory(conso, level="commune")["lower_bound"].all()
    complete = read_consumption(_api_file(tmp_path, total=True))
    assert "lower_bound" not in consumption(complete, level="epci").columns


@pytest.mark.parametrize("command", ["consumption", "trajectory"])
def test_cli_prints_and_writes_the_lower_bound(tmp_path, command):
    out = tmp_path / f"{command}.csv"
    res = _cli([command, _api_file(tmp_path), "--by", "epci", "--out", out])
    assert res.exit_code == 0, res.output
    assert "le total est une borne inférieure" in res.output
    written = pd.read_csv(out, dtype=str)
    assert written["lower_bound"].tolist() == ["True"]
    record = json.loads((tmp_path / f"{command}.sources.json").read_text())
    assert record["lower_bound"] == ["200000001"]


def test_complete_file_writes_no_flag_file(tmp_path):
    out = tmp_path / "c.csv"
    res = _cli(["consumption", CONSO, "--by", "departement", "--out", out])
    assert res.exit_code == 0, res.output
    assert "borne inférieure" not in res.output
    assert not (tmp_path / "c.sources.json").exists()
    assert "lower_bound" not in out.read_text().splitlines()[0]


def test_aligned_file_keeps_its_lower_bounds(tmp_path):
    from zan import read_consumption
    from zan.io.cog import read_passage

    conso = read_consumption(_api_file(tmp_path))
    passage = tmp_path / "passage.csv"
    passage.write_text("code_2023,code_2024\n59001,59001\n59002,59001\n", encoding="utf-8")
    aligned, _ = conso.align(read_passage(passage))
    assert list(aligned.lower_bound_codes(2011, 2020)) == ["59001"]


def test_message_lists_lower_bound_codes_in_order():
    from zan.measure.flags import flag_sentences

    table = pd.DataFrame({"total_ha": [1.0]})
    table.attrs["lower_bound"] = tuple(f"{i:05d}" for i in range(25))
    (line,) = flag_sentences(table)
    assert re.search(r"pour 25 territoire\(s\) \(00000, .*00019 et 5 autres\)", line)
