"""The run's order (tests/conftest.py, SLOW_FIRST): a module renamed or removed must leave the list,
or the ordering would quietly stop putting the long tests first."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SLOW_FIRST

ROOT = Path(__file__).resolve().parent.parent


def test_every_module_run_first_exists():
    assert [name for name in SLOW_FIRST if not (ROOT / name).is_file()] == []
    assert len(set(SLOW_FIRST)) == len(SLOW_FIRST)


def test_the_split_items_of_the_slowest_modules_go_first():
    """The longest modules are split into many short items (one per person who asks, part of the API
    or persona), so pytest-xdist can share them between workers: all of them still run before any
    other module's test, the slowest module's first, each module's items in their own order."""
    from types import SimpleNamespace

    from tests.conftest import pytest_collection_modifyitems

    def item(name: str, test: str) -> SimpleNamespace:
        return SimpleNamespace(path=ROOT / name, name=test)

    items = [
        item("tests/casework/test_models.py", "a"),
        item(SLOW_FIRST[1], "sweep[outsider-0]"),
        item("tests/panels/test_views.py", "b"),
        item(SLOW_FIRST[0], "contract[referrals]"),
        item(SLOW_FIRST[1], "sweep[outsider-1]"),
        item(SLOW_FIRST[0], "contract[funding]"),
        item("tests/casework/test_models.py", "c"),
    ]
    pytest_collection_modifyitems(SimpleNamespace(rootpath=ROOT), items)
    assert [entry.name for entry in items] == [
        "contract[referrals]",
        "contract[funding]",
        "sweep[outsider-0]",
        "sweep[outsider-1]",
        "a",
        "b",
        "c",
    ]
