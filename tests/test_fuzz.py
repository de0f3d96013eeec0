"""Fuzzing the readers: mutated CSV, GeoJSON and TOML give zan's own errors or a result.

Hypothesis mutates valid files (bytes deleted, inserted, replaced, lines repeated or
cut, separators swapped, JSON values replaced by values of any type) and feeds them
to the readers. Anything other than success or a :class:`zan.errors.ZanError` is a
bug: a user would see a bare traceback. Known bugs still open are listed in
``KNOWN_BUGS`` (each with a strict ``xfail`` regression test below) so that the fuzz
tests keep looking for new ones.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zan.datasets import demo_dir, get_path
from zan.errors import ZanError

DATA = Path(__file__).parent / "data"
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

#: (exception type, message regex, regression test) of bugs found and not fixed yet.
KNOWN_BUGS: list[tuple[type[BaseException], str, str]] = []


def _seed_csv(path: Path, lines: int = 6) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:lines])


SEEDS_CSV = {
    "consumption": _seed_csv(get_path("conso_enaf_2009_2023.csv")),
    "membership": _seed_csv(DATA / "territories" / "membership.csv"),
    "passage": _seed_csv(DATA / "cog" / "passage_com_ini_fin.csv"),
    "api": _seed_csv(get_path("conso_enaf_2009_2023.csv"), 1)[:0]
    + b"idcom;idcomtxt;annee;naf_arti_m2;conso_act_m2;conso_hab_m2\n"
    b"59009;Villeneuve;2011;100;60;40\n59009;Villeneuve;2012;50;20;30\n62041;Arras;2011;10;;\n",
}
SEED_GEOJSON = json.loads((DATA / "territories" / "communes_boxes.geojson").read_text("utf-8"))
SEED_OCSGE = {
    "type": "FeatureCollection",
    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
    "features": [
        {
            "type": "Feature",
            "properties": {"code_cs": cs, "code_us": us, "artif": a},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x, 0], [x + 100, 0], [x + 100, 100], [x, 100], [x, 0]]],
            },
        }
        for x, cs, us, a in (
            (0, "CS1.1.1.1", "US5", "artif"),
            (100, "CS2.2.1", "US1.1", "non artif"),
        )
    ],
}
SEED_TOML = (
    (demo_dir().parent / "scenarios" / "02_consommation_population.toml")
    .read_text("utf-8")
    .replace("../demo/", "demo:")
    .replace('communes_layer = "communes"\n', 'communes_layer = "communes"\n')
)


# ---------------------------------------------------------------------------- strategies


@st.composite
def mutated(draw, seed: bytes, separators: bytes = b",;\t|") -> bytes:
    """Apply 1 to 4 random edits to ``seed``."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(
                ["delete", "insert", "replace", "dup_line", "cut", "swap_sep", "drop_line", "empty"]
            )
        )
        n = len(data)
        if op == "empty":
            data = bytearray(draw(st.sampled_from([b"", b"\n", b"\xef\xbb\xbf", b" \n\n"])))
            continue
        if n == 0:
            data += draw(st.binary(min_size=1, max_size=20))
            continue
        i = draw(st.integers(0, n - 1))
        if op == "delete":
            del data[i : i + draw(st.integers(1, 20))]
        elif op == "insert":
            data[i:i] = draw(
                st.one_of(
                    st.binary(max_size=12),
                    st.sampled_from(
                        [
                            b";",
                            b",",
                            b'"',
                            b"\n",
                            b"-",
                            b"1e400",
                            b"nan",
                            b"\xff\xfe",
                            b"\x00",
                            b"2A",
                            b"  ",
                            b"\r\n",
                            b"inf",
                            b"1,5",
                            b"ZZZZZZZZZ",
                        ]
                    ),
                )
            )
        elif op == "replace":
            data[i] = draw(st.integers(0, 255))
        elif op in ("dup_line", "drop_line"):
            lines = bytes(data).splitlines(keepends=True)
            k = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(k, lines[k])
            else:
                del lines[k]
            data = bytearray(b"".join(lines))
        elif op == "cut":
            del data[i:]
        elif op == "swap_sep":
            a, b = draw(st.sampled_from(separators)), draw(st.sampled_from(separators))
            data = bytearray(bytes(data).replace(bytes([a]), bytes([b])))
    return bytes(data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["59350", "2A004", "97101", "", "CS1.1.1.1", "US5"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated_json(draw, seed: dict) -> bytes:
    """Replace some property values, geometries or keys of a FeatureCollection."""
    doc = json.loads(json.dumps(seed))
    feats = doc["features"]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(
                ["prop", "geometry", "coords", "drop_key", "drop_feature", "crs", "bytes"]
            )
        )
        if not feats:
            break
        f = feats[draw(st.integers(0, len(feats) - 1))]
        if op == "prop":
            key = draw(st.sampled_from(sorted(f["properties"]) + ["extra"]))
            f["properties"][key] = draw(json_values)
        elif op == "geometry":
            f["geometry"] = draw(
                st.one_of(
                    json_values,
                    st.sampled_from(
                        [
                            None,
                            {"type": "Point", "coordinates": [0, 0]},
                            {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                            {"type": "Polygon", "coordinates": []},
                            {
                                "type": "Polygon",
                                "coordinates": [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]],
                            },
                            {"type": "GeometryCollection", "geometries": []},
                        ]
                    ),
                )
            )
        elif (
            op == "coords"
            and isinstance(f.get("geometry"), dict)
            and f["geometry"].get("coordinates")
        ):
            ring = f["geometry"]["coordinates"][0]
            if ring:
                ring[draw(st.integers(0, len(ring) - 1))] = [
                    draw(st.floats(allow_nan=True, allow_infinity=True)),
                    draw(st.floats(-1e9, 1e9)),
                ]
        elif op == "drop_key" and f["properties"]:
            f["properties"].pop(draw(st.sampled_from(sorted(f["properties"]))))
        elif op == "drop_feature":
            feats.remove(f)
        elif op == "crs":
            doc["crs"] = draw(
                st.one_of(
                    json_values,
                    st.sampled_from(
                        [
                            {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}},
                            {"type": "name", "properties": {"name": "EPSG:999999"}},
                        ]
                    ),
                )
            )
    text = json.dumps(doc, allow_nan=True).encode()
    if draw(st.booleans()):
        text = draw(mutated(text, separators=b",:"))
    return text


