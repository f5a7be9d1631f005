"""Pathway clocks on My work (casework/my_work.py): a Continuing Care decision due 6 weeks (the
partnership's setting) after the referral was received, an Individual Funding Request's decision
date, the steps of a Continuing Care young person's move to adult services, and the escalation
ladder's clocks (a Rapid Solutions Group's next meeting, an Exceptional Resourcing Group's monthly
report; seeds 002 s5 and s7). Every case and escalation is read through pathways.access (those of
children the person may see).

Who: a Continuing Care case's case worker (its maker when none is named); an IFR's deciders (the
IFR panel's NHS administrators and chairs, pathways.access.can_decide_ifr) while it awaits a
decision; the clinician who submitted it while the panel asks for more information, and as
waiting for the IFR panel while it is being decided. A transition step goes to the Continuing Care
case worker from PathwaySettings.review_reminder_days before it (as pathways.reminders prompts it);
an RSG's next meeting and an ERG's next report to the group's chair (the last meeting's, else the
one named when it was set up) and to the person who authorised it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dateutil.relativedelta import relativedelta
from django.db.models import (
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from casework.models import User
from casework.my_work import Feed, WorkItem, is_overdue, known, team_facts, work_source
from pathways import access
from pathways.models import (
    CaseKind,
    EscalationLevel,
    EscalationMeeting,
    EscalationReport,
    EscalationSettings,
    EscalationStatus,
    EscalationStep,
    IndividualFundingRequest,
    PathwayCase,
    PathwaySettings,
    Status,
)
from pathways.selectors import escalation_settings_for, transition_steps
from pathways.selectors.cases import STEP_AGES

GROUP_PATHWAYS = "Pathway clocks"
GROUP_TRANSITION = "Moving to adult services"
GROUP_ESCALATION = "Escalations"

# A Continuing Care case still heading for its decision.
CC_BEFORE_DECISION = (Status.CHECKLIST, Status.ASSESSMENT, Status.RECOMMENDED)
# An IFR waiting for the panel's decision (a first request, or an appeal or review).
IFR_AWAITING_DECISION = (Status.SUBMITTED, Status.APPEAL)


def _cc_item(case: PathwayCase, today: dt.date) -> WorkItem:
    cc = case.continuing_care
    return WorkItem(
        kind="pathways.cc_decision_due",
        group=GROUP_PATHWAYS,
        title=f"Continuing Care decision due: {case.get_status_display().lower()} so far",
        url=reverse("pathways:case", args=[case.pk]),
        child=case.child,
        due_on=cc.decision_due_on,
        overdue=is_overdue(cc.decision_due_on, today),
        detail=f"Referral received {cc.referral_received_on:%-d %B %Y}",
    )


def _ifr_decide_item(case: PathwayCase, today: dt.date) -> WorkItem:
    ifr = case.ifr
    return WorkItem(
        kind="pathways.ifr_to_decide",
        group=GROUP_PATHWAYS,
        title="Record the IFR panel's decision" + (" on the appeal" if case.status == Status.APPEAL else ""),
        url=reverse("pathways:ifr_decision", args=[case.pk]),
        child=case.child,
        due_on=ifr.decision_due_on,
        overdue=is_overdue(ifr.decision_due_on, today),
        detail=f"Submitted {ifr.submitted_on:%-d %B %Y}",
    )


def _ifr_mine_item(case: PathwayCase, today: dt.date) -> WorkItem:
    ifr = case.ifr
    if case.status == Status.MORE_INFORMATION:
        return WorkItem(
            kind="pathways.ifr_information_asked",
            group=GROUP_PATHWAYS,
            title="Send the information the IFR panel asked for",
            url=reverse("pathways:ifr_information", args=[case.pk]),
            child=case.child,
            due_on=ifr.decision_due_on,
            overdue=is_overdue(ifr.decision_due_on, today),
        )
    return WorkItem(
        kind="pathways.ifr_awaiting_decision",
        group=GROUP_PATHWAYS,
        title="Your Individual Funding Request is waiting for the IFR panel's decision",
        url=reverse("pathways:case", args=[case.pk]),
        child=case.child,
        due_on=ifr.decision_due_on,
        overdue=is_overdue(ifr.decision_due_on, today),
        waiting_for="The IFR panel",
    )


@team_facts
def works_cases(people: Sequence[User]) -> dict[int, bool]:
    """The team view: which of the people work any pathway case (its case worker, its maker when
    none is named) or submitted any IFR, in one query; the others have no case feed to build."""
    ids = [person.pk for person in people]
    found = set(
        PathwayCase.objects.filter(case_worker_id__in=ids)
        .values_list("case_worker_id")
        .union(
            PathwayCase.objects.filter(case_worker__isnull=True, created_by_id__in=ids).values_list(
                "created_by_id"
            ),
            IndividualFundingRequest.objects.filter(submitted_by_id__in=ids).values_list("submitted_by_id"),
        )
    )
    return {pk: (pk,) in found for pk in ids}


@team_facts
def in_escalations(people: Sequence[User]) -> dict[int, bool]:
    """The team view: which of the people chair or authorised any escalation group, or chaired
    any of its meetings (a group's chair is its last meeting's, else the one named), in one query."""
    ids = [person.pk for person in people]
    found = set(
        EscalationStep.objects.filter(chair_id__in=ids)
        .values_list("chair_id")
        .union(
            EscalationStep.objects.filter(authorised_by_id__in=ids).values_list("authorised_by_id"),
            EscalationMeeting.objects.filter(chair_id__in=ids).values_list("chair_id"),
        )
    )
    return {pk: (pk,) in found for pk in ids}


@work_source
def pathways_work(user: User) -> list[Feed]:
    """Queries: the Continuing Care cases this person works, the IFRs they submitted, and, for an
    IFR decider, the IFRs awaiting a decision; each with its child and pathway record joined."""
    today = timezone.localdate()
    visible = access.cases_visible_to(user=user)
    decides = access.can_decide_ifr(user=user)
    if known(user, works_cases) is False:  # the team view, someone who works no case
        return [_ifr_feed(visible, user, today, decides, mine=False)] if decides else []
    cc = visible.filter(
        Q(case_worker_id=user.pk) | Q(case_worker__isnull=True, created_by_id=user.pk),
        kind=CaseKind.CONTINUING_CARE,
        status__in=CC_BEFORE_DECISION,
        continuing_care__isnull=False,
    ).select_related("child", "continuing_care")
    feeds = [
        Feed(
            queryset=cc,
            item=lambda c, _: _cc_item(c, today),
            group=GROUP_PATHWAYS,
            urgency=(F("continuing_care__decision_due_on").asc(),),
        )
    ]
    feeds.append(_ifr_feed(visible, user, today, decides, mine=True))
    return feeds


def _ifr_feed(visible: QuerySet[PathwayCase], user: User, today: dt.date, decides: bool, mine: bool) -> Feed:
    """The IFRs the person submitted (`mine`), and for an IFR decider in the same query those
    awaiting a decision that someone else submitted (never both of one case)."""
    ifrs = Q(ifr__submitted_by_id=user.pk, status__in=[*IFR_AWAITING_DECISION, Status.MORE_INFORMATION])
    if not mine:
        ifrs = Q(pk__in=[])
    if decides:
        ifrs |= Q(status__in=IFR_AWAITING_DECISION, ifr__isnull=False) & ~Q(ifr__submitted_by_id=user.pk)
    return Feed(
        queryset=visible.filter(ifrs, kind=CaseKind.IFR).select_related("child", "ifr"),
        item=lambda c, _: (
            _ifr_decide_item(c, today)
            if decides and c.ifr.submitted_by_id != user.pk
            else _ifr_mine_item(c, today)
        ),
        group=GROUP_PATHWAYS,
        urgency=(F("ifr__decision_due_on").asc(nulls_last=True),),
    )


# --- Moving to adult services (Continuing Care) ---------------------------------------------------

# A young person this long past 18 has no more prompts (as pathways.reminders.LOOK_BACK).
TRANSITION_LOOK_BACK = dt.timedelta(days=60)
# Cases still open: a closed or ended case has no more steps to take.
CLOSED = (Status.CLOSED, Status.ENDED)


def _at_age(age: int) -> Func:
    """The child's birthday at `age`, in SQL (PostgreSQL keeps 29 February's birthday on 28
    February in a common year, as selectors.transition_steps' relativedelta does)."""
    return Func(
        F("child__date_of_birth"),
        template=f"(%(expressions)s + interval '{int(age)} years')::date",
        output_field=DateField(),
    )


