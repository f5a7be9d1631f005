"""Giving a leaver's or an absent colleague's open pathway cases to someone else in the team, as
their case worker (issue 16: the team view of My work)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse

from casework.models import User
from casework.notifications import notify
from casework.team import Reassigner, reassigner, require_manages
from pathways import access
from pathways.models import PathwayCase, Status
from pathways.services.cases import _audit, _event

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
    require_manages(actor=actor, person=person, receiver=receiver)
    rows = list(cases_to_reassign(person=person).select_for_update(of=("self",)).select_related("child"))
    if not rows:
        raise ValidationError({"to": [f"{person.full_name} has no open pathway cases to give"]})
    seen = set(
        access.cases_visible_to(user=receiver)
        .filter(pk__in=[c.pk for c in rows])
        .values_list("pk", flat=True)
    )
    hidden = len(rows) - len(seen)
    if hidden:
        raise ValidationError(
            {"to": [f"{receiver.full_name} cannot see {hidden} of these children: choose someone else"]}
        )
    PathwayCase.objects.filter(pk__in=[c.pk for c in rows]).update(case_worker=receiver)
    for case in rows:
        before = case.case_worker_id
        case.case_worker = receiver
        _event(case=case, actor=actor, what=f"Case worker changed to {receiver.full_name}")
        _audit(
            actor=actor,
            action="case_worker_changed",
            case=case,
            changes={"case_worker": [before, receiver.pk]},
        )
    notify(
        users=[receiver],
        subject=f"{actor.full_name} made you case worker of {len(rows)} pathway case"
        f"{'' if len(rows) == 1 else 's'} of {person.full_name}",
        url=reverse("my_work"),
    )
    return rows


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
