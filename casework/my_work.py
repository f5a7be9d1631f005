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
  (casework.context_processors), so no page pays a query for it; My work itself adds up the
  numbers its feeds gave it.
`source_items(source, user)` gives any one source as the plain `(user) -> list[WorkItem]`.

The page lists the first GROUP_SHOWN items of each group with the group's number, and a page per
group lists the rest (`my_work_page`, `my_work_group`): each feed is read once, ordered by its
`urgency` in SQL and cut to what is shown, with its number of rows in the same query (a window
COUNT), so the page builds tens of items, not the hundreds a busy person has (bench/README.md, My
work). A feed's `urgency` is the date its due date is counted from, so within one panel's settings
its first rows are its most urgent; the rows shown are then sorted by their real due dates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.signals import setting_changed
from django.db import connection
from django.db.models import CharField, Count, F, IntegerField, QuerySet, Value, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from casework.access import children_visible_to, is_usable
from casework.models import Child, User

__all__ = [
    "GROUP_SHOWN",
    "MY_WORK_MODULES",
    "Feed",
    "MyWork",
    "WorkGroup",
    "WorkItem",
    "count_sql",
    "group_headings",
    "grouped",
    "is_overdue",
    "my_work_count",
    "my_work_for_request",
    "my_work_group",
    "my_work_items",
    "my_work_list",
    "my_work_page",
    "known",
    "person_facts",
    "team_facts",
    "team_items",
    "registered_sources",
    "source_items",
    "work_source",
]

logger = logging.getLogger(__name__)

# The modules whose sources My work lists, in order. Each registers its sources when imported.
MY_WORK_MODULES = ("referrals.my_work", "panels.my_work", "funding.my_work", "pathways.my_work")

# How many items of each group the My work page lists; "See all" lists the whole group, a page at a
# time of GROUP_PAGE_SIZE.
GROUP_SHOWN = 10
GROUP_PAGE_SIZE = 25


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
        return (*self.urgency, self.title, self.url)

    @property
    def urgency(self) -> tuple:
        """Overdue first, then the soonest due, then those with no date (the page's groups keep the
        feeds' SQL order for ties, so My work and "See all" list a group's first items alike)."""
        return (not self.overdue, self.due_on is None, self.due_on or dt.date.max)


def is_overdue(due_on: dt.date | None, today: dt.date) -> bool:
    return due_on is not None and due_on < today


@dataclass(frozen=True)
class Feed:
    """One scoped queryset whose every row is one item. `prepare(rows)` runs once for all the rows
    (a fixed number of queries) and returns what `item(row, prepared)` needs.

    `group`: the heading every one of its items is listed under, or an SQL expression giving each
    row's heading (a Case over the row, for a feed whose items fall under more than one; it must
    agree with the items' own `group`); `urgency`: the SQL order that puts its most urgent rows
    first (the date its due date is counted from, rows with none last), so a page that shows a
    feed's first rows reads only those."""

    queryset: QuerySet
    item: Callable[[Any, Any], WorkItem]
    prepare: Callable[[list[Any]], Any] = field(default=lambda rows: None)
    group: Any = ""  # str, or an expression giving each row's heading
    urgency: tuple[Any, ...] = ()


Source = Callable[[User], Sequence[Feed]]
_SOURCES: dict[str, Source] = {}


def work_source(func: Source) -> Source:
    """Register `func(user) -> list[Feed]` as a source of My work."""
    _SOURCES[f"{func.__module__}.{func.__name__}"] = func
    forget_count_sql()
    return func


def registered_sources() -> dict[str, Source]:
    for module in MY_WORK_MODULES:
        importlib.import_module(module)
    return dict(_SOURCES)


