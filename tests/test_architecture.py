"""The dependency rule of docs/ARCHITECTURE.md, checked over zan/'s import graph.

The graph is read with :mod:`ast` (nothing is imported). Each module of ``zan/`` is put in
a layer by :data:`LAYERS`; the checker then reports, module by module:

(a) a module-level import of a higher layer;
(b) an import of a higher layer inside a function that is not in :data:`DELEGATES`, or a
    listed delegate that is more than one line (imports, then one statement), or a listed
    delegate that no longer exists;
(c) an import cycle among module-level imports; (g) one through imports inside functions
    (the listed delegates aside: they are the one sanctioned way back up);
(d) a private name (``_name``, not a dunder) imported from another module, or read as an
    attribute of another module (``store._begin``); a private submodule imported from
    outside its package;
(e) a module over :data:`MAX_LINES` lines (generated data aside, :data:`LONG_MODULES`);
(f) a module without a layer.

Imports under ``if TYPE_CHECKING:`` run at no time: they are left out. An import
``from pkg import name`` points at ``pkg.name`` when that is a module, else at ``pkg``
(as import-linter's grimp does); a parent package is not counted as imported.
"""

from __future__ import annotations

import ast
import fnmatch
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The layers of docs/ARCHITECTURE.md, bottom up. A module may import at module level
#: only from its own layer or a lower one. Patterns: an exact module name, or a
#: glob (``zan.io.*`` = every submodule of ``zan.io``); an exact name wins over a
#: glob, a longer glob over a shorter one. A new module matched by none fails
#: ``test_dependency_rule[every module has a layer]``: add it here and to docs/ARCHITECTURE.md.
LAYERS: dict[int, tuple[str, ...]] = {
    0: (  # base: errors, settings, formatting, atomic writes, CRSs, shipped data
        "zan.errors",
        "zan.settings",
        "zan.formatting",
        "zan.number_text",
        "zan.log",
        "zan._write",
        "zan.background",
        "zan.crs",
        "zan.datasets",
        "zan._show_versions",
        "zan._version",
    ),
    1: ("zan.io", "zan.io.*", "zan.nomenclature", "zan.nomenclature.*"),  # readers, code lists
    2: ("zan.territory", "zan.territory_inputs", "zan.levels"),
    3: ("zan.measure", "zan.measure.*"),
    4: (
        "zan.envelope",
        "zan.rules",
        "zan.rule_registry",
        "zan.rule_library",
        "zan.criteria",
        "zan.regions",
        "zan.garantie",
    ),
    5: (  # the allocation core
        "zan.allocate",
        "zan.waterfill",
        "zan.rounding",
        "zan.cascade",
        "zan.batch",
        "zan.batch_stream",
        "zan.allocation",
        "zan.allocation_explain",
    ),
    6: ("zan.scenario", "zan.scenario_*", "zan.scenario.*"),
    7: (  # analysis, the ledger's kernel
        "zan.compare",
        "zan.sensitivity",
        "zan.sensitivity_result",
        "zan.sobol",
        "zan.ledger.*",
    ),
    8: (  # presentation
        "zan.maps",
        "zan.maps.*",
        "zan.export",
        "zan.compare_outputs",
        "zan.sensitivity_outputs",
        "zan.notebook",
        "zan.reports",
        "zan.reports.*",
        "zan.ledger.export",
    ),
    9: (  # applications
        "zan.atlas",
        "zan.demo",
        "zan.download",
        "zan.download_folder",
        "zan.download_transfer",
        "zan.fetching",
        "zan.cerema",
        "zan.cerema_api",
        "zan.validate",
        "zan.validate_*",
        "zan.validate.*",
        "zan.ledger",  # the ledger's facade and its scenario-running helpers (init_ledger, ...)
    ),
    10: ("zan.cli", "zan.cli.*", "zan.__main__"),
    11: ("zan",),  # the public API imports from every layer
}


