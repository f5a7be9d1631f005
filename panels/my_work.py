"""Panels on My work (casework/my_work.py): what the chair and administrators must do before and
after each meeting, and the recommendations an absent agency must answer.

Sources: seeds 002 (Joint Funding Panel terms of reference: papers circulated 5 working days
before the meeting, decision letters and minutes within 3 working days after it, an absent agency
answers a recommendation that impacts it within 3 working days; late papers are the chair's to
accept). Each number is the panel's setting and counts working days with its closure days
(panels.selectors.meeting_deadlines).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from casework.models import Role, User
from casework.my_work import Feed, WorkItem, is_overdue, known, person_facts, team_facts, work_source
from casework.working_days import add_working_days
from panels import access
from panels.models import (
    CHAIRING_ROLES,
    Action,
    ActionStatus,
    AgencyRecommendation,
    AgendaItem,
    Decision,
    DecisionLetter,
    DecisionStatus,
    Meeting,
    MeetingStatus,
    MemberRole,
    Membership,
    Minutes,
    MinutesStatus,
    RecommendationStatus,
)
from panels.selectors import closures_by_panel, meeting_deadlines
from referrals.access import referrals_visible_to
from referrals.models import Referral, Status

GROUP_BEFORE = "Before the meeting"
GROUP_DECISIONS = "Decisions to sign"
GROUP_AFTER = "After the meeting"
GROUP_RECOMMENDATIONS = "Recommendations to answer"
GROUP_ACTIONS = "Actions from the action log"
GROUP_REVIEWS = "Reviews due"
GROUP_WAITING = "Waiting for another agency"

# Meetings this far ahead get their agenda built and circulated now.
AGENDA_AHEAD = dt.timedelta(days=42)
# Held meetings this far back still owe letters and minutes (as panels.reminders looks back).
LOOK_BACK = dt.timedelta(days=60)


def _chaired_panels(user: User) -> QuerySet[Membership]:
    return Membership.objects.current().filter(person_id=user.pk, role__in=CHAIRING_ROLES).values("panel_id")


@dataclass(frozen=True)
class _Seats:
    """Whether the person holds a current chair (or vice-chair) seat, or any seat that administers a
    panel (panels.access.administered_panels), on any panel."""

    chairs: bool = False
    administers: bool = False


@person_facts
def panel_seats(people: Sequence[User]) -> dict[int, _Seats]:
    """One query for everyone: their current chairing and administering seats."""
    held: dict[int, set[str]] = {person.pk: set() for person in people}
    seats = (
        Membership.objects.current()
        .filter(person_id__in=list(held), role__in=[*CHAIRING_ROLES, MemberRole.ADMINISTRATOR])
        .values_list("person_id", "role")
        .distinct()
    )
    for person_id, role in seats:
        held[person_id].add(role)
    return {
        pk: _Seats(chairs=bool(roles & set(CHAIRING_ROLES)), administers=bool(roles))
        for pk, roles in held.items()
    }


def _closures_of(panel_ids: set[int]) -> tuple[dt.date, dict[int, frozenset[dt.date]]]:
    return timezone.localdate(), closures_by_panel(panel_ids=panel_ids)


# --- Late papers awaiting the chair --------------------------------------------------------------


def _late_paper_item(referral: Referral, today: dt.date) -> WorkItem:
    meeting = referral.meeting
    return WorkItem(
        kind="panels.late_paper",
        group=GROUP_BEFORE,
        title=f"Accept or move the late paper for {meeting}",
        url=reverse("referrals:detail", args=[referral.pk]),
        child=referral.child,
        due_on=meeting.date,
        overdue=is_overdue(meeting.date, today),
        detail=f"Submitted by {referral.referrer.full_name} after the papers deadline",
    )


# --- Agendas to build and circulate --------------------------------------------------------------


def _agenda_item(meeting: Meeting, prepared) -> WorkItem:
    today, closures = prepared
    due = meeting_deadlines(meeting, closures[meeting.panel_id]).circulation
    items = meeting.live_items
    return WorkItem(
        kind="panels.agenda_to_circulate",
        group=GROUP_BEFORE,
        title=f"Build and circulate the agenda for {meeting}",
        url=reverse("panels:agenda", args=[meeting.pk]),
        due_on=due,
        overdue=is_overdue(due, today),
        detail=f"{items} item{'' if items == 1 else 's'} on the agenda so far",
    )


# --- Decisions to sign ---------------------------------------------------------------------------


def _decision_item(decision: Decision, prepared) -> WorkItem:
    today, closures = prepared
    item = decision.agenda_item
    meeting = item.meeting
    # Signed in time for the letter: the letter cannot go before the decision is signed.
    due = add_working_days(
        meeting.date, meeting.panel.decision_letter_working_days, closures[meeting.panel_id]
    )
    child = decision.referral.child if decision.referral_id and decision.child_visible else None
    return WorkItem(
        kind="panels.decision_to_sign",
        group=GROUP_DECISIONS,
        title=f"Sign the decision on item {item.position}, {item.title} ({meeting})",
        url=reverse("panels:run_item", args=[meeting.pk, item.pk]) + "#decision",
        child=child,
        due_on=due,
        overdue=is_overdue(due, today),
        detail=decision.get_outcome_display(),
    )


# --- Letters and minutes due after the meeting ---------------------------------------------------


def _letters_item(meeting: Meeting, prepared) -> WorkItem:
    today, closures = prepared
    due = meeting_deadlines(meeting, closures[meeting.panel_id]).decision_letters_due
    return WorkItem(
        kind="panels.letters_due",
        group=GROUP_AFTER,
        title=f"Send the decision letters for {meeting}",
        url=reverse("panels:letters", args=[meeting.pk]),
        due_on=due,
        overdue=is_overdue(due, today),
    )


def _minutes_item(meeting: Meeting, prepared) -> WorkItem:
    today, closures = prepared
    due = meeting_deadlines(meeting, closures[meeting.panel_id]).minutes_due
    stage = {
        MinutesStatus.DRAFT: "Approve and circulate the minutes",
        MinutesStatus.APPROVED: "Circulate the minutes",
    }.get(meeting.minutes_status, "Write the minutes")
    return WorkItem(
        kind="panels.minutes_due",
        group=GROUP_AFTER,
        title=f"{stage} of {meeting}",
        url=reverse("panels:minutes", args=[meeting.pk]),
        due_on=due,
        overdue=is_overdue(due, today),
    )


def _meetings_prepare(rows: list[Meeting]):
    return _closures_of({m.panel_id for m in rows})


def _decisions_prepare(rows: list[Decision]):
    return _closures_of({d.agenda_item.meeting.panel_id for d in rows})


# --- Recommendations my agency must answer --------------------------------------------------------


def _recommendation_item(recommendation, today: dt.date) -> WorkItem:
    decision = recommendation.decision
    meeting = decision.agenda_item.meeting
    child = decision.referral.child if decision.referral_id and recommendation.child_visible else None
    return WorkItem(
        kind="panels.recommendation_to_answer",
        group=GROUP_RECOMMENDATIONS,
        title=f"Answer {meeting.panel.name}'s recommendation to {recommendation.agency.name} ({meeting})",
        url=reverse("panels:recommendation_respond", args=[recommendation.pk]),
        child=child,
        due_on=recommendation.due_on,
        overdue=is_overdue(recommendation.due_on, today),
        detail=recommendation.why,
    )


def _awaited_item(recommendation, today: dt.date) -> WorkItem:
    decision = recommendation.decision
    meeting = decision.agenda_item.meeting
    child = decision.referral.child if decision.referral_id and recommendation.child_visible else None
    return WorkItem(
        kind="panels.recommendation_awaited",
        group=GROUP_WAITING,
        title=f"{recommendation.agency.name}'s answer to the recommendation on item "
        f"{decision.agenda_item.position} ({meeting})",
        url=reverse("panels:recommendations"),
        child=child,
        due_on=recommendation.due_on,
        overdue=is_overdue(recommendation.due_on, today),
        waiting_for=recommendation.agency.name,
        detail=recommendation.why,
    )


# --- Actions owed from the action log (seeds 003) -------------------------------------------------


def _action_item(action, today: dt.date) -> WorkItem:
    item = action.agenda_item
    referral = item.referral if item is not None and item.referral_id else None
    child = referral.child if referral is not None and action.child_visible else None
    return WorkItem(
        kind="panels.action_owed",
        group=GROUP_ACTIONS,
        title=f"{action.panel.name} action {action.number}: {action.action[:120]}",
        url=reverse("panels:action", args=[action.pk]),
        child=child,
        due_on=action.due_on,
        overdue=is_overdue(action.due_on, today),
        detail=action.desired_outcome[:200],
    )


# --- Reviews due: a signed decision's review date comes near (the panel's review_reminder_days) ---


def _review_item(decision: Decision, today: dt.date) -> WorkItem:
    referral = decision.referral
    return WorkItem(
        kind="panels.review_due",
        group=GROUP_REVIEWS,
        title=f"Start the review of {decision.agenda_item.meeting.panel.name}'s decision of "
        f"{decision.agenda_item.meeting.date:%-d %B %Y}",
        url=reverse("referrals:detail", args=[referral.pk]),
        child=referral.child,
        due_on=decision.review_date,
        overdue=is_overdue(decision.review_date, today),
        detail=decision.get_outcome_display(),
    )


def _child_visible(user: User, referral_ref: str) -> Exists:
    """EXISTS: the person may see the referral the row is about (referrals.access), so its child is
    named on the item only then."""
    return Exists(referrals_visible_to(user=user).filter(pk=OuterRef(referral_ref)))


@work_source
def panels_work(user: User) -> list[Feed]:
    """Queries, each scoped by panels.access (the panels this person chairs or administers) or
    referrals.access: late papers; meetings to circulate; draft decisions; meetings owing letters;
    meetings owing minutes; recommendations to the person's agency; and once for each feed with
    rows, the panels' closure days."""
    today = timezone.localdate()
    administered = access.administered_panels(user=user)
    chaired = _chaired_panels(user)
    feeds: list[Feed] = []
    # Seats read (the page, the team view): no chair seat, no chair's feeds; no seat administering a
    # panel and not a panel administrator (who administers the host agency's panels), no
    # administrator's feeds. Not read (the header's count SQL): every feed, its SQL reads the seats.
    seats = known(user, panel_seats)
    chairs = seats is None or seats.chairs
    administers = seats is None or seats.administers or user.has_role(Role.PANEL_ADMINISTRATOR)

    if chairs:
        feeds.extend(_chair_feeds(user, chaired, today))
    if administers:
        feeds.extend(_administrator_feeds(administered, today))
    feeds.extend(_recommendation_feeds(user, administered if administers else None, today))
    feeds.extend(_own_feeds(user, today))
    return feeds


