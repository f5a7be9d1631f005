"""Writes to the escalation ladder's reference data (seeds 002, Complex Care Escalation Process):
who may authorise at which grade (EscalationAuthoriser) and the partnership's clocks and grades
(EscalationSettings). Kept by the partnership administrator in the service's pages.

Beside pathways/services/escalations.py, which records escalations themselves. Each service is keyword-only,
atomic, checks that the actor administers the person's (or the settings') partnership, validates
with full_clean() and writes an audit event. An administrator never records their own grade: that
would be raising their own privileges.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from casework import access as core_access
from casework.access import NotAllowed
from casework.audit import diff, record_event, snapshot
from casework.models import User
from casework.services import InvalidTransition
from pathways import access
from pathways.models import EscalationAuthoriser, EscalationSettings, Seniority

__all__ = [
    "SETTINGS_FIELDS",
    "escalation_authoriser_add",
    "escalation_authoriser_end",
    "escalation_settings_update",
    "settings_of",
]

SETTINGS_FIELDS = (
    "rsg_first_meeting_hours",
    "rsg_meetings_per_week",
    "erg_min_days_between_meetings",
    "erg_report_interval_months",
    "rsg_min_seniority",
    "jsp_min_seniority",
    "erg_min_seniority",
    "cetr_override_min_seniority",
)
AUTHORISER_FIELDS = ("seniority", "job_title", "active")


def _require_administers(actor: User, person: User) -> None:
    if not core_access.can_administer_account(actor=actor, account=person):
        raise NotAllowed("Only a partnership administrator of the person's partnership can do this")
    core_access.require_not_self(actor=actor, account=person, doing="record an escalation grade")


@transaction.atomic
def escalation_authoriser_add(
    *, actor: User, user: User, seniority: str, job_title: str
) -> EscalationAuthoriser:
    """Record that a person of the partnership may authorise escalation at this grade. Someone whose
    grade was ended gets it back with the new grade and title (the row is one per person)."""
    _require_administers(actor, user)
    errors: dict[str, list[str]] = {}
    if user.is_service_account or not user.is_active:
        errors["user"] = ["Choose a person whose account is open"]
    if seniority not in Seniority.values:
        errors["seniority"] = ["Choose their grade"]
    if not (job_title or "").strip():
        errors["job_title"] = ["Enter their job title, as their organisation names it"]
    if errors:
        raise ValidationError(errors)
    row = EscalationAuthoriser.objects.select_for_update().filter(user=user).first()
    if row is not None and row.active:
        raise ValidationError(
            {"user": [f"{user.full_name} is already an authoriser: end their current grade first"]}
        )
    before = snapshot(row, AUTHORISER_FIELDS) if row is not None else {}
    row = row or EscalationAuthoriser(user=user)
    row.seniority, row.job_title, row.active = seniority, job_title.strip(), True
    row.full_clean()
    row.save()
    changes = diff(before, snapshot(row, AUTHORISER_FIELDS))
    changes["user"] = [None, user.pk]
    record_event(actor=actor, action="pathways.escalation_authoriser_added", obj=row, changes=changes)
    return row


@transaction.atomic
def escalation_authoriser_end(*, actor: User, authoriser: EscalationAuthoriser) -> EscalationAuthoriser:
    """They may no longer authorise escalation. Steps they authorised keep their grade at the time."""
    _require_administers(actor, authoriser.user)
    if not EscalationAuthoriser.objects.filter(pk=authoriser.pk, active=True).update(active=False):
        raise InvalidTransition("This grade has already ended")
    authoriser.active = False
    record_event(
        actor=actor,
        action="pathways.escalation_authoriser_ended",
        obj=authoriser,
        changes={"active": [True, False]},
    )
    return authoriser


def settings_of(*, partnership: str) -> EscalationSettings:
    """The partnership's own row, else an unsaved copy of the default row (blank partnership), else
    the model's defaults (the seeds' numbers)."""
    rows = {
        row.partnership: row for row in EscalationSettings.objects.filter(partnership__in=[partnership, ""])
    }
    if partnership in rows:
        return rows[partnership]
    default = rows.get("")
    values = {name: getattr(default, name) for name in SETTINGS_FIELDS} if default else {}
    return EscalationSettings(partnership=partnership, **values)


@transaction.atomic
def escalation_settings_update(
    *, actor: User, partnership: str, fields: Mapping[str, Any]
) -> EscalationSettings:
    """Set the partnership's escalation clocks and the grade each decision needs. The first change
    makes the partnership's own row, starting from the default. The default row itself (blank
    partnership) is the platform operator's."""
    if not access.can_administer_escalation(user=actor, partnership=partnership):
        raise NotAllowed(
            "Only a partnership administrator of this partnership can change its escalation settings"
        )
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Unknown escalation settings: {sorted(unknown)}")
    locked = EscalationSettings.objects.select_for_update().filter(partnership=partnership).first()
    row = locked or settings_of(partnership=partnership)
    before = snapshot(row, SETTINGS_FIELDS)
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    changes = diff(before, snapshot(row, SETTINGS_FIELDS))
    if changes or row.pk is None:
        row.save()
        record_event(actor=actor, action="pathways.escalation_settings_changed", obj=row, changes=changes)
    return row
