"""Who a manager looks after, for the team view of My work and for reassigning a leaver's or an
absent colleague's work (issue 16).

A team manager looks after the people who share a team with them; a service manager, everyone of
their agency. Never anyone of another agency: every rule here starts from the manager's agency, so
another agency's person is a 404 like a missing one. Leavers (inactive accounts) stay in the list
so their work can be given to someone else; only active people may be given work.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse

from casework.access import NOT_FOUND_MESSAGE, NotAllowed, is_usable, record_id
from casework.audit import record_events
from casework.models import Role, User
from casework.notifications import notify
from casework.services.common import InvalidTransition

__all__ = [
    "MANAGER_ROLES",
    "Reassigner",
    "can_manage_people",
    "get_managed_person",
    "give_work",
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


# --- Giving one kind of work: the skeleton every app's reassigning service calls -----------------

M = TypeVar("M", bound=models.Model)


@transaction.atomic(savepoint=False)  # inside the app's service's transaction: no savepoint of its own
def give_work(
    *,
    actor: User,
    person: User,
    receiver: User,
    records: QuerySet[M],
    owner: str,
    audit_action: str,
    nothing_left: str,
    notice: str,
    changed: str,
    receiver_may: Callable[..., bool] | None = None,
    role_refused: str = "",
    visible_to: Callable[..., QuerySet[Any]] | None = None,
    visible_through: str = "pk",
    unseen: str = "children",
    check: Callable[[list[M]], None] | None = None,
    child: str | None = None,
    also_set: Mapping[str, Any] | None = None,
    after: Callable[[list[M]], None] | None = None,
) -> list[M]:
    """Make `receiver` the `owner` of every one of `records` (`person`'s work of one kind, chosen by
    the app's service) in `person`'s place, and return them. All or nothing:

    1. `require_manages` (NotAllowed); then `receiver_may(user=receiver)`, else ValidationError
       `role_refused` ("{receiver}'s role does not allow writing referrals").
    2. The records are locked (in id order, so two managers giving overlapping work queue rather
       than deadlock); none is ValidationError `nothing_left` ("{person} has no ... to give").
    3. `check(rows)` may refuse (the app's own rule, raising ValidationError); then, with
       `visible_to`, the receiver must see each row's `visible_through` (a row's pk, or e.g. its
       referral_id): else ValidationError "{receiver} cannot see N of these `unseen`".
    4. Compare-and-swap: `records` (so their owner and state conditions) narrowed to the locked ids
       is updated in one statement (with `also_set`); not all of them is InvalidTransition (409)
       `changed`. `owner` may be a many-to-many (an action's owners): `person` is swapped for
       `receiver` among the others, and the swap must take `person` off every row.
    5. `after(rows)` writes the app's own history lines; one audit event a row, `audit_action`,
       changes {owner: [old, new]} (a many-to-many: the sorted owner ids), its child from the
       `child` attribute path ("child", "referral.child"); one notice to the receiver,
       `notice` ("{actor} gave you {count} referral{s} of {person} to finish").

    Messages are templates with {person}, {receiver}, {actor}, {count} and {s} (the plural "s")."""
    require_manages(actor=actor, person=person, receiver=receiver)
    if receiver_may is not None and not receiver_may(user=receiver):
        raise ValidationError({"to": [role_refused.format(receiver=receiver.full_name)]})
    rows = list(records.select_for_update(of=("self",)).order_by("pk"))
    if not rows:
        raise ValidationError({"to": [nothing_left.format(person=person.full_name)]})
    if check is not None:
        check(rows)
    if visible_to is not None:
        wanted = {getattr(row, visible_through) for row in rows} - {None}
        seen = set(visible_to(user=receiver).filter(pk__in=wanted).values_list("pk", flat=True))
        if hidden := len(wanted - seen):
            raise ValidationError(
                {"to": [f"{receiver.full_name} cannot see {hidden} of these {unseen}: choose someone else"]}
            )
    field = records.model._meta.get_field(owner)
    ids = [row.pk for row in rows]
    changes: dict[Any, dict[str, list[Any]]]
    if field.many_to_many:
        changes = _swap_many(field, ids=ids, person=person, receiver=receiver, changed=changed)
    else:
        assert isinstance(field, models.ForeignKey)
        extra = dict(also_set or {})
        moved = (
            records.order_by().select_related(None).filter(pk__in=ids).update(**{owner: receiver}, **extra)
        )
        if moved != len(rows):
            raise InvalidTransition(changed)
        changes = {}
        for row in rows:
            changes[row.pk] = {owner: [getattr(row, field.attname), receiver.pk]}
            setattr(row, owner, receiver)
            for name, value in extra.items():
                setattr(row, name, value)
    if after is not None:
        after(rows)
    record_events(
        actor=actor,
        action=audit_action,
        events=[(row, _attribute(row, child), changes[row.pk]) for row in rows],
    )
    count = len(rows)
    words = {
        "actor": actor.full_name,
        "person": person.full_name,
        "receiver": receiver.full_name,
        "count": count,
        "s": "" if count == 1 else "s",
    }
    notify(users=[receiver], subject=notice.format(**words), url=reverse("my_work"))
    return rows


def _swap_many(
    field: Any, *, ids: list[Any], person: User, receiver: User, changed: str
) -> dict[Any, dict[str, list[Any]]]:
    """`receiver` in `person`'s place among each row's owners (a many-to-many): three statements
    whatever the number of rows. {row id: {field: [owner ids before, after]}}."""
    through = field.remote_field.through
    mine, theirs = field.m2m_field_name(), field.m2m_reverse_field_name()
    before: dict[Any, set[Any]] = {pk: set() for pk in ids}
    for row_id, owner_id in through.objects.filter(**{f"{mine}__in": ids}).values_list(mine, theirs):
        before[row_id].add(owner_id)
    taken_off, _ = through.objects.filter(**{f"{mine}__in": ids, theirs: person.pk}).delete()
    if taken_off != len(ids):
        raise InvalidTransition(changed)
    adding = [pk for pk in ids if receiver.pk not in before[pk]]
    if adding:
        through.objects.bulk_create(
            [through(**{f"{mine}_id": pk, f"{theirs}_id": receiver.pk}) for pk in adding],
            ignore_conflicts=True,
        )
    return {
        pk: {field.name: [sorted(owners), sorted((owners - {person.pk}) | {receiver.pk})]}
        for pk, owners in before.items()
    }


def _attribute(row: models.Model, path: str | None) -> Any:
    """`row`'s attribute at a dotted path ("referral.child"), or None where a link is empty."""
    if not path:
        return None
    value: Any = row
    for name in path.split("."):
        if value is None:
            return None
        value = getattr(value, name)
    return value