# ---------------------------------------------------------------------------- harness


def _only_zan_errors(call, data: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # warnings are not what is being tested here
            call()
    except ZanError:
        pass
    except Exception as exc:
        for kind, pattern, _ in KNOWN_BUGS:
            if isinstance(exc, kind) and re.search(pattern, str(exc)):
                return
        raise AssertionError(
            f"non-zan exception {type(exc).__name__}: {exc!s:.300} for input {data[:400]!r}"
        ) from exc


def _file(tmp_path_factory, name: str, data: bytes) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    return path


@FUZZ
@given(data=mutated(SEEDS_CSV["consumption"]))
def test_fuzz_consumption_wide(tmp_path_factory, data):
    from zan.io.consumption import read_consumption

    path = _file(tmp_path_factory, "conso.csv", data)
    _only_zan_errors(lambda: read_consumption(path), data)


@FUZZ
@given(data=mutated(SEEDS_CSV["api"]))
def test_fuzz_consumption_api(tmp_path_factory, data):
    from zan.io.consumption import read_consumption

    path = _file(tmp_path_factory, "api.csv", data)
    _only_zan_errors(lambda: read_consumption(path).period_total(2011, 2012), data)


@FUZZ
@given(data=mutated(SEEDS_CSV["membership"]))
def test_fuzz_membership(tmp_path_factory, data):
    from zan.io.territories import read_membership

    path = _file(tmp_path_factory, "membership.csv", data)
    _only_zan_errors(lambda: read_membership(path), data)


@FUZZ
@given(data=mutated(SEEDS_CSV["passage"]))
def test_fuzz_passage(tmp_path_factory, data):
    from zan.io.cog import read_passage

    path = _file(tmp_path_factory, "passage.csv", data)
    _only_zan_errors(lambda: read_passage(path), data)


@FUZZ
@given(data=mutated_json(SEED_GEOJSON))
def test_fuzz_communes_geojson(tmp_path_factory, data):
    from zan.territory import Territories

    path = _file(tmp_path_factory, "communes.geojson", data)
    _only_zan_errors(lambda: Territories.from_files(path), data)


@FUZZ
@given(data=mutated_json(SEED_OCSGE))
def test_fuzz_ocsge_geojson(tmp_path_factory, data):
    from zan.io.ocsge import read_ocsge

    path = _file(tmp_path_factory, "ocsge.geojson", data)
    _only_zan_errors(lambda: read_ocsge(path), data)


@FUZZ
@given(data=mutated(SEED_TOML.encode("utf-8"), separators=b"=[]\"'."))
def test_fuzz_scenario_toml(tmp_path_factory, data):
    from zan.scenario import load_scenario

    path = _file(tmp_path_factory, "scenario.toml", data)
    _only_zan_errors(lambda: load_scenario(path), data)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=mutated_json(SEED_GEOJSON))
def test_fuzz_validate_never_raises(tmp_path_factory, data):
    from zan.validate import validate_paths

    path = _file(tmp_path_factory, "communes.geojson", data)
    report = validate_paths(path)  # problems are reported, never raised
    assert set(report.kinds.values()) <= {"communes", "unknown"}
    assert not report.select(code="internal_error"), report.to_text("en")


# ---------------------------------------------------------------------------- bugs found


@pytest.mark.parametrize(
    "text", [b"\ridcom;naf11art12\n59350;1\n", (DATA / "bad" / "mac_line_endings.csv").read_bytes()]
)
def test_bare_carriage_return_in_csv(tmp_path, text):
    from zan.io._files import read_table

    path = tmp_path / "cr.csv"
    path.write_bytes(text)
    try:
        read_table(path)
    except ZanError as exc:
        assert "cr.csv" in str(exc)


def test_old_mac_line_endings_read_as_lines(tmp_path):
    from zan.io._files import read_table

    path = tmp_path / "mac.csv"
    path.write_bytes(b"idcom;naf11art12\r59350;1\r59009;2\r")
    table = read_table(path)
    assert list(table.columns) == ["idcom", "naf11art12"]
    assert table["idcom"].tolist() == ["59350", "59009"]
