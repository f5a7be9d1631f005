"""Giving a leaver's or an absent colleague's funding packages, as the person recording them, to
someone else in the team (issue 16: the team view of My work).

The package's maker (`created_by`) is who My work shows a package's shares waiting for approval
to, and who settles a dispute on a package recorded without a panel (funding/my_work.py); a leaver
would take that work with them. Each version keeps who made it, and the history says who gave the
package to whom.

A share has no approver of its own to give: any finance approver of the share's agency whose
delegated limit covers it may approve it (funding.services.share_approve), and `routed_to` only
says who was told first (the scheme of delegation, funding.services.approver_for, which passes over
a closed account). So shares are not given from person to person.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.urls import reverse

from casework.audit import record_event
from casework.models import Role, User
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.team import Reassigner, reassigner, require_manages
from funding import access
from funding.models import FundingPackage, PackageEvent, PackageStatus

__all__ = ["packages_reassign", "packages_to_reassign"]


def packages_to_reassign(*, person: User) -> QuerySet[FundingPackage]:
    """The packages `person` recorded that have not ended."""
    return FundingPackage.objects.filter(created_by=person).exclude(status=PackageStatus.ENDED)


def _may_record(user: User) -> bool:
    """Who My work shows a maker's waiting shares to (funding/my_work.py): those who manage
    packages, and chairs (a signed decision's package is made in the chair's name)."""
    return access.can_manage(user=user) or user.has_role(Role.PANEL_CHAIR)


@transaction.atomic
def packages_reassign(*, actor: User, person: User, receiver: User) -> list[FundingPackage]:
    """Make `receiver` the person recording each of `person`'s packages that have not ended. Only
    between people the actor manages (casework.team: one agency, the receiver's account open), only
    to someone who manages packages or chairs a panel and may see every one of those packages (else
    nothing moves and the error says how many). Each package gets a history line and an audit
    event; the receiver is told once."""
    require_manages(actor=actor, person=person, receiver=receiver)
    if not _may_record(receiver):
        raise ValidationError(
            {"to": [f"{receiver.full_name}'s role does not allow recording funding packages"]}
        )
    rows = list(
        packages_to_reassign(person=person)
        .select_for_update(of=("self",))
        .select_related("child")
        .order_by("pk")
    )
    if not rows:
        raise ValidationError({"to": [f"{person.full_name} has no funding packages to give"]})
    seen = set(
        access.packages_visible_to(user=receiver)
        .filter(pk__in=[p.pk for p in rows])
        .values_list("pk", flat=True)
    )
    hidden = len(rows) - len(seen)
    if hidden:
        raise ValidationError(
            {"to": [f"{receiver.full_name} cannot see {hidden} of these packages: choose someone else"]}
        )
    moved = (
        FundingPackage.objects.filter(pk__in=[p.pk for p in rows], created_by=person)
        .exclude(status=PackageStatus.ENDED)
        .update(created_by=receiver)
    )
    if moved != len(rows):
        raise InvalidTransition("These packages changed while you were giving them: reload the page")
    PackageEvent.objects.bulk_create(
        PackageEvent(
            package=package,
            version_number=package.version_number,
            action="given to someone else",
            text=f"{person.full_name}'s package given to {receiver.full_name} by {actor.full_name}",
            actor=actor,
        )
        for package in rows
    )
    for package in rows:
        package.created_by = receiver
        record_event(
            actor=actor,
            action="funding.package.maker_changed",
            obj=package,
            child=package.child,
            changes={"created_by": [person.pk, receiver.pk]},
        )
    notify(
        users=[receiver],
        subject=f"{actor.full_name} gave you {len(rows)} funding package{'' if len(rows) == 1 else 's'} "
        f"of {person.full_name}",
        url=reverse("my_work"),
    )
    return rows


def _counts(person_ids: list[int]) -> dict[int, int]:
    rows = (
        FundingPackage.objects.filter(created_by_id__in=person_ids)
        .exclude(status=PackageStatus.ENDED)
        .values("created_by_id")
        .annotate(n=Count("pk"))
        .values_list("created_by_id", "n")
    )
    return dict(rows)


reassigner(
    Reassigner(
        key="funding_packages",
        label="Funding packages not ended, as the person recording them",
        counts=_counts,
        reassign=packages_reassign,
    )
)
