"""Reads for panels and meetings (meeting_deadlines is the models' own, re-exported here: referrals needs
it too, docs/adr/0011-layers.md)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone

from casework.access import agency_of
from casework.models import Agency, User
from panels import access
from panels.models import (
    ClosureDay,
    Meeting,
    MeetingDeadlines,
    MeetingStatus,
    Membership,
    Panel,
    meeting_deadlines,
)

__all__ = [
    "MeetingDeadlines",
    "all_panels",
    "closures_by_panel",
    "host_agency_choices",
    "meeting_as_saved",
    "meeting_deadlines",
    "meetings_to_submit_to",
    "open_seats",
    "panel_closure_days",
    "panel_seats",
    "panels_by_name",
    "panels_with_next_meeting",
    "quorum_agencies",
    "seatable_people",
    "upcoming_meetings",
    "upcoming_meetings_for",
]


def panel_seats(*, panel: Panel) -> QuerySet[Membership]:
    """Every seat on the panel, current ones first, with person, agency and whom a deputy sits for."""
    return (
        Membership.objects.filter(panel=panel)
        .select_related("person", "agency", "deputy_for__person")
        .order_by(F("ends_on").desc(nulls_first=True), "role", "person__full_name", "pk")
    )


def quorum_agencies(*, panel: Panel) -> list[Agency]:
    """The agencies whose members the panel's quorum counts, by name."""
    return list(panel.quorum_agencies.order_by("name"))


def open_seats(*, panel: Panel) -> QuerySet[Membership]:
    """The seats on the panel with no end date, with their person, by name."""
    return (
        Membership.objects.filter(panel=panel, ends_on__isnull=True)
        .select_related("person")
        .order_by("person__full_name")
    )


def seatable_people(*, panel: Panel, other_than: User | None = None) -> QuerySet[User]:
    """People who may be given a seat: active people (not service accounts) of the partnership
    (`other_than`: someone who may not seat themselves)."""
    people = User.objects.filter(
        agency__partnership=panel.partnership, is_active=True, is_service_account=False
    ).select_related("agency")
    if other_than is not None:
        people = people.exclude(pk=other_than.pk)
    return people.order_by("full_name", "email")


def panels_with_next_meeting(*, user: User, today: dt.date) -> QuerySet[Panel]:
    """The panels this person can see, by name, each with `next_meeting`: the date of its next
    scheduled meeting from `today` (None for none)."""
    return (
        access.panels_visible_to(user=user)
        .annotate(
            next_meeting=Min(
                "meetings__date",
                filter=Q(meetings__date__gte=today, meetings__status=MeetingStatus.SCHEDULED),
            )
        )
        .order_by("name")
    )


def all_panels() -> QuerySet[Panel]:
    """Every panel, for an API field naming a panel by id (which one fits is the service's rule)."""
    return Panel.objects.all()


def panels_by_name(*, user: User) -> QuerySet[Panel]:
    """The panels this person can see, by name (a list's filter)."""
    return access.panels_visible_to(user=user).order_by("name")


def host_agency_choices(*, user: User) -> QuerySet[Agency]:
    """The agencies of the person's partnership, by name, that may host a new panel."""
    return Agency.objects.filter(partnership=agency_of(user).partnership).order_by("name")


def panel_closure_days(*, panel: Panel) -> list[ClosureDay]:
    return list(panel.closure_days.all())


def closures_by_panel(*, panel_ids: set[int]) -> dict[int, frozenset[dt.date]]:
    """The closure days of each of these panels (one query; none for no panels)."""
    days: dict[int, set[dt.date]] = defaultdict(set)
    if panel_ids:
        for panel_id, day in ClosureDay.objects.filter(panel_id__in=panel_ids).values_list("panel_id", "day"):
            days[panel_id].add(day)
    return {panel_id: frozenset(days[panel_id]) for panel_id in panel_ids}


def upcoming_meetings_for(*, user: User, panel: Panel | None = None) -> QuerySet[Meeting]:
    """Meetings from today of the panels this person can see (or of one of them), soonest first,
    each with its panel (scoped by panels.access)."""
    meetings = (
        access.meetings_visible_to(user=user)
        .filter(date__gte=timezone.localdate())
        .select_related("panel")
        .order_by("date", "starts_at", "pk")
    )
    return meetings if panel is None else meetings.filter(panel=panel)


def meeting_as_saved(*, meeting: Meeting) -> Meeting:
    """The meeting as it is in the database now (someone may have changed it since it was read)."""
    return Meeting.objects.get(pk=meeting.pk)


def upcoming_meetings(*, panel: Panel, today: dt.date | None = None) -> QuerySet[Meeting]:
    today = today or timezone.localdate()
    return Meeting.objects.filter(panel=panel, date__gte=today, status=MeetingStatus.SCHEDULED).order_by(
        "date"
    )


def meetings_to_submit_to(*, panel: Panel, other_than: int | None = None) -> QuerySet[Meeting]:
    """The panel's scheduled meetings from today, each with its panel: where a referral may be
    submitted, or moved to (`other_than`: the meeting it is moved from)."""
    meetings = upcoming_meetings(panel=panel).select_related("panel")
    return meetings.exclude(pk=other_than) if other_than else meetings
