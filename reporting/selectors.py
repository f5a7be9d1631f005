"""Where cases wait (issue 18): every open referral, pathway case, recommendation, funding approval and
escalation of the children the person's agency is involved with, with the agency and person holding
the next step, since when, and the clock that applies.

The clocks, each number the panel's or pathway's setting (never a constant here), in working days
where the rule counts them (casework.working_days, with the panel's closure days):
- a referral not yet submitted: the papers deadline of its meeting, or of its panel's next meeting
  (seeds 002, Joint Funding Panel terms 3.7: papers 7 working days before, Panel.papers_due_working_days);
  one waiting for a signature: Panel.sign_off_reminder_working_days after it was asked for; one
  submitted: the meeting it is listed for;
- an absent agency's answer to a recommendation (seeds 002: within 3 working days,
  Panel.absent_agency_response_working_days; AgencyRecommendation.due_on was counted with it);
- a Continuing Care decision (PathwaySettings.cc_decision_weeks, 6 by default: decision_due_on) and an
  Individual Funding Request's decision (PathwaySettings.ifr_decision_working_days: decision_due_on);
- a funding share's approval (the deciding panel's sign_off_reminder_working_days, as My work and the
  reminders count it, funding.my_work);
- an escalation (seeds 002 s5, s7): a Rapid Solutions Group meets within
  EscalationSettings.rsg_first_meeting_hours (24) of being agreed, then rsg_meetings_per_week times a
  week; an Exceptional Resourcing Group reports every erg_report_interval_months.

Access: each kind is read through its app's access.py (`*_visible_to`) and, on top, only for the
children the person's agency is involved with (casework.access.visible_child_q): the issue's rule
"an agency sees figures for the children it is involved with". So another partnership's records, and
an agency's not involved with the child, are never listed, counted or exported, and every link on a
row opens for the person (the child's record, the referral, the package, the case).

Queries: one statement per kind of waiting item (five), then once for all rows the panels' closure
days and the pathway and escalation settings: a fixed number whatever the rows (tests/reporting).
Every row is read to sort the longest waits first across kinds and to total them per agency; the
precomputed summaries the issue asks for at national scale are left to a later slice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from casework.access import agencies_visible_to, is_usable, visible_child_q
from casework.models import Agency, User
from casework.working_days import add_working_days, working_days_between
from funding.access import packages_visible_to
from funding.models import PackageStatus, ShareLine, ShareStatus
from panels.access import panels_visible_to, recommendations_visible_to
from panels.models import AgencyRecommendation, Meeting, MeetingStatus, Panel, RecommendationStatus
from panels.selectors import closures_by_panel
from pathways.access import cases_visible_to, escalations_visible_to
from pathways.models import (
    CaseKind,
    EscalationLevel,
    EscalationMeeting,
    EscalationReport,
    EscalationSettings,
    EscalationStatus,
    EscalationStep,
    PathwayCase,
    PathwaySettings,
)
from pathways.models import Status as CaseStatus
from pathways.selectors import escalation_settings_for, settings_for
from referrals.access import referrals_visible_to
from referrals.models import Referral, StatusChange
from referrals.models import Status as ReferralStatus


def _annotated(row: object, name: str):
    """A value the row's query annotated (Django sets it as an attribute the model does not declare)."""
    return getattr(row, name)


__all__ = [
    "KINDS",
    "AgencyTotal",
    "Wait",
    "WaitFilters",
    "Waiting",
    "filter_choices",
    "waiting",
]

KINDS = {
    "referral": "Referral",
    "recommendation": "Recommendation to an absent agency",
    "funding": "Funding approval",
    "pathway": "Pathway case",
    "escalation": "Escalation",
}

