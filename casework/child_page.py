"""What other apps add to the child's page: each registers a part with `@child_page_part` in its
`child_page.py` (found by module name, as the timeline's sources and the reminder sweeps are), so the
core shows a child's referrals without importing the app that owns them (docs/adr/0011-layers.md).

A part returns the template context it adds, read through its own app's access rules.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from casework.models import Child, User

__all__ = ["CHILD_PAGE_MODULES", "child_page_context", "child_page_part"]

CHILD_PAGE_MODULES = ("referrals.child_page",)

Part = Callable[..., dict[str, Any]]
_PARTS: dict[str, Part] = {}


def child_page_part(func: Part) -> Part:
    """Register `func(*, user, child) -> dict` as a part of the child's page."""
    _PARTS[f"{func.__module__}.{func.__name__}"] = func
    return func


def child_page_context(*, user: User, child: Child) -> dict[str, Any]:
    """Every registered part's context for this person and child, in module order."""
    for module in CHILD_PAGE_MODULES:
        importlib.import_module(module)
    context: dict[str, Any] = {}
    for part in _PARTS.values():
        context.update(part(user=user, child=child))
    return context
