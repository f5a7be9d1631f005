"""API for letters (to be written)."""

from __future__ import annotations

urlpatterns: list = []
