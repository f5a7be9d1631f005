"""API for agenda (to be written)."""

from __future__ import annotations

urlpatterns: list = []