# --- What a source may know of a person beyond their own fields -----------------------------------
# A source leaves out the feeds a person cannot have. Their roles say so without a query; their panel
# seats take one, read once for everyone being listed (the team view: one query for the team) by the
# loaders registered with `@person_facts`. The header's count builds its SQL from the person and the
# clock alone (count_sql), so it loads none: `known` then answers None and the source keeps every
# feed, whose SQL reads the seats itself (the same items either way: a left-out feed has no rows).
PersonFacts = Callable[[Sequence[User]], dict[int, Any]]
_FACT_LOADERS: list[PersonFacts] = []
# Loaded for the team view only: which of the people have any rows a feed starts from (referrals
# they wrote, cases they work), one query each for the whole team, so that the feeds of people with
# none are not built (a page for one person asks the feed itself instead).
_TEAM_FACT_LOADERS: list[PersonFacts] = []
_KNOWN: ContextVar[dict[tuple[Any, int], Any] | None] = ContextVar("my_work_known", default=None)


def person_facts(func: PersonFacts) -> PersonFacts:
    """Register `func(people) -> {person pk: fact}`: one query for all the people; every person
    given must have a fact in the answer."""
    _FACT_LOADERS.append(func)
    return func


def team_facts(func: PersonFacts) -> PersonFacts:
    """Register `func(people) -> {person pk: fact}` for the team view (see _TEAM_FACT_LOADERS)."""
    _TEAM_FACT_LOADERS.append(func)
    return func


def known(user: User, loader: PersonFacts) -> Any | None:
    """The fact `loader` gave for `user` in this read, or None when it was not loaded."""
    facts = _KNOWN.get()
    return None if facts is None else facts.get((loader, user.pk))


@contextmanager
def _knowing(people: Sequence[User], *, team: bool = False) -> Iterator[None]:
    registered_sources()
    usable = [person for person in people if is_usable(person)]
    facts: dict[tuple[Any, int], Any] = {}
    if usable:
        for loader in [*_FACT_LOADERS, *(_TEAM_FACT_LOADERS if team else [])]:
            facts.update({(loader, pk): fact for pk, fact in loader(usable).items()})
    token = _KNOWN.set(facts)
    try:
        yield
    finally:
        _KNOWN.reset(token)


def _feeds(user: User) -> list[Feed]:
    if not is_usable(user):
        return []
    return [feed for source in registered_sources().values() for feed in source(user)]


def _known_feeds(user: User) -> list[Feed]:
    """The person's feeds, those they cannot have left out (their facts read: one query each)."""
    if not is_usable(user):
        return []
    with _knowing([user]):
        return _feeds(user)


def _items_of(feed: Feed) -> list[WorkItem]:
    rows = list(feed.queryset)
    prepared = feed.prepare(rows) if rows else None
    return [feed.item(row, prepared) for row in rows]


def _first_items_of(feed: Feed, limit: int) -> dict[str, tuple[list[WorkItem], int]]:
    """Per heading, the feed's `limit` most urgent items and its number of rows, in one query: the
    rows ordered by the feed's urgency and cut in SQL, each carrying its count before the cut (a
    window COUNT; a feed whose rows fall under more than one heading ranks and counts each heading's
    rows apart, PARTITION BY its `group` expression)."""
    order = [*feed.urgency, F("pk").asc()]
    if isinstance(feed.group, str):
        ordered = feed.queryset.annotate(
            my_work_group=Value(feed.group, output_field=CharField()),
            my_work_total=Window(expression=Count("pk")),
        ).order_by(*order)[:limit]
    else:
        ordered = (
            feed.queryset.annotate(
                my_work_group=feed.group,
                my_work_rank=Window(expression=RowNumber(), partition_by=[feed.group], order_by=order),
                my_work_total=Window(expression=Count("pk"), partition_by=[feed.group]),
            )
            .filter(my_work_rank__lte=limit)
            .order_by()
        )
    rows = list(ordered)
    if not isinstance(feed.group, str):
        rows.sort(key=lambda row: row.my_work_rank)
    if not rows:
        return {}
    prepared = feed.prepare(rows)
    found: dict[str, tuple[list[WorkItem], int]] = {}
    for row in rows:
        items, _total = found.get(row.my_work_group, ([], 0))
        found[row.my_work_group] = ([*items, feed.item(row, prepared)], int(row.my_work_total))
    return found


def source_items(source: Source, user: User) -> list[WorkItem]:
    """One source as `(user) -> list[WorkItem]`, sorted by urgency."""
    if not is_usable(user):
        return []
    return sorted((item for feed in source(user) for item in _items_of(feed)), key=lambda i: i.sort_key)


