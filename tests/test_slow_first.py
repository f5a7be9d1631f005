"""The run's order (tests/conftest.py, SLOW_FIRST): a module renamed or removed must leave the list,
or the ordering would quietly stop putting the long tests first."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SLOW_FIRST

ROOT = Path(__file__).resolve().parent.parent


def test_every_module_run_first_exists():
    assert [name for name in SLOW_FIRST if not (ROOT / name).is_file()] == []
    assert len(set(SLOW_FIRST)) == len(SLOW_FIRST)
