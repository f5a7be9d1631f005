"""Reminders about pathway deadlines: Continuing Care decisions and reviews, the move to adult NHS
Continuing Healthcare, Section 117 reviews, IFR decisions, and the escalation ladder's clocks.

Every date is the one the selectors already compute and show on the child's page
(`pathways.selectors.next_due`, `transition_steps`, `group_clock`), from
the partnership's PathwaySettings / EscalationSettings. Reviews and transition steps are reminded
PathwaySettings.review_reminder_days before (28 by default, as a panel's) and once they have passed. A decision or
report clock is reminded on its last working day ("due") and from the working day after ("overdue");
working days are Monday to Friday less bank holidays in England (pathway clocks have no closure days).

Recipients are the people the records name (the case worker, else whoever opened the case; the
recommending assessor; the IFR panel's deciders; an escalation's chair and authoriser), and only
those who may still see the child (pathways.access). Notices carry the child's initials at most.
Registered with casework.reminders and run by its sweep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from dateutil.relativedelta import relativedelta
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from casework.models import AgencyKind, User
from casework.reminders import Due, sweep
from casework.working_days import add_working_days, is_working_day
from pathways import access
from pathways.models import (
    CaseKind,
    Escalation,
    EscalationLevel,
    EscalationMeeting,
    EscalationSettings,
    EscalationStatus,
    EscalationStep,
    PathwayCase,
    PathwaySettings,
    Status,
)
from pathways.selectors import escalation_settings_for, group_clock, next_due, settings_for, transition_steps

# How far back a sweep looks for an overdue review (older ones have long been chased by then).
LOOK_BACK = dt.timedelta(days=60)

# Statuses a Continuing Care decision is still awaited in (as selectors.next_due).
AWAITING_CC_DECISION = (Status.CHECKLIST, Status.ASSESSMENT, Status.RECOMMENDED)
AWAITING_IFR_DECISION = (Status.SUBMITTED, Status.APPEAL)
CLOSED = (Status.CLOSED, Status.ENDED)


# --- Helpers ------------------------------------------------------------------------------------


def _reminder_days(settings: PathwaySettings) -> int:
    return settings.review_reminder_days


def _pathway_settings() -> dict[str, PathwaySettings]:
    return {row.partnership: row for row in PathwaySettings.objects.all()}


def _last_working_day(day: dt.date) -> dt.date:
    """`day` if it is a working day, else the working day before it."""
    return day if is_working_day(day) else add_working_days(day, -1)


def _clock_stage(today: dt.date, deadline: dt.date) -> str | None:
    """A clock's stage: "due" from its last working day (the deadline itself, or the working day
    before when it falls on a weekend or bank holiday), "overdue" from the working day after."""
    if today >= add_working_days(deadline, 1):
        return "overdue"
    if today >= _last_working_day(deadline):
        return "due"
    return None


def _review_stage(today: dt.date, on: dt.date, days_before: int) -> str | None:
    """A review's stage: "due" from `days_before` days before, "overdue" once the date has passed
    (within LOOK_BACK)."""
    if on < today - LOOK_BACK or on > today + dt.timedelta(days=days_before):
        return None
    return "overdue" if on < today else "due"


def _case_people(case: PathwayCase) -> list[User]:
    """The case worker, else whoever opened the case."""
    return [case.case_worker or case.created_by]


def _seeing_case(people: Iterable[User | None], case: PathwayCase) -> list[User]:
    unique = {p.pk: p for p in people if p is not None}
    return [p for p in unique.values() if access.cases_visible_to(user=p).filter(pk=case.pk).exists()]


def _seeing_escalation(people: Iterable[User | None], escalation: Escalation) -> list[User]:
    unique = {p.pk: p for p in people if p is not None}
    return [
        p for p in unique.values() if access.escalations_visible_to(user=p).filter(pk=escalation.pk).exists()
    ]


def _open_cases(kind: str, statuses: Iterable[str]):
    return (
        PathwayCase.objects.filter(kind=kind, status__in=list(statuses))
        .select_related(
            "child",
            "lead_agency",
            "case_worker",
            "created_by",
            "continuing_care__recommended_by",
            "section_117",
            "ifr",
        )
        .prefetch_related("reviews")
    )


def _case_url(case: PathwayCase) -> str:
    return reverse("pathways:case", args=[case.pk])


# --- Continuing Care ----------------------------------------------------------------------------


@sweep
def cc_decisions_due(today: dt.date) -> Iterator[Due]:
    """The case worker and the recommending assessor, while a Continuing Care decision is awaited:
    on its last working day and from the working day after the decision date (referral received +
    cc_decision_weeks, National Framework 2016)."""
    rows = _pathway_settings()
    for case in _open_cases(CaseKind.CONTINUING_CARE, AWAITING_CC_DECISION):
        due = next_due(case, settings_for(case.lead_agency, rows=rows), today)
        if due is None:
            continue
        stage = _clock_stage(today, due.on)
        if stage is None:
            continue
        cc = case.continuing_care
        yield Due(
            kind=f"cc_decision_{stage}",
            subject_key=f"pathway_case:{case.pk}:cc_decision",
            due_on=due.on,
            users=_seeing_case([*_case_people(case), cc.recommended_by], case),
            subject=f"The Continuing Care decision for {case.child.initials} "
            f"{'is due on' if stage == 'due' else 'was due on'} {due.on:%-d %B %Y}",
            body=f"The referral was received on {cc.referral_received_on:%-d %B %Y}.",
            url=_case_url(case),
        )


def _reviews(today: dt.date, *, kind: CaseKind, statuses: list, prefix: str, label: str) -> Iterator[Due]:
    """The case worker, N days before a case's next review (selectors.next_due) and once it has passed."""
    rows = _pathway_settings()
    for case in _open_cases(kind, statuses):
        settings = settings_for(case.lead_agency, rows=rows)
        due = next_due(case, settings, today)
        if due is None:
            continue
        stage = _review_stage(today, due.on, _reminder_days(settings))
        if stage is None:
            continue
        yield Due(
            kind=f"{prefix}_review_{stage}",
            subject_key=f"pathway_case:{case.pk}:review",
            due_on=due.on,
            users=_seeing_case(_case_people(case), case),
            subject=f"The {label} review for {case.child.initials} "
            f"{'is due on' if stage == 'due' else 'was due on'} {due.on:%-d %B %Y}",
            url=_case_url(case),
        )


