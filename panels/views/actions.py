"""Pages for actions (to be written)."""

from __future__ import annotations

urlpatterns: list = []
