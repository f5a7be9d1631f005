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

from casework.models import User
from casework.team import Reassigner, give_work, reassigner
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

    def of_the_partnership(rows: list[Decision]) -> None:
        agency = receiver.agency
        partnership = agency.partnership if agency is not None else None
        outside = sum(1 for d in rows if d.agenda_item.meeting.panel.partnership != partnership)
        if outside:
            raise ValidationError(
                {
                    "to": [
                        f"{receiver.full_name}'s agency is not of the partnership of {outside} of these panels"
                    ]
                }
            )

    return give_work(
        actor=actor,
        person=person,
        receiver=receiver,
        records=key_worker_decisions(person=person).select_related(
            "referral__child", "agenda_item__meeting__panel"
        ),
        owner="key_worker",
        nothing_left="{person} is key worker of no open decisions to give",
        check=of_the_partnership,
        visible_to=referrals_visible_to,
        visible_through="referral_id",
        changed="These decisions changed while you were giving them: reload the page",
        audit_action="decision.key_worker_changed",
        child="referral.child",
        notice="{actor} made you key worker of {count} panel decision{s} of {person}",
    )


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
