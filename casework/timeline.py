"""The child's one timeline: every referral, signed panel decision, funding package, pathway case and
escalation this user may see, newest first, and what is due next (issue 8).

The core knows only the shape of a line and of a due date. Each app registers its own source with
`@timeline_source` in its `timeline.py` (found by module name, as the reminder sweeps are), and
reads through its own access rules, so the timeline shows exactly what the user could open one
link further on:
referrals/timeline.py (status changes, through referrals.access), panels/timeline.py (signed
decisions on those referrals), funding/timeline.py (packages, through funding.access) and
pathways/timeline.py (pathway cases and escalations; only event titles and statuses, never notes,
so an IFR's clinical detail cannot leak).

Queries, fixed however many entries there are: status changes with their referral and panel (1),
signed decisions with their meeting (1), packages with their current version (1), pathway cases
(1), their events (1), reviews (1), DST scores (1), pathway settings (1), escalations (1), their steps (1), the
steps' meetings (1), reports (1), escalation settings (1).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from casework.models import Child, User

__all__ = [
    "ChildTimeline",
    "DueItem",
    "TimelineEntry",
    "TimelinePart",
    "child_timeline",
    "timeline_source",
]

# How many due dates "What is due next" lists.
DUE_LIMIT = 5

# The modules whose sources make the timeline, in order: on a tie in time, a later source's line
# counts as newer (each source lists its own lines oldest first).
TIMELINE_MODULES = ("referrals.timeline", "panels.timeline", "funding.timeline", "pathways.timeline")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline. `when` is a date (a day-only event) or an aware datetime."""

    when: dt.date | dt.datetime
    kind: str
    title: str
    url: str
    status: str
    colour: str = "grey"

    @property
    def has_time(self) -> bool:
        return isinstance(self.when, dt.datetime)

    @property
    def day(self) -> dt.date:
        return timezone.localdate(self.when) if isinstance(self.when, dt.datetime) else self.when

    def sort_key(self) -> tuple[dt.date, dt.time]:
        moment = timezone.localtime(self.when).time() if isinstance(self.when, dt.datetime) else dt.time.min
        return (self.day, moment)


@dataclass(frozen=True)
class DueItem:
    on: dt.date
    label: str
    kind: str
    url: str
    overdue: bool


@dataclass
class ChildTimeline:
    entries: list[TimelineEntry] = field(default_factory=list)
    due: list[DueItem] = field(default_factory=list)


@dataclass
class TimelinePart:
    """What one source adds: its lines (oldest first) and its due dates."""

    entries: list[TimelineEntry] = field(default_factory=list)
    due: list[DueItem] = field(default_factory=list)


Source = Callable[..., TimelinePart]
_SOURCES: dict[str, Source] = {}


def timeline_source(func: Source) -> Source:
    """Register `func(*, user, child, today) -> TimelinePart`. It reads only what `user` may see."""
    _SOURCES[f"{func.__module__}.{func.__name__}"] = func
    return func


def registered_sources() -> list[Source]:
    for module in TIMELINE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as missing:
            if missing.name != module:
                raise
    order = {module: n for n, module in enumerate(TIMELINE_MODULES)}
    registered = list(_SOURCES)  # registration order: definition order within a module
    ranked = sorted(
        registered,
        key=lambda name: (order.get(_SOURCES[name].__module__, len(order)), registered.index(name)),
    )
    return [_SOURCES[name] for name in ranked]


def child_timeline(*, user: User, child: Child) -> ChildTimeline:
    """Everything that has happened for the child that this user may see, newest first, and the
    earliest due dates (overdue ones marked). `child` must already be visible to the user."""
    today = timezone.localdate()
    entries: list[TimelineEntry] = []
    due: list[DueItem] = []
    for source in registered_sources():
        part = source(user=user, child=child, today=today)
        entries.extend(part.entries)
        due.extend(part.due)
    # Each source lists its entries oldest first, so on a tie the later one in the list is newer.
    order = {id(entry): n for n, entry in enumerate(entries)}
    entries.sort(key=lambda entry: (*entry.sort_key(), order[id(entry)]), reverse=True)
    due.sort(key=lambda item: (item.on, item.label))
    return ChildTimeline(entries=entries, due=due[:DUE_LIMIT])
