"""Reads live in selectors, not in pages (issue 14; STYLE.md "Reads and speed"): no view or API
module of an app queries a model's manager itself.

A view or API module is any module of an app named like one (`views.py`, `*_views.py`, `api.py`,
`*_api.py`, or inside a `views` or `api` package) and any module the URL conf sends a request to,
so a page added under another name is checked too. In them, `Model.objects.<anything>` and
`get_object_or_404` / `get_list_or_404` are refused: the read goes to the app's selectors.py (or
access.py for who may see what) as a keyword-only function, which owns its query shape.
`Model.objects.none()` is not a read (an empty queryset, never sent to the database): DRF's schema
generator and a form's empty choices use it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent
APPS = ("casework", "referrals", "panels", "funding", "pathways", "reporting")
LOOKUP_SHORTCUTS = {"get_object_or_404", "get_list_or_404"}

# Module: why it still queries from a view. Empty, and should stay so: move the read instead.
ALLOWED: dict[str, str] = {}


def _named_like_a_view(path: Path) -> bool:
    parts = path.relative_to(ROOT).with_suffix("").parts
    name = parts[-1]
    return (
        "views" in parts[:-1]
        or "api" in parts[:-1]
        or name in ("views", "api")
        or name.endswith("_views")
        or name.endswith("_api")
    )


def _modules_named_like_views() -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or not _named_like_a_view(path):
                continue
            found.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def _view_module(callback) -> str:
    for owner in ("view_class", "cls"):  # Django's class-based views; DRF's viewsets
        if hasattr(callback, owner):
            return getattr(callback, owner).__module__
    return inspect.unwrap(callback).__module__


def _modules_the_urls_reach(patterns=None) -> set[str]:
    found = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found |= _modules_the_urls_reach(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            module = _view_module(pattern.callback)
            if module.split(".", 1)[0] in APPS:
                found.add(module)
    return found


def _reads(source: str, module: str) -> list[str]:
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            used = parents.get(node)
            if isinstance(used, ast.Attribute) and used.attr == "none":
                continue
            found.append(f"{module}:{node.lineno}: {ast.unparse(used or node)}")
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in LOOKUP_SHORTCUTS:
                found.append(f"{module}:{node.lineno}: {name}(...)")
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def _queries(module: str) -> list[str]:
    source_file = inspect.getsourcefile(importlib.import_module(module))
    assert source_file is not None
    return _reads(Path(source_file).read_text(), module)


def test_the_checker_finds_what_it_should() -> None:
    """The finder itself: a manager read and either shortcut are found, an empty queryset is not."""
    source = (
        "a = Child.objects.none()\n"
        "b = Child.objects.filter(pk=1).first()\n"
        "c = get_object_or_404(Child, pk=1)\n"
        "d = shortcuts.get_list_or_404(Child)\n"
        "e = child.involvements.filter(ended_on=None)\n"  # a relation of a record: not a manager
    )
    assert [int(line.split(":")[1]) for line in _reads(source, "example")] == [2, 3, 4]


def test_the_urls_reach_modules_not_named_like_views() -> None:
    """The URL conf adds what a name pattern would miss (My work's team page, for one)."""
    reached = _modules_the_urls_reach()
    assert "casework.my_work_team" in reached
    assert "casework.views" in reached
    assert any(module.startswith("panels.api.") for module in reached)


def test_no_view_or_api_module_queries_a_manager() -> None:
    modules = _modules_named_like_views() | _modules_the_urls_reach()
    found = [line for module in sorted(modules - ALLOWED.keys()) for line in _queries(module)]
    assert not found, (
        "A view or API module reads the database itself; move each read to the app's selectors.py "
        "(or access.py for who may see what):\n" + "\n".join(found)
    )


def test_the_allow_list_names_only_modules_that_still_query() -> None:
    """An entry is taken off the list once its module no longer needs it."""
    stale = [module for module in ALLOWED if not _queries(module)]
    assert not stale, f"No longer querying, take them off ALLOWED: {stale}"
