"""Numbers written in bulk are the text Python writes one by one, byte for byte."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from zan._write import guard_frame, write_csv
from zan.allocation_explain import _numbers as numbers_tokens
from zan.formatting import fr_text
from zan.maps._text import script_json
from zan.number_text import fixed_decimals, short_decimals

EDGES = [
    0.0,
    -0.0,
    1e-9,
    -1e-9,
    0.005,
    0.015,
    0.125,
    -0.125,
    2.675,
    1.005,
    -1.005,
    0.00005,
    -0.00005,
    12.0,
    1234567.891,
    999999999.995,
    1e11 + 0.5,
    1e12,
    -1e15,
    1e20,
    float("nan"),
    float("inf"),
    float("-inf"),
]


def _values(decimals: int) -> np.ndarray:
    rng = np.random.default_rng(decimals)
    return np.concatenate(
        [
            rng.lognormal(0.0, 3.0, 20_000) * rng.choice([-1.0, 1.0], 20_000),
            np.round(rng.uniform(-1e4, 1e4, 5_000), decimals + 1),  # exact half-units
            np.arange(-2_000, 2_000) / 10**decimals / 2,
            EDGES,
        ]
    )


def _short_one_by_one(v: float, decimals: int) -> str | None:
    if not np.isfinite(v):
        return None
    text = f"{v:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, 4, 6])
def test_short_decimals_is_the_one_by_one_text(decimals):
    values = _values(decimals)
    expected = [_short_one_by_one(v, decimals) for v in values.tolist()]
    assert short_decimals(values, decimals) == expected


@pytest.mark.parametrize("decimals", [0, 2, 4])
@pytest.mark.parametrize("decimal", [".", ","])
def test_fixed_decimals_is_what_pandas_writes(decimals, decimal):
    values = _values(decimals)
    frame = pd.DataFrame({"k": "x", "v": values})  # two columns: an empty cell stays empty
    options = {"index": False, "header": False, "lineterminator": "\n", "sep": ";"}
    expected = frame.to_csv(float_format=f"%.{decimals}f", decimal=decimal, **options)
    text = fixed_decimals(values, decimals, decimal=decimal)
    assert frame.assign(v=pd.Series(text, dtype=object)).to_csv(**options) == expected


def test_write_csv_floats_as_pandas_writes_them(tmp_path):
    """Floats (64 and 32 bits, NaN, -0.0), integers, text with separators, an index."""
    values = _values(4)[-2_000:]
    n = len(values)
    df = pd.DataFrame(
        {
            "nom": [f"Commune {i}, {'=' if i % 50 == 0 else ''}x" for i in range(n)],
            "x_ha": values,
            "y_ha": values.astype(np.float32),
            "n": np.arange(n),
            "ok": np.arange(n) % 2 == 0,
            "nullable": pd.array([1.5, None] * (n // 2), dtype="Float64"),
        },
        index=pd.Index([f"{i:05d}" for i in range(n)], name="code"),
    )
    for decimal, sep in ((".", ","), (",", ";"), (",", ",")):
        path = write_csv(df, tmp_path / "t.csv", decimal=decimal, sep=sep)
        expected = guard_frame(df).to_csv(
            sep=sep, decimal=decimal, float_format="%.4f", lineterminator="\n"
        )
        assert path.read_text(encoding="utf-8") == expected


def test_script_json_keeps_non_finite_numbers_out_of_long_lists():
    values = [1.5, 2, None, "a", True] * 1_000
    assert script_json({"v": values}) == script_json({"v": [v for v in values]})
    assert script_json([1.5, float("nan"), 2]) == "[1.5,null,2]"
    assert script_json((1.0, float("inf"), np.float64(2.5))) == "[1.0,null,2.5]"
    assert script_json([1, 2, "x<"]) == '[1,2,"x\\u003c"]'


def _explain_tokens_one_by_one(values: np.ndarray, decimals: int) -> list[str]:
    """The explanation's number tokens as they were written, one value at a time."""
    out = []
    for v in values.tolist():
        if v != v or v in (float("inf"), float("-inf")):
            out.append(json.dumps(fr_text(v, decimals), ensure_ascii=False))
            continue
        text = f"{v:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        out.append("-0.0" if text == "-0" else text)
    return out


@pytest.mark.parametrize("decimals", [2, 4])
def test_explain_data_tokens_are_the_one_by_one_tokens(decimals):
    values = _values(decimals)
    assert numbers_tokens(values, decimals) == _explain_tokens_one_by_one(values, decimals)


@pytest.mark.parametrize("dtype", [object, "str", "string", "category"])
def test_write_csv_guards_formulas_in_every_text_dtype(tmp_path, dtype):
    names = pd.Series(["Aval", "=HYPERLINK(1)", None, "-12,5", "\tx", "@a"], dtype=dtype)
    df = pd.DataFrame({"nom": names, "x_ha": np.arange(6.0)})
    text = write_csv(df, tmp_path / "t.csv", index=False).read_text(encoding="utf-8")
    assert text.splitlines()[1:] == [
        "Aval,0.0000",
        "'=HYPERLINK(1),1.0000",
        ",2.0000",
        '"-12,5",3.0000',
        "'\tx,4.0000",
        "'@a,5.0000",
    ]
