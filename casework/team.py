"""Who a manager looks after, for the team view of My work and for reassigning a leaver's or an
absent colleague's work (issue 16).

A team manager looks after the people who share a team with them; a service manager, everyone of
their agency. Never anyone of another agency: every rule here starts from the manager's agency, so
another agency's person is a 404 like a missing one. Leavers (inactive accounts) stay in the list
so their work can be given to someone else; only active people may be given work.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from casework.access import NOT_FOUND_MESSAGE, NotAllowed, is_usable, record_id
from casework.models import Role, User

__all__ = [
    "MANAGER_ROLES",
    "Reassigner",
    "can_manage_people",
    "get_managed_person",
    "managed_people",
    "reassigner",
    "registered_reassigners",
    "require_manages",
]

MANAGER_ROLES = (Role.TEAM_MANAGER, Role.SERVICE_MANAGER)


def can_manage_people(*, user: User | None) -> bool:
    return is_usable(user) and user.has_role(*MANAGER_ROLES)


def managed_people(*, user: User | None) -> QuerySet[User]:
    """The people `user` looks after, leavers included, never `user` themself nor a service
    account: one query."""
    if not is_usable(user) or not can_manage_people(user=user) or user.agency_id is None:
        return User.objects.none()
    people = User.objects.filter(agency_id=user.agency_id, is_service_account=False).exclude(pk=user.pk)
    if not user.has_role(Role.SERVICE_MANAGER):
        people = people.filter(teams__in=user.teams.all()).distinct()
    return people.order_by("full_name", "pk")


def get_managed_person(*, user: User | None, pk: object) -> User:
    """One of the people `user` looks after, else Http404."""
    found = managed_people(user=user).filter(pk=record_id(pk)).select_related("agency").first()
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return found


def require_manages(*, actor: User, person: User, receiver: User) -> None:
    """NotAllowed unless `actor` looks after both people and the receiver is active: the rule every
    reassigning service checks."""
    ids = set(managed_people(user=actor).filter(pk__in=[person.pk, receiver.pk]).values_list("pk", flat=True))
    if person.pk not in ids or receiver.pk not in ids:
        raise NotAllowed("You can only move work between people you manage")
    if person.pk == receiver.pk:
        raise NotAllowed("Choose someone else to give the work to")
    if not receiver.is_active:
        raise NotAllowed("Work can only be given to someone whose account is open")


# --- What a manager can give from one person to another ------------------------------------------
# Each app that owns a record with an owner field registers how to count and move a person's
# records (referrals: the referrer; panels: an action's owner, a decision's key worker; pathways:
# the case worker; funding: the person recording a package), so the team view lists them without
# casework importing the apps (docs/adr/0011-layers.md), as My work's sources do. A funding share
# has no owner to give: any finance approver of its agency within their limit approves it.

REASSIGN_MODULES = (
    "referrals.services.reassign",
    "panels.services.action_owners",
    "panels.services.key_workers",
    "pathways.services.reassign",
    "funding.services.reassign",
)


@dataclass(frozen=True)
class Reassigner:
    """`counts(person_ids)` → {person id: records to give}, one query; `reassign(actor=, person=,
    receiver=)` → the records moved (a service: atomic, audited, access-checked)."""

    key: str
    label: str
    counts: Callable[[list[int]], dict[int, int]]
    reassign: Callable[..., Sequence[Any]]


_REASSIGNERS: dict[str, Reassigner] = {}


def reassigner(reassigner: Reassigner) -> Reassigner:
    _REASSIGNERS[reassigner.key] = reassigner
    return reassigner


def registered_reassigners() -> dict[str, Reassigner]:
    for module in REASSIGN_MODULES:
        importlib.import_module(module)
    return dict(_REASSIGNERS)
