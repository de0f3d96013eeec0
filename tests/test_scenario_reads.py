"""A run reads each input file once: ``zan report`` and ``zan atlas`` on a demo scenario.

:func:`zan.scenario.prepare_scenario` keeps the territories and the aligned consumption
on the :class:`~zan.scenario.PreparedScenario`; the allocation keeps its prepared
scenario (``Allocation.prepared``); reports and the atlas take them from there.
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest
from click.testing import CliRunner

import zan.io.consumption
import zan.io.territories
from zan.cli import main
from zan.datasets import scenario_path
from zan.scenario import load_consumption, prepare_scenario, run_scenario

SCENARIO = str(scenario_path("02_consommation_population"))


@pytest.fixture
def reads(monkeypatch):
    """Count calls of the consumption and commune-layer readers, wherever they are looked up."""
    counts: Counter[str] = Counter()
    for name, module in (
        ("read_consumption", zan.io.consumption),
        ("read_communes", zan.io.territories),
    ):
        original = getattr(module, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            counts[_name] += 1
            return _original(*args, **kwargs)

        for mod in [m for k, m in list(sys.modules.items()) if k.startswith("zan") and m]:
            if getattr(mod, name, None) is original:
                monkeypatch.setattr(mod, name, counted)
    return counts


def test_prepared_scenario_keeps_the_aligned_consumption(reads):
    prep = prepare_scenario(SCENARIO)
    assert dict(reads) == {"read_consumption": 1, "read_communes": 1}
    assert prep.consumption is not None and prep.alignment is not None
    assert set(prep.alignment.unique()) <= {"unchanged", "merged", "split", "recoded", "missing"}
    # aligned on the communes of the territories
    assert set(prep.consumption.communes.index.astype(str)) == set(prep.communes.index)
    assert load_consumption(prep) is prep.consumption
    alloc = run_scenario(prep)
    assert alloc.prepared is prep and alloc.territories is prep.territories
    assert dict(reads) == {"read_consumption": 1, "read_communes": 1}


def test_zan_report_reads_each_file_once(reads, tmp_path):
    res = CliRunner().invoke(
        main, ["report", SCENARIO, "--out", str(tmp_path / "r"), "--format", "html", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    assert dict(reads) == {"read_consumption": 1, "read_communes": 1}


def test_zan_atlas_reads_each_file_once(reads, tmp_path):
    out = tmp_path / "atlas.html"
    res = CliRunner().invoke(main, ["atlas", SCENARIO, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Trajectoire" in out.read_text(encoding="utf-8")
    assert dict(reads) == {"read_consumption": 1, "read_communes": 1}
