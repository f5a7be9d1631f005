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

from django.db import transaction
from django.db.models import Count, QuerySet

from casework.models import Role, User
from casework.team import Reassigner, give_work, reassigner
from funding import access
from funding.models import FundingPackage, PackageEvent, PackageStatus

__all__ = ["packages_reassign", "packages_to_reassign"]


def packages_to_reassign(*, person: User) -> QuerySet[FundingPackage]:
    """The packages `person` recorded that have not ended."""
    return FundingPackage.objects.filter(created_by=person).exclude(status=PackageStatus.ENDED)


def _may_record(*, user: User) -> bool:
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

    def history(rows: list[FundingPackage]) -> None:
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

    return give_work(
        actor=actor,
        person=person,
        receiver=receiver,
        records=packages_to_reassign(person=person).select_related("child"),
        owner="created_by",
        receiver_may=_may_record,
        role_refused="{receiver}'s role does not allow recording funding packages",
        nothing_left="{person} has no funding packages to give",
        visible_to=access.packages_visible_to,
        unseen="packages",
        changed="These packages changed while you were giving them: reload the page",
        after=history,
        audit_action="funding.package.maker_changed",
        child="child",
        notice="{actor} gave you {count} funding package{s} of {person}",
    )


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
