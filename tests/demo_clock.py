"""The demo world for module-wide sweeps, loaded so that today's meeting is in it at any hour.

The demo runs "today's meeting" only when one fits before midnight (panels/demo.py). Before
22:00 London the demo is loaded on the real clock, so the meeting is under way when the tests run
(an API contract test records decisions in it); later than that the clock is held at 21:30 while
loading, so the meeting has just ended rather than being left out. The tests then run on the real
clock. Whole tests that check the demo itself hold the clock at midday (`at_midday_today`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from zoneinfo import ZoneInfo

import time_machine

LONDON = ZoneInfo("Europe/London")
LATE = dt.time(22, 0)


def _today_at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.datetime.now(LONDON).date(), dt.time(hour, minute), tzinfo=LONDON)


@contextmanager
def at_midday_today() -> Iterator[None]:
    with time_machine.travel(_today_at(11), tick=True):
        yield


def while_a_meeting_fits():
    """The clock for loading the demo: the real one, or 21:30 today late at night."""
    if dt.datetime.now(LONDON).time() < LATE:
        return nullcontext()
    return time_machine.travel(_today_at(21, 30), tick=True)


def load_demo_for_sweeps() -> None:
    from config.demo import load_demo

    with while_a_meeting_fits():
        load_demo()