def _reminder_days() -> Coalesce:
    """PathwaySettings.review_reminder_days of the lead agency's partnership, else the default
    row's, else the model default: in SQL, so the header's count needs no extra query."""
    column = "review_reminder_days"
    return Coalesce(
        Subquery(
            PathwaySettings.objects.filter(partnership=OuterRef("lead_agency__partnership")).values(column)[
                :1
            ]
        ),
        Subquery(PathwaySettings.objects.filter(partnership="").values(column)[:1]),
        Value(PathwaySettings._meta.get_field(column).get_default()),
        output_field=IntegerField(),
    )


def _next_step(case: PathwayCase, today: dt.date) -> dict | None:
    """The first step not yet recorded whose prompt has started (its date less the reminder days)."""
    horizon = today + dt.timedelta(days=case.reminder_days)
    steps = transition_steps(cc=case.continuing_care, child=case.child, today=today)["steps"]
    for n, step in enumerate(steps):
        if not step["done_on"] and step["from"] <= horizon:
            # Due by the next step's age (the adult checklist "at 16 to 17" by 17); the last by 18.
            step["by"] = steps[n + 1]["from"] if n + 1 < len(steps) else step["from"]
            return step
    return None


def _transition_item(case: PathwayCase, today: dt.date, can_record: bool) -> WorkItem:
    step = _next_step(case, today)
    assert step is not None  # the queryset keeps only cases with a step whose prompt has started
    started = today >= step["from"]
    return WorkItem(
        kind="pathways.transition_step",
        group=GROUP_TRANSITION,
        title=f"Moving to adult services: {step['label']}",
        url=reverse("pathways:cc_transition" if can_record else "pathways:case", args=[case.pk]),
        child=case.child,
        due_on=step["by"],
        overdue=is_overdue(step["by"], today),
        detail=f"Due now, from {step['from']:%-d %B %Y}" if started else f"Due from {step['from']:%-d %B %Y}",
    )


