"""Reads the pages and API need, with their query shapes. Always scoped through access.py."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Model, OuterRef, Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast, JSONObject, Upper
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework import access
from casework.auth import normalise_email
from casework.child_page import child_page_context
from casework.models import (
    AccessRequest,
    AccessRequestStatus,
    Agency,
    ApiToken,
    AuditEvent,
    CetrRecord,
    Child,
    Involvement,
    Notification,
    ParentCarer,
    User,
)
from casework.nhs import normalise_nhs_number
from casework.paging import MAX_GUESSED_PAGE
from casework.team import managed_people

_DATE_PATTERNS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y")
_CASE_NUMBER = re.compile(r"^(?=.*\d)[A-Za-z0-9/-]{3,30}$")
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class ChildSearch:
    """How a search box entry was understood, so the page can say what it searched for."""

    kind: str  # "all", "nhs_number", "date_of_birth", "case_number", "name"
    text: str


def parse_child_query(raw: str) -> ChildSearch:
    text = " ".join((raw or "").split())[:MAX_QUERY_LENGTH]
    if not text:
        return ChildSearch("all", "")
    digits = normalise_nhs_number(text)
    if digits.isascii() and digits.isdigit() and len(digits) == 10:
        return ChildSearch("nhs_number", digits)
    for pattern in _DATE_PATTERNS:
        try:
            day = dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
        return ChildSearch("date_of_birth", day.isoformat())
    if _CASE_NUMBER.match(text):
        return ChildSearch("case_number", text)
    return ChildSearch("name", text)


def child_search(*, user: User, query: str = "") -> tuple[QuerySet[Child], ChildSearch]:
    """Children the user may see matching the search box, in name order, ready for a list page.

    Every branch is served by an index (see Child.Meta.indexes): NHS number (unique), date of birth,
    case number (upper), name prefixes (upper, text_pattern_ops).
    """
    search = parse_child_query(query)
    children = access.children_visible_to(user=user)
    if search.kind == "nhs_number":
        children = children.filter(nhs_number=search.text)
    elif search.kind == "date_of_birth":
        children = children.filter(date_of_birth=search.text)
    elif search.kind == "case_number":
        children = children.filter(case_number__iexact=search.text)
    elif search.kind == "name":
        for token in search.text.split(" ")[:4]:
            children = children.filter(
                Q(family_name__istartswith=token)
                | Q(given_name__istartswith=token)
                | Q(preferred_name__istartswith=token)
            )
    children = children.select_related("allocated_social_worker", "allocated_team")
    if search.kind == "name":
        # No index gives this order, so the planner takes the prefix indexes and sorts the few
        # matches, instead of walking the whole name order hoping to meet 25 (bench/README.md).
        children = children.order_by(
            Upper(Cast("family_name", TextField())), Upper(Cast("given_name", TextField())), "id"
        )
    else:
        children = children.order_by("family_name", "given_name", "id")
    return children, search


def child_list_count(*, user: User, search: ChildSearch, children: QuerySet[Child]) -> int:
    """How many children the list holds: the unsearched list is counted from the involvement index
    alone (bench/README.md: 55-170 ms counting children, 8-12 ms counting ids)."""
    if search.kind == "all":
        return access.visible_child_ids(user=user).count()
    return children.count()


def child_detail(*, user: User, pk: object) -> Child:
    """One child with everything its page shows: the access check, the joins and the parents and
    carers (a JSON array on the child's row, laid out as `child.parents_carers.all()` answers after
    a prefetch) in one query, then one query for the involvements with their agencies."""

    def shape(children: QuerySet[Child]) -> QuerySet[Child]:
        return (
            children.select_related(
                "allocated_social_worker", "allocated_team", "owning_agency", "created_by"
            )
            .annotate(
                parents_carers_json=ArraySubquery(
                    ParentCarer.objects.filter(child=OuterRef("pk"))
                    .order_by("id")
                    .values(json=JSONObject(**{name: name for name in _PARENT_CARER_FIELDS}))
                )
            )
            .prefetch_related(
                Prefetch(
                    "involvements",
                    queryset=Involvement.objects.select_related("agency", "added_by").order_by(
                        "ended_on", "started_on"
                    ),
                ),
            )
        )

    child = access.get_child_for_user(user=user, pk=pk, shape=shape)
    people = [
        ParentCarer(child=child, **{name: row[name] for name in _PARENT_CARER_FIELDS})
        for row in child.parents_carers_json  # type: ignore[attr-defined]
    ]
    # As Django's prefetch_related leaves it (prefetch_one_level): the related manager answers
    # from this queryset's cache. Private attributes the stubs do not name.
    parents_carers = ParentCarer.objects.filter(child=child)
    parents_carers._result_cache = people
    parents_carers._prefetch_done = True  # type: ignore[attr-defined]
    child._prefetched_objects_cache = {  # type: ignore[attr-defined]
        **getattr(child, "_prefetched_objects_cache", {}),
        "parents_carers": parents_carers,
    }
    return child


_PARENT_CARER_FIELDS = ("id", "name", "relationship", "parental_responsibility", "phone", "email")


def child_history(*, child: Child, limit: int = 50) -> list[AuditEvent]:
    """Who changed this child, newest first. Only for access.can_read_history users."""
    return list(AuditEvent.objects.filter(child=child).select_related("actor", "actor__agency")[:limit])


@dataclass(frozen=True)
class ReadsOnADay:
    """How one person read a child's record on one day: opened it, or saw it in lists and searches."""

    person: str
    agency: str
    day: dt.date
    views: int
    searches: int
    lists: int

    @property
    def summary(self) -> str:
        parts = []
        if self.views:
            parts.append(f"viewed the record {_times(self.views)}")
        seen_in = []
        if self.searches:
            seen_in.append(f"{self.searches} search{'es' if self.searches != 1 else ''}")
        if self.lists:
            seen_in.append(f"{self.lists} list{'s' if self.lists != 1 else ''}")
        if seen_in:
            parts.append("saw it in " + " and ".join(seen_in))
        return " and ".join(parts)


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