#: The only upward imports allowed: one-line lazy delegates, a method or function of a
#: lower layer that hands its work to a higher one (as ``GeoDataFrame.explore`` calls
#: ``geopandas.explore``). Key: (module, function's qualified name); value: the higher
#: modules it may import (a package stands for its submodules too). The body of a delegate is its docstring, the imports, and one
#: statement. Keep this list short: every entry is a dependency the layers hide.
DELEGATES: dict[tuple[str, str], frozenset[str]] = {
    # results drawn on a map (as GeoDataFrame.explore): return zan.maps.<fn>(self, ...)
    ("zan.allocation", "Allocation.explore"): frozenset({"zan.maps"}),
    ("zan.allocation", "Allocation.simulator"): frozenset({"zan.maps.simulator"}),
    # notebook reprs: return zan.notebook.<fn>(self)
    ("zan.allocation", "Allocation._repr_html_"): frozenset({"zan.notebook"}),
    ("zan.scenario_model", "Scenario._repr_html_"): frozenset({"zan.notebook"}),
    # an allocation's files: return zan.export.<writer>(self, ...)
    ("zan.allocation", "Allocation.to_csv"): frozenset({"zan.export"}),
    ("zan.allocation", "Allocation.to_gpkg"): frozenset({"zan.export"}),
    ("zan.allocation", "Allocation.to_parquet"): frozenset({"zan.export"}),
    # a comparison's displays and files: return zan.compare_outputs.<fn>(self, ...)
    ("zan.compare", "Comparison._repr_html_"): frozenset({"zan.compare_outputs"}),
    ("zan.compare", "Comparison.explore"): frozenset({"zan.compare_outputs"}),
    ("zan.compare", "Comparison.to_csv"): frozenset({"zan.compare_outputs"}),
    ("zan.compare", "Comparison.to_xlsx"): frozenset({"zan.compare_outputs"}),
    ("zan.compare", "write_comparison"): frozenset({"zan.compare_outputs"}),
    # a sensitivity analysis' displays and files: return zan.sensitivity_outputs.<fn>(self, ...)
    ("zan.sensitivity", "write_sensitivity"): frozenset({"zan.sensitivity_outputs"}),
    ("zan.sensitivity_result", "SensitivityResult._repr_html_"): frozenset(
        {"zan.sensitivity_outputs"}
    ),
    ("zan.sensitivity_result", "SensitivityResult.plot"): frozenset({"zan.sensitivity_outputs"}),
    ("zan.sensitivity_result", "SensitivityResult.explore"): frozenset(
        {"zan.sensitivity_outputs"}
    ),
    ("zan.sensitivity_result", "SensitivityResult.to_png"): frozenset(
        {"zan.sensitivity_outputs"}
    ),
    ("zan.sensitivity_result", "SensitivityResult.to_csv"): frozenset(
        {"zan.sensitivity_outputs"}
    ),
    ("zan.sensitivity_result", "SensitivityResult.to_xlsx"): frozenset(
        {"zan.sensitivity_outputs"}
    ),
}

MAX_LINES = 800
#: Modules of generated data allowed over MAX_LINES (none today).
LONG_MODULES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``source`` imports ``target`` (both zan modules)."""

    source: str
    target: str
    line: int
    function: str | None  # the enclosing function's qualified name; None at module level
    names: tuple[str, ...] = ()  # the names taken from the target


@dataclass
class Graph:
    """zan's modules (name → path) and their imports."""

    modules: dict[str, Path]
    imports: list[Import] = field(default_factory=list)
    private: list[tuple[str, int, str]] = field(default_factory=list)  # (module, line, what)
    functions: dict[tuple[str, str], ast.AST] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module under ``root / package`` by dotted name (packages by their name)."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _absolute(module: str | None, level: int, current: str, is_package: bool) -> str:
    if not level:
        return module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


