"""Leavers (issue 20, "Joiners, movers, leavers"): what ends when a person leaves, what work they
leave for someone else, and accounts closed after a time without signing in.

An account is closed by the partnership administrator (casework.administration.services.
person_deactivate) or, after ACCOUNT_CLOSE_AFTER_DAYS without a sign-in, by the daily job
(close_dormant_accounts). Either way:
- the person's sessions and API tokens stop at once: an inactive account authenticates nowhere
  (casework.auth, casework.tokens);
- what each app registers here ends the same day (their panel seats: a seat speaks for an agency,
  and a quorum must not count someone who has gone);
- the people who manage them are told what work is left (referrals they wrote, actions they own,
  cases they key-work ...: the team view's reassigners, casework.team), with a link to give it to
  someone else, so nothing waits on a person who has left.

Apps register their endings by name (LEAVING_MODULES), as they register reassigners and My work
sources: casework imports no app (docs/adr/0011-layers.md).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from casework.audit import record_event
from casework.models import ChildUserObjectPermission, Role, User
from casework.notifications import notify_many
from casework.team import registered_reassigners

__all__ = [
    "Ending",
    "Held",
    "close_dormant_accounts",
    "dormant_accounts",
    "ending",
    "leaver_handover",
    "managers_of",
    "mover_handover",
    "registered_endings",
    "what_they_hold",
]

LEAVING_MODULES = ("panels.services.leavers",)


@dataclass(frozen=True)
class Ending:
    """What ends when a person leaves: `held(person)` → how many they hold now (one query);
    `end(person=, actor=, on=)` → how many ended (a service: audited; `actor` is None for the job).
    `on_move`: it ends too when the person moves to another agency (it was theirs for the old
    agency's work)."""

    key: str
    label: str
    held: Callable[[User], int]
    end: Callable[..., int]
    on_move: bool = False


_ENDINGS: dict[str, Ending] = {}


def ending(ending: Ending) -> Ending:
    _ENDINGS[ending.key] = ending
    return ending


def registered_endings() -> dict[str, Ending]:
    for module in LEAVING_MODULES:
        importlib.import_module(module)
    return dict(_ENDINGS)


@dataclass(frozen=True)
class Held:
    label: str
    count: int

    def __str__(self) -> str:
        return f"{self.label}: {self.count}"


def what_they_hold(*, person: User) -> tuple[list[Held], list[Held]]:
    """(work to give to someone else, what ends when they leave), each only where there is some:
    one query per registered reassigner and ending."""
    work = [
        Held(r.label, n)
        for r in registered_reassigners().values()
        if (n := r.counts([person.pk]).get(person.pk, 0))
    ]
    ends = [Held(e.label, n) for e in registered_endings().values() if (n := e.held(person))]
    return work, ends


def managers_of(person: User) -> QuerySet[User]:
    """Who looks after `person` (casework.team's rule turned round): the team managers of their
    teams and the service managers of their agency, with open accounts, never the person."""
    if person.agency_id is None:
        return User.objects.none()
    looks_after = Q(roles__contains=[Role.SERVICE_MANAGER]) | Q(
        roles__contains=[Role.TEAM_MANAGER], teams__in=person.teams.all()
    )
    return (
        User.objects.filter(looks_after, agency_id=person.agency_id, is_active=True, is_service_account=False)
        .exclude(pk=person.pk)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic(savepoint=False)  # inside the closing service's transaction
def leaver_handover(*, actor: User | None, person: User, why: str) -> list[Held]:
    """After `person`'s account is closed: end what ends (each app's registered ending), and tell
    their managers about the work left to give to someone else. Returns that work."""
    today = timezone.localdate()
    for registered in registered_endings().values():
        registered.end(person=person, actor=actor, on=today)
    work, _ends = what_they_hold(person=person)
    if work:
        name = person.full_name or person.email
        listed = "\n".join(f"- {held}" for held in work)
        notify_many(
            [
                (
                    managers_of(person),
                    f"{name} has left: their work needs someone else",
                    f"{name}'s account was closed ({why}). This is still theirs:\n{listed}\n\n"
                    "Give it to someone in your team from the team view.",
                    reverse("my_work_team_person", args=[person.pk]),
                )
            ]
        )
    return work


@transaction.atomic(savepoint=False)  # inside person_move's transaction
def mover_handover(*, actor: User | None, person: User) -> None:
    """After `person` moved to another agency of the partnership: what was theirs for the old
    agency's work goes the moment they move (issue 20): the individual children they were let see
    (casework.access grants), and each app's endings marked `on_move` (papers they were given). What
    their agency sees they now see through the new agency, by the usual rule."""
    grants = list(
        ChildUserObjectPermission.objects.filter(user_id=person.pk).values_list(
            "content_object_id", flat=True
        )
    )
    if grants:
        ChildUserObjectPermission.objects.filter(user_id=person.pk).delete()
        User.objects.filter(pk=person.pk).update(holds_child_grants=False)
        person.holds_child_grants = False
        person.__dict__.pop("_granted_child_ids", None)
        record_event(
            actor=actor,
            action="user.child_grants_ended",
            obj=person,
            changes={"children": [sorted(grants), None], "reason": [None, "moved to another agency"]},
        )
    today = timezone.localdate()
    for registered in registered_endings().values():
        if registered.on_move:
            registered.end(person=person, actor=actor, on=today)


def dormant_accounts(*, now: dt.datetime | None = None, days: int | None = None) -> QuerySet[User]:
    """Open accounts of people (not service accounts, not platform operators) who have not signed in
    for `days` (ACCOUNT_CLOSE_AFTER_DAYS), or, never signed in, were invited that long ago, and were
    not reopened since. None when the setting is 0 (off)."""
    days = settings.ACCOUNT_CLOSE_AFTER_DAYS if days is None else days
    if days <= 0:
        return User.objects.none()
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    quiet = (Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)) & (
        Q(reopened_at__isnull=True) | Q(reopened_at__lt=cutoff)
    )
    return User.objects.filter(
        quiet,
        is_active=True,
        is_service_account=False,
        is_staff=False,
        is_superuser=False,
        agency__isnull=False,
    )


def close_dormant_accounts(*, now: dt.datetime | None = None) -> list[User]:
    """The daily job (CELERY_BEAT_SCHEDULE "close-dormant-accounts"): close each dormant account,
    one transaction each, by compare-and-swap (an account someone reopened or that signed in since
    is left alone: safe to run twice, or beside an administrator). Audited with no actor and the
    reason; the partnership's administrators are told, and the managers hear of work left."""
    days = settings.ACCOUNT_CLOSE_AFTER_DAYS
    closed = []
    for person in dormant_accounts(now=now).select_related("agency").order_by("pk"):
        with transaction.atomic():
            still = dormant_accounts(now=now).filter(pk=person.pk)
            if not still.update(is_active=False):
                continue
            person.is_active = False
            why = f"no sign-in for {days} days"
            record_event(
                actor=None,
                action="user.deactivated",
                obj=person,
                changes={"is_active": [True, False], "reason": [None, why]},
            )
            leaver_handover(actor=None, person=person, why=why)
            _tell_administrators(person, why=why)
            closed.append(person)
    return closed


def _tell_administrators(person: User, *, why: str) -> None:
    agency = person.agency
    assert agency is not None  # dormant_accounts are of agencies only
    admins = User.objects.filter(
        roles__contains=[Role.PARTNERSHIP_ADMINISTRATOR],
        agency__partnership=agency.partnership,
        is_active=True,
    ).exclude(pk=person.pk)
    name = person.full_name or person.email
    notify_many(
        [
            (
                admins,
                f"Account closed: {name}",
                f"{name} ({agency.name}) was closed automatically: {why}. Reopen it from their "
                "page if they still need the service.",
                reverse("administration:person", args=[person.pk]),
            )
        ]
    )