# One row per person per day (Europe/London), from both logs. The record's own views are found by
# viewlog_child_at, its appearances in lists by the GIN index on child_ids (`@>`). Both statements
# share the same `reads`; they are spelled out whole so neither is built from pieces at run time.
_READS_COUNT_SQL = """
    WITH reads AS (
        SELECT user_id, (at AT TIME ZONE %(tz)s)::date AS day
        FROM casework_childviewlog WHERE child_id = %(child)s
        UNION ALL
        SELECT user_id, (at AT TIME ZONE %(tz)s)::date
        FROM casework_childlistviewlog WHERE child_ids @> ARRAY[%(child)s]::bigint[]
    )
    SELECT count(*) FROM (SELECT 1 FROM reads GROUP BY user_id, day) AS groups
"""
_READS_PAGE_SQL = """
    WITH reads AS (
        SELECT user_id, (at AT TIME ZONE %(tz)s)::date AS day, 1 AS views, 0 AS searches, 0 AS lists
        FROM casework_childviewlog WHERE child_id = %(child)s
        UNION ALL
        SELECT user_id, (at AT TIME ZONE %(tz)s)::date, 0, (query <> '')::int, (query = '')::int
        FROM casework_childlistviewlog WHERE child_ids @> ARRAY[%(child)s]::bigint[]
    )
    SELECT person.full_name, coalesce(agency.name, ''), grouped.day, grouped.views, grouped.searches,
           grouped.lists, count(*) OVER () AS groups
    FROM (
        SELECT user_id, day, sum(views) AS views, sum(searches) AS searches, sum(lists) AS lists
        FROM reads GROUP BY user_id, day
    ) AS grouped
    JOIN casework_user AS person ON person.id = grouped.user_id
    LEFT JOIN casework_agency AS agency ON agency.id = person.agency_id
    ORDER BY grouped.day DESC, person.full_name, grouped.user_id
    LIMIT %(limit)s OFFSET %(offset)s
"""


class ChildReads:
    """A child's reads grouped per person per day, newest day first, as a sequence a Paginator can
    page. Given the page a request asks for, the Paginator's count and that page come from one
    query (the page with `count(*) OVER ()`, the groups counted before LIMIT); the count alone is
    asked for only when that page is empty (no reads, or a page past the last one)."""

    def __init__(self, *, child: Child, page_size: int | None = None, page: object = None):
        self.params: dict[str, int | str] = {"child": child.pk, "tz": settings.TIME_ZONE}
        self._asked: tuple[int, int] | None = None
        if page_size:
            try:
                number = max(int(str(page)), 1)
            except ValueError:
                number = 1
            # A page number past any real page (a bigint OFFSET can overflow) is left to the
            # Paginator, which counts first and never asks for it.
            if number <= MAX_GUESSED_PAGE:
                self._asked = ((number - 1) * page_size, number * page_size)
        self._rows: list[ReadsOnADay] | None = None
        self._total: int | None = None

    def _page(self, start: int, stop: int) -> tuple[list[ReadsOnADay], int | None]:
        with connection.cursor() as cursor:
            cursor.execute(_READS_PAGE_SQL, {**self.params, "limit": stop - start, "offset": start})
            rows = cursor.fetchall()
        return [ReadsOnADay(*row[:-1]) for row in rows], (rows[0][-1] if rows else None)

    def __len__(self) -> int:
        if self._total is None and self._asked is not None:
            self._rows, self._total = self._page(*self._asked)
        if self._total is None:
            with connection.cursor() as cursor:
                cursor.execute(_READS_COUNT_SQL, self.params)
                self._total = cursor.fetchone()[0]
        return self._total

    def count(self) -> int:
        return len(self)

    def __getitem__(self, window: slice) -> list[ReadsOnADay]:
        start, stop = window.start or 0, window.stop
        if self._total == 0:
            return []
        # The Paginator cuts the last page at the count: the page asked for is the same rows.
        if self._rows is not None and self._asked is not None and self._total is not None:
            if start == self._asked[0] and stop == min(self._asked[1], self._total):
                return self._rows
        return self._page(start, stop)[0]


