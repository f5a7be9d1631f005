"""Writes for running a meeting: who came (and for whom) and declarations of interest.

Recorded by the panel's chair or vice-chair and its administrators (panels.access.can_run_meeting).
Sources: seeds 002 (a deputy attends for a named member; Leicester JSP quorum: two members from
each organisation), seeds 003 (the agenda's "declarations of interest").
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import AuditEvent, User
from casework.services import InvalidTransition
from casework.stale import moment
from panels import access
from panels.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Decision,
    DecisionStatus,
    Declaration,
    DeclarationAction,
    Meeting,
    MeetingStatus,
    Membership,
)

__all__ = ["attendance_record", "declaration_correct", "declaration_record", "declaration_remove"]


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
    if before != [status, deputy_for.pk if deputy_for else None]:
        _refuse_after_signed_decisions(meeting)
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


def _refuse_after_signed_decisions(meeting: Meeting) -> None:
    """Who was present decides what was a decision and what a recommendation to an absent agency
    (seeds 002, Joint Funding Panel: "Decisions are not to be made if they impact upon one of the
    agencies who may not be present"), so attendance does not silently change once a decision of
    the meeting is signed: refused (409), pointing to the correction page. A change then is a
    correction with a reason (panels.services.attendance.attendance_correct), which works each
    signed decision out again and tells the people concerned."""
    if Decision.objects.filter(agenda_item__meeting=meeting, status=DecisionStatus.SIGNED).exists():
        page = reverse("panels:run_attendance_correct", args=[meeting.pk])
        raise InvalidTransition(
            "A decision of this meeting has been signed, so its attendance cannot simply change: who "
            "was present decided what was a decision and what a recommendation to an absent agency. "
            f"Use Correct attendance ({page}) to correct it with a reason: each signed decision is "
            "then worked out again"
        )


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
    # A member declares once per item; declaring again after a withdrawal continues their chain.
    latest = (
        Declaration.objects.select_for_update(of=("self",))
        .filter(agenda_item=agenda_item, membership=membership, correction__isnull=True)
        .first()
    )
    if latest is not None and not latest.withdrawn:
        raise ValidationError(
            {"membership": [f"{membership.person.full_name} has already declared an interest on this item"]}
        )
    declaration = Declaration(
        agenda_item=agenda_item, membership=membership, interest=interest, action=action, recorded_by=actor
    )
    if latest is not None:
        declaration.corrects, declaration.reason = latest, "Declared again after being withdrawn"
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
def _signed_decision(agenda_item_id: int) -> Decision | None:
    """The item's decisions, locked (a signature at the same moment waits, or is waited for), and
    the first that was ever signed: from then on, its declarations are append-only."""
    # No select_related: a row re-read after waiting for a signature's lock would come back with the
    # signer's columns as they were before it (PostgreSQL rechecks only the locked table).
    decisions = list(
        Decision.objects.select_for_update().filter(agenda_item_id=agenda_item_id).order_by("version", "pk")
    )
    return next((d for d in decisions if d.signed_at is not None), None)


def _locked_declaration(declaration: Declaration) -> Declaration:
    """The declaration row, locked; a 409 naming who removed it when it is gone."""
    locked = Declaration.objects.select_for_update().filter(pk=declaration.pk).first()
    if locked is None:
        removed = who_removed(declaration)
        raise InvalidTransition(f"This declaration has already been removed{removed}")
    return locked


def who_removed(declaration: Declaration) -> str:
    """Who removed the declaration and when, from the audit trail, as a refusal's aside
    (" (Adam Clerk removed it at 10:02)"), or "" when the trail does not say."""
    event = (
        AuditEvent.objects.filter(
            action="meeting.declaration_removed",
            object_type=Meeting._meta.label,
            object_id=str(declaration.agenda_item.meeting_id),
            changes__declaration=[declaration.pk, None],
        )
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    if event is None or event.actor is None:
        return ""
    return f" ({event.actor.full_name} removed it {moment(event.at)})"


@transaction.atomic
def declaration_remove(*, actor: User, declaration: Declaration) -> None:
    """Take back a declaration recorded in error, while the item's decision is not yet signed (the
    audit keeps what it said, and who removed it). Once the decision is signed, declarations are
    append-only: InvalidTransition (409) saying who signed and when; declaration_correct adds a
    correction instead (issue 13: nothing declared is lost after the decision it bears on)."""
    meeting = declaration.agenda_item.meeting
    require_runner(actor, meeting)
    require_open(meeting)
    signed = _signed_decision(declaration.agenda_item_id)
    if signed is not None:
        who = signed.signed_by.full_name if signed.signed_by is not None else "the chair"
        raise InvalidTransition(
            f"The decision on this item was signed by {who} {moment(signed.signed_at)}, so its "
            "declarations can no longer be removed: record a correction instead"
        )
    locked = _locked_declaration(declaration)
    if Declaration.objects.filter(corrects=locked).exists():
        raise InvalidTransition(
            "This declaration has been corrected since, so it stays with its correction: "
            "remove or correct the latest entry instead"
        )
    record_event(
        actor=actor,
        action="meeting.declaration_removed",
        obj=meeting,
        changes={
            "declaration": [locked.pk, None],
            "item": [locked.agenda_item_id, None],
            "member": [locked.membership_id, None],
            "interest": [locked.interest, None],
            "action": [locked.action, None],
            "recorded_by": [locked.recorded_by_id, None],
            "recorded_at": [locked.recorded_at.isoformat(), None],
        },
    )
    locked.delete()


@transaction.atomic
def declaration_correct(
    *,
    actor: User,
    declaration: Declaration,
    reason: str,
    interest: str | None = None,
    action: str | None = None,
    withdraw: bool = False,
) -> Declaration:
    """Correct a declaration without losing what it said: a new entry naming the one it corrects,
    with the corrected interest and action (either left out: kept), or `withdraw` (the declaration
    was recorded in error). The corrected entry stays, no longer current. The only way to change a
    declaration once the item's decision is signed; also allowed before. Two corrections of the same
    entry at once: one wins, the other is refused (409) naming who corrected it."""
    meeting = declaration.agenda_item.meeting
    require_runner(actor, meeting)
    require_open(meeting)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Enter why the declaration is being corrected"]
    elif len(reason) > 2000:
        errors["reason"] = ["The reason must be 2000 characters or fewer"]
    text = (interest or "").strip() if interest is not None else None
    if not withdraw and text is not None and not text:
        errors["interest"] = ["Enter the interest declared"]
    elif text is not None and len(text) > 2000:
        errors["interest"] = ["The interest must be 2000 characters or fewer"]
    if action and action not in DeclarationAction.values:
        errors["action"] = ["Choose the action taken"]
    if errors:
        raise ValidationError(errors)
    current = _locked_declaration(declaration)
    already = Declaration.objects.filter(corrects=current).select_related("recorded_by").first()
    if already is not None:
        raise InvalidTransition(
            f"{already.recorded_by.full_name} corrected this declaration {moment(already.recorded_at)}: "
            "nothing was saved. Correct the latest entry if it still needs changing"
        )
    if withdraw and current.withdrawn:
        raise InvalidTransition("This declaration has already been withdrawn")
    correction = Declaration(
        agenda_item_id=current.agenda_item_id,
        membership_id=current.membership_id,
        interest=text or current.interest,
        action=action or current.action,
        corrects=current,
        withdrawn=withdraw,
        reason=reason,
        recorded_by=actor,
    )
    try:
        with transaction.atomic():
            correction.save()
    except IntegrityError as exc:  # someone corrected the same entry at the same moment
        raise InvalidTransition(
            "Someone else corrected this declaration at the same moment: nothing was saved"
        ) from exc
    record_event(
        actor=actor,
        action="meeting.declaration_corrected",
        obj=meeting,
        changes={
            "declaration": [current.pk, correction.pk],
            "item": [current.agenda_item_id, correction.agenda_item_id],
            "member": [current.membership_id, correction.membership_id],
            "interest": [current.interest, None if withdraw else correction.interest],
            "action": [current.action, None if withdraw else correction.action],
            "withdrawn": [current.withdrawn, withdraw],
            "reason": [None, reason],
        },
    )
    return correction
