"""zan.maps.map_files (behind ``zan map``) on the demo region, and the static status map."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from zan.datasets import get_path
from zan.errors import SchemaError
from zan.maps import map_files, to_png
from zan.maps._geometry import decode


@pytest.fixture(scope="module")
def demo():
    return gpd.read_file(get_path("communes.gpkg"), layer="communes")


def _payload(html: str, marker: str) -> dict:
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index(");\n", start)])


def test_map_files_renders_a_csv_with_french_decimals(tmp_path, demo):
    codes = demo["code_insee"].iloc[:3].tolist()
    csv = tmp_path / "valeurs.csv"
    csv.write_text(
        "code;envelope_ha\n" + "".join(f"{c};{i},5\n" for i, c in enumerate(codes)),
        encoding="utf-8",
    )
    out, png = map_files(
        get_path("communes.gpkg"),
        csv,
        "envelope_ha",
        tmp_path / "carte.html",
        png=tmp_path / "carte.png",
        title="Démo",
    )
    html = out.read_text(encoding="utf-8")
    call = html.split("zan.layer(")[1]
    layer = json.loads(call.split(", ", 2)[2].split(");\n", 1)[0])
    assert layer["tip"][0]["v"][:3] == [0.5, 1.5, 2.5]
    assert layer["cls"][3:] == [-1] * (len(demo) - 3)  # the other communes: non renseigné
    store = _payload(html, "zan.store(")
    assert len(decode(store["g"])) == len(demo)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_map_files_errors_name_the_file_and_the_fix(tmp_path):
    csv = tmp_path / "v.csv"
    csv.write_text("commune;x_ha\n96001;1\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="v.csv: no territory code column found"):
        map_files(get_path("communes.gpkg"), csv, "x_ha", tmp_path / "c.html")
    with pytest.raises(SchemaError, match="column 'y_ha' not found"):
        map_files(
            get_path("communes.gpkg"),
            csv,
            "y_ha",
            tmp_path / "c.html",
            values_code_column="commune",
        )
    csv.write_text("code;x_ha\n96001;douze\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="x_ha.*douze"):
        map_files(get_path("communes.gpkg"), csv, "x_ha", tmp_path / "c.html")
    assert not (tmp_path / "c.html").exists()


def test_status_png_uses_the_status_colours(tmp_path, demo):
    import matplotlib.image as mpimg

    g = demo.set_index("code_insee")
    status = np.resize(["on_track", "will_exceed", "exceeded"], len(g))
    out = to_png(
        g,
        "status",
        tmp_path / "s.png",
        values=pd.DataFrame({"status": status}, index=g.index),
        dpi=50,
    )
    img = (mpimg.imread(out)[..., :3] * 255).round().astype(int).reshape(-1, 3)
    found = {tuple(p) for p in img[::5]}
    for colour in ("#1a9850", "#fdae61", "#d73027"):
        assert tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) in found
    with pytest.raises(SchemaError, match="unknown status 'late'"):
        to_png(
            g, "status", tmp_path / "t.png", values=pd.DataFrame({"status": "late"}, index=g.index)
        )
