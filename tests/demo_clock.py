"""The demo world for module-wide sweeps, loaded with the clock held at 11:00 London today.

The demo runs "today's meeting" only when one fits before midnight (panels/demo.py), so a sweep
that loads it at 23:57 would find no meeting pack. Holding the clock while loading makes the world
the same at any hour; the tests then run on the real clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import time_machine

LONDON = ZoneInfo("Europe/London")


@contextmanager
def at_midday_today() -> Iterator[None]:
    today = dt.datetime.now(LONDON).date()
    with time_machine.travel(dt.datetime.combine(today, dt.time(11, 0), tzinfo=LONDON), tick=True):
        yield


def load_demo_at_midday() -> None:
    from config.demo import load_demo

    with at_midday_today():
        load_demo()