# Referrals still on their way to a decision: with their referrer, waiting for a signature, or
# waiting for the panel.
REFERRER_HOLDS = (ReferralStatus.DRAFT, ReferralStatus.RETURNED, ReferralStatus.READY_TO_SUBMIT)
SIGNER_HOLDS = (ReferralStatus.AWAITING_TEAM_MANAGER, ReferralStatus.AWAITING_SERVICE_MANAGER)
PANEL_HOLDS = (ReferralStatus.SUBMITTED, ReferralStatus.ON_AGENDA, ReferralStatus.DEFERRED)
# Pathway cases with a clock: Continuing Care before its decision, an IFR before its decision.
CC_OPEN = (CaseStatus.CHECKLIST, CaseStatus.ASSESSMENT, CaseStatus.RECOMMENDED)
IFR_OPEN = (CaseStatus.SUBMITTED, CaseStatus.APPEAL, CaseStatus.MORE_INFORMATION)
SHARES_OPEN = (ShareStatus.AWAITING, ShareStatus.QUERIED, ShareStatus.DISPUTED)


@dataclass(frozen=True)
class WaitFilters:
    """What the list is narrowed to: the agency holding the next step, the kind, the panel."""

    agency: int | None = None
    kind: str | None = None
    panel: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"agency": self.agency, "kind": self.kind, "panel": self.panel}


@dataclass(frozen=True)
class Wait:
    """One thing waiting: what, for which child, who holds the next step (agency and person), since
    when, the clock that applies and when it runs out."""

    kind: str
    ref: str  # a stable id across kinds: "referral-12"
    stage: str
    child_id: int
    child_name: str
    url: str
    agency_id: int | None
    agency_name: str
    person: str
    since: dt.date
    clock: str
    due_on: dt.date | None
    overdue: bool
    waited_working_days: int
    panel_id: int | None = None
    panel_name: str = ""

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def child_url(self) -> str:
        return reverse("children:detail", args=[self.child_id])


@dataclass(frozen=True)
class AgencyTotal:
    agency_id: int | None
    agency_name: str
    items: int
    overdue: int
    longest_working_days: int


@dataclass
class Waiting:
    """The list, longest waits first, and its totals per holding agency (most items first)."""

    items: list[Wait]
    totals: list[AgencyTotal] = field(default_factory=list)
    today: dt.date = field(default_factory=timezone.localdate)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)


def filter_choices(*, user: User) -> tuple[QuerySet[Agency], QuerySet[Panel]]:
    """The agencies and panels the filters offer: the person's own partnership's (casework.access,
    panels.access); another partnership's are not named."""
    return agencies_visible_to(user=user).order_by("name"), panels_visible_to(user=user).order_by("name")


# --- Referrals -----------------------------------------------------------------------------------


def _referrals(user: User, panel: int | None) -> list[Referral]:
    today = timezone.localdate()
    since = StatusChange.objects.filter(referral=OuterRef("pk"), new_status=OuterRef("status")).order_by(
        "-at", "-id"
    )
    next_meeting = Meeting.objects.filter(
        panel_id=OuterRef("panel_id"), status=MeetingStatus.SCHEDULED, date__gte=today
    ).order_by("date", "pk")
    rows = (
        referrals_visible_to(user=user)
        .filter(visible_child_q(user=user))
        .filter(status__in=[*REFERRER_HOLDS, *SIGNER_HOLDS, *PANEL_HOLDS])
        .annotate(
            status_since=Coalesce(
                Subquery(since.values("at")[:1]), F("created_at"), output_field=DateTimeField()
            ),
            next_meeting_on=Subquery(next_meeting.values("date")[:1], output_field=DateField()),
        )
        .select_related("child", "panel__host_agency", "meeting", "referrer", "referrer_agency")
    )
    if panel is not None:
        rows = rows.filter(panel_id=panel)
    return list(rows)


