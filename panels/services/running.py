"""Writes for running a meeting: who came (and for whom) and declarations of interest.

Recorded by the panel's chair or vice-chair and its administrators (panels.access.can_run_meeting).
Sources: seeds 002 (a deputy attends for a named member; Leicester JSP quorum: two members from
each organisation), seeds 003 (the agenda's "declarations of interest").
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import User
from casework.services import InvalidTransition
from panels import access
from panels.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Declaration,
    DeclarationAction,
    Meeting,
    MeetingStatus,
    Membership,
)

__all__ = ["attendance_record", "declaration_record", "declaration_remove"]


def require_runner(actor: User, meeting: Meeting) -> None:
    if not access.can_run_meeting(user=actor, meeting=meeting):
        raise NotAllowed("Only the panel's chair, vice-chair or administrators can do this")


def require_open(meeting: Meeting) -> None:
    """Nothing is recorded for a cancelled meeting."""
    status = Meeting.objects.filter(pk=meeting.pk).values_list("status", flat=True).first()
    if status == MeetingStatus.CANCELLED:
        raise ValidationError("This meeting has been cancelled, so nothing can be recorded for it")


def _seated(meeting: Meeting, membership: Membership) -> bool:
    return (
        membership.panel_id == meeting.panel_id
        and Membership.objects.current(on=meeting.date).filter(pk=membership.pk).exists()
    )


@transaction.atomic
def attendance_record(
    *,
    actor: User,
    meeting: Meeting,
    membership: Membership,
    status: str,
    deputy_for: Membership | None = None,
) -> Attendance:
    """Record (or change) a member's attendance: present, apologies or absent. A person present may
    attend as the deputy for a named member of the same agency (seeds 002); they then fill that
    member's seat in the quorum. Nobody is recorded present before the meeting day."""
    require_runner(actor, meeting)
    require_open(meeting)
    if not _seated(meeting, membership):
        raise ValidationError({"membership": ["Choose a member of this panel on the day of the meeting"]})
    if status not in AttendanceStatus.values:
        raise ValidationError({"status": ["Choose present, apologies or absent"]})
    if status == AttendanceStatus.PRESENT and meeting.date > timezone.localdate():
        raise ValidationError(
            {"status": ["You can record who is present from the day of the meeting: record apologies now"]}
        )
    if deputy_for is not None:
        if status != AttendanceStatus.PRESENT:
            raise ValidationError({"deputy_for": ["Only a person who is present can attend as a deputy"]})
        if deputy_for.pk == membership.pk or deputy_for.panel_id != meeting.panel_id:
            raise ValidationError({"deputy_for": ["Choose another member of this panel"]})
        if deputy_for.agency_id != membership.agency_id:
            raise ValidationError({"deputy_for": ["A deputy attends for a member of their own agency"]})
    existing = Attendance.objects.select_for_update().filter(meeting=meeting, membership=membership).first()
    before = [existing.status, existing.deputy_for_id] if existing else [None, None]
    if existing is None:
        row = Attendance(meeting=meeting, membership=membership, recorded_by=actor)
    else:
        row = existing
    row.status = status
    row.deputy_for = deputy_for
    row.recorded_by = actor
    row.recorded_at = timezone.now()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:  # two people recording the same member's first attendance at once
        raise InvalidTransition("Someone else recorded this member's attendance: reload the page") from exc
    after = [row.status, row.deputy_for_id]
    if before != after:
        record_event(
            actor=actor,
            action="meeting.attendance_recorded",
            obj=meeting,
            changes={
                "member": [None, membership.pk],
                "status": [before[0], after[0]],
                "deputy_for": [before[1], after[1]],
            },
        )
    return row


def _item_of_meeting(agenda_item: AgendaItem) -> None:
    if agenda_item.withdrawn_at is not None:
        raise ValidationError({"agenda_item": ["This item has been withdrawn from the agenda"]})


@transaction.atomic
def declaration_record(
    *, actor: User, agenda_item: AgendaItem, membership: Membership, interest: str, action: str
) -> Declaration:
    """A member's declaration of interest on one item, and the action taken (seeds 003)."""
    meeting = agenda_item.meeting
    require_runner(actor, meeting)
    require_open(meeting)
    _item_of_meeting(agenda_item)
    errors: dict[str, list[str]] = {}
    if not _seated(meeting, membership):
        errors["membership"] = ["Choose a member of this panel"]
    interest = (interest or "").strip()
    if not interest:
        errors["interest"] = ["Enter the interest declared"]
    elif len(interest) > 2000:
        errors["interest"] = ["The interest must be 2000 characters or fewer"]
    if action not in DeclarationAction.values:
        errors["action"] = ["Choose the action taken"]
    if errors:
        raise ValidationError(errors)
    if Declaration.objects.filter(agenda_item=agenda_item, membership=membership).exists():
        raise ValidationError(
            {"membership": [f"{membership.person.full_name} has already declared an interest on this item"]}
        )
    declaration = Declaration(
        agenda_item=agenda_item, membership=membership, interest=interest, action=action, recorded_by=actor
    )
    try:
        with transaction.atomic():
            declaration.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"membership": ["This member has already declared an interest on this item"]}
        ) from exc
    record_event(
        actor=actor,
        action="meeting.declaration_recorded",
        obj=meeting,
        changes={"item": [None, agenda_item.pk], "member": [None, membership.pk], "action": [None, action]},
    )
    return declaration


@transaction.atomic
def declaration_remove(*, actor: User, declaration: Declaration) -> None:
    """Take back a declaration recorded in error (the audit keeps what it said)."""
    meeting = declaration.agenda_item.meeting
    require_runner(actor, meeting)
    require_open(meeting)
    record_event(
        actor=actor,
        action="meeting.declaration_removed",
        obj=meeting,
        changes={
            "item": [declaration.agenda_item_id, None],
            "member": [declaration.membership_id, None],
            "interest": [declaration.interest, None],
        },
    )
    declaration.delete()
