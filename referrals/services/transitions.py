"""What every change to a referral shares: the status move by compare-and-swap with its history
row and audit event, who is told, the lock on an editable referral, and the rule that a change to
signed content withdraws its signatures (and takes a referral in sign-off back to draft)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.urls import reverse
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import Role, User
from casework.services import InvalidTransition
from referrals import access
from referrals.models import EDITABLE_STATUSES, SIGN_OFF_STATUSES, Referral, SignOff, Status, StatusChange
from referrals.services.state import content_hash, current_signatures


def _transition(
    *, referral: Referral, allowed: Collection[str], to: str, actor: User, reason: str = "", **stamps: Any
) -> Referral:
    """Move the referral from one of `allowed` to `to`. The row is locked and its status read first,
    so two people acting at once cannot both win and the history records the real old status."""
    now = timezone.now()
    current = (
        Referral.objects.select_for_update().filter(pk=referral.pk).values_list("status", flat=True).first()
    )
    if current is None or current not in allowed:
        label = Status(current).label.lower() if current else "gone"
        raise InvalidTransition(f"This referral is now {label}, so this can no longer be done")
    Referral.objects.filter(pk=referral.pk).update(status=to, updated_at=now, **stamps)
    StatusChange.objects.create(
        referral=referral, old_status=current, new_status=to, actor=actor, reason=reason, at=now
    )
    record_event(
        actor=actor,
        action=f"referral.{to}",
        obj=referral,
        child=referral.child,
        changes={"status": [current, to], **({"reason": [None, reason]} if reason else {})},
    )
    referral.refresh_from_db()
    return referral


def _link(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.pk])


def _team_managers_for(referral: Referral) -> list[User]:
    team_ids = list(referral.referrer.teams.values_list("pk", flat=True))
    managers = User.objects.filter(
        agency_id=referral.referrer_agency_id, is_active=True, roles__contains=[Role.TEAM_MANAGER]
    ).exclude(pk=referral.referrer_id)
    in_team = managers.filter(teams__in=team_ids).distinct()
    return list(in_team) or list(managers)


def _service_managers_for(referral: Referral) -> list[User]:
    return list(
        User.objects.filter(
            agency_id=referral.referrer_agency_id, is_active=True, roles__contains=[Role.SERVICE_MANAGER]
        ).exclude(pk=referral.referrer_id)
    )


def _lock_editable(*, actor: User, referral: Referral) -> Referral:
    if not access.can_edit(user=actor, referral=referral):
        raise NotAllowed("Only the referring team can change this referral")
    locked = Referral.objects.select_for_update().select_related("child").get(pk=referral.pk)
    if locked.status not in EDITABLE_STATUSES:
        raise InvalidTransition(
            f"This referral is {locked.get_status_display().lower()} and can no longer be changed"
        )
    return locked


def _after_content_change(*, actor: User, referral: Referral, what: str, before: str) -> None:
    """A signature covers exact content. When the content really changed (its fingerprint differs
    from `before`), the signatures are withdrawn and a referral in sign-off goes back to draft, with
    a visible notice in its timeline."""
    if content_hash(referral) == before:
        return
    signatures = current_signatures(referral)
    reason = f"Signatures withdrawn because {what} changed after signing"
    if signatures:
        SignOff.objects.filter(pk__in=[s.pk for s in signatures]).update(
            withdrawn_at=timezone.now(), withdrawn_reason=reason[:300]
        )
    if referral.status in SIGN_OFF_STATUSES:
        if not signatures:
            reason = f"Back to draft because {what} changed during sign-off"
        _transition(referral=referral, allowed=SIGN_OFF_STATUSES, to=Status.DRAFT, actor=actor, reason=reason)
    elif signatures:
        record_event(actor=actor, action="referral.signatures_withdrawn", obj=referral, child=referral.child)