@dataclass(frozen=True)
class MyWork:
    visible_children: int
    allocated_children: int
    pending_access_requests: int


def my_work(*, user: User) -> MyWork:
    children = access.children_visible_to(user=user)
    return MyWork(
        visible_children=access.visible_child_ids(user=user).count(),  # the involvement index alone
        allocated_children=children.filter(allocated_social_worker=user).count(),
        pending_access_requests=access.access_requests_for_decision(user=user)
        .filter(status=AccessRequestStatus.PENDING)
        .count(),
    )


def notifications_for(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


# --- A child's record: its parts, fetched on the child the caller was let into -------------------


def parent_carer_on(*, child: Child, pk: object) -> ParentCarer | None:
    """One of the child's parents or carers (None for an id that is not one of them)."""
    return ParentCarer.objects.filter(child=child, pk=access.record_id(pk)).first()


def involvement_on(*, child: Child, pk: object) -> Involvement | None:
    """One of the child's involvements, with its agency (named on the page that ends it)."""
    return Involvement.objects.select_related("agency").filter(child=child, pk=access.record_id(pk)).first()


def access_requests_to_decide(*, user: User) -> QuerySet[AccessRequest]:
    """The requests this person decides, pending first, newest first, with what the list shows."""
    return (
        access.access_requests_for_decision(user=user)
        .select_related("child", "requested_by", "requesting_agency", "decided_by")
        .order_by("status", "-created_at")
    )


def cetr_records_of(*, child: Child) -> list[CetrRecord]:
    """Every CETR and override recorded for the child, newest first (the model's order)."""
    return list(CetrRecord.objects.filter(child=child).select_related("overridden_by"))


def cetr_report_of(*, child: Child, pk: object) -> CetrRecord | None:
    """The child's CETR with this id, if a report is stored for it."""
    return (
        CetrRecord.objects.filter(child=child, pk=access.record_id(pk)).exclude(report_stored_name="").first()
    )


def cetr_referral(*, user: User, child: Child, pk: int) -> Model | None:
    """The child's referral with this id that the person may open (the child's page parts name the
    referrals: referrals.child_page), or None, also when no app adds referrals to the page."""
    referrals = child_page_context(user=user, child=child).get("referrals")
    return referrals.filter(pk=pk).first() if referrals is not None else None


# --- People and their own accounts -------------------------------------------------------------


def active_people() -> QuerySet[User]:
    """Anyone who may still sign in, for an API field naming a person by id (whether they may take
    the part is the service's rule)."""
    return User.objects.filter(is_active=True)


def all_agencies() -> QuerySet[Agency]:
    """Every agency, for an API field naming agencies by id (which may take part is the service's rule)."""
    return Agency.objects.all()


def people_of_my_agency(*, user: User | AnonymousUser | None) -> QuerySet[User]:
    """The people the users API lists: the caller's own agency, with their teams."""
    return access.users_visible_to(user=user).prefetch_related("teams")


def api_tokens_of(*, user: User) -> list[ApiToken]:
    """The person's own API tokens, with who revoked each."""
    return list(ApiToken.objects.filter(user=user).select_related("revoked_by"))


def authenticator_of(*, user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def password_reset_recipients(*, email: str) -> QuerySet[User]:
    """Who a "forgotten password" e-mail may go to: a person of an agency, active, with this
    address. People invited by their administrator have no password yet, so they may ask too;
    service accounts and platform operators never use this service's pages."""
    return User.objects.filter(
        email=normalise_email(email),
        is_active=True,
        is_service_account=False,
        is_staff=False,
        is_superuser=False,
        agency__isnull=False,
    )


# --- A manager's team (My work: your team) ------------------------------------------------------


def team_members(*, manager: User) -> QuerySet[User]:
    """Everyone the manager looks after (team.managed_people), with their agency."""
    return managed_people(user=manager).select_related("agency")


def people_to_give_work_to(*, manager: User | None, person: User | None = None) -> QuerySet[User]:
    """Whom a manager may give a person's work to: their active people, but the person."""
    people = managed_people(user=manager).filter(is_active=True)
    return people.exclude(pk=person.pk) if person is not None else people


def children_seen_among(*, user: User, child_ids: set[int]) -> set[int]:
    """Which of these children the person can see (none asked: no query)."""
    if not child_ids:
        return set()
    return set(access.children_visible_to(user=user).filter(pk__in=child_ids).values_list("pk", flat=True))
