"""Reminders about a panel's deadlines: circulation, decision letters, minutes, absent agencies'
responses, the action log and decisions' review dates.

Sources: seeds 002 (Joint Funding Panel terms of reference: papers circulated 5 working days before;
decision letters and minutes within 3 working days; an absent agency answers within 3 working days),
seeds 003 (the action log's due dates). Each number is the panel's setting. A deadline gets one
reminder on its day ("due") and one the working day after if still not done ("overdue").
Registered with casework.reminders and run by its sweep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse

from casework.models import Role, User
from casework.reminders import Due, sweep
from casework.working_days import add_working_days
from panels.models import (
    CHAIRING_ROLES,
    Action,
    ActionStatus,
    AgencyRecommendation,
    AgendaItem,
    ClosureDay,
    Decision,
    DecisionLetter,
    DecisionStatus,
    Meeting,
    MeetingStatus,
    MemberRole,
    Membership,
    Minutes,
    MinutesStatus,
    Panel,
    RecommendationStatus,
)
from panels.selectors import meeting_deadlines
from referrals.access import referrals_visible_to

# How far back a sweep looks for overdue work (older work has long been chased by then).
LOOK_BACK = dt.timedelta(days=60)

# Who answers a recommendation for their agency (as panels.services.decisions allows).
RESPONDER_ROLES = (Role.SERVICE_MANAGER, Role.FINANCE_APPROVER, Role.PANEL_MEMBER, Role.PANEL_CHAIR)


def administrators(panel: Panel) -> list[User]:
    """The people who run the panel: its chair, vice-chairs and administrators seated today, and
    the host agency's panel administrators."""
    seats = Membership.objects.current().filter(
        panel=panel, role__in=[*CHAIRING_ROLES, MemberRole.ADMINISTRATOR]
    )
    return list(
        User.objects.filter(
            Q(pk__in=seats.values("person_id"))
            | Q(agency_id=panel.host_agency_id, roles__contains=[Role.PANEL_ADMINISTRATOR]),
            is_active=True,
        )
    )


def administrators_by_panel(panels: Iterable[Panel]) -> dict[int, list[User]]:
    """administrators() of many panels in one query."""
    panels = list(panels)
    if not panels:
        return {}
    seats = {panel.pk: set() for panel in panels}
    for panel_id, person_id in (
        Membership.objects.current()
        .filter(panel_id__in=seats, role__in=[*CHAIRING_ROLES, MemberRole.ADMINISTRATOR])
        .values_list("panel_id", "person_id")
    ):
        seats[panel_id].add(person_id)
    hosts = {panel.host_agency_id for panel in panels}
    people = list(
        User.objects.filter(
            Q(pk__in={person for persons in seats.values() for person in persons})
            | Q(agency_id__in=hosts, roles__contains=[Role.PANEL_ADMINISTRATOR]),
            is_active=True,
        )
    )
    return {
        panel.pk: [
            p
            for p in people
            if p.pk in seats[panel.pk]
            or (p.agency_id == panel.host_agency_id and Role.PANEL_ADMINISTRATOR in (p.roles or []))
        ]
        for panel in panels
    }


def closures_by_panel(panel_ids: Iterable[int]) -> dict[int, frozenset[dt.date]]:
    """Each panel's closure days, for many panels in one query."""
    days: dict[int, set[dt.date]] = {pk: set() for pk in panel_ids}
    for panel_id, day in ClosureDay.objects.filter(panel_id__in=days).values_list("panel_id", "day"):
        days[panel_id].add(day)
    return {pk: frozenset(found) for pk, found in days.items()}


def _stage(today: dt.date, deadline: dt.date, closures: frozenset[dt.date]) -> str | None:
    if today == deadline:
        return "due"
    if today >= add_working_days(deadline, 1, closures):
        return "overdue"
    return None


def _closures(panel: Panel) -> frozenset[dt.date]:
    return frozenset(panel.closure_days.values_list("day", flat=True))


@sweep
def circulation_due(today: dt.date) -> Iterator[Due]:
    """Administrators, on the day a meeting's papers are due to be circulated and after it."""
    meetings = Meeting.objects.filter(
        status=MeetingStatus.SCHEDULED, circulated_at__isnull=True, date__gte=today, panel__is_active=True
    ).select_related("panel")
    for meeting in meetings:
        closures = _closures(meeting.panel)
        deadline = meeting_deadlines(meeting, closures).circulation
        stage = _stage(today, deadline, closures)
        if stage is None:
            continue
        yield Due(
            kind=f"circulation_{stage}",
            subject_key=f"meeting:{meeting.pk}",
            due_on=deadline,
            users=administrators(meeting.panel),
            subject=f"Papers for {meeting} {'are due to be' if stage == 'due' else 'were due to be'} "
            f"circulated on {deadline:%-d %B}",
            url=reverse("panels:meeting", args=[meeting.pk]),
        )


def _held_meetings(today: dt.date):
    return Meeting.objects.filter(
        status__in=[MeetingStatus.SCHEDULED, MeetingStatus.HELD],
        date__lt=today,
        date__gte=today - LOOK_BACK,
        panel__is_active=True,
    ).select_related("panel")


def _after_meeting(today: dt.date, meetings, *, kind: str, what: str, deadline_of) -> Iterator[Due]:
    """Administrators, on the day a held meeting's `what` is due and once it is overdue."""
    for meeting in meetings:
        closures = _closures(meeting.panel)
        deadline = deadline_of(meeting_deadlines(meeting, closures))
        stage = _stage(today, deadline, closures)
        if stage is None:
            continue
        yield Due(
            kind=f"{kind}_{stage}",
            subject_key=f"meeting:{meeting.pk}",
            due_on=deadline,
            users=administrators(meeting.panel),
            subject=f"{what} for {meeting} {'are due' if stage == 'due' else 'are overdue'}: "
            f"due {deadline:%-d %B}",
            url=reverse("panels:meeting", args=[meeting.pk]),
        )


