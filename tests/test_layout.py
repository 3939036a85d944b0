"""The package layout: no import circles, dependencies that point one way, modules of a readable size.

Every import counts here, including the ones inside functions and under ``TYPE_CHECKING``: a
circle that only type checkers see is still a circle a reader has to untangle.
"""
from __future__ import annotations

from pathlib import Path

import grimp
import pytest

PACKAGE = "genesys_nb"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

# Highest first. A layer may import the layers below it, never those above; the siblings of one
# row are independent of each other (the report reads audit files, it never runs anything).
LAYERS: list[set[str]] = [
    {"cli", "widgets"},
    {"run", "report"},
    {"emulator", "audit"},
    {"engine"},
    {"contract"},
    {"api"},
]

MAX_LINES = 400
SIZE_REASON = "# size:"  # a module over MAX_LINES says why in a comment starting like this, near its top


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, include_external_packages=False, exclude_type_checking_imports=False)


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm over the module graph: every group of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def visit(module: str) -> None:
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_no_import_circles(graph: grimp.ImportGraph) -> None:
    circles = strongly_connected(graph)
    assert not circles, "modules that import each other (break the circle): " + "; ".join(
        " <-> ".join(group) for group in circles)


def test_the_walk_finds_a_circle() -> None:
    """The circle check itself can fail: a graph with a loop in it is reported."""
    loop = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        loop.add_module(name)
    loop.add_import(importer="pkg.a", imported="pkg.b")
    loop.add_import(importer="pkg.b", imported="pkg.c")
    loop.add_import(importer="pkg.c", imported="pkg.a")
    assert strongly_connected(loop) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_dependencies_point_one_way(graph: grimp.ImportGraph) -> None:
    illegal = graph.find_illegal_dependencies_for_layers(layers=LAYERS, containers={PACKAGE})
    lines = []
    for dependency in sorted(illegal, key=lambda d: (d.importer, d.imported)):
        for route in dependency.routes:
            lines.append(f"{dependency.importer} -> {dependency.imported}: via {route.heads} ... {route.tails}")
    assert not lines, "a lower stage imports a higher one:\n" + "\n".join(lines)


def test_every_stage_is_a_package_of_its_own(graph: grimp.ImportGraph) -> None:
    top = {module.split(".")[1] for module in graph.modules if module.count(".") >= 1}
    stages = set().union(*LAYERS)
    strays = sorted(top - stages - {"__main__", "py"})
    assert not strays, f"modules at the package root outside the stages: {strays}"


def test_modules_stay_readable() -> None:
    too_long = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES and not any(line.startswith(SIZE_REASON) for line in lines[:20]):
            too_long.append(f"{path.relative_to(PACKAGE_DIR.parent)} ({len(lines)} lines)")
    assert not too_long, (
        f"modules over {MAX_LINES} lines with no '{SIZE_REASON} <reason>' line near the top; split them by "
        f"job: {too_long}")