def _chair_feeds(user: User, chaired: QuerySet[Membership], today: dt.date) -> list[Feed]:
    """Late papers awaiting the chair, and the draft decisions to sign."""
    feeds: list[Feed] = []
    late = (
        referrals_visible_to(user=user)
        .filter(
            panel_id__in=chaired,
            status=Status.SUBMITTED,
            is_late_paper=True,
            late_accepted_by__isnull=True,
            meeting__status=MeetingStatus.SCHEDULED,
            meeting__date__gte=today,
        )
        .select_related("child", "meeting__panel", "referrer")
    )
    feeds.append(
        Feed(
            queryset=late,
            item=lambda r, _: _late_paper_item(r, today),
            group=GROUP_BEFORE,
            urgency=(F("meeting__date").asc(),),
        )
    )
    to_sign = (
        Decision.objects.filter(
            status=DecisionStatus.DRAFT,
            agenda_item__meeting__panel_id__in=chaired,
            agenda_item__withdrawn_at__isnull=True,
        )
        .annotate(child_visible=_child_visible(user, "referral_id"))
        .select_related("agenda_item__meeting__panel", "referral__child")
    )
    feeds.append(
        Feed(
            queryset=to_sign,
            item=_decision_item,
            prepare=_decisions_prepare,
            group=GROUP_DECISIONS,
            urgency=(F("agenda_item__meeting__date").asc(),),
        )
    )
    return feeds


