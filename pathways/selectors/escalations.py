"""Reads of the escalation ladder, with their query shapes, and the clocks (seeds 002).

Rapid Solutions Group (seeds 002 s5): established within `rsg_first_meeting_hours` (24) of being
set up, then meets "no less than twice each week": the next meeting is due 7 days /
`rsg_meetings_per_week` (3 days 12 hours) after the last one, and is overdue after that.
Exceptional Resourcing Group (seeds 002 s7): meets "not more frequent than once per week" (the next
meeting may be held `erg_min_days_between_meetings` calendar days after the last) and reports
"monthly until resolved": a report is due `erg_report_interval_months` after the last report (or
after the group was established). Every number comes from EscalationSettings, never a constant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from casework.access import accounts_administered_by
from casework.models import Agency, Child, User
from pathways import access
from pathways.models import (
    CareEducationTreatmentReview,
    Escalation,
    EscalationAuthoriser,
    EscalationLevel,
    EscalationMeeting,
    EscalationSettings,
    EscalationStep,
)

__all__ = [
    "ALLOWED_STEPS",
    "EscalationDetail",
    "EscalationSummary",
    "GroupClock",
    "authoriser_candidates",
    "authorisers_listed",
    "cetr_needed",
    "current_step",
    "escalation_detail",
    "escalation_settings_for",
    "escalations_for_child",
    "group_clock",
    "last_meeting_on",
    "meeting_agency_ids",
]


def _all_settings() -> dict[str, EscalationSettings]:
    return {row.partnership: row for row in EscalationSettings.objects.all()}


def escalation_settings_for(
    child: Child, *, rows: dict[str, EscalationSettings] | None = None
) -> EscalationSettings:
    """The settings of the partnership of the child's owning agency, else the default row, else the
    model defaults (the seeds' numbers)."""
    rows = rows if rows is not None else _all_settings()
    return rows.get(child.owning_agency.partnership) or rows.get("") or EscalationSettings()


def cetr_needed(child: Child) -> bool:
    """seeds 002 s3: "For autistic children and young people and children and young people with a
    learning disability a CeTR must be held before escalation occurs"."""
    return bool(child.autism or child.learning_disability)


@dataclass
class GroupClock:
    """Where a group's meetings and reports stand. For an RSG: when the next meeting is due and
    whether it is overdue; for an ERG: the earliest the next meeting may be held and when the next
    monthly report is due; and who chairs."""

    next_meeting_due: dt.datetime | None = None
    meeting_overdue: bool = False
    first_meeting: bool = False
    next_meeting_from: dt.date | None = None
    report_due: dt.date | None = None
    report_overdue: bool = False
    chair: User | None = None


def group_clock(
    *,
    step: EscalationStep,
    meetings: list[EscalationMeeting],
    reports: list | None = None,
    settings: EscalationSettings,
    now: dt.datetime | None = None,
    is_open: bool = True,
) -> GroupClock:
    """The clock of one RSG or ERG step from its meetings (held_at order) and reports."""
    now = now or timezone.now()
    last = meetings[-1] if meetings else None
    clock = GroupClock(chair=last.chair if last else step.chair)
    if not is_open or step.ended_at is not None:
        return clock
    if step.level == EscalationLevel.RSG:
        if last is None:
            clock.first_meeting = True
            clock.next_meeting_due = step.authorised_at + dt.timedelta(hours=settings.rsg_first_meeting_hours)
        else:
            clock.next_meeting_due = last.held_at + dt.timedelta(days=7) / settings.rsg_meetings_per_week
        clock.meeting_overdue = now > clock.next_meeting_due
    elif step.level == EscalationLevel.ERG:
        if last is not None:
            clock.next_meeting_from = timezone.localdate(last.held_at) + dt.timedelta(
                days=settings.erg_min_days_between_meetings
            )
        reports = reports or []
        since = reports[-1].reported_on if reports else timezone.localdate(step.authorised_at)
        clock.report_due = since + relativedelta(months=settings.erg_report_interval_months)
        clock.report_overdue = timezone.localdate(now) > clock.report_due
    return clock


# --- Lists and pages ---------------------------------------------------------------------------


@dataclass
class EscalationSummary:
    escalation: Escalation
    current: EscalationStep | None
    clock: GroupClock


def _steps_prefetch() -> Prefetch:
    return Prefetch(
        "steps",
        queryset=EscalationStep.objects.select_related(
            "authorised_by", "chair", "target_panel", "recorded_by"
        ).prefetch_related(
            Prefetch("meetings", queryset=EscalationMeeting.objects.select_related("chair")),
            "reports",
        ),
    )


def escalations_for_child(*, user: User, child: Child) -> list[EscalationSummary]:
    """The child's escalations the user may see, newest first, with the current rung's clock.

    Queries: escalations (1), their steps with authoriser, chair and panel (1), the steps' meetings
    with chairs (1), reports (1), the settings rows (1).
    """
    escalations = list(
        access.escalations_visible_to(user=user)
        .filter(child_id=child.pk)
        .select_related("opened_by")
        .prefetch_related(_steps_prefetch())
    )
    if not escalations:
        return []
    settings = escalation_settings_for(child, rows=_all_settings())
    now = timezone.now()
    out = []
    for escalation in escalations:
        escalation.child = child
        steps = list(escalation.steps.all())
        current = next((s for s in steps if s.level == escalation.level), None)
        clock = (
            group_clock(
                step=current,
                meetings=list(current.meetings.all()),
                reports=list(current.reports.all()),
                settings=settings,
                now=now,
                is_open=escalation.is_open,
            )
            if current
            else GroupClock()
        )
        out.append(EscalationSummary(escalation=escalation, current=current, clock=clock))
    return out


@dataclass
class EscalationDetail:
    escalation: Escalation
    steps: list[EscalationStep]
    current: EscalationStep | None
    clock: GroupClock
    settings: EscalationSettings
    cetrs: list[CareEducationTreatmentReview]
    cetr_needed: bool
    involved: list[Agency] = field(default_factory=list)
    missing_agencies: list[Agency] = field(default_factory=list)

    @property
    def can_meet(self) -> bool:
        return bool(
            self.escalation.is_open
            and self.current
            and self.current.level in (EscalationLevel.RSG, EscalationLevel.ERG)
        )

    @property
    def next_levels(self) -> list[EscalationLevel]:
        if not self.escalation.is_open:
            return []
        return [EscalationLevel(v) for v in ALLOWED_STEPS.get(self.escalation.level, ())]


# Which rung may follow which (seeds 002: RSG → JSP or ERG; JSP → ERG).
ALLOWED_STEPS: dict[str, tuple[str, ...]] = {
    EscalationLevel.RSG: (EscalationLevel.JSP, EscalationLevel.ERG),
    EscalationLevel.JSP: (EscalationLevel.ERG,),
    EscalationLevel.ERG: (),
}


def _shaped(qs: QuerySet[Escalation]) -> QuerySet[Escalation]:
    return qs.select_related("child", "child__owning_agency", "opened_by").prefetch_related(
        _steps_prefetch(),
        Prefetch("steps__meetings__agencies"),
        Prefetch("cetrs", queryset=CareEducationTreatmentReview.objects.select_related("recorded_by")),
    )


def escalation_detail(*, user: User, pk: object, need: str = "view") -> EscalationDetail:
    escalation = access.get_escalation_for_user(user=user, pk=pk, need=need, shape=_shaped)
    settings = escalation_settings_for(escalation.child)
    steps = list(escalation.steps.all())
    current = next((s for s in steps if s.level == escalation.level), None)
    clock = (
        group_clock(
            step=current,
            meetings=list(current.meetings.all()),
            reports=list(current.reports.all()),
            settings=settings,
            is_open=escalation.is_open,
        )
        if current
        else GroupClock()
    )
    involved = list(access.involved_agencies(child=escalation.child).order_by("name"))
    missing: list[Agency] = []
    if current is not None and current.meetings.all():
        last = list(current.meetings.all())[-1]
        present = {a.pk for a in last.agencies.all()}
        missing = [a for a in involved if a.pk not in present]
    return EscalationDetail(
        escalation=escalation,
        steps=steps,
        current=current,
        clock=clock,
        settings=settings,
        cetrs=list(escalation.cetrs.all()),
        cetr_needed=cetr_needed(escalation.child),
        involved=involved,
        missing_agencies=missing,
    )


# --- The forms of a rung, filled with what was saved last ---------------------------------------


def current_step(*, escalation: Escalation) -> EscalationStep | None:
    """The step that took the escalation to the rung it is on now."""
    return escalation.steps.filter(level=escalation.level).first()


def last_meeting_on(*, step: EscalationStep) -> EscalationMeeting | None:
    """The meeting recorded last on the step's rung."""
    return step.meetings.order_by("-recorded_at", "-id").first()


def meeting_agency_ids(*, meeting: EscalationMeeting) -> list[int]:
    """The ids of the agencies at the meeting."""
    return list(meeting.agencies.values_list("pk", flat=True))


# --- Escalation authorisers, kept by the partnership administrator ------------------------------


def authorisers_listed(*, user: User) -> list[EscalationAuthoriser]:
    """The authorisers of the administrator's partnership with their people, active first, by name."""
    return list(
        access.authorisers_administered_by(user=user)
        .select_related("user", "user__agency")
        .order_by(F("active").desc(), "user__full_name", "pk")
    )


def authoriser_candidates(*, user: User) -> QuerySet[User]:
    """Whom the administrator may name an authoriser: active people (not service accounts) of their
    partnership, never themselves, by name."""
    return (
        accounts_administered_by(user=user)
        .filter(is_active=True, is_service_account=False)
        .exclude(pk=user.pk)
        .select_related("agency")
        .order_by("full_name", "email")
    )