def _transition_cases(visible: QuerySet[PathwayCase], user: User, today: dt.date) -> QuerySet[PathwayCase]:
    horizon = ExpressionWrapper(
        Value(today, output_field=DateField()) + F("reminder_days"), output_field=DateField()
    )
    pending = Q()
    for attr, age, _label in STEP_AGES:
        pending |= Q(**{f"continuing_care__{attr}__isnull": True}, **{f"at_{age}__lte": horizon})
    return (
        visible.filter(
            Q(case_worker_id=user.pk) | Q(case_worker__isnull=True, created_by_id=user.pk),
            kind=CaseKind.CONTINUING_CARE,
            continuing_care__isnull=False,
        )
        .exclude(status__in=CLOSED)
        .annotate(reminder_days=_reminder_days(), **{f"at_{age}": _at_age(age) for _a, age, _l in STEP_AGES})
        .filter(pending, at_18__gte=today - TRANSITION_LOOK_BACK)
        .select_related("child", "continuing_care")
    )


# --- The escalation ladder: RSG meetings and ERG reports (seeds 002 s5, s7) ------------------------


def _current_groups(user: User) -> QuerySet[EscalationStep]:
    """The open escalations' current RSG or ERG steps that this person chairs (the last meeting's
    chair, else the one named when the group was set up) or authorised, with the last meeting's
    time and the last report's date."""
    meetings = EscalationMeeting.objects.filter(step=OuterRef("pk")).order_by("-held_at", "-id")
    chair = Coalesce(Subquery(meetings.values("chair_id")[:1]), F("chair_id"), output_field=IntegerField())
    return (
        EscalationStep.objects.filter(
            level__in=[EscalationLevel.RSG, EscalationLevel.ERG],
            ended_at__isnull=True,
            escalation__status=EscalationStatus.OPEN,
            escalation__level=F("level"),
            escalation__in=access.escalations_visible_to(user=user),
        )
        .annotate(
            group_chair_id=chair,
            last_held_at=Subquery(meetings.values("held_at")[:1]),
            last_reported_on=Subquery(
                EscalationReport.objects.filter(step=OuterRef("pk"))
                .order_by("-reported_on", "-id")
                .values("reported_on")[:1]
            ),
        )
        .filter(Q(group_chair_id=user.pk) | Q(authorised_by_id=user.pk))
        .select_related("escalation__child__owning_agency")
    )


