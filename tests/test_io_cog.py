"""Tests of zan.io.cog: tables de passage and alignment on another COG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from zan.errors import DataError, SchemaError, ValidationError
from zan.io.cog import AlignResult, align, read_passage
from zan.io.consumption import read_consumption

DATA = Path(__file__).parent / "data"
INSEE_STYLE = DATA / "cog" / "passage_insee_style.csv"
INI_FIN = DATA / "cog" / "passage_com_ini_fin.csv"
MINI = DATA / "conso" / "cerema_wide_mini.csv"


def _passage(pairs, **extra) -> pd.DataFrame:
    df = pd.DataFrame(pairs, columns=["code_from", "code_to"])
    for k, v in extra.items():
        df[k] = v
    return df


# ----------------------------------------------------------------------------- read_passage


def test_read_passage_insee_style_newer_column_first():
    p = read_passage(INSEE_STYLE)
    assert list(p.columns) == ["code_from", "code_to", "nom_from", "nom_to"]
    # CODGEO_2024 comes first in the file, but 2023 is the older year: it is the origin
    assert p["code_from"].tolist() == ["01010", "01020", "01030", "01030"]
    assert p["code_to"].tolist() == ["01010", "01010", "01030", "01031"]
    assert p["nom_from"].tolist()[1] == "Brénod"  # cp1252 decoded
    assert p["nom_to"].tolist()[3] == "Saint-Rémy-Haut"
    assert p.attrs["source"] == str(INSEE_STYLE)


def test_read_passage_com_ini_fin_pads_codes():
    p = read_passage(INI_FIN)
    assert p["code_from"].tolist() == ["01010", "01020"]
    assert p["code_to"].tolist() == ["01010", "01010"]
    assert p["nom_to"].tolist() == ["Grand-Bugey Est"] * 2
    assert any("four-digit code" in n for n in p.attrs["notes"])


@pytest.mark.parametrize(
    "header",
    [("code_avant", "code_apres"), ("code_2018", "code_2026"), ("old_code", "new_code")],
)
def test_read_passage_named_pairs(tmp_path, header):
    path = tmp_path / "p.csv"
    path.write_text(f"{header[0]};{header[1]}\n02077;02564\n")
    p = read_passage(path)
    assert p[["code_from", "code_to"]].values.tolist() == [["02077", "02564"]]


def test_read_passage_explicit_columns_and_weights(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("ancien,nouveau,poids\n01030,01030,25\n01030,01031,75\n")
    p = read_passage(path, from_column="ancien", to_column="nouveau")
    assert p["weight"].tolist() == [25.0, 75.0]
    with pytest.raises(SchemaError, match=r"p.csv: pass both from_column= and to_column="):
        read_passage(path, from_column="ancien")


def test_read_passage_unknown_columns(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("ancien,nouveau\n01030,01030\n")
    with pytest.raises(SchemaError) as err:
        read_passage(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "columns: ancien, nouveau" in msg
    assert "pass from_column= and to_column=" in msg


def test_read_passage_bad_codes_and_chains(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code_2023,code_2024\n01010,1010X\n,01020\n")
    with pytest.raises(ValidationError) as err:
        read_passage(bad)
    msg = str(err.value)
    assert "column 'code_2024'" in msg and "line 2 ('1010X')" in msg
    assert "column 'code_2023'" in msg and "empty code(s) at line 3" in msg
    chain = tmp_path / "chain.csv"
    chain.write_text("code_2023,code_2024\n01001,01002\n01002,01003\n")
    with pytest.raises(
        DataError, match=r"chain.csv: the table chains changes: 01001 → 01002 \(line 2\)"
    ):
        read_passage(chain)


def test_read_passage_real_table():
    path = shared_path("hdf", "boundaries", "passage_cog2018_cog2026_hdf_derived.csv")
    p = read_passage(path)
    assert len(p) == 26
    assert list(p.columns) == ["code_from", "code_to", "nom_from", "nom_to"]
    assert p.set_index("code_from").loc["02311", "code_to"] == "02589"
    assert (p.groupby("code_from").size() == 1).all()  # merges only


# ----------------------------------------------------------------------------- align


def test_align_merge_sums_exactly():
    passage = _passage([("01002", "01001"), ("01003", "01001")])
    values = pd.DataFrame(
        {"m2": [10, 20, 30, 7], "pop": [1, 2, 3, 4]}, index=["01001", "01002", "01003", "01004"]
    )
    res = align(values, passage)
    assert isinstance(res, AlignResult)
    assert res.values.loc["01001", "m2"] == 60
    assert res.values.loc["01004", "pop"] == 4
    assert res.status.to_dict() == {"01001": "merged", "01004": "unchanged"}
    assert (res.values.sum() == values.sum()).all()
    assert res.report[["code_from", "code_to", "change"]].values.tolist() == [
        ["01002", "01001", "merged"],
        ["01003", "01001", "merged"],
    ]


def test_align_split_pro_rata_of_weights():
    passage = _passage([("01030", "01030"), ("01030", "01031")])
    values = pd.Series({"01030": 100.0, "01040": 5.0}, name="m2")
    with pytest.raises(DataError, match=r"01030 → 01030, 01031.*pass split_weights="):
        align(values, passage)
    res = align(values, passage, split_weights=pd.Series({"01030": 1.0, "01031": 3.0}))
    assert res.values["m2"].to_dict() == {"01030": 25.0, "01031": 75.0, "01040": 5.0}
    assert res.status.to_dict() == {"01030": "split", "01031": "split", "01040": "unchanged"}
    assert res.report["share"].tolist() == [0.25, 0.75]
    with pytest.raises(DataError, match=r"split_weights: no weight for new commune\(s\) 01031"):
        align(values, passage, split_weights=pd.Series({"01030": 1.0}))


def test_align_split_with_weight_column_in_table(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("code_2023;code_2024;part\n01030;01030;40\n01030;01031;60\n")
    passage = read_passage(path, weight_column="part")
    res = align(pd.Series({"01030": 50.0}, name="m2"), passage)
    assert res.values["m2"].to_dict() == {"01030": 20.0, "01031": 30.0}


def test_align_target_codes_missing_and_unknown():
    passage = _passage([("01002", "01001")])
    values = pd.Series({"01001": 1.0, "01002": 2.0}, name="m2")
    res = align(values, passage, target_codes=["01005", "01001"])
    assert res.values.index.tolist() == ["01005", "01001"]
    assert np.isnan(res.values.loc["01005", "m2"])
    assert res.status.to_dict() == {"01005": "missing", "01001": "merged"}
    values = pd.Series({"01001": 1.0, "01002": 2.0, "01009": 3.0}, name="m2")
    with pytest.raises(
        DataError,
        match=r"conso.csv: 1 commune code\(s\) are neither in the table de passage .*: 01009",
    ):
        align(values, passage, target_codes=["01001"], source="conso.csv")


def test_align_unknown_stays_unknown_and_recoded():
    passage = _passage([("01002", "01001"), ("01003", "01033")])
    values = pd.Series({"01001": 1.0, "01002": np.nan, "01003": 4.0}, name="m2")
    res = align(values, passage)
    assert np.isnan(res.values.loc["01001", "m2"])
    assert res.values.loc["01033", "m2"] == 4.0
    assert res.status["01033"] == "recoded"


def test_align_rejects_bad_values():
    passage = _passage([("01002", "01001")])
    with pytest.raises(DataError, match=r"conso: non-numeric column\(s\) 'nom'"):
        align(pd.DataFrame({"nom": ["a"]}, index=["01001"]), passage, source="conso")
    with pytest.raises(DataError, match=r"duplicate commune codes in the index \(01001\)"):
        align(pd.Series([1.0, 2.0], index=["01001", "01001"]), passage)


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.integers(0, 10**9), min_size=6, max_size=6),
    merge_into=st.lists(st.sampled_from([None, 0, 1]), min_size=6, max_size=6),
    split_weights=st.lists(st.floats(0.01, 1e6), min_size=3, max_size=3),
)
def test_align_conserves_totals(values, merge_into, split_weights):
    codes = [f"010{i:02d}" for i in range(6)]
    pairs = [(codes[i], codes[m]) for i, m in enumerate(merge_into) if m is not None and i > 1]
    # code 01000 splits into itself and two new communes
    pairs += [("01000", "01000"), ("01000", "01090"), ("01000", "01091")]
    passage = _passage(pairs)
    weights = pd.Series(split_weights, index=["01000", "01090", "01091"])
    res = align(
        pd.Series(values, index=codes, dtype="float64", name="m2"), passage, split_weights=weights
    )
    assert res.values["m2"].sum() == pytest.approx(sum(values), rel=1e-9)
    merged_only = align(
        pd.Series(values[1:], index=codes[1:], dtype="float64", name="m2"), _passage(pairs[:-3])
    )
    assert merged_only.values["m2"].sum() == sum(values[1:])  # integers: exact


def test_consumption_align_merges_and_split():
    conso = read_consumption(MINI)
    passage = _passage(
        [("62427", "02001"), ("80021", "80021"), ("80021", "80099")],
        nom_from=["Hénin-Beaumont", "Amiens", "Amiens"],
        nom_to=["Fusion", "Amiens", "Amiens-Nord"],
    )
    weights = pd.Series({"80021": 3.0, "80099": 1.0})
    aligned, status = conso.align(passage, split_weights=weights)
    assert status.to_dict() == {"02001": "merged", "80021": "split", "80099": "split"}
    assert list(aligned.flows.columns) == ["code", "year", "destination", "m2"]
    assert not aligned.flows["m2"].isna().any()
    before = conso.flows.groupby(["year", "destination"])["m2"].sum()
    after = aligned.flows.groupby(["year", "destination"])["m2"].sum()
    pd.testing.assert_series_equal(before, after, rtol=1e-12)
    # hand value: 02001 + 62427 over 2011-2020 = 1810 + (10*206 + 750)
    assert aligned.period_total(2011, 2020)["02001"] == 1810 + 2060 + 750
    assert aligned.period_total(2011, 2020)["80099"] == pytest.approx((10 * 306 + 750) / 4)
    assert aligned.communes.loc["02001", "nom"] == "Fusion"
    assert aligned.communes.loc["80099", "nom"] == "Amiens-Nord"
    assert aligned.communes.loc["80021", "nom"] == "Amiens"
    assert aligned.communes.loc["02001", "pop14"] == 100 + 26000
    assert aligned.communes.loc["80099", "iddep"] == "80"
    assert aligned.communes["pop14"].sum() == conso.communes["pop14"].sum()
    assert any("1 merged, 2 split" in n for n in aligned.notes)


@pytest.mark.realdata
def test_align_real_areas_onto_cog2026():
    gpd = pytest.importorskip("geopandas")
    passage = read_passage(
        shared_path("hdf", "boundaries", "passage_cog2018_cog2026_hdf_derived.csv")
    )
    c2018 = gpd.read_file(
        shared_path("hdf", "boundaries", "communes_hdf_2018_france-geojson.geojson")
    )
    c2026 = gpd.read_file(
        shared_path(
            "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
        )
    )
    area2018 = c2018.to_crs(2154).set_index("code").area.rename("area_m2")
    area2026 = c2026.to_crs(2154).set_index("code_insee").area
    res = align(area2018, passage, target_codes=c2026["code_insee"])
    assert len(res.values) == 3782
    assert (res.status != "missing").all()
    assert (res.status == "merged").sum() == 20
    assert res.values["area_m2"].sum() == pytest.approx(area2018.sum(), rel=1e-12)
    np.testing.assert_allclose(
        res.values["area_m2"].to_numpy(), area2026.reindex(res.values.index).to_numpy(), rtol=1e-6
    )


def test_demo_passage_alignment_onto_cog2024():
    from zan.datasets import get_path
    from zan.io._files import read_layer

    conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
    passage = read_passage(get_path("passage_cog2023_cog2024.csv"))
    assert len(passage) == 6
    communes = read_layer(get_path("communes.gpkg")).set_index("code_insee")
    area = communes.area
    aligned, status = conso.align(passage, target_codes=communes.index, split_weights=area)
    assert status.index.tolist() == communes.index.tolist()
    assert status[status != "unchanged"].to_dict() == {
        "96161": "merged",
        "98095": "split",
        "98125": "split",
        "99045": "merged",
    }
    assert len(aligned.communes) == 445 and not (status == "missing").any()
    before = conso.flows.groupby(["year", "destination"])["m2"].sum()
    after = aligned.flows.groupby(["year", "destination"])["m2"].sum()
    pd.testing.assert_series_equal(before, after, rtol=1e-9)
    old_ref = conso.period_total(2011, 2020)
    new_ref = aligned.period_total(2011, 2020)
    assert new_ref["96161"] == old_ref["96127"] + old_ref["96161"]
    share = area["98125"] / (area["98095"] + area["98125"])
    assert new_ref["98125"] == pytest.approx(old_ref["98095"] * share, rel=1e-12)
    assert aligned.communes.loc["98125", "nom"] == "Quédun"
    assert aligned.communes.loc["96161", "nom"] == "Val-de-Vaubronne"
    assert set(aligned.communes.index) == set(communes.index)
