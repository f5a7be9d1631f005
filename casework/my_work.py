"""My work: everything waiting for the signed-in person, from every app, in one list (issue 16).

Each app registers its work sources with `@work_source` in its own `my_work.py` (found by module
name, as the reminder sweeps and the child page's parts are), so the core lists a chair's late
papers or an approver's shares without importing the apps that own them (docs/adr/0011-layers.md).

A source is `(user) -> list[Feed]`: each feed is one queryset, scoped by the app's access.py, whose
rows each become exactly one `WorkItem`. That shape gives two promises at once:
- a fixed number of queries whatever the number of items: one per feed, plus the few bulk look-ups
  a feed's `prepare` makes once for all its rows (closure days, approvers), plus one to know which
  children the person may open;
- a navigation count equal to the list's length, cheaply: the count is the same feeds' querysets
  counted in SQL, in the one query that already counts the unread notices for the header
  (casework.context_processors), so no page pays a query for it; a page that has built the list
  (My work itself) counts the list.
`source_items(source, user)` gives any one source as the plain `(user) -> list[WorkItem]`.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from casework.access import children_visible_to, is_usable
from casework.models import Child, User

__all__ = [
    "MY_WORK_MODULES",
    "Feed",
    "WorkGroup",
    "WorkItem",
    "count_sql",
    "grouped",
    "is_overdue",
    "my_work_count",
    "my_work_for_request",
    "my_work_items",
    "registered_sources",
    "source_items",
    "work_source",
]

# The modules whose sources My work lists, in order. Each registers its sources when imported.
MY_WORK_MODULES = ("referrals.my_work", "panels.my_work", "funding.my_work", "pathways.my_work")


@dataclass(frozen=True)
class WorkItem:
    """One thing waiting for the person: what to do, for which child, by when, and where to do it.

    `kind` is a stable slug (the API's and the tests' name for it); `group` is the heading it is
    listed under; `child` is the child as the item's own scoped record shows it (None when the item
    is about no child); `child_url` is set only when the person may open the child's record;
    `waiting_for` names who the item waits on when the person can only follow it."""

    kind: str
    group: str
    title: str
    url: str
    child: Child | None = None
    due_on: dt.date | None = None
    overdue: bool = False
    waiting_for: str = ""
    detail: str = ""
    child_url: str = ""

    @property
    def sort_key(self) -> tuple:
        """Overdue first, then the soonest due, then those with no date; ties by title."""
        return (not self.overdue, self.due_on is None, self.due_on or dt.date.max, self.title, self.url)


def is_overdue(due_on: dt.date | None, today: dt.date) -> bool:
    return due_on is not None and due_on < today


@dataclass(frozen=True)
class Feed:
    """One scoped queryset whose every row is one item. `prepare(rows)` runs once for all the rows
    (a fixed number of queries) and returns what `item(row, prepared)` needs."""

    queryset: QuerySet
    item: Callable[[Any, Any], WorkItem]
    prepare: Callable[[list[Any]], Any] = field(default=lambda rows: None)


Source = Callable[[User], Sequence[Feed]]
_SOURCES: dict[str, Source] = {}


def work_source(func: Source) -> Source:
    """Register `func(user) -> list[Feed]` as a source of My work."""
    _SOURCES[f"{func.__module__}.{func.__name__}"] = func
    return func


def registered_sources() -> dict[str, Source]:
    for module in MY_WORK_MODULES:
        importlib.import_module(module)
    return dict(_SOURCES)


def _feeds(user: User) -> list[Feed]:
    if not is_usable(user):
        return []
    return [feed for source in registered_sources().values() for feed in source(user)]


def _items_of(feed: Feed) -> list[WorkItem]:
    rows = list(feed.queryset)
    prepared = feed.prepare(rows) if rows else None
    return [feed.item(row, prepared) for row in rows]


def source_items(source: Source, user: User) -> list[WorkItem]:
    """One source as `(user) -> list[WorkItem]`, sorted by urgency."""
    if not is_usable(user):
        return []
    return sorted((item for feed in source(user) for item in _items_of(feed)), key=lambda i: i.sort_key)


def my_work_items(*, user: User) -> list[WorkItem]:
    """Everything waiting for `user`, most urgent first. Each child is linked only when the person
    may open its record (one query for all of them): someone who sees a referral through a papers
    grant sees the child's name on the item, not a link to a page they cannot open."""
    items = [item for feed in _feeds(user) for item in _items_of(feed)]
    child_ids = {item.child.pk for item in items if item.child is not None}
    openable = (
        set(children_visible_to(user=user).filter(pk__in=child_ids).values_list("pk", flat=True))
        if child_ids
        else set()
    )
    linked = [
        _with_child_url(item) if item.child is not None and item.child.pk in openable else item
        for item in items
    ]
    return sorted(linked, key=lambda i: i.sort_key)


def _with_child_url(item: WorkItem) -> WorkItem:
    from dataclasses import replace

    assert item.child is not None
    return replace(item, child_url=reverse("children:detail", args=[item.child.pk]))


def my_work_for_request(request) -> list[WorkItem]:
    """The signed-in person's list, built once per request (the page and its navigation share it)."""
    cached = getattr(request, "_my_work_items", None)
    if cached is None:
        cached = my_work_items(user=request.user)
        request._my_work_items = cached
    return cached


def count_sql(*, user: User) -> tuple[str, list[Any]]:
    """SQL (and its parameters) for the number of items My work lists for `user`: the feeds'
    querysets counted as they are, so the count is the list's length by construction."""
    parts: list[str] = []
    params: list[Any] = []
    for n, feed in enumerate(_feeds(user)):
        try:
            sql, feed_params = feed.queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS my_work_{n})")  # noqa: S608 - our querysets' SQL
        params.extend(feed_params)
    return (" + ".join(parts) or "0"), params


def my_work_count(*, user: User) -> int:
    """The length of the person's list in one query (none when no source has a feed for them)."""
    sql, params = count_sql(user=user)
    if not params and sql == "0":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)  # noqa: S608 - built from our querysets' own SQL
        return int(cursor.fetchone()[0])


@dataclass(frozen=True)
class WorkGroup:
    heading: str
    items: list[WorkItem]

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)


def grouped(items: Iterable[WorkItem]) -> list[WorkGroup]:
    """The items under their headings; the group with the most urgent item comes first, and each
    group keeps the urgency order."""
    groups: dict[str, list[WorkItem]] = {}
    for item in sorted(items, key=lambda i: i.sort_key):
        groups.setdefault(item.group, []).append(item)
    return [WorkGroup(heading, rows) for heading, rows in groups.items()]


def today() -> dt.date:
    return timezone.localdate()