class _Visitor(ast.NodeVisitor):
    def __init__(self, graph: Graph, module: str, is_package: bool, package: str):
        self.graph, self.module, self.is_package, self.package = graph, module, is_package, package
        self.scope: list[str] = []  # enclosing classes and functions
        self.functions = 0  # how many of them are functions
        self.aliases: dict[str, str] = {}  # local name → zan module it is bound to

    # scopes
    def _enter(self, node: ast.AST, is_function: bool) -> None:
        self.scope.append(node.name)
        self.functions += is_function
        if is_function:
            self.graph.functions[(self.module, ".".join(self.scope))] = node
        self.generic_visit(node)
        self.functions -= is_function
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._enter(node, True)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._enter(node, False)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    # imports
    def _function(self) -> str | None:
        return ".".join(self.scope) if self.functions else None

    def _edge(self, target: str, line: int, names: tuple[str, ...] = ()) -> None:
        if target in self.graph.modules and target != self.module:
            self.graph.imports.append(Import(self.module, target, line, self._function(), names))

    def _own(self, module: str) -> bool:
        """Whether a private submodule ``module`` belongs to this module's package."""
        parent = module.rsplit(".", 1)[0]
        mine = self.module if self.is_package else self.module.rsplit(".", 1)[0]
        return mine == parent or mine.startswith(parent + ".")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = alias.name
            if not (name == self.package or name.startswith(self.package + ".")):
                continue
            self._edge(name, node.lineno)
            if alias.asname:
                self.aliases[alias.asname] = name
            if _private(name.rsplit(".", 1)[-1]) and not self._own(name):
                self.graph.private.append((self.module, node.lineno, f"module {name}"))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        target = _absolute(node.module, node.level, self.module, self.is_package)
        if not (target == self.package or target.startswith(self.package + ".")):
            return
        plain = []
        for alias in node.names:
            sub = f"{target}.{alias.name}"
            if sub in self.graph.modules:  # a submodule
                self._edge(sub, node.lineno)
                self.aliases[alias.asname or alias.name] = sub
                if _private(alias.name) and not self._own(sub):
                    self.graph.private.append((self.module, node.lineno, f"module {sub}"))
                continue
            plain.append(alias.name)
            if _private(alias.name) and target != self.module:
                self.graph.private.append((self.module, node.lineno, f"{target}.{alias.name}"))
        if plain:
            self._edge(target, node.lineno, tuple(plain))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and _private(node.attr):
            target = self.aliases.get(node.value.id)
            if target is not None and target != self.module:
                self.graph.private.append((self.module, node.lineno, f"{target}.{node.attr}"))
        self.generic_visit(node)


def read_graph(root: Path, package: str) -> Graph:
    """The import graph of ``root / package``, read with ast."""
    graph = Graph(module_names(root, package))
    for module, path in graph.modules.items():
        source = path.read_text(encoding="utf-8")
        graph.lines[module] = len(source.splitlines())
        tree = ast.parse(source, filename=str(path))
        _Visitor(graph, module, path.name == "__init__.py", package).visit(tree)
    return graph


