"""Sign-off: sending a complete referral to the team manager, then the service manager (or a panel
member) signing its exact content or returning it; and, when two people act at once, who did what
(issue 13)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework.access import NotAllowed
from casework.models import User
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.stale import moment
from referrals import access
from referrals.models import Referral, SignOff, SignOffDecision, SignOffStage, Status, StatusChange
from referrals.services.state import completeness, content_hash, current_signatures
from referrals.services.transitions import (
    _link,
    _lock_editable,
    _service_managers_for,
    _team_managers_for,
    _transition,
)


@transaction.atomic
def referral_send_for_sign_off(*, actor: User, referral: Referral) -> Referral:
    """Draft (or returned) → awaiting the team manager, once every section is complete."""
    locked = _lock_editable(actor=actor, referral=referral)
    problems = completeness(locked)
    if problems:
        raise ValidationError(problems)
    referral = _transition(
        referral=locked,
        allowed={Status.DRAFT, Status.RETURNED},
        to=Status.AWAITING_TEAM_MANAGER,
        actor=actor,
    )
    notify(
        users=_team_managers_for(referral),
        subject=f"Referral for {referral.child.initials} is waiting for your signature",
        body=f"{actor.full_name} sent a referral to {referral.panel.name} for your sign-off as team manager.",
        url=_link(referral),
    )
    return referral


# What each move of a referral reads as when it is why someone else's action lost (issue 13).
_MOVES: dict[str, str] = {
    Status.DRAFT: "took this referral back to draft",
    Status.AWAITING_TEAM_MANAGER: "sent this referral for sign-off",
    Status.AWAITING_SERVICE_MANAGER: "signed this referral as team manager",
    Status.READY_TO_SUBMIT: "gave this referral its second signature",
    Status.SUBMITTED: "submitted this referral",
    Status.ON_AGENDA: "put this referral on an agenda",
    Status.DECIDED: "recorded the panel's decision on this referral",
    Status.RETURNED: "returned this referral to the referrer",
    Status.DEFERRED: "recorded this referral as deferred",
    Status.WITHDRAWN: "withdrew this referral",
    Status.CLOSED: "closed this referral",
}


_STAGE_OF: dict[str, SignOffStage] = {
    Status.AWAITING_TEAM_MANAGER: SignOffStage.TEAM_MANAGER,
    Status.AWAITING_SERVICE_MANAGER: SignOffStage.SERVICE_MANAGER,
}


def _last_change(referral: Referral) -> StatusChange | None:
    return (
        StatusChange.objects.filter(referral_id=referral.pk)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


def referral_last_move(referral: Referral, *, actor: User | None = None) -> str:
    """Who last moved the referral, what they did and when: "Tara Bell signed this referral as team
    manager at 10:02" ("You ..." when it was `actor`). One indexed query (statuschange_referral_at)."""
    change = _last_change(referral)
    if change is None:
        return f"This referral is {referral.get_status_display().lower()}"
    who = "You" if actor is not None and change.actor_id == actor.pk else change.actor.full_name
    what = _MOVES.get(change.new_status, "changed this referral")
    return f"{who} {what} {moment(change.at)}"


def _signing_refusal(stage: str) -> str:
    return (
        "You cannot sign this referral: it needs a "
        + ("team manager" if stage == SignOffStage.TEAM_MANAGER else "service manager or panel member")
        + " of the referring agency who did not write it"
    )


def signer_stage(
    *, actor: User, referral: Referral, expected_status: str | None = None, returning: bool = False
) -> str:
    """The signature `actor` is about to give or refuse, or why not. The referral must still be in
    the status the signer saw (`expected_status`; left out, the status of `referral` as the caller
    loaded it): if someone signed, returned or withdrew it since, or it is not waiting for a
    signature, InvalidTransition (409) says who did what and when. Only a signer who could not have
    acted on it a moment ago either gets NotAllowed (403): a double submit, or a colleague who got
    there first, is a conflict, never a refusal of the person's role (issue 13). `returning`: the
    signer returns it instead of signing (the first signer may return it at the second stage)."""
    seen = expected_status or referral.status
    if referral.status != seen:
        raise InvalidTransition(
            f"{referral_last_move(referral, actor=actor)}, after you opened it: nothing was saved"
        )
    stage = _STAGE_OF.get(referral.status)
    if stage is None:
        raise InvalidTransition(
            f"{referral_last_move(referral, actor=actor)}: it is no longer waiting for a signature"
        )
    change = _last_change(referral)
    if not access.can_sign(user=actor, referral=referral, stage=stage):
        before = _STAGE_OF.get(change.old_status) if change else None
        if before and before != stage and access.can_sign(user=actor, referral=referral, stage=before):
            raise InvalidTransition(
                f"{referral_last_move(referral, actor=actor)}: it now waits for a "
                f"{SignOffStage(stage).label.lower()}, so there is nothing for you to sign"
            )
        raise NotAllowed(_signing_refusal(stage))
    if (
        not returning
        and stage == SignOffStage.SERVICE_MANAGER
        and any(s.signer_id == actor.pk for s in current_signatures(referral))
    ):
        # A rule about the person, whatever the timing (a page never offers it; a double submit
        # from the page carries the status it saw and is a 409 above).
        raise NotAllowed(
            f"{referral_last_move(referral, actor=actor)}: the second signature must come from someone "
            "other than the first signer"
        )
    return stage