@sweep
def cc_reviews_due(today: dt.date) -> Iterator[Due]:
    """A Continuing Care package's review: 3 months after it starts, then at least every 12
    (cc_first_review_months, cc_review_interval_months)."""
    yield from _reviews(
        today, kind=CaseKind.CONTINUING_CARE, statuses=[Status.PACKAGE], prefix="cc", label="Continuing Care"
    )


@sweep
def cc_transition_due(today: dt.date) -> Iterator[Due]:
    """The case worker, N days before each step of the move to adult NHS Continuing Healthcare not
    yet recorded: tell the adult team at 14, the adult checklist at 16 to 17, the adult decision in
    principle at 17, the adult package in place at 18 (selectors.transition_steps, from the child's
    date of birth). One prompt a step; none once the young person is past 18 by LOOK_BACK."""
    rows = _pathway_settings()
    cases = _open_cases(CaseKind.CONTINUING_CARE, [s for s in Status.values if s not in CLOSED])
    for case in cases:
        child = case.child
        if child.date_of_birth + relativedelta(years=18) < today - LOOK_BACK:
            continue
        days = _reminder_days(settings_for(case.lead_agency, rows=rows))
        steps = transition_steps(cc=case.continuing_care, child=child, today=today)["steps"]
        people = None
        for step in steps:
            if step["done_on"] or step["from"] > today + dt.timedelta(days=days):
                continue
            if people is None:
                people = _seeing_case(_case_people(case), case)
            stage = "due" if today >= step["from"] else "upcoming"
            when = "is due now" if stage == "due" else f"is due from {step['from']:%-d %B %Y}"
            yield Due(
                kind="cc_transition_due",
                subject_key=f"pathway_case:{case.pk}:transition:{step['step']}",
                due_on=step["from"],
                users=people,
                subject=f"Moving to adult services for {child.initials}: {step['label']} {when}",
                url=reverse("pathways:cc_transition", args=[case.pk]),
            )


# --- Section 117 --------------------------------------------------------------------------------


@sweep
def s117_reviews_due(today: dt.date) -> Iterator[Due]:
    """A Section 117 aftercare review: s117_review_interval_months after discharge or the last one."""
    yield from _reviews(
        today,
        kind=CaseKind.SECTION_117,
        statuses=[Status.AFTERCARE],
        prefix="s117",
        label="Section 117 aftercare",
    )


# --- Individual Funding Requests ----------------------------------------------------------------


def _ifr_deciders(case: PathwayCase) -> list[User]:
    """Who records the IFR panel's decision: panel administrators and chairs of the lead agency or
    of an ICB involved with the child (access.can_decide_ifr)."""
    icbs = access.involved_agencies(child=case.child).filter(kind=AgencyKind.ICB).values("pk")
    people = User.objects.filter(
        Q(agency_id=case.lead_agency_id) | Q(agency_id__in=icbs),
        is_active=True,
        roles__overlap=list(access.IFR_DECIDERS),
    ).select_related("agency")
    return [p for p in people if access.can_decide_ifr(user=p)]


