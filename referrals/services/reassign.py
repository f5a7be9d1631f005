"""Giving a leaver's or an absent colleague's unfinished referrals to someone else in the team
(issue 16: the team view of My work)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse

from casework.audit import record_event
from casework.models import User
from casework.notifications import notify
from casework.team import Reassigner, reassigner, require_manages
from referrals import access
from referrals.models import EDITABLE_STATUSES, Referral

__all__ = ["REASSIGNABLE_STATUSES", "referrals_reassign", "referrals_to_reassign"]

# Referrals their referrer still has to finish: drafts, returned, in sign-off, ready to submit.
REASSIGNABLE_STATUSES = tuple(EDITABLE_STATUSES)


def referrals_to_reassign(*, person: User):
    """`person`'s unfinished referrals (they are the referrer)."""
    return Referral.objects.filter(referrer=person, status__in=REASSIGNABLE_STATUSES)


@transaction.atomic
def referrals_reassign(*, actor: User, person: User, receiver: User) -> list[Referral]:
    """Make `receiver` the referrer of all `person`'s unfinished referrals. Only between people the
    actor manages (casework.team), only to someone who writes referrals and may see every one of
    those children (else nothing moves and the error says how many they cannot see). Each referral
    is audited; the receiver is told once."""
    require_manages(actor=actor, person=person, receiver=receiver)
    if not access.can_create(user=receiver):
        raise ValidationError({"to": [f"{receiver.full_name}'s role does not allow writing referrals"]})
    rows = list(referrals_to_reassign(person=person).select_for_update(of=("self",)).select_related("child"))
    if not rows:
        raise ValidationError({"to": [f"{person.full_name} has no unfinished referrals to give"]})
    seen = set(
        access.referrals_visible_to(user=receiver)
        .filter(pk__in=[r.pk for r in rows])
        .values_list("pk", flat=True)
    )
    hidden = len(rows) - len(seen)
    if hidden:
        raise ValidationError(
            {"to": [f"{receiver.full_name} cannot see {hidden} of these children: choose someone else"]}
        )
    Referral.objects.filter(pk__in=[r.pk for r in rows]).update(
        referrer=receiver, referrer_agency_id=receiver.agency_id
    )
    for referral in rows:
        record_event(
            actor=actor,
            action="referral.reassigned",
            obj=referral,
            child=referral.child,
            changes={"referrer": [person.pk, receiver.pk]},
        )
        referral.referrer = receiver
        referral.referrer_agency_id = receiver.agency_id
    notify(
        users=[receiver],
        subject=f"{actor.full_name} gave you {len(rows)} referral{'' if len(rows) == 1 else 's'} "
        f"of {person.full_name} to finish",
        url=reverse("my_work"),
    )
    return rows


def _counts(person_ids: list[int]) -> dict[int, int]:
    rows = (
        Referral.objects.filter(referrer_id__in=person_ids, status__in=REASSIGNABLE_STATUSES)
        .values("referrer_id")
        .annotate(n=Count("pk"))
        .values_list("referrer_id", "n")
    )
    return dict(rows)


reassigner(
    Reassigner(
        key="referrals",
        label="Unfinished referrals (drafts, returned, in sign-off, ready to submit), as referrer",
        counts=_counts,
        reassign=referrals_reassign,
    )
)