def _administrator_feeds(administered: QuerySet, today: dt.date) -> list[Feed]:
    """Meetings to circulate, and held meetings owing letters or minutes."""
    feeds: list[Feed] = []
    meetings = Meeting.objects.filter(panel__in=administered, panel__is_active=True).select_related("panel")
    to_circulate = meetings.filter(
        status=MeetingStatus.SCHEDULED,
        circulated_at__isnull=True,
        date__gte=today,
        date__lte=today + AGENDA_AHEAD,
    ).annotate(live_items=Count("agenda_items", filter=Q(agenda_items__withdrawn_at__isnull=True)))
    feeds.append(
        Feed(
            queryset=to_circulate,
            item=_agenda_item,
            prepare=_meetings_prepare,
            group=GROUP_BEFORE,
            urgency=(F("date").asc(),),
        )
    )

    held = meetings.filter(
        status__in=[MeetingStatus.SCHEDULED, MeetingStatus.HELD], date__lt=today, date__gte=today - LOOK_BACK
    )
    sent = DecisionLetter.objects.filter(decision=OuterRef("pk"), sent_at__isnull=False)
    unsent = Decision.objects.filter(
        agenda_item__meeting=OuterRef("pk"), status=DecisionStatus.SIGNED, referral__isnull=False
    ).filter(~Exists(sent))
    feeds.append(
        Feed(
            queryset=held.filter(Exists(unsent)),
            item=_letters_item,
            prepare=_meetings_prepare,
            group=GROUP_AFTER,
            urgency=(F("date").asc(),),
        )
    )

    circulated = Minutes.objects.filter(meeting=OuterRef("pk"), status=MinutesStatus.CIRCULATED)
    had_business = AgendaItem.objects.filter(meeting=OuterRef("pk"))
    owing_minutes = (
        held.filter(Exists(had_business))
        .filter(~Exists(circulated))
        .annotate(minutes_status=Minutes.objects.filter(meeting=OuterRef("pk")).values("status")[:1])
    )
    feeds.append(
        Feed(
            queryset=owing_minutes,
            item=_minutes_item,
            prepare=_meetings_prepare,
            group=GROUP_AFTER,
            urgency=(F("date").asc(),),
        )
    )

    return feeds


