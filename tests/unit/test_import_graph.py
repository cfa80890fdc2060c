"""The dependency rules (issue 10), checked on the source with ``ast``: nothing is imported to check it.

The graph has one node per module of the ``runbook`` package, ``runbook.pages`` and ``runbook.simulator``
included (their files live in ``pages/`` and ``simulator/``, reached through the links in ``runbook/``).
An edge is an import that runs: at module level or deferred inside a function, but not under
``if TYPE_CHECKING:``, which never runs. ``from X import Y`` is an import of the module ``X.Y`` when
there is one, else of ``X``; relative imports are resolved against the importing module's package.
Importing ``a.b.c`` also runs the ``__init__`` of ``a`` and ``a.b``: those edges are not drawn, which is
safe as long as no package ``__init__`` imports a module of ``runbook`` (checked too).

The rules:

(a) the core never imports the simulator: only ``SIMULATOR_IMPORTERS`` (the CLI, the pytest plugin,
    ``runbook.testing``) and the simulator itself import ``runbook.simulator``;
(b) the page objects import nothing of ``runbook`` outside ``runbook.pages``, but ``SHARED_LEAVES``;
(c) the simulator imports nothing of ``runbook`` outside ``runbook.simulator``, but ``SHARED_LEAVES``;
(d) no import cycles, but between the pages of ``NAVIGATION_PAIRS``: screen A opens screen B, whose
    Save or Cancel returns to A, so each page module needs the other's class;
(e) nothing (the package, the tests, the benchmarks) imports the old top-level names ``pages`` or
    ``simulator``;
(f) a shared leaf imports nothing of ``runbook``, and no package ``__init__`` imports any of it.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import textwrap
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "runbook"
PAGES = "runbook.pages"
SIMULATOR = "runbook.simulator"

# (a) The edge modules that start or embed the simulator (fnmatch patterns over module names).
SIMULATOR_IMPORTERS: tuple[str, ...] = ("runbook.cli", "runbook.cli_*", "runbook.pytest_plugin", "runbook.testing")
# (b), (c) Small leaf modules of the core (importing nothing of runbook) that pages and simulator may share: none
# today (the release is told by the screen, so the two share no release table).
SHARED_LEAVES: frozenset[str] = frozenset()
# (d) Page objects that lead to each other by navigation; the only cycles allowed.
NAVIGATION_PAIRS: frozenset[frozenset[str]] = frozenset(
    {
        # Manage > Edit Policies (ConnectedAppManagePage.edit_policies); its Save returns to Manage.
        frozenset({"runbook.pages.connected_app_manage", "runbook.pages.edit_policies"}),
        # Manage > Manage Permission Sets (.manage_permission_sets); its Save returns to Manage.
        frozenset({"runbook.pages.connected_app_manage", "runbook.pages.app_permission_sets"}),
    }
)
# (e) The names pages/ and simulator/ were importable as before they became runbook.pages, runbook.simulator.
OLD_NAMES: tuple[str, ...] = ("pages", "simulator")
# (e) Where else to look for imports of the old names.
OTHER_SOURCES: tuple[str, ...] = ("tests", "benchmarks")


# --- the checker ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Import:
    """One import statement's dependency: ``importer`` runs the module ``target`` (at ``path``:``line``)."""

    importer: str
    target: str
    path: str  # relative to the root the files were found under, as the file really is (links resolved)
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.target}"


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (a directory under ``root``) by dotted name; links are followed."""
    modules: dict[str, Path] = {}
    top = root / package.replace(".", "/")
    for folder, dirs, files in os.walk(top, followlinks=True):
        dirs[:] = sorted(d for d in dirs if (Path(folder) / d / "__init__.py").is_file())
        parts = Path(folder).relative_to(root).parts
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            stem = name[: -len(".py")]
            modules[".".join(parts if stem == "__init__" else (*parts, stem))] = Path(folder) / name
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _running_imports(nodes: Iterable[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements in ``nodes`` that can run: anywhere but in the body of ``if TYPE_CHECKING:``."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _running_imports(node.orelse)
        else:
            yield from _running_imports(ast.iter_child_nodes(node))


def _relative_base(here: str, level: int, module: str | None) -> str:
    """The package ``from <level dots><module> import`` names, in a module whose package is ``here``."""
    parts = here.split(".")
    return ".".join([*parts[: len(parts) - (level - 1)], *([module] if module else [])])


def imports_in(
    path: Path, module: str, *, is_package: bool, known: Iterable[str] = (), shown_as: str | None = None
) -> list[Import]:
    """The imports that run in the file ``path`` of ``module``; ``known``: the modules ``from X import Y`` may name."""
    known = set(known)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in _running_imports([tree]):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = _relative_base(here, node.level, node.module) if node.level else node.module or ""
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
                if alias.name != "*"
            ] or [base]
        for target in dict.fromkeys(targets):
            found.append(Import(module, target, shown_as or str(path), node.lineno))
    return found


def _shown(path: Path, root: Path) -> str:
    real = path.resolve()
    try:
        return real.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(real)


def package_imports(root: Path, package: str) -> list[Import]:
    """Every import that runs in ``package`` (found under ``root``), in file and line order."""
    modules = module_files(root, package)
    found: list[Import] = []
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        found += imports_in(path, module, is_package=is_package, known=modules, shown_as=_shown(path, root))
    return found


def import_graph(imports: Iterable[Import], modules: Iterable[str]) -> dict[str, dict[str, Import]]:
    """``graph[a][b]``: the first import by which module ``a`` runs module ``b``, both in ``modules``."""
    nodes = set(modules)
    graph: dict[str, dict[str, Import]] = {name: {} for name in sorted(nodes)}
    for imp in imports:
        if imp.importer in nodes and imp.target in nodes and imp.target != imp.importer:
            graph[imp.importer].setdefault(imp.target, imp)
    return graph


def strongly_connected(graph: Mapping[str, Mapping[str, Import]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(graph[succ])))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return sorted(components)


def _path_within(graph: Mapping[str, Mapping[str, Import]], members: set[str], start: str, end: str) -> list[str]:
    """A shortest chain of imports from ``start`` to ``end`` through ``members`` (breadth first)."""
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == end:
            break
        for succ in graph[node]:
            if succ in members and succ not in came_from:
                came_from[succ] = node
                queue.append(succ)
    chain = [end]
    while (previous := came_from[chain[-1]]) is not None:
        chain.append(previous)
    return chain[::-1]


@dataclass(frozen=True)
class Cycle:
    """A cycle of imports, ``modules[0] -> modules[1] -> ... -> modules[0]``, and its strongly connected component."""

    modules: tuple[str, ...]
    imports: tuple[Import, ...]
    component: tuple[str, ...]

    def __str__(self) -> str:
        chain = "\n".join(f"    {imp}" for imp in self.imports)
        return f"import cycle {' -> '.join([*self.modules, self.modules[0]])}\n{chain}"


def import_cycles(
    graph: Mapping[str, Mapping[str, Import]], allowed_pairs: Iterable[frozenset[str]] = ()
) -> list[Cycle]:
    """The cycles of imports that are not all between allowed pairs (screen A <-> screen B).

    A strongly connected component whose imports all go between allowed pairs is fine. In any other, each
    import not between an allowed pair is shown in a shortest cycle through it (one cycle for several of
    them when it goes through them all).
    """
    allowed = set(allowed_pairs)
    cycles: list[Cycle] = []
    for component in strongly_connected(graph):
        members = set(component)
        shown: set[Import] = set()
        for name in component:
            for target, imp in graph[name].items():
                if target not in members or frozenset({name, target}) in allowed or imp in shown:
                    continue
                modules = [name, *_path_within(graph, members, target, name)[:-1]]
                edges = tuple(graph[a][b] for a, b in zip(modules, [*modules[1:], modules[0]], strict=True))
                shown.update(edges)
                cycles.append(Cycle(tuple(modules), edges, tuple(component)))
    return cycles


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def simulator_imports_outside_edges(imports: Iterable[Import]) -> list[Import]:
    """(a) Imports of the simulator by a module that is neither an edge module nor part of the simulator."""
    return [
        imp
        for imp in imports
        if _within(imp.target, SIMULATOR)
        and not _within(imp.importer, SIMULATOR)
        and not any(fnmatch.fnmatchcase(imp.importer, pattern) for pattern in SIMULATOR_IMPORTERS)
    ]


def imports_leaving(imports: Iterable[Import], package: str) -> list[Import]:
    """(b), (c) Imports by modules of ``package`` of anything in ``runbook`` outside it (but the shared leaves)."""
    return [
        imp
        for imp in imports
        if _within(imp.importer, package)
        and _within(imp.target, PACKAGE)
        and not _within(imp.target, package)
        and imp.target not in SHARED_LEAVES
    ]


def old_name_imports(imports: Iterable[Import]) -> list[Import]:
    """(e) Imports of ``pages`` or ``simulator`` as top-level names."""
    return [imp for imp in imports if any(_within(imp.target, old) for old in OLD_NAMES)]


def source_imports(root: Path, folder: str) -> list[Import]:
    """The imports that run in the Python files under ``root/folder`` (tests, benchmarks: not the package)."""
    found: list[Import] = []
    for path in sorted((root / folder).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        found += imports_in(path, module, is_package=is_package, shown_as=_shown(path, root))
    return found


def report(title: str, problems: Iterable[object]) -> str:
    return "\n".join([title, *(f"  {problem}" for problem in problems)])


# --- the rules, on this repository ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return package_imports(ROOT, PACKAGE)


def test_the_graph_covers_the_linked_packages(imports: list[Import]) -> None:
    modules = module_files(ROOT, PACKAGE)
    assert {"runbook.spec", "runbook.pages.base", "runbook.simulator.state"} <= modules.keys()
    assert any(imp.importer.startswith(PAGES + ".") for imp in imports)
    assert any(imp.importer.startswith(SIMULATOR + ".") for imp in imports)


def test_only_the_edge_modules_import_the_simulator(imports: list[Import]) -> None:
    bad = simulator_imports_outside_edges(imports)
    assert not bad, report(f"the core imports the simulator (allowed: {', '.join(SIMULATOR_IMPORTERS)}):", bad)


def test_page_objects_import_only_page_objects(imports: list[Import]) -> None:
    bad = imports_leaving(imports, PAGES)
    assert not bad, report(f"{PAGES} imports outside itself (allowed: {', '.join(sorted(SHARED_LEAVES))}):", bad)


def test_the_simulator_imports_only_the_simulator(imports: list[Import]) -> None:
    bad = imports_leaving(imports, SIMULATOR)
    assert not bad, report(f"{SIMULATOR} imports outside itself (allowed: {', '.join(sorted(SHARED_LEAVES))}):", bad)


def test_no_import_cycles(imports: list[Import]) -> None:
    graph = import_graph(imports, module_files(ROOT, PACKAGE))
    cycles = import_cycles(graph, NAVIGATION_PAIRS)
    assert not cycles, report("import cycles:", cycles)


def test_the_navigation_pairs_are_still_cycles(imports: list[Import]) -> None:
    """An allowed pair that no longer imports both ways is dropped from NAVIGATION_PAIRS."""
    graph = import_graph(imports, module_files(ROOT, PACKAGE))
    stale = [(a, b) for a, b in map(sorted, NAVIGATION_PAIRS) if not (b in graph[a] and a in graph[b])]
    assert not stale, f"no longer import each other, drop them from NAVIGATION_PAIRS: {stale}"


def test_leaves_and_package_inits_import_nothing_of_runbook(imports: list[Import]) -> None:
    modules = module_files(ROOT, PACKAGE)
    inits = {name for name, path in modules.items() if path.name == "__init__.py"}
    bad = [imp for imp in imports if imp.importer in SHARED_LEAVES | inits and _within(imp.target, PACKAGE)]
    assert not bad, report("shared leaves and package __init__ files must not import runbook modules:", bad)


def test_nothing_imports_the_old_top_level_names(imports: list[Import]) -> None:
    everywhere = [*imports, *(imp for folder in OTHER_SOURCES for imp in source_imports(ROOT, folder))]
    bad = old_name_imports(everywhere)
    assert not bad, report(
        f"imports of the old names {', '.join(OLD_NAMES)} (use runbook.pages, runbook.simulator):", bad
    )


# --- the checker, on throwaway packages ---------------------------------------------------------------------
def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (path -> source, dedented) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def test_a_deferred_import_closing_a_cycle_is_reported(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "toy/__init__.py": "",
            # a -> b and a -> c at module level.
            "toy/a.py": """
                from toy import b
                from toy import c
            """,
            # b -> a deferred, by a relative import: a cycle.
            "toy/b.py": """
                def later():
                    from . import a

                    return a
            """,
            # c -> a only for the type checker, which never runs: no cycle.
            "toy/c.py": """
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from toy.a import b
                else:
                    import json
            """,
        },
    )
    imports = package_imports(root, "toy")
    graph = import_graph(imports, module_files(root, "toy"))

    assert graph == {
        "toy": {},
        "toy.a": {"toy.b": Import("toy.a", "toy.b", "toy/a.py", 1), "toy.c": Import("toy.a", "toy.c", "toy/a.py", 2)},
        "toy.b": {"toy.a": Import("toy.b", "toy.a", "toy/b.py", 2)},
        "toy.c": {},
    }
    assert Import("toy.c", "json", "toy/c.py", 6) in imports  # the else branch of TYPE_CHECKING runs
    cycles = import_cycles(graph)
    assert [cycle.modules for cycle in cycles] == [("toy.a", "toy.b")]
    assert str(cycles[0]).splitlines() == [
        "import cycle toy.a -> toy.b -> toy.a",
        "    toy/a.py:1: toy.a imports toy.b",
        "    toy/b.py:2: toy.b imports toy.a",
    ]
    assert import_cycles(graph, [frozenset({"toy.a", "toy.b"})]) == []


def test_an_allowed_pair_does_not_hide_a_longer_cycle(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "toy/__init__.py": "",
            "toy/manage.py": """
                def edit():
                    from toy.edit import Edit
            """,
            "toy/edit.py": """
                from toy.manage import x
                from toy.other import y
            """,
            "toy/other.py": """
                def back():
                    import toy.manage
            """,
        },
    )
    graph = import_graph(package_imports(root, "toy"), module_files(root, "toy"))
    cycles = import_cycles(graph, [frozenset({"toy.manage", "toy.edit"})])
    assert [(cycle.modules, cycle.component) for cycle in cycles] == [
        (("toy.edit", "toy.other", "toy.manage"), ("toy.edit", "toy.manage", "toy.other"))
    ]


def test_forbidden_dependencies_are_reported_with_file_and_line(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "runbook/__init__.py": "",
            "runbook/engine.py": """
                import json


                def start():
                    from runbook.simulator.state import Org
            """,
            "runbook/cli.py": "from runbook.simulator import state\n",
            "runbook/cli_run.py": "import runbook.simulator.state\n",
            "runbook/testing.py": "from runbook.simulator.state import Org\n",
            "runbook/pages/__init__.py": "",
            "runbook/pages/base.py": """
                from runbook.pages import login
                from runbook import engine
            """,
            "runbook/pages/login.py": """
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from runbook.spec import S
            """,
            "runbook/simulator/__init__.py": "",
            "runbook/simulator/web.py": "",
            "runbook/simulator/state.py": """
                from runbook.simulator import web
                from .. import pages
                import simulator.web
            """,
        },
    )
    imports = package_imports(root, "runbook")

    engine = Import("runbook.engine", "runbook.simulator.state", "runbook/engine.py", 5)
    assert simulator_imports_outside_edges(imports) == [engine]
    assert str(engine) == "runbook/engine.py:5: runbook.engine imports runbook.simulator.state"
    assert imports_leaving(imports, PAGES) == [
        Import("runbook.pages.base", "runbook.engine", "runbook/pages/base.py", 2)
    ]
    assert imports_leaving(imports, SIMULATOR) == [
        Import("runbook.simulator.state", "runbook.pages", "runbook/simulator/state.py", 2)
    ]
    assert old_name_imports(imports) == [
        Import("runbook.simulator.state", "simulator.web", "runbook/simulator/state.py", 3)
    ]


def test_links_are_followed_and_shown_as_the_real_file(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"runbook/__init__.py": "", "pages/__init__.py": "", "pages/base.py": "import os\n"})
    (root / "runbook" / "pages").symlink_to("../pages")
    assert package_imports(root, "runbook") == [Import("runbook.pages.base", "os", "pages/base.py", 1)]
