"""Demo panels and a year of monthly meetings for the two demo partnerships (idempotent)."""

from __future__ import annotations

import datetime as dt

from casework.models import Agency
from panels import services
from panels.models import Meeting, Panel

# (name, kind, host agency name, cadence, weekday, which week of the month, start, end)
PANELS = [
    (
        "Hampshire Integrated Resource Allocation Panel",
        "irap",
        "Hampshire County Council Children's Services",
        "Monthly on the second Thursday, 14:00 to 15:30",
        3,
        2,
        dt.time(14, 0),
        dt.time(15, 30),
    ),
    (
        "Leicestershire Joint Funding Panel (Complex Cases)",
        "jfp",
        "Leicestershire County Council Children and Family Services",
        "Monthly on the second Tuesday, 12:30 to 14:00",
        1,
        2,
        dt.time(12, 30),
        dt.time(14, 0),
    ),
]


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def load_panels(*, start: dt.date, months: int = 12) -> dict[str, int]:
    made = {"panels": 0, "meetings": 0}
    for name, kind, host_name, cadence, weekday, nth, starts, ends in PANELS:
        panel = Panel.objects.filter(name=name).first()
        if panel is None:
            host = Agency.objects.get(name=host_name)
            panel = services.panel_create(actor=None, name=name, kind=kind, host_agency=host, cadence=cadence)
            made["panels"] += 1
        year, month = start.year, start.month
        for _ in range(months):
            day = _nth_weekday(year, month, weekday, nth)
            if not Meeting.objects.filter(panel=panel, date=day).exists():
                services.meeting_schedule(
                    actor=None,
                    panel=panel,
                    date=day,
                    starts_at=starts,
                    ends_at=ends,
                    location="Microsoft Teams",
                )
                made["meetings"] += 1
            month += 1
            if month > 12:
                year, month = year + 1, 1
    return made