def _referral_wait(referral: Referral, closures: dict[int, frozenset[dt.date]], today: dt.date) -> Wait:
    panel = referral.panel
    closed = closures.get(panel.pk, frozenset())
    status = ReferralStatus(referral.status)
    since = timezone.localtime(_annotated(referral, "status_since")).date()
    due: dt.date | None
    if status in REFERRER_HOLDS:
        meeting = referral.meeting
        aimed = (
            meeting.date
            if meeting is not None and meeting.status == MeetingStatus.SCHEDULED and meeting.date >= today
            else _annotated(referral, "next_meeting_on")
        )
        due = add_working_days(aimed, -panel.papers_due_working_days, closed) if aimed else None
        agency, person = referral.referrer_agency, referral.referrer.full_name
        clock = f"Papers due {panel.papers_due_working_days} working days before the meeting"
        if due is None:
            clock = f"Papers deadline: no meeting of {panel.name} is scheduled"
    elif status in SIGNER_HOLDS:
        n = panel.sign_off_reminder_working_days
        due = add_working_days(since, n, closed)
        agency = referral.referrer_agency
        person = "A team manager" if status == ReferralStatus.AWAITING_TEAM_MANAGER else "A service manager"
        clock = f"Signature within {n} working days"
    else:
        if referral.status == ReferralStatus.SUBMITTED and referral.submitted_at:
            since = timezone.localtime(referral.submitted_at).date()
        meeting = referral.meeting
        due = meeting.date if meeting is not None else None
        agency, person = panel.host_agency, f"{panel.name} (chair and administrators)"
        clock = "Decision at the meeting it is listed for" if due else "Waiting to be listed for a meeting"
    return Wait(
        kind="referral",
        ref=f"referral-{referral.pk}",
        stage=f"{referral.get_status_display()} ({panel.name})",
        child_id=referral.child_id,
        child_name=referral.child.full_name,
        url=reverse("referrals:detail", args=[referral.pk]),
        agency_id=agency.pk,
        agency_name=agency.name,
        person=person,
        since=since,
        clock=clock,
        due_on=due,
        overdue=due is not None and due < today,
        waited_working_days=working_days_between(since, today, closed),
        panel_id=panel.pk,
        panel_name=panel.name,
    )


# --- Recommendations to absent agencies -------------------------------------------------------------


def _recommendations(user: User, panel: int | None) -> list[AgencyRecommendation]:
    rows = (
        recommendations_visible_to(user=user)
        .filter(status=RecommendationStatus.AWAITING, decision__referral__isnull=False)
        .filter(visible_child_q(user=user, field="decision__referral__child"))
        .select_related("agency", "decision__agenda_item__meeting__panel", "decision__referral__child")
    )
    if panel is not None:
        rows = rows.filter(decision__agenda_item__meeting__panel_id=panel)
    return list(rows)


def _recommendation_wait(
    recommendation: AgencyRecommendation, closures: dict[int, frozenset[dt.date]], today: dt.date
) -> Wait:
    decision = recommendation.decision
    meeting = decision.agenda_item.meeting
    panel = meeting.panel
    referral = decision.referral
    assert referral is not None  # the query keeps only recommendations about a referral
    n = panel.absent_agency_response_working_days
    return Wait(
        kind="recommendation",
        ref=f"recommendation-{recommendation.pk}",
        stage=f"Answer to {panel.name}'s recommendation of {meeting.date:%-d %B %Y}",
        child_id=referral.child_id,
        child_name=referral.child.full_name,
        url=reverse("referrals:detail", args=[referral.pk]),
        agency_id=recommendation.agency_id,
        agency_name=recommendation.agency.name,
        person="",
        since=meeting.date,
        clock=f"An absent agency answers within {n} working days",
        due_on=recommendation.due_on,
        overdue=recommendation.due_on < today,
        waited_working_days=working_days_between(meeting.date, today, closures.get(panel.pk, frozenset())),
        panel_id=panel.pk,
        panel_name=panel.name,
    )


# --- Funding approvals ---------------------------------------------------------------------------------


