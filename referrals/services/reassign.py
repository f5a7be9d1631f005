"""Giving a leaver's or an absent colleague's unfinished referrals to someone else in the team
(issue 16: the team view of My work)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count

from casework.models import User
from casework.team import Reassigner, give_work, reassigner
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
    return give_work(
        actor=actor,
        person=person,
        receiver=receiver,
        records=referrals_to_reassign(person=person).select_related("child", "panel"),
        owner="referrer",
        also_set={"referrer_agency_id": receiver.agency_id},
        receiver_may=access.can_create,
        role_refused="{receiver}'s role does not allow writing referrals",
        nothing_left="{person} has no unfinished referrals to give",
        visible_to=access.referrals_visible_to,
        changed="These referrals changed while you were giving them: reload the page",
        audit_action="referral.reassigned",
        child="child",
        notice="{actor} gave you {count} referral{s} of {person} to finish",
    )


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
