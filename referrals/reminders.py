"""Reminders about referrals: papers due for the next meeting, and signatures waiting too long.

Each number comes from the panel's settings (papers_reminder_working_days,
sign_off_reminder_working_days); deadlines count working days with the panel's closure days.
Registered with casework.reminders and run by its sweep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from casework.reminders import Due, sweep
from casework.working_days import add_working_days, working_days_between
from panels.models import Meeting, MeetingStatus, Panel, meeting_deadlines
from referrals import access
from referrals.models import Referral, Status, StatusChange

# Referrals still being written or signed: their referrer must get the papers in on time.
NOT_YET_SUBMITTED = (
    Status.DRAFT,
    Status.AWAITING_TEAM_MANAGER,
    Status.AWAITING_SERVICE_MANAGER,
    Status.READY_TO_SUBMIT,
    Status.RETURNED,
)


def _closures(panel: Panel) -> frozenset[dt.date]:
    return frozenset(panel.closure_days.values_list("day", flat=True))


def _still_sees(user, referral: Referral) -> bool:
    return access.referrals_visible_to(user=user).filter(pk=referral.pk).exists()


@sweep
def papers_due(today: dt.date) -> Iterator[Due]:
    """Referrers of unsubmitted referrals to a panel, about its next papers deadline: N working days
    before it, and again the working day before (seeds 002, Joint Funding Panel 3.7)."""
    for panel in Panel.objects.filter(is_active=True).prefetch_related("closure_days"):
        closures = frozenset(c.day for c in panel.closure_days.all())
        meetings = Meeting.objects.filter(panel=panel, status=MeetingStatus.SCHEDULED, date__gt=today)
        meeting = next(
            (m for m in meetings.order_by("date")[:3] if meeting_deadlines(m, closures).papers_due >= today),
            None,
        )
        if meeting is None:
            continue
        deadline = meeting_deadlines(meeting, closures).papers_due
        stages = [
            ("papers_due", add_working_days(deadline, -panel.papers_reminder_working_days, closures)),
            ("papers_due_tomorrow", add_working_days(deadline, -1, closures)),
        ]
        due_stages = [kind for kind, day in stages if day <= today]
        if not due_stages:
            continue
        kind = due_stages[-1]  # only the latest stage: a late sweep sends one, not two at once
        referrals = Referral.objects.filter(panel=panel, status__in=NOT_YET_SUBMITTED).select_related(
            "child", "referrer"
        )
        for referral in referrals:
            if not _still_sees(referral.referrer, referral):
                continue
            when = "tomorrow" if kind == "papers_due_tomorrow" else f"on {deadline:%-d %B %Y}"
            yield Due(
                kind=kind,
                subject_key=f"referral:{referral.pk}:meeting:{meeting.pk}",
                due_on=deadline,
                users=[referral.referrer],
                subject=f"Papers for {panel.name} on {meeting.date:%-d %B} are due {when}",
                body=f"The referral for {referral.child.initials} is not submitted yet.",
                url=reverse("referrals:detail", args=[referral.pk]),
            )


@sweep
def sign_off_waiting(today: dt.date) -> Iterator[Due]:
    """Signers of a referral that has waited more than N working days for their signature."""
    from referrals.services import _service_managers_for, _team_managers_for

    since = StatusChange.objects.filter(referral=OuterRef("pk"), new_status=OuterRef("status")).order_by(
        "-at", "-id"
    )
    waiting = (
        Referral.objects.filter(status__in=[Status.AWAITING_TEAM_MANAGER, Status.AWAITING_SERVICE_MANAGER])
        .annotate(waiting_since=Subquery(since.values("at")[:1]), change_id=Subquery(since.values("id")[:1]))
        .select_related("child", "panel", "referrer")
    )
    for referral in waiting:
        if referral.waiting_since is None:
            continue
        started = timezone.localtime(referral.waiting_since).date()
        closures = _closures(referral.panel)
        if working_days_between(started, today, closures) <= referral.panel.sign_off_reminder_working_days:
            continue
        signers = (
            _team_managers_for(referral)
            if referral.status == Status.AWAITING_TEAM_MANAGER
            else _service_managers_for(referral)
        )
        yield Due(
            kind="sign_off_waiting",
            subject_key=f"referral:{referral.pk}:change:{referral.change_id}",
            due_on=add_working_days(started, referral.panel.sign_off_reminder_working_days, closures),
            users=[s for s in signers if _still_sees(s, referral)],
            subject=f"The referral for {referral.child.initials} is waiting for your signature",
            body=f"It has waited since {started:%-d %B %Y}.",
            url=reverse("referrals:detail", args=[referral.pk]),
        )