def _shares(user: User, panel: int | None) -> list[ShareLine]:
    rows = (
        ShareLine.objects.filter(
            status__in=SHARES_OPEN,
            package__in=packages_visible_to(user=user),
            package__current_version_id=F("version_id"),
        )
        .filter(visible_child_q(user=user, field="package__child"))
        .exclude(package__status=PackageStatus.ENDED)
        .select_related(
            "agency",
            "routed_to",
            "package__child",
            "package__panel__host_agency",
            "package__referral__referrer",
            "package__referral__referrer_agency",
        )
    )
    if panel is not None:
        rows = rows.filter(package__panel_id=panel)
    return list(rows)


def _share_wait(share: ShareLine, closures: dict[int, frozenset[dt.date]], today: dt.date) -> Wait:
    package = share.package
    panel = package.panel
    closed = closures.get(panel.pk, frozenset()) if panel is not None else frozenset()
    n = (
        panel.sign_off_reminder_working_days
        if panel is not None
        else Panel._meta.get_field("sign_off_reminder_working_days").get_default()
    )
    since = timezone.localtime(share.awaiting_since).date()
    what = f"{share.agency.name}'s share of £{share.annual_amount:,.2f} a year"
    due: dt.date | None = add_working_days(since, n, closed)
    clock = f"Approval within {n} working days"
    agency: Agency | None = share.agency
    person = share.routed_to.full_name if share.routed_to is not None else "A finance approver"
    stage = f"Approve {what}"
    if share.status == ShareStatus.QUERIED:
        referral = package.referral
        stage = f"Answer the finance query on {what}"
        if referral is not None:
            agency, person = referral.referrer_agency, f"{referral.referrer.full_name} (the referrer)"
        else:
            agency = panel.host_agency if panel is not None else None
            person = "A panel administrator"
    elif share.status == ShareStatus.DISPUTED:
        since = timezone.localtime(share.decided_at).date() if share.decided_at else since
        stage = f"Settle the dispute over {what}"
        agency = panel.host_agency if panel is not None else None
        person = f"{panel.name} (chair and administrators)" if panel is not None else "The package's maker"
        due, clock = None, "Settled by the panel"
    return Wait(
        kind="funding",
        ref=f"share-{share.pk}",
        stage=stage,
        child_id=package.child_id,
        child_name=package.child.full_name,
        url=reverse("funding:detail", args=[package.pk]),
        agency_id=agency.pk if agency is not None else None,
        agency_name=agency.name if agency is not None else "",
        person=person,
        since=since,
        clock=clock,
        due_on=due,
        overdue=due is not None and due < today,
        waited_working_days=working_days_between(since, today, closed),
        panel_id=panel.pk if panel is not None else None,
        panel_name=panel.name if panel is not None else "",
    )


# --- Pathway cases -------------------------------------------------------------------------------------


def _cases(user: User) -> list[PathwayCase]:
    open_cases = Q(kind=CaseKind.CONTINUING_CARE, status__in=CC_OPEN, continuing_care__isnull=False) | Q(
        kind=CaseKind.IFR, status__in=IFR_OPEN, ifr__isnull=False
    )
    return list(
        cases_visible_to(user=user)
        .filter(visible_child_q(user=user))
        .filter(open_cases)
        .select_related(
            "child",
            "lead_agency",
            "case_worker",
            "created_by",
            "continuing_care",
            "ifr__submitted_by__agency",
        )
    )


