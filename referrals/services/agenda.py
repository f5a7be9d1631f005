"""The panel's side: agenda and outcome (called by panels.services, which check the seat)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from casework import outbox
from casework.models import User
from casework.notifications import notify
from casework.services import InvalidTransition
from referrals.jobs import REFERRAL_PAPER
from referrals.models import Referral, Status

# panels' names, imported once in __init__.py (the import contract's declared exceptions)
from referrals.services import Meeting
from referrals.services.transitions import _link, _transition

# What a referral becomes when the panel records each kind of outcome (panels.models.Outcome).
PANEL_OUTCOME_STATUSES = {Status.DECIDED, Status.DEFERRED, Status.RETURNED}


@transaction.atomic
def referral_place_on_agenda(*, actor: User, referral: Referral, meeting: Meeting) -> Referral:
    """Submitted to this meeting (a late paper only once the chair accepted it), or deferred from an
    earlier one → on the agenda of `meeting`. panels.services.agenda checks the actor administers
    the panel."""
    if meeting.panel_id != referral.panel_id:
        raise ValidationError({"referral": ["This referral is for another panel"]})
    if referral.status == Status.SUBMITTED:
        if referral.meeting_id != meeting.pk:
            raise ValidationError({"referral": ["This referral was submitted to another meeting"]})
        if referral.is_late_paper and referral.late_accepted_by_id is None:
            raise InvalidTransition("This is a late paper: the chair must accept it for this meeting first")
    referral = _transition(
        referral=referral,
        allowed={Status.SUBMITTED, Status.DEFERRED},
        to=Status.ON_AGENDA,
        actor=actor,
        reason=f"On the agenda for {meeting}",
        meeting=meeting,
    )
    # Its content is final for the panel now: render its paper once, in the background (owed in
    # this transaction, so a broker that is down delays it but never loses it).
    outbox.defer(
        kind=REFERRAL_PAPER,
        object_id=referral.pk,
        partnership=referral.child.owning_agency.partnership,
        summary=f"Paper for referral {referral.pk} on the agenda of {meeting}",
    )
    return referral


@transaction.atomic
def referral_take_off_agenda(*, actor: User, referral: Referral, reason: str) -> Referral:
    """On the agenda → submitted again (the item was withdrawn from the agenda)."""
    return _transition(
        referral=referral, allowed={Status.ON_AGENDA}, to=Status.SUBMITTED, actor=actor, reason=reason
    )


@transaction.atomic
def referral_record_outcome(*, actor: User, referral: Referral, to: str, reason: str) -> Referral:
    """On the agenda → decided, deferred or returned for more information, when the chair signs the
    decision. A signed correction may move it between those three. Returned goes back to the
    referrer to edit and sign off again."""
    if to not in PANEL_OUTCOME_STATUSES:
        raise ValueError(f"{to} is not a panel outcome")
    current = Referral.objects.filter(pk=referral.pk).values_list("status", flat=True).first()
    if current == to:
        return referral
    referral = _transition(
        referral=referral,
        allowed={Status.ON_AGENDA, *PANEL_OUTCOME_STATUSES},
        to=to,
        actor=actor,
        reason=reason,
    )
    if to == Status.RETURNED:
        notify(
            users=[referral.referrer],
            subject=f"The panel returned the referral for {referral.child.initials} for more information",
            body=reason,
            url=_link(referral),
        )
    return referral