@sweep
def decision_letters_due(today: dt.date) -> Iterator[Due]:
    """While signed decisions of a meeting have no letter sent (seeds 002 section 4)."""
    sent = DecisionLetter.objects.filter(decision=OuterRef("pk"), sent_at__isnull=False)
    unsent = Decision.objects.filter(
        agenda_item__meeting=OuterRef("pk"), status=DecisionStatus.SIGNED, referral__isnull=False
    ).filter(~Exists(sent))
    yield from _after_meeting(
        today,
        _held_meetings(today).filter(Exists(unsent)),
        kind="decision_letters",
        what="Decision letters",
        deadline_of=lambda deadlines: deadlines.decision_letters_due,
    )


@sweep
def minutes_due(today: dt.date) -> Iterator[Due]:
    """While a held meeting's minutes are not circulated (seeds 002: within N working days)."""
    circulated = Minutes.objects.filter(meeting=OuterRef("pk"), status=MinutesStatus.CIRCULATED)
    had_business = AgendaItem.objects.filter(meeting=OuterRef("pk"))
    yield from _after_meeting(
        today,
        _held_meetings(today).filter(Exists(had_business)).filter(~Exists(circulated)),
        kind="minutes",
        what="Minutes",
        deadline_of=lambda deadlines: deadlines.minutes_due,
    )


@sweep
def recommendations_due(today: dt.date) -> Iterator[Due]:
    """The absent agency's responders, while a recommendation to it awaits an answer (seeds 002)."""
    awaiting = AgencyRecommendation.objects.filter(
        status=RecommendationStatus.AWAITING, due_on__lte=today, due_on__gte=today - LOOK_BACK
    ).select_related("decision__agenda_item__meeting__panel", "agency")
    for recommendation in awaiting:
        panel = recommendation.decision.agenda_item.meeting.panel
        stage = _stage(today, recommendation.due_on, _closures(panel))
        if stage is None:
            continue
        responders = User.objects.filter(
            agency=recommendation.agency, is_active=True, roles__overlap=list(RESPONDER_ROLES)
        )
        people = list(responders) + (administrators(panel) if stage == "overdue" else [])
        yield Due(
            kind=f"recommendation_{stage}",
            subject_key=f"recommendation:{recommendation.pk}",
            due_on=recommendation.due_on,
            users=people,
            subject=f"{panel.name} needs {recommendation.agency.name}'s answer to a recommendation"
            f"{'' if stage == 'due' else ': overdue'}",
            body=f"The answer is due on {recommendation.due_on:%-d %B %Y}.",
            url=reverse("panels:recommendations"),
        )


@sweep
def actions_due(today: dt.date) -> Iterator[Due]:
    """Owners of an open action on its due date; owners and administrators once it is overdue."""
    actions = (
        Action.objects.filter(status=ActionStatus.OPEN, due_on__lte=today, due_on__gte=today - LOOK_BACK)
        .select_related("panel")
        .prefetch_related("owners")
    )
    actions = list(actions)
    panels = {action.panel_id: action.panel for action in actions}
    closures = closures_by_panel(panels)
    admins = administrators_by_panel(panels.values())
    for action in actions:
        stage = _stage(today, action.due_on, closures[action.panel_id])
        if stage is None:
            continue
        people = list(action.owners.all()) + (admins[action.panel_id] if stage == "overdue" else [])
        yield Due(
            kind=f"action_{stage}",
            subject_key=f"action:{action.pk}",
            due_on=action.due_on,
            users=people,
            subject=f"{action.panel.name} action {action.number} "
            f"{'is due today' if stage == 'due' else 'is overdue'}",
            url=reverse("panels:action", args=[action.pk]),
        )


def longest_review_notice() -> int:
    """The most days before a review date any panel reminds (review_reminder_days), so a sweep reads
    only the reviews that may be due, not every future one (bench/reminders.py)."""
    default = Panel._meta.get_field("review_reminder_days").default
    return max(default, Panel.objects.aggregate(most=Max("review_reminder_days"))["most"] or 0)


@sweep
def reviews_due(today: dt.date) -> Iterator[Due]:
    """The referrer and key worker, N days before a signed decision's review date and once it has
    passed (the panel's review_reminder_days)."""
    decisions = Decision.objects.filter(
        status=DecisionStatus.SIGNED,
        review_date__isnull=False,
        review_date__gte=today - LOOK_BACK,
        review_date__lte=today + dt.timedelta(days=longest_review_notice()),
        referral__isnull=False,
    ).select_related("agenda_item__meeting__panel", "referral__child", "referral__referrer", "key_worker")
    for decision in decisions:
        panel = decision.agenda_item.meeting.panel
        if decision.review_date > today + dt.timedelta(days=panel.review_reminder_days):
            continue
        stage = "overdue" if decision.review_date < today else "due"
        referral = decision.referral
        people = [referral.referrer] + ([decision.key_worker] if decision.key_worker else [])
        people = [p for p in people if referrals_visible_to(user=p).filter(pk=referral.pk).exists()]
        yield Due(
            kind=f"review_{stage}",
            subject_key=f"decision:{decision.pk}",
            due_on=decision.review_date,
            users=people,
            subject=f"The review of the decision for {referral.child.initials} "
            f"{'is due on' if stage == 'due' else 'was due on'} {decision.review_date:%-d %B %Y}",
            url=reverse("referrals:detail", args=[referral.pk]),
        )