def _case_wait(case: PathwayCase, settings_rows: dict[str, PathwaySettings], today: dt.date) -> Wait:
    settings = settings_for(case.lead_agency, rows=settings_rows)
    agency: Agency | None = case.lead_agency
    if case.kind == CaseKind.CONTINUING_CARE:
        cc = case.continuing_care
        since, due = cc.referral_received_on, cc.decision_due_on
        person = (case.case_worker or case.created_by).full_name
        clock = f"Continuing Care decision within {settings.cc_decision_weeks} weeks of the referral"
        stage = f"Continuing Care: {case.get_status_display().lower()}"
    else:
        ifr = case.ifr
        since, due = ifr.submitted_on, ifr.decision_due_on
        clock = f"IFR decision within {settings.ifr_decision_working_days} working days"
        person = "The IFR panel"
        stage = f"Individual Funding Request: {case.get_status_display().lower()}"
        if case.status == CaseStatus.MORE_INFORMATION:
            agency, person = ifr.submitted_by.agency, ifr.submitted_by.full_name
    return Wait(
        kind="pathway",
        ref=f"case-{case.pk}",
        stage=stage,
        child_id=case.child_id,
        child_name=case.child.full_name,
        url=reverse("pathways:case", args=[case.pk]),
        agency_id=agency.pk if agency is not None else None,
        agency_name=agency.name if agency is not None else "",
        person=person,
        since=since,
        clock=clock,
        due_on=due,
        overdue=due < today,
        waited_working_days=working_days_between(since, today),
    )


# --- Escalations -------------------------------------------------------------------------------------


def _steps(user: User, panel: int | None) -> list[EscalationStep]:
    meetings = EscalationMeeting.objects.filter(step=OuterRef("pk")).order_by("-held_at", "-id")
    chair_id = Coalesce(Subquery(meetings.values("chair_id")[:1]), F("chair_id"), output_field=IntegerField())
    chair = User.objects.filter(pk=OuterRef("group_chair_id"))
    rows = (
        EscalationStep.objects.filter(
            ended_at__isnull=True,
            escalation__status=EscalationStatus.OPEN,
            escalation__level=F("level"),
            escalation__in=escalations_visible_to(user=user),
        )
        .filter(visible_child_q(user=user, field="escalation__child"))
        .annotate(
            group_chair_id=chair_id,
            chair_name=Subquery(chair.values("full_name")[:1], output_field=CharField()),
            chair_agency_id=Subquery(chair.values("agency_id")[:1], output_field=IntegerField()),
            chair_agency_name=Subquery(chair.values("agency__name")[:1], output_field=CharField()),
            last_held_at=Subquery(meetings.values("held_at")[:1]),
            last_reported_on=Subquery(
                EscalationReport.objects.filter(step=OuterRef("pk"))
                .order_by("-reported_on", "-id")
                .values("reported_on")[:1]
            ),
        )
        .select_related("escalation__child__owning_agency", "target_panel__host_agency")
    )
    if panel is not None:
        rows = rows.filter(target_panel_id=panel)
    return list(rows)


def _step_wait(step: EscalationStep, settings_rows: dict[str, EscalationSettings], today: dt.date) -> Wait:
    escalation = step.escalation
    child = escalation.child
    settings = escalation_settings_for(child, rows=settings_rows)
    authorised = timezone.localtime(step.authorised_at)
    agency_id, agency_name = _annotated(step, "chair_agency_id"), _annotated(step, "chair_agency_name") or ""
    person = _annotated(step, "chair_name") or "The group's chair"
    if not agency_id:
        agency_id, agency_name = child.owning_agency_id, child.owning_agency.name
    panel = step.target_panel
    due: dt.date | None
    if step.level == EscalationLevel.RSG:
        if _annotated(step, "last_held_at") is None:
            due_at = step.authorised_at + dt.timedelta(hours=settings.rsg_first_meeting_hours)
            clock = f"Rapid Solutions Group meets within {settings.rsg_first_meeting_hours} hours"
            since = authorised.date()
        else:
            due_at = _annotated(step, "last_held_at") + dt.timedelta(days=7) / settings.rsg_meetings_per_week
            clock = (
                f"Rapid Solutions Group meets {settings.rsg_meetings_per_week} times a week until resolved"
            )
            since = timezone.localtime(_annotated(step, "last_held_at")).date()
        due = timezone.localtime(due_at).date()
        overdue = timezone.now() > due_at
    elif step.level == EscalationLevel.ERG:
        since = _annotated(step, "last_reported_on") or authorised.date()
        due = since + relativedelta(months=settings.erg_report_interval_months)
        clock = f"Exceptional Resourcing Group reports every {settings.erg_report_interval_months} month(s)"
        overdue = due < today
    else:
        since, due, overdue = authorised.date(), None, False
        clock = "Listed for the Joint Solutions Panel"
        if panel is not None:
            agency_id, agency_name = panel.host_agency_id, panel.host_agency.name
            person = f"{panel.name} (chair and administrators)"
    return Wait(
        kind="escalation",
        ref=f"escalation-{escalation.pk}",
        stage=f"Escalated to the {step.get_level_display()}",
        child_id=child.pk,
        child_name=child.full_name,
        url=reverse("pathways:escalation", args=[escalation.pk]),
        agency_id=agency_id,
        agency_name=agency_name,
        person=person,
        since=since,
        clock=clock,
        due_on=due,
        overdue=overdue,
        waited_working_days=working_days_between(since, today),
        panel_id=panel.pk if panel is not None else None,
        panel_name=panel.name if panel is not None else "",
    )