def my_work_items(*, user: User) -> list[WorkItem]:
    """Everything waiting for `user`, most urgent first. Each child is linked only when the person
    may open its record (one query for all of them): someone who sees a referral through a papers
    grant sees the child's name on the item, not a link to a page they cannot open."""
    items = [item for feed in _known_feeds(user) for item in _items_of(feed)]
    return sorted(_linked(items, user), key=lambda i: i.sort_key)


def _linked(items: list[WorkItem], user: User) -> list[WorkItem]:
    """The items, each child linked when the person may open its record (one query for all)."""
    child_ids = {item.child.pk for item in items if item.child is not None}
    openable = (
        set(children_visible_to(user=user).filter(pk__in=child_ids).values_list("pk", flat=True))
        if child_ids
        else set()
    )
    return [
        _with_child_url(item) if item.child is not None and item.child.pk in openable else item
        for item in items
    ]


def _with_child_url(item: WorkItem) -> WorkItem:
    from dataclasses import replace

    assert item.child is not None
    return replace(item, child_url=reverse("children:detail", args=[item.child.pk]))


def _shape(feed: Feed) -> tuple:
    """What a feed's rows look like in SQL (its model, joined tables and extra columns): feeds of
    the same shape can be read in one statement, UNION ALL."""
    query = feed.queryset.query
    return (
        feed.queryset.model,
        tuple(query.annotation_select),
        repr(query.select_related),
        bool(query.group_by),
    )


def team_items(*, people: Sequence[User]) -> dict[int, list[WorkItem]]:
    """Each person's whole My work list, most urgent first, for many people at once (the team view):
    every person's feeds are built as their own My work builds them (their access, their roles),
    and the feeds of one shape are read for everyone in one statement, UNION ALL, each row tagged
    with its person's feed; each `prepare` runs once for all the rows that need it. Queries: one per
    shape of feed and one per bulk look-up, whatever the number of people and items. Children are
    not linked: the caller decides what the reader may open."""
    with _knowing(people, team=True):
        pairs = [(person, feed) for person in people if is_usable(person) for feed in _feeds(person)]
    shapes: dict[tuple, list[int]] = {}
    for n, (_person, feed) in enumerate(pairs):
        shapes.setdefault(_shape(feed), []).append(n)
    found: dict[int, list[WorkItem]] = {person.pk: [] for person in people}
    for numbers in shapes.values():
        parts = [
            pairs[n][1].queryset.annotate(my_work_feed=Value(n, output_field=IntegerField())).order_by()
            for n in numbers
        ]
        rows = list(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])
        prepared: dict[Any, Any] = {}
        for prepare in {pairs[row.my_work_feed][1].prepare for row in rows}:
            prepared[prepare] = prepare(
                [row for row in rows if pairs[row.my_work_feed][1].prepare is prepare]
            )
        for row in rows:
            person, feed = pairs[row.my_work_feed]
            found[person.pk].append(feed.item(row, prepared[feed.prepare]))
    return {pk: sorted(items, key=lambda i: i.sort_key) for pk, items in found.items()}


def my_work_for_request(request) -> MyWork:
    """The signed-in person's My work page, built once per request (the page and its navigation
    share it: the header counts `_my_work_count`, the groups' numbers added up)."""
    cached = getattr(request, "_my_work", None)
    if cached is None:
        cached = my_work_page(user=request.user)
        request._my_work = cached
        request._my_work_count = cached.count
    return cached


# Building every feed's queryset costs tens of milliseconds of Python, and the header's count does it
# on every page. The SQL depends only on who is asking (their own fields: roles, agency, active) and
# on the clock, never on other rows (tests/casework/test_my_work_count_sql.py holds sources to that),
# so a person's SQL is kept for the current minute: in the process, and in the Django cache (Redis in
# production) so that every worker of every machine builds it once a minute, not each worker (under
# several workers 63% of pages built it again: bench/README.md, the load test). The SQL is run afresh
# each time, so the count follows every change to the rows, whoever made it; a deadline passing
# within the minute counts up to a minute late.
_COUNT_SQL: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}
_COUNT_SQL_KEPT = 4096
_SKIPPED_USER_FIELDS = {"password", "last_login"}
# Kept in the shared cache a little over the minute it is for.
_COUNT_SQL_SHARED_SECONDS = 90
# Changed by forget_count_sql, so a process that forgets (a setting changed in a test, a source
# registered) stops reading what it kept in the shared cache before.
_generation = 0


