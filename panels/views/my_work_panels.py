"""GET /my-work/panels/: the panel view of My work (issue 16), for the people who run panels: the
next meetings of their panels with what is missing for each (panels.selectors.upcoming). A panel
they do not run never appears; someone who runs none sees that there is nothing to show."""

from __future__ import annotations

from django.shortcuts import render

from panels.selectors.upcoming import AHEAD, upcoming_meetings

__all__ = ["panel_meetings"]


def panel_meetings(request):
    meetings = upcoming_meetings(user=request.user)
    return render(
        request,
        "panels/my_work_panels.html",
        {
            "meetings": meetings,
            "weeks": AHEAD.days // 7,
            "missing": sum(1 for m in meetings if m.missing),
            "nav_section": "home",
        },
    )
