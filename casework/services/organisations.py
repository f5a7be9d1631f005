"""Organisations and people: agencies, teams and accounts, changed by a partnership administrator,
the platform operator (Django admin) or a loader; and each person's own notices."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework.audit import record_event
from casework.models import Agency, Notification, Role, Team, User
from casework.services.common import _require_partnership_admin


@transaction.atomic
def agency_create(
    *, actor: User | None, name: str, kind: str, ods_code: str = "", partnership: str = ""
) -> Agency:
    _require_partnership_admin(actor, partnership=partnership, doing="add an agency")
    agency = Agency(name=name, kind=kind, ods_code=ods_code, partnership=partnership)
    agency.full_clean()
    agency.save()
    record_event(
        actor=actor, action="agency.created", obj=agency, changes={"name": [None, name], "kind": [None, kind]}
    )
    return agency


@transaction.atomic
def team_create(*, actor: User | None, agency: Agency, name: str) -> Team:
    _require_partnership_admin(actor, partnership=agency.partnership, doing="add a team")
    team = Team(agency=agency, name=name.strip())
    if Team.objects.filter(agency=agency, name__iexact=team.name).exists():
        raise ValidationError({"name": [f"{agency.name} already has a team called {team.name}"]})
    team.full_clean()
    team.save()
    record_event(actor=actor, action="team.created", obj=team, changes={"name": [None, name]})
    return team


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    full_name: str,
    agency: Agency,
    roles: list[str],
    password: str | None = None,
    job_title: str = "",
    teams: list[Team] | None = None,
    delegated_limit: Decimal | None = None,
    is_service_account: bool = False,
) -> User:
    """Add a person, or a service account (which never has a password and never administers).
    `actor` is None only for the bootstrap loaders (seed_demo, createsuperuser)."""
    _require_partnership_admin(actor, partnership=agency.partnership, doing="add a person")
    bad_roles = set(roles) - set(Role.values)
    if bad_roles:
        raise ValidationError({"roles": [f"Unknown roles: {', '.join(sorted(bad_roles))}"]})
    if is_service_account and (password or Role.PARTNERSHIP_ADMINISTRATOR in roles):
        raise ValidationError({"roles": ["A service account has no password and administers nothing"]})
    if delegated_limit is not None and Role.FINANCE_APPROVER not in roles:
        raise ValidationError({"delegated_limit": ["Only finance approvers have a delegated limit"]})
    user = User(
        email=email.strip().lower(),
        full_name=full_name,
        agency=agency,
        roles=list(roles),
        job_title=job_title,
        delegated_limit=delegated_limit,
        is_service_account=is_service_account,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if teams:
        if any(team.agency_id != agency.pk for team in teams):
            raise ValidationError({"teams": ["Teams must belong to the person's agency"]})
        user.teams.set(teams)
    record_event(
        actor=actor,
        action="user.created",
        obj=user,
        changes={
            "email": [None, user.email],
            "agency": [None, agency.pk],
            "roles": [None, list(roles)],
            **({"is_service_account": [None, True]} if is_service_account else {}),
        },
    )
    return user


def record_admin_change(*, actor: User, obj: Any, before: Mapping[str, Any]) -> None:
    """Audit a change the platform operator made to an agency, team or person in the Django admin."""
    if before:
        record_event(
            actor=actor,
            action=f"{obj._meta.model_name}.changed_in_admin",
            obj=obj,
            changes={name: [str(old), str(getattr(obj, name, ""))] for name, old in before.items()},
        )


@transaction.atomic
def notifications_mark_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Mark the actor's own notices read: the given ones, or all. Returns how many changed."""
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
