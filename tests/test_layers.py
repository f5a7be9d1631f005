"""The house, checked (docs/adr/0011-layers.md, issue 14): no import cycle crosses an app, and the
core imports no app.

import-linter's layer contract says which way each import may point, but an exception it declares
(referrals -> panels) can still close a loop with the imports that point the right way. This reads
the whole graph with grimp (import-linter's own reader), counting imports inside functions too, and
looks for strongly connected components that hold modules of two apps. Importing a module runs
its package's `__init__` first, so each module also counts as importing its parent package.
"""

from __future__ import annotations

from collections.abc import Iterator

import grimp
import pytest

APPS = ("config", "reporting", "pathways", "funding", "panels", "referrals", "casework")


def app_of(module: str) -> str:
    return module.split(".", 1)[0]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*APPS)


def imports_of(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    edges = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    for module, imported in edges.items():
        if "." in module:
            imported.add(module.rsplit(".", 1)[0])
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> Iterator[list[str]]:
    """Tarjan's algorithm without recursion (the graph is deeper than Python's stack likes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                yield sorted(component)


def test_finds_a_cycle_across_apps() -> None:
    """The finder itself: a loop through two apps is one component, a chain is not."""
    edges = {
        "panels.pack": {"referrals.papers"},
        "referrals.papers": {"referrals.services"},
        "referrals.services": {"panels.pack"},
        "funding.services": {"panels.pack"},
    }
    components = [c for c in strongly_connected(edges) if len(c) > 1]
    assert components == [["panels.pack", "referrals.papers", "referrals.services"]]


def test_no_import_cycle_crosses_an_app(graph: grimp.ImportGraph) -> None:
    edges = imports_of(graph)
    crossing = []
    for component in strongly_connected(edges):
        if len({app_of(module) for module in component}) > 1:
            members = set(component)
            crossing.append(
                [
                    f"{importer} -> {imported}"
                    for importer in component
                    for imported in sorted(edges[importer] & members)
                    if app_of(importer) != app_of(imported)
                ]
            )
    assert crossing == [], (
        "An import cycle crosses apps; move the piece both need down to the lower app, or name a "
        "model by string (docs/adr/0011-layers.md). The cross-app imports in each cycle: "
        f"{crossing}"
    )


def test_the_core_imports_no_app(graph: grimp.ImportGraph) -> None:
    upward = sorted(
        f"{module} -> {imported}"
        for module in graph.find_children("casework") | graph.find_descendants("casework") | {"casework"}
        for imported in graph.find_modules_directly_imported_by(module)
        if app_of(imported) != "casework"
    )
    assert upward == []