def _person_and_minute(user: User) -> tuple[Any, ...]:
    now = timezone.now()
    fields = repr(  # roles are a list: the repr makes the person's fields one hashable key
        [getattr(user, f.attname) for f in User._meta.concrete_fields if f.name not in _SKIPPED_USER_FIELDS]
    )
    return (fields, timezone.localdate(now), now.replace(second=0, microsecond=0))


def forget_count_sql(**_signal: Any) -> None:
    """Drop every kept SQL text: a setting changed (tests) or a source was registered."""
    global _generation
    _COUNT_SQL.clear()
    _generation += 1


_CODE_VERSION: list[str] = []


def _code_version() -> str:
    """The sources' modules' code, as a short digest (read once a process): a release that changes
    a feed never reads the SQL an older release kept in the shared cache."""
    if not _CODE_VERSION:
        digest = hashlib.sha256()
        for name in (__name__, *MY_WORK_MODULES):
            module = importlib.import_module(name)
            digest.update(name.encode())
            digest.update(Path(module.__file__ or "").read_bytes() if module.__file__ else b"")
        _CODE_VERSION.append(digest.hexdigest()[:16])
    return _CODE_VERSION[0]


def _shared_key(key: tuple[Any, ...]) -> str:
    text = repr((_code_version(), _generation, key))
    return "my_work:count_sql:" + hashlib.sha256(text.encode()).hexdigest()


setting_changed.connect(forget_count_sql)


def count_sql(*, user: User) -> tuple[str, list[Any]]:
    """SQL (and its parameters) for the number of items My work lists for `user`: the feeds'
    querysets counted as they are, so the count is the list's length by construction."""
    key = _person_and_minute(user)
    kept = _COUNT_SQL.get(key)
    if kept is None:
        if len(_COUNT_SQL) >= _COUNT_SQL_KEPT:
            _COUNT_SQL.clear()
        kept = _COUNT_SQL[key] = _shared_count_sql(user, key)
    return kept[0], list(kept[1])


def _shared_count_sql(user: User, key: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """The SQL from the shared cache, else built and put there; a cache that does not answer (Redis
    down) costs the build, never the page."""
    shared = _shared_key(key)
    try:
        kept = cache.get(shared)
    except Exception:  # noqa: BLE001 - any cache failure: build it here
        logger.warning("My work: the cache did not answer; the count's SQL is built here", exc_info=True)
        return _build_count_sql(user)
    if kept is None:
        kept = _build_count_sql(user)
        try:
            cache.set(shared, kept, _COUNT_SQL_SHARED_SECONDS)
        except Exception:  # noqa: BLE001
            logger.warning("My work: the cache did not keep the count's SQL", exc_info=True)
    return kept


def _build_count_sql(user: User) -> tuple[str, list[Any]]:
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
    """A heading's items: all of them (`grouped`), or the first few with the number there are
    (`my_work_page`). `overdue` counts the overdue items listed; since the overdue come first, that is
    every overdue item of the group unless all those listed are overdue and more are not listed
    (`overdue_exact` False: "at least")."""

    heading: str
    items: list[WorkItem]
    total: int | None = None

    @property
    def count(self) -> int:
        return len(self.items) if self.total is None else self.total

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)

    @property
    def overdue_exact(self) -> bool:
        return self.count == len(self.items) or self.overdue < len(self.items)

    @property
    def more(self) -> bool:
        return self.count > len(self.items)

    @property
    def slug(self) -> str:
        return slugify(self.heading)


def grouped(items: Iterable[WorkItem]) -> list[WorkGroup]:
    """The items under their headings; the group with the most urgent item comes first, and each
    group keeps the urgency order."""
    groups: dict[str, list[WorkItem]] = {}
    for item in sorted(items, key=lambda i: i.sort_key):
        groups.setdefault(item.group, []).append(item)
    return [WorkGroup(heading, rows) for heading, rows in groups.items()]


