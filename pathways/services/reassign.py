"""Giving a leaver's or an absent colleague's open pathway cases to someone else in the team, as
their case worker (issue 16: the team view of My work)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from casework.models import User
from casework.team import Reassigner, give_work, reassigner
from pathways import access
from pathways.models import CaseEvent, PathwayCase, Status

__all__ = ["cases_reassign", "cases_to_reassign"]

CLOSED = (Status.CLOSED, Status.ENDED)


def cases_to_reassign(*, person: User) -> QuerySet[PathwayCase]:
    """`person`'s open cases: those they are case worker of, or opened with no case worker named
    (My work gives those to their maker)."""
    return PathwayCase.objects.filter(
        Q(case_worker=person) | Q(case_worker__isnull=True, created_by=person)
    ).exclude(status__in=CLOSED)


@transaction.atomic
def cases_reassign(*, actor: User, person: User, receiver: User) -> list[PathwayCase]:
    """Make `receiver` the case worker of all `person`'s open pathway cases. Only between people
    the actor manages (casework.team), only to someone who may work every one of those cases (of
    an agency involved with each child, pathways.access.workers_for; else nothing moves and the
    error says how many). Each case gets a timeline line and an audit event; the receiver is told
    once."""

    def timeline(rows: list[PathwayCase]) -> None:
        today = timezone.localdate()
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case=case, what=f"Case worker changed to {receiver.full_name}", actor=actor, on_date=today
            )
            for case in rows
        )

    return give_work(
        actor=actor,
        person=person,
        receiver=receiver,
        records=cases_to_reassign(person=person).select_related("child"),
        owner="case_worker",
        nothing_left="{person} has no open pathway cases to give",
        visible_to=access.cases_visible_to,
        changed="These cases changed while you were giving them: reload the page",
        after=timeline,
        audit_action="pathways.case_worker_changed",
        child="child",
        notice="{actor} made you case worker of {count} pathway case{s} of {person}",
    )


def _counts(person_ids: list[int]) -> dict[int, int]:
    rows = (
        PathwayCase.objects.exclude(status__in=CLOSED)
        .annotate(worker=Coalesce("case_worker_id", "created_by_id"))
        .filter(worker__in=person_ids)
        .values("worker")
        .annotate(n=Count("pk"))
        .values_list("worker", "n")
    )
    return dict(rows)


reassigner(
    Reassigner(
        key="pathway_cases",
        label="Open pathway cases, as case worker",
        counts=_counts,
        reassign=cases_reassign,
    )
)