def _escalation_settings(rows: list[EscalationStep]):
    """One query for all the rows: every partnership's escalation settings."""
    return {row.partnership: row for row in EscalationSettings.objects.all()}


def _rsg_item(step: EscalationStep, settings_rows, can_record: bool) -> WorkItem:
    """As pathways.selectors.group_clock: the first meeting within rsg_first_meeting_hours of the
    group being set up, then one each 7 days / rsg_meetings_per_week after the last."""
    escalation = step.escalation
    settings = escalation_settings_for(escalation.child, rows=settings_rows)
    if step.last_held_at is None:
        due_at = step.authorised_at + dt.timedelta(hours=settings.rsg_first_meeting_hours)
        which = "first"
    else:
        due_at = step.last_held_at + dt.timedelta(days=7) / settings.rsg_meetings_per_week
        which = "next"
    local = timezone.localtime(due_at)
    return WorkItem(
        kind="pathways.rsg_meeting_due",
        group=GROUP_ESCALATION,
        title=f"Hold the Rapid Solutions Group's {which} meeting",
        url=reverse(
            "pathways:escalation_meeting" if can_record else "pathways:escalation", args=[escalation.pk]
        ),
        child=escalation.child,
        due_on=local.date(),
        overdue=timezone.now() > due_at,
        detail=f"Due by {local:%H:%M on %-d %B %Y}",
    )


def _erg_item(step: EscalationStep, settings_rows, can_record: bool) -> WorkItem:
    """As pathways.selectors.group_clock: a report erg_report_interval_months after the last one
    (or after the group was agreed), monthly until resolved."""
    escalation = step.escalation
    settings = escalation_settings_for(escalation.child, rows=settings_rows)
    since = step.last_reported_on or timezone.localdate(step.authorised_at)
    due = since + relativedelta(months=settings.erg_report_interval_months)
    return WorkItem(
        kind="pathways.erg_report_due",
        group=GROUP_ESCALATION,
        title="Report the Exceptional Resourcing Group's progress to the partnership",
        url=reverse(
            "pathways:escalation_report" if can_record else "pathways:escalation", args=[escalation.pk]
        ),
        child=escalation.child,
        due_on=due,
        overdue=is_overdue(due, timezone.localdate()),
        detail=f"Last report {step.last_reported_on:%-d %B %Y}" if step.last_reported_on else "No report yet",
    )


def _group_item(can_record: bool):
    """Each item links to the form that does the work when the person's role may record it
    (pathways.access), else to the page that shows it: no link to a page they cannot use."""

    def item(step: EscalationStep, settings_rows) -> WorkItem:
        return (_rsg_item if step.level == EscalationLevel.RSG else _erg_item)(
            step, settings_rows, can_record
        )

    return item


@work_source
def pathways_ladder_work(user: User) -> list[Feed]:
    """Queries: the Continuing Care cases this person works with a transition step to take (the
    reminder days and birthdays worked out in SQL); the RSGs and ERGs they chair or authorised; and
    once when there are any of those, the escalation settings."""
    today = timezone.localdate()
    visible = access.cases_visible_to(user=user)
    can_record = access.can_edit_cases(user=user)
    feeds = []
    # The team view knows who works no case and sits in no escalation group: their feeds are not built.
    if known(user, works_cases) is not False:
        # The oldest young people's steps come first (each step is due by a birthday).
        feeds.append(
            Feed(
                queryset=_transition_cases(visible, user, today),
                item=lambda c, _: _transition_item(c, today, can_record),
                group=GROUP_TRANSITION,
                urgency=(F("child__date_of_birth").asc(nulls_last=True),),
            )
        )
    if known(user, in_escalations) is not False:
        # A group's clock runs from its last meeting or report, else from when it was agreed.
        feeds.append(
            Feed(
                queryset=_current_groups(user),
                item=_group_item(can_record),
                prepare=_escalation_settings,
                group=GROUP_ESCALATION,
                urgency=(Coalesce("last_held_at", "authorised_at").asc(),),
            )
        )
    return feeds
