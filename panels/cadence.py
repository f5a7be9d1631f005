"""Meeting dates from a panel's cadence rule.

A monthly panel meets on the Nth (or last) given weekday of each month; a weekly panel every N
weeks from an anchor date. A date that falls on a bank holiday or closure day moves to the next
working day (the administrator can still move any meeting by hand).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Iterator

from casework.working_days import is_working_day
from panels.models import CadenceRule, Panel


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date | None:
    """The nth weekday (0 = Monday) of a month; n = -1 is the last. None when there is no 5th."""
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    if n == -1:
        return days[-1]
    return days[n - 1] if 1 <= n <= len(days) else None


def _next_working(day: dt.date, closures: frozenset[dt.date]) -> dt.date:
    while not is_working_day(day, closures):
        day += dt.timedelta(days=1)
    return day


def _rule_dates(panel: Panel, start: dt.date, until: dt.date) -> Iterator[dt.date]:
    if panel.cadence_rule == CadenceRule.WEEKLY:
        anchor = panel.cadence_anchor or start
        # The first date on the panel's weekday, a whole number of intervals from the anchor.
        anchor += dt.timedelta(days=(panel.cadence_weekday - anchor.weekday()) % 7)
        step = dt.timedelta(weeks=panel.cadence_interval_weeks)
        day = anchor
        if day < start:
            day += step * -(-((start - day).days) // step.days)
        while day <= until:
            yield day
            day += step
        return
    year, month = start.year, start.month
    while dt.date(year, month, 1) <= until:
        day = nth_weekday(year, month, panel.cadence_weekday, panel.cadence_week_of_month)
        if day is not None and start <= day <= until:
            yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def meeting_dates(
    panel: Panel, *, start: dt.date, until: dt.date, closures: Iterable[dt.date] = ()
) -> list[dt.date]:
    """The panel's meeting dates from `start` to `until`, each moved off non-working days."""
    closed = frozenset(closures)
    dates = []
    for day in _rule_dates(panel, start, until):
        moved = _next_working(day, closed)
        if moved <= until and moved not in dates:
            dates.append(moved)
    return dates


def describe(panel: Panel) -> str:
    """The cadence in words, e.g. "Monthly on the second Thursday, 14:00 to 15:30"."""
    weekday = calendar.day_name[panel.cadence_weekday]
    times = f"{panel.meeting_starts_at:%H:%M} to {panel.meeting_ends_at:%H:%M}"
    if panel.cadence_rule == CadenceRule.WEEKLY:
        every = (
            "Every week"
            if panel.cadence_interval_weeks == 1
            else f"Every {panel.cadence_interval_weeks} weeks"
        )
        return f"{every} on {weekday}, {times}"
    which = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}[panel.cadence_week_of_month]
    return f"Monthly on the {which} {weekday}, {times}"
