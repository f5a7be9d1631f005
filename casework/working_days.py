"""Working days: Monday to Friday, less bank holidays in England and Wales and a panel's closure days.

Pitfall (DESIGN.md): `holidays.country_holidays("GB")` without subdiv="ENG" leaves out Easter Monday
and the August bank holiday. Example: a panel on Thursday 9 April 2026 has papers due 7 working days
before, on Friday 27 March (Good Friday 3 April and Easter Monday 6 April are not working days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]).keys())


def is_working_day(day: dt.date, closures: Iterable[dt.date] = ()) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year) and day not in set(closures)


def add_working_days(day: dt.date, n: int, closures: Iterable[dt.date] = ()) -> dt.date:
    """The working day `n` working days after `day` (before it when n is negative).

    n = 0 gives `day` itself. "7 working days before the meeting" is add_working_days(meeting, -7).
    """
    closed = frozenset(closures)
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    current = day
    while remaining:
        current += dt.timedelta(days=step)
        if is_working_day(current, closed):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date, closures: Iterable[dt.date] = ()) -> int:
    """The working days after `start` up to and including `end`; negative when `end` is earlier
    (then minus the working days after `end` up to and including `start`), so that
    working_days_between(a, b) == -working_days_between(b, a). From a working day, counting back
    the result of add_working_days gives n again."""
    closed = frozenset(closures)
    if end < start:
        return -working_days_between(end, start, closed)
    span = (start + dt.timedelta(days=i) for i in range(1, (end - start).days + 1))
    return sum(1 for day in span if is_working_day(day, closed))
