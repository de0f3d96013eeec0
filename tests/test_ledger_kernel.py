"""The ledger as a small kernel: a Book owns the file; modules take it; Ledger is a facade.

Checked on the source (module-level imports, as the dependency rule counts them)
and on the objects: the kernel does not import the ledger's presentation or
application modules nor any higher layer; no import cycle inside ``zan/ledger``;
no private name crosses its modules; every operation of :class:`Ledger` is a
method written on the class with the signature of the function it calls; a bare
:class:`~zan.ledger.book.Book` is enough for every module.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from test_ledger_common import (  # noqa: F401 (fixtures)
    ledger_fixture,
    make_ledger,
    vintage1_fixture,
)

import zan.ledger
from zan.errors import LedgerError
from zan.ledger import Ledger, balance, export, imports, moves, projects, verify
from zan.ledger.book import Book

LEDGER_DIR = Path(zan.ledger.__file__).parent
#: Modules above the kernel (layer 8 and up): the kernel reaches them only lazily.
PRESENTATION = {"zan.ledger.export"}
APPLICATION = {"zan.ledger.scenario_runs"}
HIGHER = ("zan.maps", "zan.reports", "zan.cli", "zan.scenario", "zan.notebook", "zan.export")


def _module_imports(path: Path) -> list[tuple[str, str]]:
    """(imported module, imported name) of the module-level imports of a zan.ledger module."""
    name = "zan.ledger" if path.stem == "__init__" else f"zan.ledger.{path.stem}"
    package = "zan.ledger" if path.stem == "__init__" else name.rpartition(".")[0]
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append(
                    (sub if (LEDGER_DIR / f"{alias.name}.py").exists() else target, alias.name)
                )
        elif isinstance(node, ast.Import):
            out += [(alias.name, "") for alias in node.names]
    return out


def _modules() -> dict[str, Path]:
    return {
        ("zan.ledger" if p.stem == "__init__" else f"zan.ledger.{p.stem}"): p
        for p in sorted(LEDGER_DIR.glob("*.py"))
    }


def test_the_kernel_imports_no_higher_layer_at_module_level() -> None:
    kernel = {
        m: p
        for m, p in _modules().items()
        if m not in PRESENTATION | APPLICATION and m != "zan.ledger"
    }
    assert {"zan.ledger.book", "zan.ledger.core", "zan.ledger.moves"} <= set(kernel)
    upward = [
        f"{m} imports {target}"
        for m, p in kernel.items()
        for target, _ in _module_imports(p)
        if target in PRESENTATION | APPLICATION or target.startswith(HIGHER)
    ]
    assert upward == []


def test_no_import_cycle_and_no_private_name_across_ledger_modules() -> None:
    modules = _modules()
    graph = {
        m: {t for t, _ in _module_imports(p) if t in modules and t != m and m != "zan.ledger"}
        for m, p in modules.items()
    }
    private = [
        f"{m} imports {t}.{n}"
        for m, p in modules.items()
        for t, n in _module_imports(p)
        if t.startswith("zan") and n.startswith("_") and not n.startswith("__")
    ]
    assert private == []

    done: set[str] = set()

    def visit(m: str, path: tuple[str, ...]) -> None:
        assert m not in path, "import cycle: " + " -> ".join((*path, m))
        if m in done:
            return
        for t in graph[m]:
            visit(t, (*path, m))
        done.add(m)

    for m in graph:
        visit(m, ())
    # The kernel sits below the modules that take it, and the facade above them all.
    takers = {"moves", "imports", "projects", "balance", "allocation", "export"}
    below_facade = {
        f"zan.ledger.{m}" for m in {"book", "store", "entries", "accounts", "verify", *takers}
    }
    assert [m for m in below_facade if "zan.ledger.core" in graph[m]] == []
    assert "zan.ledger.book" in graph["zan.ledger.moves"]
    assert graph["zan.ledger.book"].isdisjoint({f"zan.ledger.{m}" for m in takers})


def test_no_ledger_module_over_800_lines() -> None:
    long = {m: p.read_text(encoding="utf-8").count("\n") + 1 for m, p in _modules().items()}
    assert {m: n for m, n in long.items() if n > 800} == {}


#: Ledger method → the module function it delegates to (first parameter: the book).
DELEGATES = {
    "transfer": moves.transfer,
    "grant": moves.grant,
    "record_pene": moves.record_pene,
    "reverse": moves.reverse,
    "import_consumption": imports.import_consumption,
    "import_artificialisation": imports.import_artificialisation,
    "add_project": projects.add_project,
    "realise_project": projects.realise_project,
    "abandon_project": projects.abandon_project,
    "projects": projects.projects,
    "balance": balance.balances,
    "history": balance.history,
    "map_frame": balance.map_frame,
}


@pytest.mark.parametrize("name", sorted(DELEGATES))
def test_ledger_methods_are_written_on_the_facade_with_the_modules_signatures(name) -> None:
    method = Ledger.__dict__[name]
    assert method.__qualname__ == f"Ledger.{name}"  # not a module function bound to the class
    mine = list(inspect.signature(method).parameters.values())[1:]
    theirs = list(inspect.signature(DELEGATES[name]).parameters.values())[1:]
    assert [(p.name, p.kind, p.default) for p in mine] == [
        (p.name, p.kind, p.default) for p in theirs
    ]


def test_a_bare_book_serves_every_module(ledger: Ledger, vintage1) -> None:
    with Book(ledger.path) as book:
        assert type(book) is Book
        op = moves.transfer(book, "A", "B", 2.5, justification="accord", date="2024-05-02")
        grant_op = moves.grant(book, "B", 1, justification="CR", date="2024-06-01")
        assert grant_op == op + 1
        report = imports.import_consumption(book, vintage1)
        assert report.years == (2021, 2022, 2023) and report.new_entries == 6
        table = balance.balances(book)
        assert table.loc[["A", "B", "reserve"], "envelope_ha"].tolist() == [47.5, 33.5, 19.0]
        assert table.loc["region", "envelope_ha"] == 100.0
        assert verify.verify_ledger(book.connection, book.source).ok
        data = export.report_data(book)
        assert data.entries == len(book.entries())
    # The facade reads what the book wrote.
    assert ledger.balance().loc["B", "transferred_ha"] == 2.5


def test_book_checks_shared_by_the_writes(ledger: Ledger) -> None:
    conn = ledger.connection
    assert ledger.account(conn, " A ") == ("A", "territoire")
    with pytest.raises(LedgerError, match="unknown giving account 'Z'; accounts are e.g. A, B"):
        ledger.account(conn, "Z", what="giving account")
    assert ledger.period_for(conn, None, "2030-12-31") == ("2021-2030", "enaf_consumption")
    assert ledger.remaining_m2(conn, "reserve", "2021-2030") == 200_000
    assert ledger.meta("level") == ledger.level == "epci"
    assert ledger.meta("no such key") is None


def test_creating_over_an_existing_file_is_refused_before_anything_is_computed(tmp_path) -> None:
    led = make_ledger(tmp_path)
    led.close()
    with pytest.raises(LedgerError, match="a file already exists"):
        # the allocation is not even read: the path is checked first
        Ledger.create(led.path, object())
