"""Referrals on My work (casework/my_work.py): the referrer's drafts, returned and ready referrals and
those waiting for a signature, and the signatures waiting for a manager.

Due dates count working days with the panel's closure days: a referral not yet submitted is due by
the papers deadline of its meeting, or of its panel's next meeting whose deadline is still ahead
(seeds 002, Joint Funding Panel 3.7: papers 7 working days before); a signature is due N working
days after it was asked for (the panel's sign_off_reminder_working_days, when the reminder goes).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, DateField, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from casework.models import User
from casework.my_work import Feed, WorkItem, is_overdue, work_source
from casework.working_days import add_working_days
from panels.models import Meeting, MeetingStatus
from panels.selectors import closures_by_panel, meeting_deadlines
from referrals import access, selectors
from referrals.models import Referral, SignOff, SignOffDecision, Status, StatusChange

GROUP_REFERRALS = "Your referrals"
GROUP_SIGN = "Referrals to sign"

# The referrer's referrals that still need something before they reach a panel.
UNSUBMITTED = (
    Status.DRAFT,
    Status.RETURNED,
    Status.AWAITING_TEAM_MANAGER,
    Status.AWAITING_SERVICE_MANAGER,
    Status.READY_TO_SUBMIT,
)
# How far ahead a panel's meetings are read to find the next papers deadline.
LOOK_AHEAD = dt.timedelta(days=120)


@dataclass(frozen=True)
class _Deadlines:
    today: dt.date
    closures: dict[int, frozenset[dt.date]]
    next_papers_due: dict[int, dt.date]


def _deadlines(panel_ids: set[int], today: dt.date) -> _Deadlines:
    """Two queries for all the rows: the panels' closure days, and their meetings in the next few
    months (the first whose papers deadline is today or later is the one to aim for)."""
    closures = closures_by_panel(panel_ids=panel_ids)
    upcoming: dict[int, list[Meeting]] = defaultdict(list)
    meetings = (
        Meeting.objects.filter(
            panel_id__in=panel_ids,
            status=MeetingStatus.SCHEDULED,
            date__gte=today,
            date__lte=today + LOOK_AHEAD,
        )
        .select_related("panel")
        .order_by("date", "pk")
    )
    for meeting in meetings:
        upcoming[meeting.panel_id].append(meeting)
    next_due = {}
    for panel_id, panel_meetings in upcoming.items():
        for meeting in panel_meetings:
            due = meeting_deadlines(meeting, closures[panel_id]).papers_due
            if due >= today:
                next_due[panel_id] = due
                break
    return _Deadlines(today=today, closures=closures, next_papers_due=next_due)


def _papers_due(referral: Referral, deadlines: _Deadlines) -> dt.date | None:
    meeting = referral.meeting
    if meeting is not None and meeting.status == MeetingStatus.SCHEDULED and meeting.date >= deadlines.today:
        meeting.panel = referral.panel
        return meeting_deadlines(meeting, deadlines.closures.get(referral.panel_id, frozenset())).papers_due
    return deadlines.next_papers_due.get(referral.panel_id)


def _prepare_mine(rows: list[Referral]) -> _Deadlines:
    return _deadlines({r.panel_id for r in rows}, timezone.localdate())


_MINE = {
    Status.DRAFT: ("referral.draft", "Finish the referral to {panel}", "referrals:tasks", ""),
    Status.RETURNED: (
        "referral.returned",
        "Add the information the signer asked for to the referral to {panel}",
        "referrals:tasks",
        "",
    ),
    Status.READY_TO_SUBMIT: (
        "referral.ready_to_submit",
        "Submit the referral to {panel}",
        "referrals:submit",
        "",
    ),
    Status.AWAITING_TEAM_MANAGER: (
        "referral.awaiting_sign_off",
        "Referral to {panel} is waiting for a signature",
        "referrals:detail",
        "A team manager in your agency",
    ),
    Status.AWAITING_SERVICE_MANAGER: (
        "referral.awaiting_sign_off",
        "Referral to {panel} is waiting for a signature",
        "referrals:detail",
        "A service manager or panel member in your agency",
    ),
}


# How much of a signer's comments a returned referral's item quotes (the referral shows them all).
COMMENTS_SHOWN = 300


def _mine_item(referral: Referral, deadlines: _Deadlines) -> WorkItem:
    kind, title, url_name, waiting_for = _MINE[Status(referral.status)]
    due = _papers_due(referral, deadlines)
    detail = f"Papers due for {referral.panel.name}" if due else ""
    # The task list the item opens does not show the signer's comments: the item says what was asked.
    asked = getattr(referral, "returned_with", "") if referral.status == Status.RETURNED else ""
    if asked:
        said = f"The signer asked: {Truncator(asked).chars(COMMENTS_SHOWN)}"
        detail = f"{said} ({detail})" if detail else said
    return WorkItem(
        kind=kind,
        group=GROUP_REFERRALS,
        title=title.format(panel=referral.panel.name),
        url=reverse(url_name, args=[referral.pk]),
        child=referral.child,
        due_on=due,
        overdue=is_overdue(due, deadlines.today),
        waiting_for=waiting_for,
        detail=detail,
    )


def _prepare_signatures(rows: list[Referral]) -> _Deadlines:
    today = timezone.localdate()
    return _Deadlines(
        today=today, closures=closures_by_panel(panel_ids={r.panel_id for r in rows}), next_papers_due={}
    )


def _signature_item(referral: Referral, deadlines: _Deadlines) -> WorkItem:
    due = None
    if referral.waiting_since is not None:
        asked = timezone.localtime(referral.waiting_since).date()
        due = add_working_days(
            asked,
            referral.panel.sign_off_reminder_working_days,
            deadlines.closures.get(referral.panel_id, frozenset()),
        )
    stage = "team manager" if referral.status == Status.AWAITING_TEAM_MANAGER else "service manager"
    return WorkItem(
        kind="referral.sign_off",
        group=GROUP_SIGN,
        title=f"Sign the referral to {referral.panel.name} as {stage}",
        url=reverse("referrals:sign", args=[referral.pk]),
        child=referral.child,
        due_on=due,
        overdue=is_overdue(due, deadlines.today),
        detail=f"Written by {referral.referrer.full_name}",
    )


def _aimed_at(today: dt.date) -> Coalesce:
    """In SQL, the date of the meeting a referral's papers are due for (its urgency): its own
    meeting while scheduled and ahead, else its panel's next scheduled meeting; the papers deadline
    is counted back from that date (_papers_due)."""
    own = Case(
        When(meeting__status=MeetingStatus.SCHEDULED, meeting__date__gte=today, then=F("meeting__date")),
        output_field=DateField(),
    )
    next_meeting = Meeting.objects.filter(
        panel_id=OuterRef("panel_id"), status=MeetingStatus.SCHEDULED, date__gte=today
    ).order_by("date")
    return Coalesce(own, Subquery(next_meeting.values("date")[:1]), output_field=DateField())


# The comments of the referral's latest return (in the same query as the referral).
_last_return = SignOff.objects.filter(referral=OuterRef("pk"), decision=SignOffDecision.RETURNED).order_by(
    "-at", "-id"
)


@work_source
def referrals_work(user: User) -> list[Feed]:
    """Queries: the referrer's unsubmitted referrals (child, panel, meeting joined; a returned one's
    latest comments in the same query), then once for them the panels' closure days and next
    meetings; the referrals awaiting this manager's signature (with when it was asked for), then
    once the panels' closure days."""
    feeds = []
    if access.can_create(user=user):
        mine = (
            access.referrals_visible_to(user=user)
            .filter(referrer=user, status__in=UNSUBMITTED)
            .select_related("child", "panel", "meeting")
            .annotate(returned_with=Subquery(_last_return.values("comments")[:1]))
        )
        feeds.append(
            Feed(
                queryset=mine,
                item=_mine_item,
                prepare=_prepare_mine,
                group=GROUP_REFERRALS,
                urgency=(_aimed_at(timezone.localdate()).asc(nulls_last=True),),
            )
        )
    if user.has_role(*access.TEAM_MANAGER_SIGNERS, *access.SERVICE_MANAGER_SIGNERS):
        since = StatusChange.objects.filter(referral=OuterRef("pk"), new_status=OuterRef("status")).order_by(
            "-at", "-id"
        )
        to_sign = selectors.awaiting_my_sign_off(user=user).annotate(
            waiting_since=Subquery(since.values("at")[:1])
        )
        feeds.append(
            Feed(
                queryset=to_sign,
                item=_signature_item,
                prepare=_prepare_signatures,
                group=GROUP_SIGN,
                urgency=(F("waiting_since").asc(nulls_last=True),),
            )
        )
    return feeds
