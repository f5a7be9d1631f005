"""Pages for minutes (to be written)."""

from __future__ import annotations

urlpatterns: list = []
