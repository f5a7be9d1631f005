"""What every pathway case shares: its opening, its timeline, its compare-and-swap status, its
reviews and its closing. The helpers here (underscored) are the other pathway modules' too.

Each service is keyword-only, atomic, checks the actor's role, validates (ValidationError keyed by
field, so a page shows it next to the field and the API answers 400), changes status by
compare-and-swap (another change first → InvalidTransition, 409), adds a line to the case's
timeline and writes an audit event against the child.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import Agency, Child, User
from casework.services import InvalidTransition
from casework.stale import StaleEdit, refuse_if_stale, who_saved
from pathways import access
from pathways.models import CaseEvent, CaseKind, CaseReview, PathwayCase, Status

__all__ = [
    "case_close",
    "review_record",
]


# --- Shared helpers ----------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


def _not_future(value: dt.date | None, field: str, errors: dict[str, str]) -> None:
    if value is not None and value > timezone.localdate():
        errors[field] = "The date must be today or in the past"


def _raise(errors: Mapping[str, str]) -> None:
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})


def _event(
    *,
    case: PathwayCase,
    actor: User,
    what: str,
    note: str = "",
    on_date: dt.date | None = None,
    from_status: str = "",
    to_status: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        what=what,
        actor=actor,
        note=note,
        on_date=on_date or timezone.localdate(),
        from_status=from_status,
        to_status=to_status,
    )


def _audit(*, actor: User, action: str, case: PathwayCase, changes: dict[str, Any] | None = None) -> None:
    record_event(actor=actor, action=f"pathways.{action}", obj=case, changes=changes or {}, child=case.child)


def _transition(
    *,
    case: PathwayCase,
    actor: User,
    allowed_from: Iterable[str],
    to: str,
    what: str,
    note: str = "",
    on_date: dt.date | None = None,
) -> PathwayCase:
    """Compare-and-swap the status: if someone moved the case on first, it is a conflict."""
    allowed_from = list(allowed_from)
    old = case.status
    if old not in allowed_from:
        raise InvalidTransition(
            f"This case is {case.get_status_display().lower()}: it cannot be changed like that now"
        )
    now = timezone.now()
    if PathwayCase.objects.filter(pk=case.pk, status=old).update(status=to, updated_at=now) != 1:
        winner = who_saved(case, actions=["pathways.case_status"])
        raise InvalidTransition(
            f"Someone else changed this case first{': ' + winner if winner else ''}. Reload it and try again"
        )
    case.status, case.updated_at = to, now
    _event(case=case, actor=actor, what=what, note=note, on_date=on_date, from_status=old, to_status=to)
    _audit(actor=actor, action="case_status", case=case, changes={"status": [old, to], "what": what})
    return case


def _refuse_stale(
    *,
    case: PathwayCase,
    record: Any,
    fields: Iterable[str],
    seen: str | None,
    what: str,
    action: str,
) -> None:
    """For a service, with `record` locked: refuse an edit made from what was saved before someone
    else's save (casework.stale.refuse_if_stale), naming who saved it and when, from the case's audit
    trail (`action`: the service's audit action). `what`: "the evidence", "the aftercare plan"."""
    message = f"Someone else changed {what} since you opened it"
    try:
        refuse_if_stale(record=record, fields=list(fields), seen=seen, message=message)
    except StaleEdit as exc:
        raise _stale(case=case, what=what, action=action, current=exc.current) from None


def _stale(*, case: PathwayCase, what: str, action: str, current: Mapping[str, Any]) -> StaleEdit:
    """The loser's StaleEdit: "Someone else changed the evidence since you opened it: Priya Shah
    saved it at 14:05. Reload it and try again"."""
    winner = who_saved(case, actions=[f"pathways.{action}"])
    return StaleEdit(
        f"Someone else changed {what} since you opened it{': ' + winner if winner else ''}. "
        "Reload it and try again",
        current=current,
    )


def _expect_kind(case: PathwayCase, kind: str) -> None:
    if case.kind != kind:
        raise InvalidTransition(f"This is a {case.get_kind_display()} case")


def _check_people(
    *, child: Child, lead_agency: Agency, case_worker: User | None, errors: dict[str, str]
) -> None:
    involved = set(access.involved_agencies(child=child).values_list("pk", flat=True))
    if lead_agency.pk not in involved:
        errors["lead_agency"] = "Choose an agency involved with the child as the lead agency"
    if case_worker is not None and (not case_worker.is_active or case_worker.agency_id not in involved):
        errors["case_worker"] = "Choose a case worker from an agency involved with the child"


def _open(
    *,
    actor: User,
    child: Child,
    kind: str,
    lead_agency: Agency,
    case_worker: User | None,
    status: str,
    what: str,
    note: str = "",
) -> PathwayCase:
    case = PathwayCase.objects.create(
        child=child,
        kind=kind,
        lead_agency=lead_agency,
        case_worker=case_worker,
        status=status,
        created_by=actor,
    )
    _event(case=case, actor=actor, what=what, note=note, to_status=status)
    _audit(
        actor=actor,
        action=f"{kind}_open",
        case=case,
        changes={"lead_agency": lead_agency.pk, "case_worker": case_worker.pk if case_worker else None},
    )
    return case


# --- Reviews (Continuing Care and Section 117) ------------------------------------------------


@transaction.atomic
def review_record(*, actor: User, case: PathwayCase, held_on: dt.date, notes: str = "") -> CaseReview:
    """A review of a package in place (Continuing Care) or of aftercare (Section 117)."""
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording reviews")
    if case.kind == CaseKind.CONTINUING_CARE:
        if case.status != Status.PACKAGE:
            raise InvalidTransition("Reviews are recorded once the package is in place")
        started = case.continuing_care.package_started_on
        if started is None:  # cc_record_package sets it with the status
            raise InvalidTransition("Record the date the package started before its reviews")
        starts, start_label = started, "the package started"
    elif case.kind == CaseKind.SECTION_117:
        if case.status != Status.AFTERCARE:
            raise InvalidTransition("Reviews are recorded while aftercare continues")
        s117 = case.section_117
        starts, start_label = s117.discharged_on or s117.detained_on, "aftercare began"
    else:
        raise InvalidTransition("This kind of case has no reviews")
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = "Enter the date of the review"
    elif held_on < starts:
        errors["held_on"] = f"The review date must be on or after the date {start_label} ({starts:%-d %B %Y})"
    _not_future(held_on, "held_on", errors)
    _raise(errors)
    review = CaseReview(case=case, held_on=held_on, notes=notes.strip(), recorded_by=actor)
    review.full_clean()
    review.save()
    _event(case=case, actor=actor, what="Review held", note=review.notes, on_date=held_on)
    _audit(actor=actor, action="review", case=case, changes={"held_on": str(held_on)})
    return review


@transaction.atomic
def case_close(*, actor: User, case: PathwayCase, reason: str) -> PathwayCase:
    _require(access.can_edit_cases(user=actor), "Your role does not allow closing pathway cases")
    if case.kind == CaseKind.SECTION_117:
        raise InvalidTransition(
            "Section 117 aftercare ends only by a joint decision of the ICB and the council"
        )
    if not (reason or "").strip():
        _raise({"reason": "Give the reason for closing the case"})
    open_statuses = [s for s in Status.values if s not in (Status.CLOSED, Status.ENDED)]
    return _transition(
        case=case,
        actor=actor,
        allowed_from=open_statuses,
        to=Status.CLOSED,
        what="Case closed",
        note=reason.strip(),
    )