@dataclass(frozen=True)
class MyWork:
    """The My work page: each group's first items and number; `count` is the whole list's length
    (the navigation's count), `overdue` the overdue items counted by each group (`overdue_exact`
    False when some group has more overdue items than it lists)."""

    groups: list[WorkGroup]

    @property
    def count(self) -> int:
        return sum(group.count for group in self.groups)

    @property
    def items(self) -> list[WorkItem]:
        """The groups' items, most urgent first; equally urgent ones in their groups' order (a stable
        sort, as within a group), so a page of the API is the same cut of the list whatever the page
        before it read."""
        return sorted((item for group in self.groups for item in group.items), key=lambda i: i.urgency)

    @property
    def overdue(self) -> int:
        return sum(group.overdue for group in self.groups)

    @property
    def overdue_exact(self) -> bool:
        return all(group.overdue_exact for group in self.groups)


def _first_of_groups(feeds: Iterable[Feed], user: User, limit: int) -> dict[str, tuple[list[WorkItem], int]]:
    """Per heading: its `limit` most urgent items (each feed's first `limit`, merged and cut again:
    a group's first items are among its feeds' first) and its number of items."""
    by_group: dict[str, tuple[list[WorkItem], int]] = {}
    for feed in feeds:
        for heading, (items, total) in _first_items_of(feed, limit).items():
            listed, counted = by_group.get(heading, ([], 0))
            by_group[heading] = (listed + items, counted + total)
    # A stable sort: ties keep the feeds' order and each feed's SQL order (its urgency, then its id).
    shown = {
        heading: sorted(items, key=lambda i: i.urgency)[:limit] for heading, (items, _n) in by_group.items()
    }
    linked = iter(_linked([item for items in shown.values() for item in items], user))
    return {
        heading: ([next(linked) for _ in items], by_group[heading][1]) for heading, items in shown.items()
    }


def my_work_page(*, user: User, shown: int = GROUP_SHOWN) -> MyWork:
    """The My work page for `user`: the first `shown` items of each group and each group's number,
    in one query per feed (plus each feed's bulk look-ups and one for the children the person may
    open), whatever the number of items. The group with the most urgent item comes first."""
    groups = [
        WorkGroup(heading, items, total)
        for heading, (items, total) in _first_of_groups(_known_feeds(user), user, shown).items()
    ]
    return MyWork(groups=sorted(groups, key=lambda g: g.items[0].urgency))


def my_work_list(*, user: User, page: int, per_page: int) -> tuple[MyWork, list[WorkItem]]:
    """Page `page` (from 1) of the person's whole list, most urgent first (the API): every group
    read to the end of that page (its first page × per_page items, as "See all" reads one group),
    merged and cut. The MyWork gives the whole list's count, and the overdue items among those read
    (`overdue_exact` False when a group has more overdue items than were read). Queries: as
    my_work_page, whatever the page and the number of items."""
    work = my_work_page(user=user, shown=page * per_page)
    return work, work.items[(page - 1) * per_page : page * per_page]


def group_headings() -> dict[str, str]:
    """Every heading My work lists under, by its slug (the "See all" page's address): the GROUP_
    names of the sources' modules."""
    registered_sources()
    headings: dict[str, str] = {}
    for name in MY_WORK_MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("GROUP_") and isinstance(value, str):
                headings[slugify(value)] = value
    return headings


def my_work_group(*, user: User, heading: str, page: int, per_page: int = GROUP_PAGE_SIZE) -> WorkGroup:
    """Page `page` (from 1) of one group of the person's list, most urgent first: the group's feeds
    read to the end of that page (each feed's first page × per_page rows), merged, and cut."""
    feeds = [feed for feed in _known_feeds(user) if feed.group == heading or not isinstance(feed.group, str)]
    items, total = _first_of_groups(feeds, user, page * per_page).get(heading, ([], 0))
    return WorkGroup(heading, items[(page - 1) * per_page :], total)


def today() -> dt.date:
    return timezone.localdate()
