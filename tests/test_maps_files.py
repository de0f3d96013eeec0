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
    for colour in ("#004488", "#ddaa33", "#bb5566"):
        assert tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) in found
    with pytest.raises(SchemaError, match="unknown status 'late'"):
        to_png(
            g, "status", tmp_path / "t.png", values=pd.DataFrame({"status": "late"}, index=g.index)
        )


def test_png_draws_holes_empty_and_every_part_of_a_multipolygon(tmp_path):
    import geopandas as gpd
    import matplotlib.image as mpimg
    from shapely.geometry import MultiPolygon, Polygon, box

    # a shell and its hole both clockwise (the orientation must not matter), and a
    # multipolygon whose second part is far to the east
    ring = Polygon(
        [(0, 0), (0, 30_000), (30_000, 30_000), (30_000, 0)],
        [[(10_000, 10_000), (10_000, 20_000), (20_000, 20_000), (20_000, 10_000)]],
    )
    multi = MultiPolygon([box(40_000, 0, 50_000, 10_000), box(80_000, 20_000, 90_000, 30_000)])
    g = gpd.GeoDataFrame(
        {"v": [1.0, 2.0]},
        geometry=[ring, multi],
        index=pd.Index(["A", "B"], name="code"),
        crs="EPSG:2154",
    ).translate(650_000, 6_900_000)
    g = gpd.GeoDataFrame({"code": ["A", "B"], "v": [1.0, 2.0]}, geometry=g.to_numpy(), crs=2154)
    out = to_png(
        g, "v", tmp_path / "h.png", k=2, cmap=["#ff0000", "#0000ff"], title=None, credit=None
    )
    img = (mpimg.imread(out)[..., :3] * 255).round().astype(int)
    colours = {tuple(p) for p in img.reshape(-1, 3)}
    assert (255, 0, 0) in colours and (0, 0, 255) in colours
    # the legend stands right of the map: its frame and text are the only neutral greys
    grey = (img[..., 0] == img[..., 1]) & (img[..., 1] == img[..., 2]) & (img[..., 0] < 250)
    img = img[:, : np.argwhere(grey)[:, 1].min()]
    # locate the red shell's bounding box in pixels: its centre (the hole) is white
    red = np.argwhere((img == [255, 0, 0]).all(axis=2))
    (r0, c0), (r1, c1) = red.min(axis=0), red.max(axis=0)
    assert tuple(img[(r0 + r1) // 2, (c0 + c1) // 2]) == (255, 255, 255)
    # both parts of the multipolygon are drawn: blue pixels left and right of x = 65 km
    blue = np.argwhere((img == [0, 0, 255]).all(axis=2))
    x65 = c0 + 65 / 30 * (c1 - c0)  # the red shell spans x = 0 to 30 km
    assert blue[:, 1].min() < x65 < blue[:, 1].max()