# --- The list ----------------------------------------------------------------------------------------


def _totals(items: Iterable[Wait]) -> list[AgencyTotal]:
    by_agency: dict[int | None, list[Wait]] = defaultdict(list)
    for item in items:
        by_agency[item.agency_id].append(item)
    totals = [
        AgencyTotal(
            agency_id=agency_id,
            agency_name=rows[0].agency_name or "No agency named",
            items=len(rows),
            overdue=sum(1 for row in rows if row.overdue),
            longest_working_days=max(row.waited_working_days for row in rows),
        )
        for agency_id, rows in by_agency.items()
    ]
    return sorted(totals, key=lambda t: (-t.items, -t.longest_working_days, t.agency_name))


def _sort_key(item: Wait) -> tuple:
    """The longest waits first (the earliest since-date), then the soonest due, then a stable id."""
    return (item.since, item.due_on or dt.date.max, item.kind, item.ref)


def waiting(*, user: User, filters: WaitFilters | None = None) -> Waiting:
    """Everything waiting that the person's agency may see (the module's docstring says how), with the
    filters applied, longest waits first, and its totals per holding agency.

    Queries: one per kind read (a kind filter reads only that kind; a panel filter leaves out the
    pathway cases, which belong to no panel), then one for the panels' closure days when there are
    referrals, recommendations or shares, one for the pathway settings when there are cases, one for
    the escalation settings when there are escalations."""
    filters = filters or WaitFilters()
    if not is_usable(user):
        return Waiting(items=[])
    today = timezone.localdate()
    wanted = [filters.kind] if filters.kind else list(KINDS)
    panel = filters.panel
    referrals = _referrals(user, panel) if "referral" in wanted else []
    recommendations = _recommendations(user, panel) if "recommendation" in wanted else []
    shares = _shares(user, panel) if "funding" in wanted else []
    cases = _cases(user) if "pathway" in wanted and panel is None else []
    steps = _steps(user, panel) if "escalation" in wanted else []

    panel_ids = {r.panel_id for r in referrals}
    panel_ids |= {r.decision.agenda_item.meeting.panel_id for r in recommendations}
    panel_ids |= {s.package.panel_id for s in shares if s.package.panel_id is not None}
    closures = closures_by_panel(panel_ids=panel_ids) if panel_ids else {}
    pathway_settings = {row.partnership: row for row in PathwaySettings.objects.all()} if cases else {}
    escalation_settings = {row.partnership: row for row in EscalationSettings.objects.all()} if steps else {}

    items = [
        *(_referral_wait(r, closures, today) for r in referrals),
        *(_recommendation_wait(r, closures, today) for r in recommendations),
        *(_share_wait(s, closures, today) for s in shares),
        *(_case_wait(c, pathway_settings, today) for c in cases),
        *(_step_wait(s, escalation_settings, today) for s in steps),
    ]
    if filters.agency is not None:
        items = [item for item in items if item.agency_id == filters.agency]
    items.sort(key=_sort_key)
    return Waiting(items=items, totals=_totals(items), today=today)
