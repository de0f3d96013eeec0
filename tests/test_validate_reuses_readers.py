"""zan validate reports the readers' own checks: one rule, one place.

The rules on commune codes, SIREN codes, numbers and membership levels live in the
readers (zan.io.codes, zan.io._files, zan.io.territories), which collect every problem
at once; zan.validate reports those problems as they are and only translates them.
"""

import ast
from pathlib import Path

import numpy as np
import pandas as pd

from zan.io._files import NUMBER_RULES, check_numbers, read_table
from zan.io.codes import CODE_RULES, check_commune_codes, check_siren
from zan.io.residues import RESIDUE_RULES
from zan.io.territories import MEMBERSHIP_RULES, check_membership_levels, read_membership
from zan.validate import validate_paths

ZAN = Path(__file__).resolve().parents[1] / "zan"

HEADER = "code_insee,nom,epci_siren,departement,region,population\n"
#: Territories the membership reader checks.
BAD_LEVELS = HEADER + (
    "59350,Lille,200093201,59,32,236234\n"
    "59009,Villeneuve,2000932,59,32,62000\n"  # SIREN of seven digits
    "62041,Arras,200033579,59,32,41000\n"  # département does not match the code
)
#: A commune layer's codes and populations.
BAD_CODES = {
    "code_insee": ["59350", "593", "2001", "59009", "59009"],
    "population": ["236234", "12", "800", "douze", "-4"],
}


def _bad_layer(path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    geoms = [box(700_000 + 2_000 * i, 7_000_000, 701_000 + 2_000 * i, 7_001_000) for i in range(5)]
    gpd.GeoDataFrame(BAD_CODES, geometry=geoms, crs="EPSG:2154").to_file(path)


def _membership_problems(path: Path):
    """Every problem the readers' checks find in a membership table, as validate asks."""
    df = read_table(path)
    labels = np.array([f"line {i + 2}" for i in df.index], dtype=object)
    source = str(path)
    m = read_membership(path)
    names = pd.Series(m.index.to_numpy().astype(object))
    problems = check_siren(m["epci"], names, source=source, column="epci_siren")
    problems += check_membership_levels(m, source=source)
    problems += check_numbers(df, "population", labels, source=source)
    return problems


def _same_in_report(path, problems, kind):
    report = validate_paths(path)
    assert report.kinds == {str(path): kind}
    for p in problems:
        found = [i for i in report.select(code=p.code) if i.column == p.column]
        assert len(found) == 1, f"validate did not report the reader's {p.code!r} once"
        issue = found[0]
        assert issue.message("en") == p.message
        assert issue.fix("en") == (p.fix or "")
        assert issue.severity == p.severity
        assert issue.message("fr") != p.message  # translated, not copied
    return report


def test_validate_reports_the_code_and_number_checks_word_for_word(tmp_path):
    path = tmp_path / "communes.gpkg"
    _bad_layer(path)
    labels = np.array([f"feature {i + 1}" for i in range(5)], dtype=object)
    raw = pd.DataFrame(BAD_CODES)
    codes, problems = check_commune_codes(
        raw["code_insee"], labels, source=str(path), column="code_insee"
    )
    names = np.where(codes.isna(), labels, codes.astype("object"))
    problems += check_numbers(raw, "population", names, source=str(path))
    assert [p.code for p in problems] == [
        "bad_codes",
        "padded_codes",
        "duplicate_codes",
        "not_numeric",
        "negative",
    ]
    assert problems[0].message == "1 malformed commune code(s): feature 2 ('593')"
    assert problems[1].severity == "warning"
    report = _same_in_report(path, problems, "communes")
    assert not report.ok


def test_validate_reports_the_membership_checks_word_for_word(tmp_path):
    path = tmp_path / "membership.csv"
    path.write_text(BAD_LEVELS, encoding="utf-8")
    problems = _membership_problems(path)
    assert [p.code for p in problems] == ["bad_siren", "dep_mismatch"]
    assert problems[1].message == (
        "1 commune(s) whose département does not match their INSEE code: 62041 ('59')"
    )
    _same_in_report(path, problems, "membership")


def test_the_english_text_of_a_rule_is_the_readers_object():
    """validate keeps no copy of the English text of the readers' rules."""
    from zan import validate_report

    for rules in (CODE_RULES, NUMBER_RULES, MEMBERSHIP_RULES, RESIDUE_RULES):
        for code, (message, fix) in rules.items():
            assert validate_report._TEXT[code][0] is message
            assert validate_report._FIX[code][0] is fix


def test_validate_imports_no_private_name():
    """zan.validate* call the readers' public checks, never their private helpers."""
    offenders = []
    for path in sorted(ZAN.glob("validate*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or "zan" in (node.module or "")):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offenders.append(f"{path.name}: {node.module}.{alias.name}")
    assert offenders == []


def test_validate_reports_the_residue_check_of_the_consumption_reader():
    """The Cerema's negative residues: the reader's check and validate say the same."""
    from zan.io.consumption import read_consumption
    from zan.io.residues import check_residues

    path = Path(__file__).parent / "data" / "conso" / "cerema_2011_2025_mini.csv"
    conso = read_consumption(path)
    problems = check_residues(conso.flows, source=str(path))
    assert [p.code for p in problems] == ["destination_residues"]
    (issue,) = validate_paths(path).select(code="destination_residues")
    assert issue.message("en") == problems[0].message
    assert issue.severity == "warning"
    assert problems[0].params["n"] == 4
