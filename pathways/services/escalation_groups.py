"""The groups' records on the escalation ladder (seeds 002, Complex Care Escalation Process): the
meetings of a Rapid Solutions Group or an Exceptional Resourcing Group, Care, Education and
Treatment Reviews, and an Exceptional Resourcing Group's monthly reports to the partnership.

Each service is keyword-only and atomic, checks the actor's role and (for an ERG's chair) the grade,
validates (ValidationError keyed by field) and writes an audit event against the child. The rules
they share with the ladder's rungs are in pathways/services/escalations.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from casework.models import Agency, User
from casework.services import InvalidTransition
from pathways import access
from pathways.models import (
    CareEducationTreatmentReview,
    Escalation,
    EscalationLevel,
    EscalationMeeting,
    EscalationReport,
    EscalationStep,
)
from pathways.selectors.escalations import escalation_settings_for
from pathways.services.escalations import (
    _audit,
    _authoriser,
    _blank,
    _check_chair,
    _involved_ids,
    _raise,
    _refuse_if_stale,
    _require,
)

__all__ = [
    "escalation_record_cetr",
    "escalation_record_meeting",
    "escalation_record_report",
]


def _open_group(escalation: Escalation, what: str) -> EscalationStep:
    if not escalation.is_open:
        raise InvalidTransition("This escalation is resolved")
    if escalation.level not in (EscalationLevel.RSG, EscalationLevel.ERG):
        raise InvalidTransition(
            f"{what} are recorded for a Rapid Solutions Group or an Exceptional Resourcing Group; "
            "the Joint Solutions Panel meets as a panel"
        )
    return EscalationStep.objects.select_for_update().get(escalation=escalation, level=escalation.level)


@transaction.atomic
def escalation_record_meeting(
    *,
    actor: User,
    escalation: Escalation,
    held_at: dt.datetime | None,
    chair: User | None,
    agencies: Iterable[Agency],
    attendees: str,
    notes: str,
    actions: str = "",
    seen: str | None = None,
) -> EscalationMeeting:
    """A meeting of the current RSG or ERG: when, who chaired, which agencies (seeds 002: "should
    include representatives from all the partner organisations"), notes and actions. An ERG meets
    "not more frequent than once per week" (erg_min_days_between_meetings); an ERG's chair is a
    Director (erg_min_seniority). `seen`: escalation_seen() as the page was opened, so a meeting
    someone else recorded meanwhile (perhaps this one) is shown before a second copy is saved."""
    _require(access.can_record_escalation(user=actor), "Your role does not allow recording meetings")
    _refuse_if_stale(escalation, seen)
    step = _open_group(escalation, "Meetings")
    child = escalation.child
    settings = escalation_settings_for(child)
    agencies = list(agencies)
    errors: dict[str, str] = {}
    now = timezone.now()
    if held_at is None:
        errors["held_at"] = "Enter the date and time of the meeting"
    elif held_at > now:
        errors["held_at"] = "The meeting must have been held: the date and time must be now or in the past"
    elif held_at < step.authorised_at - dt.timedelta(minutes=1):
        started = timezone.localtime(step.authorised_at)
        errors["held_at"] = f"The meeting cannot be before the group was set up ({started:%-d %B %Y %H:%M})"
    if step.level == EscalationLevel.ERG:
        _authoriser(
            user=chair,
            grade=settings.erg_min_seniority,
            child=child,
            what="chairing an Exceptional Resourcing Group",
            errors=errors,
            field="chair",
        )
        if held_at is not None and "held_at" not in errors:
            gap = settings.erg_min_days_between_meetings
            day = timezone.localdate(held_at)
            for other in step.meetings.all():
                other_day = timezone.localdate(other.held_at)
                if abs((day - other_day).days) < gap:
                    errors["held_at"] = (
                        f"An Exceptional Resourcing Group meets at most once every {gap} days: it met on "
                        f"{other_day:%-d %B %Y}, so the next meeting can be on or after "
                        f"{other_day + dt.timedelta(days=gap):%-d %B %Y}"
                    )
                    break
    else:
        _check_chair(chair=chair, child=child, errors=errors)
    involved = _involved_ids(child)
    if not agencies:
        errors["agencies"] = "Choose the agencies represented"
    elif any(a.pk not in involved for a in agencies):
        errors["agencies"] = f"Choose agencies involved with {child.given_name}"
    if _blank(attendees):
        errors["attendees"] = "List who attended"
    if _blank(notes):
        errors["notes"] = "Record the notes of the meeting"
    _raise(errors)
    assert held_at is not None and chair is not None  # each refused above when missing
    meeting = EscalationMeeting(
        step=step,
        held_at=held_at,
        chair=chair,
        attendees=attendees.strip(),
        notes=notes.strip(),
        actions=(actions or "").strip(),
        recorded_by=actor,
    )
    meeting.full_clean()
    meeting.save()
    meeting.agencies.set(agencies)
    Escalation.objects.filter(pk=escalation.pk).update(updated_at=now)
    _audit(
        actor=actor,
        action="escalation_meeting",
        escalation=escalation,
        changes={
            "level": step.level,
            "held_at": held_at.isoformat(),
            "chair": chair.pk,
            "agencies": sorted(a.pk for a in agencies),
        },
    )
    return meeting


@transaction.atomic
def escalation_record_cetr(
    *, actor: User, escalation: Escalation, held_on: dt.date | None, chaired_by: str, recommendations: str
) -> CareEducationTreatmentReview:
    """A Care, Education and Treatment Review held for the child (seeds 002 s3: nationally mandated
    and independently chaired)."""
    _require(access.can_record_escalation(user=actor), "Your role does not allow recording a CETR")
    if not escalation.is_open:
        raise InvalidTransition("This escalation is resolved")
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = "Enter the date the review was held"
    elif held_on > timezone.localdate():
        errors["held_on"] = "The review must have been held: the date must be today or in the past"
    if _blank(chaired_by):
        errors["chaired_by"] = "Enter the name of the independent chair"
    if _blank(recommendations):
        errors["recommendations"] = "Record the review's recommendations"
    _raise(errors)
    assert held_on is not None  # refused above when missing
    cetr = CareEducationTreatmentReview(
        escalation=escalation,
        held_on=held_on,
        chaired_by=chaired_by.strip(),
        recommendations=recommendations.strip(),
        recorded_by=actor,
    )
    cetr.full_clean()
    cetr.save()
    _audit(actor=actor, action="escalation_cetr", escalation=escalation, changes={"held_on": str(held_on)})
    return cetr


@transaction.atomic
def escalation_record_report(
    *, actor: User, escalation: Escalation, reported_on: dt.date | None, progress: str
) -> EscalationReport:
    """An Exceptional Resourcing Group's progress report to the partner organisations and the CYP
    Collaborative (seeds 002 s7: "monthly until resolved")."""
    _require(access.can_record_escalation(user=actor), "Your role does not allow recording reports")
    step = _open_group(escalation, "Reports")
    if step.level != EscalationLevel.ERG:
        raise InvalidTransition("Reports to the partnership are made by an Exceptional Resourcing Group")
    errors: dict[str, str] = {}
    if reported_on is None:
        errors["reported_on"] = "Enter the date of the report"
    elif reported_on > timezone.localdate():
        errors["reported_on"] = "The date must be today or in the past"
    elif reported_on < timezone.localdate(step.authorised_at):
        errors["reported_on"] = "The report cannot be before the group was established"
    if _blank(progress):
        errors["progress"] = "Describe the progress reported"
    _raise(errors)
    assert reported_on is not None  # refused above when missing
    report = EscalationReport(
        step=step, reported_on=reported_on, progress=progress.strip(), recorded_by=actor
    )
    report.full_clean()
    report.save()
    _audit(
        actor=actor,
        action="escalation_report",
        escalation=escalation,
        changes={"reported_on": str(reported_on)},
    )
    return report