def _lock_for_signing(
    *, actor: User, referral: Referral, expected_status: str | None, returning: bool = False
) -> tuple[Referral, str]:
    """The referral row, locked, and the stage being signed (signer_stage on the locked row)."""
    seen = expected_status or referral.status
    locked = Referral.objects.select_for_update().filter(pk=referral.pk).first()
    if locked is None:
        raise InvalidTransition("This referral no longer exists")
    return locked, signer_stage(actor=actor, referral=locked, expected_status=seen, returning=returning)


@transaction.atomic
def referral_sign(
    *, actor: User, referral: Referral, comments: str = "", expected_status: str | None = None
) -> Referral:
    """The team manager, then the service manager (or a panel member), signs the exact content.
    `expected_status`: the status the signer saw (signer_stage); two signers, or a signer and one
    returning it, acting at once have one winner and the other gets a 409 naming who did what."""
    referral, stage = _lock_for_signing(actor=actor, referral=referral, expected_status=expected_status)
    problems = completeness(referral)
    if problems:
        raise ValidationError(problems)
    fingerprint = content_hash(referral)
    to = Status.AWAITING_SERVICE_MANAGER if stage == SignOffStage.TEAM_MANAGER else Status.READY_TO_SUBMIT
    allowed = {
        Status.AWAITING_TEAM_MANAGER
        if stage == SignOffStage.TEAM_MANAGER
        else Status.AWAITING_SERVICE_MANAGER
    }
    referral = _transition(referral=referral, allowed=allowed, to=to, actor=actor, reason=comments)
    SignOff.objects.create(
        referral=referral,
        stage=stage,
        decision=SignOffDecision.SIGNED,
        signer=actor,
        comments=comments,
        content_hash=fingerprint,
    )
    if to == Status.AWAITING_SERVICE_MANAGER:
        notify(
            users=_service_managers_for(referral),
            subject=f"Referral for {referral.child.initials} is waiting for your signature",
            body=f"{actor.full_name} signed as team manager. It needs a service manager's signature.",
            url=_link(referral),
        )
    else:
        notify(
            users=[referral.referrer],
            subject=f"Referral for {referral.child.initials} is signed and ready to submit",
            body=f"{actor.full_name} signed it. You can now submit it to a meeting of {referral.panel.name}.",
            url=_link(referral),
        )
    return referral


@transaction.atomic
def referral_return(
    *, actor: User, referral: Referral, comments: str, expected_status: str | None = None
) -> Referral:
    """A signer sends the referral back to the referrer with comments. `expected_status`: as for
    referral_sign."""
    referral, stage = _lock_for_signing(
        actor=actor, referral=referral, expected_status=expected_status, returning=True
    )
    if not comments.strip():
        raise ValidationError({"comments": ["Enter what needs to change before you can sign"]})
    allowed = {
        Status.AWAITING_TEAM_MANAGER
        if stage == SignOffStage.TEAM_MANAGER
        else Status.AWAITING_SERVICE_MANAGER
    }
    referral = _transition(
        referral=referral, allowed=allowed, to=Status.RETURNED, actor=actor, reason=comments
    )
    SignOff.objects.create(
        referral=referral,
        stage=stage,
        decision=SignOffDecision.RETURNED,
        signer=actor,
        comments=comments,
        content_hash=content_hash(referral),
    )
    # Earlier signatures no longer stand: the referral will be changed and signed again.
    SignOff.objects.filter(
        referral=referral, decision=SignOffDecision.SIGNED, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now(), withdrawn_reason="Returned for changes")
    notify(
        users=[referral.referrer],
        subject=f"Referral for {referral.child.initials} has been returned to you",
        body=f"{actor.full_name} returned it with comments.",
        url=_link(referral),
    )
    return referral
