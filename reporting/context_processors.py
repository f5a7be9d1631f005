"""Whether the navigation offers Reports (no query: the person's roles are on the user row)."""

from __future__ import annotations

from reporting.access import can_see_reports


def reports(request):
    return {"can_see_reports": can_see_reports(user=getattr(request, "user", None))}
