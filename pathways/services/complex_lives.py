"""Complex Lives: a case for an unmet health need no other route covers, and its MDT meetings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from casework.models import Agency, Child, User
from casework.services import InvalidTransition
from pathways import access
from pathways.models import CaseKind, ComplexLives, MDTMeeting, PathwayCase, Status
from pathways.selectors import open_continuing_care
from pathways.services.cases import (
    _audit,
    _check_people,
    _event,
    _expect_kind,
    _not_future,
    _open,
    _raise,
    _require,
)

__all__ = [
    "CC_OPEN_REASON_NEEDED",
    "complex_lives_open",
    "mdt_record",
]


CC_OPEN_REASON_NEEDED = (
    "The child has an open Continuing Care case: say why a Complex Lives case is needed as well"
)


@transaction.atomic
def complex_lives_open(
    *,
    actor: User,
    child: Child,
    lead_agency: Agency,
    case_worker: User | None,
    unmet_need: str,
    reason: str = "",
) -> PathwayCase:
    """For an unmet health need no other route covers (seeds 000: "A complex lives MDT is held if
    the child is not covered by these routes but still has an unmet health need"). While the child
    has an open Continuing Care case, `reason` (why Complex Lives as well) is required; it is
    recorded on the case's timeline and in the audit event."""
    _require(access.can_edit_cases(user=actor), "Your role does not allow opening pathway cases")
    errors: dict[str, str] = {}
    _check_people(child=child, lead_agency=lead_agency, case_worker=case_worker, errors=errors)
    if not (unmet_need or "").strip():
        errors["unmet_need"] = "Describe the unmet health need"
    reason = (reason or "").strip()
    continuing_care = open_continuing_care(child=child)
    if continuing_care is not None and not reason:
        errors["reason"] = CC_OPEN_REASON_NEEDED
    _raise(errors)
    case = _open(
        actor=actor,
        child=child,
        kind=CaseKind.COMPLEX_LIVES,
        lead_agency=lead_agency,
        case_worker=case_worker,
        status=Status.OPEN,
        what="Complex Lives case opened",
        note=unmet_need.strip(),
    )
    cl = ComplexLives(case=case, unmet_need=unmet_need.strip())
    cl.full_clean()
    cl.save()
    if continuing_care is not None:
        what = f"Opened while Continuing Care case {continuing_care.pk} is open"
        _event(case=case, actor=actor, what=what, note=reason)
        _audit(
            actor=actor,
            action="complex_lives_alongside_cc",
            case=case,
            changes={"continuing_care_case": continuing_care.pk, "reason": reason},
        )
    return case


@transaction.atomic
def mdt_record(
    *, actor: User, case: PathwayCase, fields: Mapping[str, Any], agencies: Iterable[Agency]
) -> MDTMeeting:
    """An MDT meeting: date, attendees by agency, the unmet need, options, outcome and actions (text)."""
    _expect_kind(case, CaseKind.COMPLEX_LIVES)
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording MDT meetings")
    if case.status != Status.OPEN:
        raise InvalidTransition("This case is closed")
    agencies = list(agencies)
    errors: dict[str, str] = {}
    involved = set(access.involved_agencies(child=case.child).values_list("pk", flat=True))
    if not agencies:
        errors["agencies"] = "Choose the agencies that attended"
    elif any(a.pk not in involved for a in agencies):
        errors["agencies"] = "Choose agencies involved with the child"
    if fields.get("held_on") is None:
        errors["held_on"] = "Enter the date of the meeting"
    _not_future(fields.get("held_on"), "held_on", errors)
    required = {
        "attendees": "List who attended",
        "unmet_need": "Describe the unmet need discussed",
        "outcome": "Record the outcome",
    }
    errors.update({name: msg for name, msg in required.items() if not (fields.get(name) or "").strip()})
    _raise(errors)
    meeting = MDTMeeting(
        case=case,
        recorded_by=actor,
        **{
            k: (v.strip() if isinstance(v, str) else v)
            for k, v in fields.items()
            if k in ("held_on", "attendees", "unmet_need", "options", "outcome", "actions")
        },
    )
    meeting.full_clean()
    meeting.save()
    meeting.agencies.set(agencies)
    _event(case=case, actor=actor, what="MDT meeting held", note=meeting.outcome, on_date=meeting.held_on)
    _audit(actor=actor, action="mdt_record", case=case, changes={"held_on": str(meeting.held_on)})
    return meeting
