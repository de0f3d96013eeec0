"""The fast paths of the consumption reader give the same figures as the general ones."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from zan.datasets import get_path
from zan.io._files import read_table
from zan.io.consumption import read_consumption
from zan.io.consumption_data import WideFlows, tidy_flows


def _pivot_by_destination(conso, period):
    """The general path of Consumption.by_destination (the pivot of the tidy flows)."""
    plain = replace(conso, flows=conso.flows.copy())
    object.__setattr__(plain, "_summed_by_destination", lambda years: None)
    return plain.by_destination(period)


@pytest.mark.parametrize("period", [(2011, 2020), (2015, 2015), None])
def test_wide_matrix_sums_equal_the_pivot(period):
    conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
    assert isinstance(object.__getattribute__(conso, "flows"), WideFlows)
    fast = conso.by_destination(period)  # summed on the matrix, flows not built
    assert isinstance(object.__getattribute__(conso, "flows"), WideFlows)
    pd.testing.assert_frame_equal(fast, _pivot_by_destination(conso, period), check_exact=True)
    assert isinstance(conso.flows, pd.DataFrame)  # built on first read, then kept
    assert conso.flows is conso.flows


@pytest.mark.parametrize("period", [(2011, 2020), (2009, 2009), None])
def test_wide_matrix_totals_equal_the_pivot(period):
    conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
    fast, fast_sum = conso.total(period), conso.period_total(2011, 2020)
    assert isinstance(object.__getattribute__(conso, "flows"), WideFlows)
    plain = replace(conso, flows=conso.flows.copy())  # a DataFrame: the pivot path
    pd.testing.assert_frame_equal(fast, plain.total(period), check_exact=True)
    pd.testing.assert_series_equal(fast_sum, plain.period_total(2011, 2020), check_exact=True)


def test_cube_sums_equal_the_pivot_to_the_last_bit():
    conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
    rng = np.random.default_rng(3)
    flows = conso.flows.copy()
    flows["m2"] = rng.random(len(flows)) * 1e5 / 3  # figures whose sums depend on the order
    flows = flows[rng.random(len(flows)) > 0.02].reset_index(drop=True)  # unknown cells
    noisy = replace(conso, flows=flows)
    for period in [(2011, 2020), (2009, 2022)]:
        fast = noisy.by_destination(period)
        assert fast.isna().to_numpy().any()
        pd.testing.assert_frame_equal(fast, _pivot_by_destination(noisy, period), check_exact=True)


def test_lazy_flows_equal_the_tidy_table():
    conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
    wide = object.__getattribute__(conso, "flows")
    order = np.argsort(wide.codes.astype(object), kind="stable")
    expected = tidy_flows(wide.codes[order], wide.matrix[order], wide.years, wide.dests)
    pd.testing.assert_frame_equal(conso.flows, expected)
    assert list(conso.flows["code"]) == sorted(conso.flows["code"])
    assert str(conso.flows["code"].dtype) == "str"


def test_numbers_read_in_c_or_as_text_alike(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("idcom,naf11art12,nom\n01001,12,A\n01002,,B\n", encoding="utf-8")
    comma = tmp_path / "comma.csv"
    comma.write_text("idcom;naf11art12;nom\n01001;1,5;A\n01002;;B\n", encoding="utf-8")
    fast = read_table(plain, numeric=lambda names: ["naf11art12"])
    assert fast["naf11art12"].dtype == "float64" and fast["naf11art12"].isna().tolist() == [
        False,
        True,
    ]
    assert str(fast["idcom"].dtype) == "str" and fast["idcom"].tolist() == ["01001", "01002"]
    # a decimal comma: the whole file is read as text, the caller parses it
    slow = read_table(comma, numeric=lambda names: ["naf11art12"])
    assert str(slow["naf11art12"].dtype) == "str" and slow["naf11art12"][0] == "1,5"
    # and the consumption read from either gives the same flows
    a, b = read_consumption(plain), read_consumption(comma)
    assert a.flows["m2"].tolist() == [12.0]
    assert b.flows["m2"].tolist() == [1.5]
