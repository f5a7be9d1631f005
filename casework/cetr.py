"""The CETR safeguard, on every route: a Care, Education and Treatment Review is recorded for the
child, or a named senior person overrides with a reason, before

- a referral goes to a Joint Solutions Panel or Joint Funding Panel for an autistic child or a
  child with a learning disability (seeds 002 s3: "For autistic children and young people and
  children and young people with a learning disability a CeTR must be held before escalation
  occurs"), and the escalation ladder (pathways) asks the same;
- a referral, decision or funding package for a residential placement of 38 weeks a year or more
  (seeds 003 supplementary recommendation 4: "All children with disabilities and complex health
  needs who are on a pathway for admission to residential placement longer than 38 weeks per year
  should be part of a Care, Education and Treatment Review process. No decision should be made
  without multi-agency agreement and commitment.").

Here in casework, the lowest layer, so referrals, panels and funding all ask the same question.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework.access import NotAllowed, can_edit_children
from casework.audit import record_event
from casework.models import CetrRecord, Child, ProviderKind, Role, User

__all__ = [
    "OVERRIDE_ROLES",
    "cetr_override",
    "cetr_record",
    "child_needs_cetr",
    "current_cetr",
    "placement_needs_cetr",
    "require_cetr",
]

# Who may decide to go ahead without a CETR: a service manager (a Service Group Manager or
# equivalent, seeds 002 s8) or a panel chair. The escalation ladder asks more (pathways'
# EscalationAuthoriser grades) for its own override.
OVERRIDE_ROLES = (Role.SERVICE_MANAGER, Role.PANEL_CHAIR)


def child_needs_cetr(child: Child) -> bool:
    """seeds 002 s3: an autistic child or a child with a learning disability."""
    return bool(child.autism or child.learning_disability)


def placement_needs_cetr(*, kind: str, weeks: int | None) -> bool:
    """seeds 003 supplementary recommendation 4 (and recommendation 2: "38 weeks or more")."""
    return kind == ProviderKind.RESIDENTIAL and (weeks or 52) >= 38


def current_cetr(child: Child) -> CetrRecord | None:
    """The child's latest CETR or override (one query); a CETR dated in the future does not count."""
    return (
        CetrRecord.objects.filter(child=child)
        .exclude(held_on__gt=timezone.localdate())
        .select_related("overridden_by")
        .first()
    )


def _why(child: Child, placement: bool) -> str:
    if placement:
        return "this is a residential placement of 38 weeks a year or more"
    parts = [
        p
        for p, on in (("is autistic", child.autism), ("has a learning disability", child.learning_disability))
        if on
    ]
    return f"{child.given_name} {' and '.join(parts)}"


def require_cetr(*, child: Child, placement: bool = False, field: str = "cetr") -> CetrRecord | None:
    """The record that satisfies the safeguard, or ValidationError naming why one is needed. Call it
    only when the rule applies (child_needs_cetr or placement_needs_cetr)."""
    record = current_cetr(child)
    if record is None:
        raise ValidationError(
            {
                field: [
                    f"A Care, Education and Treatment Review is needed first: {_why(child, placement)}. "
                    "Record the CETR on the child's record, or a senior person's override with the reason"
                ]
            }
        )
    return record


def _child_for_change(actor: User, child: Child) -> None:
    if not can_edit_children(user=actor):
        raise NotAllowed("Your role does not allow recording a CETR")


@transaction.atomic
def cetr_record(
    *, actor: User, child: Child, held_on: dt.date, outcome: str, document: str = ""
) -> CetrRecord:
    """Record a CETR held for the child: when, what it concluded and where the report is."""
    _child_for_change(actor, child)
    errors = {}
    if held_on is None:
        errors["held_on"] = ["Enter the date the CETR was held"]
    elif held_on > timezone.localdate():
        errors["held_on"] = ["The date the CETR was held must be today or in the past"]
    if not (outcome or "").strip():
        errors["outcome"] = ["Enter the CETR's outcome and recommendations"]
    if errors:
        raise ValidationError(errors)
    row = CetrRecord(
        child=child,
        held_on=held_on,
        outcome=outcome.strip(),
        document=(document or "").strip(),
        recorded_by=actor,
    )
    row.full_clean()
    row.save()
    record_event(
        actor=actor,
        action="casework.cetr_recorded",
        obj=row,
        child=child,
        changes={"held_on": [None, str(held_on)]},
    )
    return row


@transaction.atomic
def cetr_override(
    *, actor: User, child: Child, overridden_by: User | None, role: str, reason: str
) -> CetrRecord:
    """Record that a named senior person decided to go ahead without a CETR, their role and why."""
    _child_for_change(actor, child)
    errors = {}
    if overridden_by is None:
        errors["overridden_by"] = ["Choose who decided to go ahead without a CETR"]
    elif not overridden_by.is_active or not overridden_by.has_role(*OVERRIDE_ROLES):
        errors["overridden_by"] = [
            f"{overridden_by.full_name} is not a service manager or panel chair: going ahead without a "
            "CETR needs one"
        ]
    if not (role or "").strip():
        errors["role"] = ["Enter their role, for example Service Group Manager"]
    if not (reason or "").strip():
        errors["reason"] = ["Enter why the CETR is being overridden"]
    if errors:
        raise ValidationError(errors)
    row = CetrRecord(
        child=child,
        overridden_by=overridden_by,
        overrider_role=role.strip(),
        override_reason=reason.strip(),
        recorded_by=actor,
    )
    row.full_clean()
    row.save()
    record_event(
        actor=actor,
        action="casework.cetr_overridden",
        obj=row,
        child=child,
        changes={"overridden_by": [None, overridden_by.pk if overridden_by else None]},
    )
    return row
