"""Giving a leaver's or an absent colleague's decisions, as key worker, to someone else in the team
(issue 16: the team view of My work). seeds 002: a decision names the lead agency and key worker;
the key worker is reminded of the review with the referrer (panels/my_work.py).

The key worker is the person who looks after the child's plan for the lead agency now, not a term
the panel weighed: naming someone else when they leave is not a correction (no new version, no new
signature), and the decision's history keeps who was named before (the audit event). A decision
whose review referral has started is history and keeps its key worker; so does a superseded one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.urls import reverse

from casework.audit import record_event
from casework.models import User
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.team import Reassigner, reassigner, require_manages
from panels.models import Decision, DecisionStatus
from referrals.access import referrals_visible_to
from referrals.models import Referral, Status

__all__ = ["key_worker_decisions", "key_worker_decisions_reassign"]

# A draft the panel is still writing, or the signed decision in force.
LIVE_STATUSES = (DecisionStatus.DRAFT, DecisionStatus.SIGNED)


def _live() -> QuerySet[Decision]:
    """Current decisions whose review has not started (a review referral, not withdrawn, exists)."""
    reviewing = Referral.objects.filter(review_of=OuterRef("referral_id")).exclude(status=Status.WITHDRAWN)
    return Decision.objects.filter(status__in=LIVE_STATUSES).filter(~Exists(reviewing))


def key_worker_decisions(*, person: User) -> QuerySet[Decision]:
    """The live decisions that name `person` as key worker."""
    return _live().filter(key_worker=person)


@transaction.atomic
def key_worker_decisions_reassign(*, actor: User, person: User, receiver: User) -> list[Decision]:
    """Name `receiver` key worker of every live decision that names `person`. Only between people
    the actor manages (casework.team: one agency, the receiver's account open), only to someone of
    an agency of each decision's panel's partnership (the decision's own rule,
    panels.services.decision_rules) who may see each referral (else nothing moves and the error
    says how many). Each decision is audited; the receiver is told once."""
    require_manages(actor=actor, person=person, receiver=receiver)
    rows = list(
        key_worker_decisions(person=person)
        .select_for_update(of=("self",))
        .select_related("referral__child", "agenda_item__meeting__panel")
        .order_by("pk")
    )
    if not rows:
        raise ValidationError({"to": [f"{person.full_name} is key worker of no open decisions to give"]})
    agency = receiver.agency
    partnership = agency.partnership if agency is not None else None
    outside = sum(1 for d in rows if d.agenda_item.meeting.panel.partnership != partnership)
    if outside:
        raise ValidationError(
            {"to": [f"{receiver.full_name}'s agency is not of the partnership of {outside} of these panels"]}
        )
    referral_ids = {d.referral_id for d in rows if d.referral_id is not None}
    seen = set(referrals_visible_to(user=receiver).filter(pk__in=referral_ids).values_list("pk", flat=True))
    hidden = len(referral_ids - seen)
    if hidden:
        raise ValidationError(
            {"to": [f"{receiver.full_name} cannot see {hidden} of these children: choose someone else"]}
        )
    moved = Decision.objects.filter(
        pk__in=[d.pk for d in rows], key_worker=person, status__in=LIVE_STATUSES
    ).update(key_worker=receiver)
    if moved != len(rows):
        raise InvalidTransition("These decisions changed while you were giving them: reload the page")
    for decision in rows:
        decision.key_worker = receiver
        record_event(
            actor=actor,
            action="decision.key_worker_changed",
            obj=decision,
            child=decision.referral.child if decision.referral is not None else None,
            changes={"key_worker": [person.pk, receiver.pk]},
        )
    notify(
        users=[receiver],
        subject=f"{actor.full_name} made you key worker of {len(rows)} panel decision"
        f"{'' if len(rows) == 1 else 's'} of {person.full_name}",
        url=reverse("my_work"),
    )
    return rows


def _counts(person_ids: list[int]) -> dict[int, int]:
    rows = (
        _live()
        .filter(key_worker_id__in=person_ids)
        .values("key_worker_id")
        .annotate(n=Count("pk"))
        .values_list("key_worker_id", "n")
    )
    return dict(rows)


reassigner(
    Reassigner(
        key="key_worker",
        label="Panel decisions in force or in draft, as key worker",
        counts=_counts,
        reassign=key_worker_decisions_reassign,
    )
)