@sweep
def ifr_decisions_due(today: dt.date) -> Iterator[Due]:
    """The IFR panel's deciders on the decision's last working day (ifr_decision_working_days after
    submission); the deciders and the case worker from the working day after."""
    for case in _open_cases(CaseKind.IFR, AWAITING_IFR_DECISION):
        due = next_due(case, PathwaySettings(), today)
        if due is None:
            continue
        stage = _clock_stage(today, due.on)
        if stage is None:
            continue
        people = _ifr_deciders(case) + (_case_people(case) if stage == "overdue" else [])
        yield Due(
            kind=f"ifr_decision_{stage}",
            subject_key=f"pathway_case:{case.pk}:ifr_decision",
            due_on=due.on,
            users=_seeing_case(people, case),
            subject=f"The IFR panel's decision for {case.child.initials} "
            f"{'is due on' if stage == 'due' else 'was due on'} {due.on:%-d %B %Y}",
            url=_case_url(case),
        )


# --- The escalation ladder (seeds 002) ----------------------------------------------------------


def _now_for(today: dt.date) -> dt.datetime:
    """The moment the sweep stands at: now when `today` is today, else the end of `today`."""
    now = timezone.now()
    if today == timezone.localdate(now):
        return now
    start = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time()))
    return start - dt.timedelta(microseconds=1)


def _current_groups(level: str):
    """The current RSG or ERG step of each open escalation, with its meetings and reports."""
    return (
        EscalationStep.objects.filter(
            level=level,
            ended_at__isnull=True,
            escalation__status=EscalationStatus.OPEN,
            escalation__level=level,
        )
        .select_related("escalation__child__owning_agency", "authorised_by", "chair")
        .prefetch_related(
            Prefetch("meetings", queryset=EscalationMeeting.objects.select_related("chair")), "reports"
        )
    )


def _escalation_settings() -> dict[str, EscalationSettings]:
    return {row.partnership: row for row in EscalationSettings.objects.all()}


@sweep
def rsg_meetings_overdue(today: dt.date) -> Iterator[Due]:
    """The chair and the authoriser of a Rapid Solutions Group whose next meeting is overdue: the
    first within rsg_first_meeting_hours (24) of being set up, then rsg_meetings_per_week (twice)
    each week (seeds 002 s5)."""
    rows = _escalation_settings()
    now = _now_for(today)
    for step in _current_groups(EscalationLevel.RSG):
        escalation = step.escalation
        meetings = list(step.meetings.all())
        clock = group_clock(
            step=step,
            meetings=meetings,
            settings=escalation_settings_for(escalation.child, rows=rows),
            now=now,
            is_open=escalation.is_open,
        )
        if not clock.meeting_overdue:
            continue
        after = f"meeting:{meetings[-1].pk}" if meetings else "start"
        due_at = timezone.localtime(clock.next_meeting_due)
        which = "first meeting" if clock.first_meeting else "next meeting"
        yield Due(
            kind="rsg_meeting_overdue",
            subject_key=f"escalation_step:{step.pk}:after:{after}",
            due_on=due_at.date(),
            users=_seeing_escalation([clock.chair, step.authorised_by], escalation),
            subject=f"The Rapid Solutions Group for {escalation.child.initials}: the {which} was due "
            f"by {due_at:%H:%M on %-d %B %Y}",
            url=reverse("pathways:escalation", args=[escalation.pk]),
        )


@sweep
def erg_reports_due(today: dt.date) -> Iterator[Due]:
    """The chair and the authoriser of an Exceptional Resourcing Group on the last working day of
    its monthly report to the partnership (erg_report_interval_months after the last report or the
    group's start) and from the working day after (seeds 002 s7: monthly until resolved)."""
    rows = _escalation_settings()
    for step in _current_groups(EscalationLevel.ERG):
        escalation = step.escalation
        meetings, reports = list(step.meetings.all()), list(step.reports.all())
        clock = group_clock(
            step=step,
            meetings=meetings,
            reports=reports,
            settings=escalation_settings_for(escalation.child, rows=rows),
            now=_now_for(today),
            is_open=escalation.is_open,
        )
        if clock.report_due is None:
            continue
        stage = _clock_stage(today, clock.report_due)
        if stage is None:
            continue
        after = f"report:{reports[-1].pk}" if reports else "start"
        yield Due(
            kind=f"erg_report_{stage}",
            subject_key=f"escalation_step:{step.pk}:after:{after}",
            due_on=clock.report_due,
            users=_seeing_escalation([clock.chair, step.authorised_by], escalation),
            subject=f"The Exceptional Resourcing Group's report for {escalation.child.initials} "
            f"{'is due on' if stage == 'due' else 'was due on'} {clock.report_due:%-d %B %Y}",
            url=reverse("pathways:escalation", args=[escalation.pk]),
        )
