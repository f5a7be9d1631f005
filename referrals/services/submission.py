"""Submission to a meeting of the panel (a late paper after the papers deadline), the chair's
late-paper decisions, withdrawing and closing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.cetr import child_needs_cetr, require_cetr
from casework.models import User
from casework.notifications import notify
from casework.services import InvalidTransition
from referrals import access
from referrals.models import Referral, SignOffStage, Status, Urgency

# panels' names, imported once in __init__.py (the import contract's declared exceptions)
from referrals.services import (
    CHAIRING_ROLES,
    Meeting,
    MeetingStatus,
    Membership,
    Panel,
    can_chair,
    meeting_deadlines,
)
from referrals.services.state import FINAL_STATUSES, content_hash, current_signatures
from referrals.services.transitions import _link, _transition


class CloseReason:
    PROVISION_ACCESSED = "provision_accessed"
    NO_LONGER_NEEDED = "no_longer_needed"
    choices = [
        (PROVISION_ACCESSED, "The child has accessed suitable provision"),
        (NO_LONGER_NEEDED, "The child no longer needs a response from the panel"),
    ]


def submission_deadline(meeting: Meeting):
    """The papers deadline for a meeting: N working days before it (the panel's setting; seeds 002 3.7)."""
    return meeting_deadlines(meeting).papers_due


@transaction.atomic
def referral_submit(*, actor: User, referral: Referral, meeting: Meeting) -> Referral:
    """Ready to submit → submitted to a meeting of its panel. After the papers deadline it is a late
    paper for the chair to accept or move; an emergency is flagged to the chair at once."""
    if not access.can_edit(user=actor, referral=referral):
        raise NotAllowed("Only the referring team can submit this referral")
    if meeting.panel_id != referral.panel_id:
        raise ValidationError({"meeting": ["Choose a meeting of the panel this referral is for"]})
    today = timezone.localdate()
    if meeting.status != MeetingStatus.SCHEDULED or meeting.date < today:
        raise ValidationError({"meeting": ["Choose a meeting that is still to come"]})
    signatures = current_signatures(referral)
    fingerprint = content_hash(referral)
    stages = {s.stage for s in signatures if s.content_hash == fingerprint}
    if stages != {SignOffStage.TEAM_MANAGER, SignOffStage.SERVICE_MANAGER}:
        raise InvalidTransition(
            "The referral needs both signatures on its current content before it is submitted"
        )
    _require_cetr(referral)
    late = today > submission_deadline(meeting)
    referral = _transition(
        referral=referral,
        allowed={Status.READY_TO_SUBMIT},
        to=Status.SUBMITTED,
        actor=actor,
        reason="Late paper: after the papers deadline" if late else "",
        meeting=meeting,
        submitted_at=timezone.now(),
        submitted_by=actor,
        is_late_paper=late,
    )
    chairs = _panel_chairs(referral.panel)
    if referral.urgency == Urgency.EMERGENCY:
        notify(
            users=chairs,
            subject=f"Emergency referral for {referral.child.initials} submitted to {referral.panel.name}",
            body="An emergency referral needs the chair's attention now.",
            url=_link(referral),
        )
    elif late:
        notify(
            users=chairs,
            subject=f"Late paper for {meeting}: referral for {referral.child.initials}",
            body="Accept it for this meeting or move it to the next one.",
            url=_link(referral),
        )
    return referral


# The panels a referral escalates to (seeds 002 s3 and s6: escalation to a Joint Solutions Panel;
# the Joint Funding Panel takes the same children).
CETR_PANEL_KINDS = ("jsp", "jfp")


def _require_cetr(referral: Referral) -> None:
    """The CETR safeguard on submission (casework.cetr): seeds 002 s3, a CeTR before escalation for
    an autistic child or a child with a learning disability; seeds 003 supplementary
    recommendation 4, a CETR for a residential placement of 38 weeks a year or more."""
    placement = any(option.needs_cetr for option in referral.options.all())
    child = referral.child
    if placement or (referral.panel.kind in CETR_PANEL_KINDS and child_needs_cetr(child)):
        require_cetr(referral=referral, placement=placement)


def _panel_chairs(panel: Panel) -> list[User]:
    """The panel's chair and vice-chairs seated today."""
    seats = Membership.objects.current().filter(panel=panel, role__in=CHAIRING_ROLES)
    return list(User.objects.filter(pk__in=seats.values("person_id"), is_active=True))


def _require_chair(actor: User, referral: Referral) -> None:
    if not can_chair(user=actor, panel=referral.panel):
        raise NotAllowed("Only the panel's chair can do this")


@transaction.atomic
def referral_accept_late(*, actor: User, referral: Referral) -> Referral:
    _require_chair(actor, referral)
    updated = Referral.objects.filter(
        pk=referral.pk, status=Status.SUBMITTED, is_late_paper=True, late_accepted_by__isnull=True
    ).update(late_accepted_by=actor, updated_at=timezone.now())
    if updated != 1:
        raise InvalidTransition("This late paper has already been dealt with")
    referral.refresh_from_db()
    record_event(actor=actor, action="referral.late_accepted", obj=referral, child=referral.child)
    return referral


@transaction.atomic
def referral_move_to_meeting(*, actor: User, referral: Referral, meeting: Meeting) -> Referral:
    _require_chair(actor, referral)
    if (
        meeting.panel_id != referral.panel_id
        or meeting.status != MeetingStatus.SCHEDULED
        or meeting.date < timezone.localdate()
    ):
        raise ValidationError({"meeting": ["Choose a meeting of the same panel that is still to come"]})
    old_meeting = referral.meeting_id
    updated = Referral.objects.filter(pk=referral.pk, status=Status.SUBMITTED).update(
        meeting=meeting,
        is_late_paper=timezone.localdate() > submission_deadline(meeting),
        late_accepted_by=None,
        updated_at=timezone.now(),
    )
    if updated != 1:
        raise InvalidTransition("Only a submitted referral can be moved to another meeting")
    referral.refresh_from_db()
    record_event(
        actor=actor,
        action="referral.moved",
        obj=referral,
        child=referral.child,
        changes={"meeting": [old_meeting, meeting.pk]},
    )
    notify(
        users=[referral.referrer],
        subject=f"Referral for {referral.child.initials} moved to {meeting}",
        url=_link(referral),
    )
    return referral


@transaction.atomic
def referral_withdraw(*, actor: User, referral: Referral, reason: str) -> Referral:
    if not access.can_edit(user=actor, referral=referral):
        raise NotAllowed("Only the referring team can withdraw this referral")
    if not reason.strip():
        raise ValidationError({"reason": ["Enter why the referral is withdrawn"]})
    allowed = set(Status.values) - FINAL_STATUSES - {Status.DECIDED}
    return _transition(
        referral=referral, allowed=allowed, to=Status.WITHDRAWN, actor=actor, reason=reason.strip()
    )


def require_closer(*, actor: User, referral: Referral) -> None:
    """NotAllowed unless the actor is the referring team or the panel's chair (panels.access.can_chair:
    the chair's rights are the panel's), for referral_close and for the API to say so before it
    reads the body."""
    if not (access.can_edit(user=actor, referral=referral) or can_chair(user=actor, panel=referral.panel)):
        raise NotAllowed("Only the referring team or the panel chair can close this referral")


@transaction.atomic
def referral_close(*, actor: User, referral: Referral, reason: str) -> Referral:
    """seeds 002, Joint Funding Panel 3.12: a referral accepted by the panel is closed only once the
    child has accessed suitable provision or no longer needs the panel."""
    require_closer(actor=actor, referral=referral)
    if reason not in {CloseReason.PROVISION_ACCESSED, CloseReason.NO_LONGER_NEEDED}:
        raise ValidationError({"reason": ["Choose why the referral is being closed"]})
    return _transition(
        referral=referral,
        allowed={Status.DECIDED},
        to=Status.CLOSED,
        actor=actor,
        reason=dict(CloseReason.choices)[reason],
        closed_reason=reason,
    )