def _recommendation_feeds(user: User, administered: QuerySet | None, today: dt.date) -> list[Feed]:
    """One query for both: the recommendations to the person's agency that they may answer, and the
    answers the panels they administer are waiting for from other agencies (panels.access: their
    administrators); `administered` None when they administer none. The two never share a row (the
    person's agency, or another)."""
    answers = user.has_role(*access.RECOMMENDATION_RESPONDER_ROLES)
    if not answers and administered is None:
        return []
    to_answer = Q(agency_id=user.agency_id)
    awaited = Q(decision__agenda_item__meeting__panel__in=administered) & ~Q(agency_id=user.agency_id)
    if answers and administered is not None:
        which, group = (
            to_answer | awaited,
            Case(
                When(agency_id=user.agency_id, then=Value(GROUP_RECOMMENDATIONS)),
                default=Value(GROUP_WAITING),
                output_field=CharField(),
            ),
        )
    else:
        which, group = (to_answer, GROUP_RECOMMENDATIONS) if answers else (awaited, GROUP_WAITING)
    # For someone who answers, the rows first by the indexes that find them (the agency's by agency
    # and status; the panels' from the panels through their meetings), as a UNION: the OR alone made
    # PostgreSQL read every decision and hash-join them with every awaiting recommendation
    # (bench/README.md, My work). An administrator who answers none keeps the plain filter: the
    # panels' part alone measured slower as a subquery than as the join it is.
    recommendations = access.recommendations_visible_to(user=user).filter(
        which, status=RecommendationStatus.AWAITING
    )
    if answers:
        awaiting = AgencyRecommendation.objects.filter(status=RecommendationStatus.AWAITING).order_by()
        found = awaiting.filter(agency_id=user.agency_id).values("pk")
        if administered is not None:
            found = found.union(
                awaiting.filter(decision__agenda_item__meeting__panel__in=administered).values("pk")
            )
        recommendations = recommendations.filter(pk__in=found)
    recommendations = recommendations.annotate(
        child_visible=_child_visible(user, "decision__referral_id")
    ).select_related("agency", "decision__agenda_item__meeting__panel", "decision__referral__child")

    def item(recommendation, _prepared) -> WorkItem:
        if answers and recommendation.agency_id == user.agency_id:
            return _recommendation_item(recommendation, today)
        return _awaited_item(recommendation, today)

    return [
        Feed(
            queryset=recommendations,
            item=item,
            group=group,
            urgency=(F("due_on").asc(nulls_last=True),),
        )
    ]