def layer_of(module: str, layers: dict[int, tuple[str, ...]]) -> int | None:
    """The layer of ``module``: an exact name first, else the longest matching glob."""
    best: tuple[int, int] | None = None  # (specificity, layer)
    for layer, patterns in layers.items():
        for pattern in patterns:
            if pattern == module:
                return layer
            if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(module, pattern):
                if best is None or len(pattern) > best[0]:
                    best = (len(pattern), layer)
    return None if best is None else best[1]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def _one_line(function: ast.AST) -> bool:
    body = list(function.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    rest = [s for s in body if not isinstance(s, ast.Import | ast.ImportFrom)]
    return len(rest) == 1 and isinstance(rest[0], ast.Return | ast.Expr)


def _delegate_target(imp: Import, delegates: dict[tuple[str, str], frozenset[str]]) -> str | None:
    """The entry of ``delegates`` that allows ``imp``, if any."""
    for target in delegates.get((imp.source, imp.function or ""), ()):
        if imp.target == target or imp.target.startswith(target + "."):
            return target
    return None


def check(
    graph: Graph,
    layers: dict[int, tuple[str, ...]],
    delegates: dict[tuple[str, str], frozenset[str]],
    *,
    max_lines: int = MAX_LINES,
    long_modules: frozenset[str] = frozenset(),
) -> dict[str, list[str]]:
    """Every violation of the rule, by check letter (a-f); each line names the module."""
    found: dict[str, list[str]] = {k: [] for k in "abcdefg"}
    layer = {m: layer_of(m, layers) for m in graph.modules}
    for module in sorted(graph.modules):
        if layer[module] is None:
            found["f"].append(
                f"{module}: no layer; add it to LAYERS in tests/test_architecture.py and to the "
                "layer table of docs/ARCHITECTURE.md"
            )
        if graph.lines[module] > max_lines and module not in long_modules:
            found["e"].append(f"{module}: {graph.lines[module]} lines (at most {max_lines})")
    used: set[tuple[str, str, str]] = set()
    for imp in sorted(graph.imports, key=lambda i: (i.source, i.line, i.target)):
        src, dst = layer[imp.source], layer[imp.target]
        if src is None or dst is None or dst <= src:
            continue
        what = f"{imp.source}:{imp.line} imports {imp.target} (layer {src} → {dst})"
        if imp.function is None:
            found["a"].append(what + " at module level")
            continue
        key = (imp.source, imp.function)
        allowed = _delegate_target(imp, delegates)
        if allowed is not None:
            used.add((*key, allowed))
            if not _one_line(graph.functions[key]):
                found["b"].append(f"{what} in {imp.function}(): an allowed delegate is one line")
        else:
            found["b"].append(
                f"{what} in {imp.function}(): not an allowed delegate (DELEGATES in "
                "tests/test_architecture.py)"
            )
    for (module, function), targets in sorted(delegates.items()):
        for target in sorted(targets):
            if (module, function, target) not in used:
                found["b"].append(
                    f"{module}: DELEGATES lists {function}() → {target}, which no longer imports "
                    "it upward; remove the entry"
                )
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in graph.imports:
        if imp.function is None:
            edges[imp.source].add(imp.target)
    module_level = _cycles(edges)
    for comp in module_level:
        found["c"].append(f"{comp[0]}: import cycle at module level: {' → '.join(comp)}")
    for imp in graph.imports:  # function-level imports too, except the allowed delegates
        if imp.function is not None and _delegate_target(imp, delegates) is None:
            edges[imp.source].add(imp.target)
    for comp in _cycles(edges):
        if comp not in module_level:
            found["g"].append(
                f"{comp[0]}: import cycle through imports inside functions: {' → '.join(comp)}"
            )
    for module, line, what in sorted(set(graph.private)):
        found["d"].append(f"{module}:{line} imports the private {what}")
    return found


# -- the rule on zan/ -----------------------------------------------------------------

GRAPH = read_graph(ROOT, "zan")
FOUND = check(GRAPH, LAYERS, DELEGATES, long_modules=LONG_MODULES)
RULES = {
    "a": "module-level imports go to the same layer or a lower one",
    "b": "upward imports inside functions are listed one-line delegates",
    "c": "no import cycle at module level",
    "d": "no private name imported from another module",
    "e": f"no module over {MAX_LINES} lines",
    "f": "every module has a layer",
    "g": "no import cycle through imports inside functions either (delegates aside)",
}


@pytest.mark.parametrize("letter", sorted(RULES), ids=[RULES[k] for k in sorted(RULES)])
def test_dependency_rule(letter: str) -> None:
    assert not FOUND[letter], f"{RULES[letter]}:\n" + "\n".join(FOUND[letter])


def test_the_graph_is_read() -> None:
    # a guard against a checker that sees nothing: known edges of zan/ are in the graph
    edges = {(i.source, i.target) for i in GRAPH.imports if i.function is None}
    assert ("zan.territory", "zan.crs") in edges
    assert ("zan.maps._base", "zan.maps._geometry") in edges
    assert len(GRAPH.modules) > 60
    assert layer_of("zan.io.cog", LAYERS) == 1
    assert layer_of("zan.ledger.export", LAYERS) == 8  # the exact name beats zan.ledger.*
    assert layer_of("zan.ledger.export", LAYERS) == 8
    assert layer_of("zan.new_module", LAYERS) is None


# -- the checker fails where it should -----------------------------------------------

FAKE_LAYERS = {0: ("pkg.base",), 1: ("pkg.core", "pkg.core.*"), 2: ("pkg.top",), 3: ("pkg",)}


def _fake(tmp_path: Path, files: dict[str, str]) -> Graph:
    for name, text in {"pkg/__init__.py": "", **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return read_graph(tmp_path, "pkg")


CLEAN = {
    "pkg/base.py": "X = 1\n_hidden = 2\n",
    "pkg/core/__init__.py": "from ..base import X\n",
    "pkg/core/_impl.py": "from pkg.base import X\n",
    "pkg/core/api.py": "from . import _impl\nfrom ._impl import X\n",
    "pkg/top.py": """\
        from typing import TYPE_CHECKING
        from .core.api import X
        if TYPE_CHECKING:
            from . import top
        """,
}


def test_checker_passes_a_clean_package(tmp_path: Path) -> None:
    found = check(_fake(tmp_path, CLEAN), FAKE_LAYERS, {})
    assert found == {k: [] for k in "abcdefg"}


def test_checker_fails_on_an_upward_import(tmp_path: Path) -> None:
    graph = _fake(tmp_path, {**CLEAN, "pkg/base.py": "from .top import X\n"})
    found = check(graph, FAKE_LAYERS, {})
    assert found["a"] == ["pkg.base:1 imports pkg.top (layer 0 → 2) at module level"]
    # and the upward import closes a cycle base → top → core.api → core._impl → base
    assert found["c"] == [
        "pkg.base: import cycle at module level: pkg.base → pkg.core._impl → pkg.core.api → pkg.top"
    ]


def test_checker_allows_listed_one_line_delegates_only(tmp_path: Path) -> None:
    base = """\
        class Thing:
            def show(self):
                \"\"\"Drawn by pkg.top.\"\"\"
                from .top import draw
                return draw(self)

            def fat(self):
                from .top import draw
                out = draw(self)
                return out
        """
    files = {**CLEAN, "pkg/base.py": textwrap.dedent(base), "pkg/top.py": "def draw(x): return x\n"}
    graph = _fake(tmp_path, files)
    found = check(graph, FAKE_LAYERS, {})
    assert [line.split(" in ", 1)[1] for line in found["b"]] == [
        "Thing.show(): not an allowed delegate (DELEGATES in tests/test_architecture.py)",
        "Thing.fat(): not an allowed delegate (DELEGATES in tests/test_architecture.py)",
    ]
    allowed = {
        ("pkg.base", "Thing.show"): frozenset({"pkg.top"}),
        ("pkg.base", "Thing.fat"): frozenset({"pkg.top"}),
        ("pkg.base", "Thing.gone"): frozenset({"pkg.top"}),
    }
    found = check(graph, FAKE_LAYERS, allowed)
    assert found["b"] == [
        "pkg.base:8 imports pkg.top (layer 0 → 2) in Thing.fat(): an allowed delegate is one line",
        "pkg.base: DELEGATES lists Thing.gone() → pkg.top, which no longer imports it upward; "
        "remove the entry",
    ]
    assert found["a"] == [] and found["c"] == []


def test_checker_finds_private_imports_long_modules_and_unplaced_modules(tmp_path: Path) -> None:
    files = {
        **CLEAN,
        "pkg/top.py": """\
            from .base import _hidden
            from .core import _impl
            import pkg.base as b
            def f():
                return b._hidden
            """,
        "pkg/extra.py": "x = 1\n" * 12,
    }
    found = check(_fake(tmp_path, files), FAKE_LAYERS, {}, max_lines=10)
    assert found["d"] == [
        "pkg.top:1 imports the private pkg.base._hidden",
        "pkg.top:2 imports the private module pkg.core._impl",
        "pkg.top:5 imports the private pkg.base._hidden",
    ]
    assert found["e"] == ["pkg.extra: 12 lines (at most 10)"]
    assert found["f"] == [
        "pkg.extra: no layer; add it to LAYERS in tests/test_architecture.py and to the layer "
        "table of docs/ARCHITECTURE.md"
    ]


def test_function_level_cycles_are_not_module_cycles(tmp_path: Path) -> None:
    files = {**CLEAN, "pkg/core/api.py": "from . import _impl\ndef f():\n    from pkg import top\n"}
    found = check(_fake(tmp_path, files), FAKE_LAYERS, {})
    assert found["c"] == []  # top → core.api at module level, back only inside f
    assert found["g"] == [
        "pkg.core.api: import cycle through imports inside functions: pkg.core.api → pkg.top"
    ]
    assert found["b"] == [
        "pkg.core.api:3 imports pkg.top (layer 1 → 2) in f(): not an allowed delegate "
        "(DELEGATES in tests/test_architecture.py)"
    ]