@team_facts
def owns_open_actions(people: Sequence[User]) -> dict[int, bool]:
    """The team view: which of the people own any open action, in one query; the others have no
    action feed to build."""
    ids = [person.pk for person in people]
    found = set(
        Action.owners.through.objects.filter(user_id__in=ids, action__status=ActionStatus.OPEN)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return {pk: pk in found for pk in ids}


def _own_feeds(user: User, today: dt.date) -> list[Feed]:
    """The actions the person owns, and the reviews due of their referrals and key work."""
    feeds: list[Feed] = []
    if known(user, owns_open_actions) is False:  # the team view, someone who owns no open action
        return _review_feeds(user, today)
    owned = Exists(Action.owners.through.objects.filter(action_id=OuterRef("pk"), user_id=user.pk))
    actions = (
        access.actions_visible_to(user=user)
        .filter(owned, status=ActionStatus.OPEN)
        .annotate(child_visible=_child_visible(user, "agenda_item__referral_id"))
        .select_related("panel", "agenda_item__referral__child")
    )
    feeds.append(
        Feed(
            queryset=actions,
            item=lambda a, _: _action_item(a, today),
            group=GROUP_ACTIONS,
            urgency=(F("due_on").asc(nulls_last=True),),
        )
    )
    return feeds + _review_feeds(user, today)


def _signed_decisions_of(user: User) -> QuerySet:
    """The ids of the signed decisions on the person's referrals or naming them key worker, as a
    UNION: each half reads its own index (referrals by referrer, then decisions by referral and
    status; decisions by key worker). As one filter, `status = 'signed' AND (referral IN (mine) OR
    key_worker = me)`, PostgreSQL could use neither: it read every decision, guessed half of the
    signed ones pass, and hash-joined them with every agenda item and meeting (bench/README.md,
    My work)."""
    signed = Decision.objects.filter(status=DecisionStatus.SIGNED).order_by()
    return (
        signed.filter(referral__referrer_id=user.pk)
        .values("pk")
        .union(signed.filter(key_worker_id=user.pk).values("pk"))
    )


def _review_feeds(user: User, today: dt.date) -> list[Feed]:
    """The reviews due of the person's referrals and key work."""
    feeds: list[Feed] = []
    # The referrer and the key worker, from N days before the review date (seeds 002: a decision
    # records a review date), until a review referral is started for it.
    reviewing = Referral.objects.filter(review_of=OuterRef("referral_id")).exclude(status=Status.WITHDRAWN)
    reviews = (
        Decision.objects.filter(
            pk__in=_signed_decisions_of(user),
            referral__in=referrals_visible_to(user=user),
        )
        .alias(
            reminded_from=ExpressionWrapper(
                Value(today, output_field=DateField())
                + F("agenda_item__meeting__panel__review_reminder_days"),
                output_field=DateField(),
            )
        )
        .filter(review_date__lte=F("reminded_from"))
        .filter(~Exists(reviewing))
        .select_related("agenda_item__meeting__panel", "referral__child")
    )
    feeds.append(
        Feed(
            queryset=reviews,
            item=lambda d, _: _review_item(d, today),
            group=GROUP_REVIEWS,
            urgency=(F("review_date").asc(nulls_last=True),),
        )
    )
    return feeds
