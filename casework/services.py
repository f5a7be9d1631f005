"""Every write to the core domain. Pages, API, admin, commands and tasks all call these.

Each service is keyword-only, atomic, validates with full_clean(), checks the actor's role and
writes an audit event. Nothing changes without an actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework import access
from casework.audit import diff, record_event, snapshot
from casework.models import (
    AccessRequest,
    AccessRequestStatus,
    Agency,
    ApiToken,
    Child,
    Involvement,
    InvolvementRole,
    Notification,
    ParentCarer,
    Role,
    Team,
    TokenScope,
    User,
)
from casework.nhs import normalise_nhs_number


class InvalidTransition(Exception):
    """A state change that is no longer allowed (HTTP 409)."""


class DuplicateNHSNumber(ValidationError):
    """The NHS number already belongs to a child. `visible` says whether the actor may see it."""

    def __init__(self, *, child: Child, visible: bool):
        self.child = child
        self.visible = visible
        message = (
            "A child with this NHS number is already registered"
            if visible
            else "A record with this NHS number already exists in another agency"
        )
        super().__init__({"nhs_number": [message]}, code="duplicate_nhs_number")


CHILD_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "nhs_number",
    "case_number",
    "gender",
    "legal_status",
    "has_ehc_plan",
    "ehc_plan_date",
    "school_name",
    "school_type",
    "learning_disability",
    "autism",
    "mental_health_needs",
    "dsr_rating",
    "allocated_social_worker",
    "allocated_team",
    "iro_name",
    "iro_email",
    "sharing_basis",
    "sharing_notes",
)


def _require_partnership_admin(actor: User | None, *, partnership: str, doing: str) -> None:
    """Organisations and people change by a partnership administrator of that partnership, the
    platform operator (Django admin), or a loader (actor None: seed_demo, bootstrap commands)."""
    if actor is None or access.is_platform_operator(actor):
        return
    if not access.is_partnership_administrator(actor) or actor.agency.partnership != partnership:
        raise access.NotAllowed(
            f"Only a partnership administrator of {partnership or 'this partnership'} may {doing}"
        )


def _require_role(actor: User, *roles: str, doing: str) -> None:
    if not (actor.is_active and actor.has_role(*roles)):
        raise access.NotAllowed(f"Your role does not allow you to {doing}")


def _check_child_rules(child: Child, *, today: dt.date) -> None:
    errors: dict[str, list[str]] = {}
    if child.date_of_birth and child.date_of_birth > today:
        errors.setdefault("date_of_birth", []).append("Date of birth must be today or in the past")
    if child.date_of_birth and child.date_of_birth < today.replace(year=today.year - 26):
        errors.setdefault("date_of_birth", []).append(
            "Date of birth must be within the last 25 years: this service is for children and young people"
        )
    if child.ehc_plan_date and not child.has_ehc_plan:
        errors.setdefault("ehc_plan_date", []).append(
            "Remove the EHC plan date, or say the child has an EHC plan"
        )
    if child.ehc_plan_date and child.ehc_plan_date > today:
        errors.setdefault("ehc_plan_date", []).append("EHC plan date must be today or in the past")
    if child.allocated_social_worker_id and child.allocated_social_worker.agency_id != child.owning_agency_id:
        errors.setdefault("allocated_social_worker", []).append(
            "Choose a social worker from the registering agency"
        )
    if child.allocated_team_id and child.allocated_team.agency_id != child.owning_agency_id:
        errors.setdefault("allocated_team", []).append("Choose a team from the registering agency")
    if errors:
        raise ValidationError(errors)


def _check_nhs_number_free(*, actor: User, nhs_number: str | None, exclude_pk: int | None = None) -> None:
    if not nhs_number:
        return
    existing = Child.objects.filter(nhs_number=nhs_number).exclude(pk=exclude_pk).first()
    if existing is not None:
        visible = access.children_visible_to(user=actor).filter(pk=existing.pk).exists()
        raise DuplicateNHSNumber(child=existing, visible=visible)


def _default_involvement_role(agency: Agency) -> str:
    return {
        "childrens_services": InvolvementRole.SOCIAL_CARE,
        "sen": InvolvementRole.EDUCATION,
        "icb": InvolvementRole.HEALTH_COMMISSIONER,
        "nhs_trust": InvolvementRole.HEALTH_PROVIDER,
    }.get(agency.kind, InvolvementRole.OTHER)


@transaction.atomic
def child_register(*, actor: User, fields: Mapping[str, Any]) -> Child:
    """Register a child for the actor's agency, which becomes involved as the lead agency.

    Raises DuplicateNHSNumber when the NHS number is taken; when the child is in another agency
    the error says only that a record exists (access_request_create offers the way in).
    """
    _require_role(actor, *access.CHILD_EDITORS, doing="register a child")
    if not actor.agency_id:
        raise access.NotAllowed("You need to belong to an agency to register a child")
    unknown = set(fields) - set(CHILD_FIELDS)
    if unknown:
        raise ValueError(f"Unknown child fields: {sorted(unknown)}")
    child = Child(owning_agency=actor.agency, created_by=actor, **fields)
    child.nhs_number = normalise_nhs_number(child.nhs_number) or None
    child.full_clean(exclude=["nhs_number"] if child.nhs_number is None else None, validate_unique=False)
    _check_child_rules(child, today=timezone.localdate())
    _check_nhs_number_free(actor=actor, nhs_number=child.nhs_number)
    try:
        with transaction.atomic():
            child.save()
    except IntegrityError as exc:
        # Another registration of the same NHS number won the race.
        raise ValidationError({"nhs_number": ["A record with this NHS number already exists"]}) from exc
    Involvement.objects.create(
        child=child,
        agency=actor.agency,
        role=InvolvementRole.LEAD,
        started_on=timezone.localdate(),
        added_by=actor,
    )
    record_event(
        actor=actor,
        action="child.registered",
        obj=child,
        child=child,
        changes={
            k: [None, v] for k, v in snapshot(child, CHILD_FIELDS).items() if v not in (None, "", False)
        },
    )
    return child


@transaction.atomic
def child_update(*, actor: User, child: Child, fields: Mapping[str, Any]) -> Child:
    """Change a child's details. The caller fetched `child` through access.get_child_for_user."""
    _require_role(actor, *access.CHILD_EDITORS, doing="change a child's record")
    unknown = set(fields) - set(CHILD_FIELDS)
    if unknown:
        raise ValueError(f"Unknown child fields: {sorted(unknown)}")
    locked = Child.objects.select_for_update().get(pk=child.pk)
    before = snapshot(locked, CHILD_FIELDS)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.nhs_number = normalise_nhs_number(locked.nhs_number) or None
    locked.full_clean(exclude=["nhs_number"] if locked.nhs_number is None else None, validate_unique=False)
    _check_child_rules(locked, today=timezone.localdate())
    _check_nhs_number_free(actor=actor, nhs_number=locked.nhs_number, exclude_pk=locked.pk)
    changes = diff(before, snapshot(locked, CHILD_FIELDS))
    if not changes:
        return locked
    locked.updated_at = timezone.now()
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise ValidationError({"nhs_number": ["A record with this NHS number already exists"]}) from exc
    record_event(actor=actor, action="child.updated", obj=locked, child=locked, changes=changes)
    return locked


PARENT_CARER_FIELDS = ("name", "relationship", "parental_responsibility", "phone", "email")


@transaction.atomic
def parent_carer_add(*, actor: User, child: Child, fields: Mapping[str, Any]) -> ParentCarer:
    _require_role(actor, *access.CHILD_EDITORS, doing="change a child's record")
    person = ParentCarer(child=child, **{k: fields[k] for k in PARENT_CARER_FIELDS if k in fields})
    person.full_clean()
    person.save()
    record_event(
        actor=actor,
        action="parent_carer.added",
        obj=person,
        child=child,
        changes={k: [None, v] for k, v in snapshot(person, PARENT_CARER_FIELDS).items()},
    )
    return person


@transaction.atomic
def parent_carer_update(*, actor: User, person: ParentCarer, fields: Mapping[str, Any]) -> ParentCarer:
    _require_role(actor, *access.CHILD_EDITORS, doing="change a child's record")
    before = snapshot(person, PARENT_CARER_FIELDS)
    for name in PARENT_CARER_FIELDS:
        if name in fields:
            setattr(person, name, fields[name])
    person.full_clean()
    changes = diff(before, snapshot(person, PARENT_CARER_FIELDS))
    if changes:
        person.save()
        record_event(
            actor=actor, action="parent_carer.updated", obj=person, child=person.child, changes=changes
        )
    return person


@transaction.atomic
def parent_carer_remove(*, actor: User, person: ParentCarer) -> None:
    _require_role(actor, *access.CHILD_EDITORS, doing="change a child's record")
    record_event(
        actor=actor,
        action="parent_carer.removed",
        obj=person,
        child=person.child,
        changes={k: [v, None] for k, v in snapshot(person, PARENT_CARER_FIELDS).items()},
    )
    person.delete()


@transaction.atomic
def involvement_add(
    *, actor: User, child: Child, agency: Agency, role: str, started_on: dt.date | None = None
) -> Involvement:
    """Record that another agency is involved with the child (its users can then see the child)."""
    _require_role(actor, *access.CHILD_EDITORS, doing="add an agency to a child's record")
    if Involvement.objects.filter(child=child, agency=agency, ended_on__isnull=True).exists():
        raise ValidationError({"agency": [f"{agency.name} is already involved with this child"]})
    involvement = Involvement(
        child=child, agency=agency, role=role, started_on=started_on or timezone.localdate(), added_by=actor
    )
    involvement.full_clean()
    involvement.save()
    record_event(
        actor=actor,
        action="involvement.added",
        obj=involvement,
        child=child,
        changes={
            "agency": [None, agency.name],
            "role": [None, role],
            "started_on": [None, str(involvement.started_on)],
        },
    )
    return involvement


@transaction.atomic
def involvement_end(*, actor: User, involvement: Involvement, ended_on: dt.date | None = None) -> Involvement:
    """End an agency's involvement. The last current involvement cannot end: the child would vanish."""
    _require_role(actor, *access.CHILD_EDITORS, doing="change a child's record")
    ended_on = ended_on or timezone.localdate()
    if ended_on < involvement.started_on:
        raise ValidationError({"ended_on": ["The end date must be on or after the start date"]})
    # Lock the child's involvements so two agencies ending at once cannot leave none.
    current = list(
        Involvement.objects.select_for_update().filter(child_id=involvement.child_id, ended_on__isnull=True)
    )
    if involvement.pk not in {i.pk for i in current}:
        raise InvalidTransition("This involvement has already ended")
    if len(current) == 1:
        raise InvalidTransition("At least one agency must stay involved with the child")
    Involvement.objects.filter(pk=involvement.pk).update(ended_on=ended_on)
    involvement.refresh_from_db()
    record_event(
        actor=actor,
        action="involvement.ended",
        obj=involvement,
        child=involvement.child,
        changes={"ended_on": [None, str(ended_on)]},
    )
    return involvement


@transaction.atomic
def access_request_create(*, actor: User, nhs_number: str, reason: str) -> AccessRequest:
    """Ask the owning agency to involve the actor's agency with a child it cannot see.

    Reveals nothing about the child: the actor learns only that the request was sent.
    """
    _require_role(actor, *access.CHILD_EDITORS, doing="request access to a child's record")
    nhs_number = normalise_nhs_number(nhs_number)
    child = Child.objects.filter(nhs_number=nhs_number).first()
    if child is None:
        raise ValidationError({"nhs_number": ["No record with this NHS number exists"]})
    if access.children_visible_to(user=actor).filter(pk=child.pk).exists():
        raise ValidationError({"nhs_number": ["You can already see this child's record"]})
    if not reason.strip():
        raise ValidationError({"reason": ["Enter why your agency needs to be involved"]})
    if AccessRequest.objects.filter(
        child=child, requesting_agency=actor.agency, status=AccessRequestStatus.PENDING
    ).exists():
        raise ValidationError({"nhs_number": ["Your agency has already asked for access to this record"]})
    request = AccessRequest(
        child=child,
        requested_by=actor,
        requesting_agency=actor.agency,
        owning_agency=child.owning_agency,
        reason=reason.strip(),
    )
    request.full_clean()
    request.save()
    record_event(actor=actor, action="access_request.created", obj=request, child=child, changes={})
    return request


def _decide_access_request(*, actor: User, request: AccessRequest, status: str, note: str) -> AccessRequest:
    if not access.can_decide_access_requests(user=actor) or request.owning_agency_id != actor.agency_id:
        raise access.NotAllowed("Only managers of the owning agency can decide this request")
    now = timezone.now()
    updated = AccessRequest.objects.filter(pk=request.pk, status=AccessRequestStatus.PENDING).update(
        status=status, decided_by=actor, decided_at=now, decision_note=note.strip()
    )
    if updated != 1:
        raise InvalidTransition("This request has already been decided")
    request.refresh_from_db()
    record_event(
        actor=actor,
        action=f"access_request.{status}",
        obj=request,
        child=request.child,
        changes={"status": [AccessRequestStatus.PENDING, status]},
    )
    return request


@transaction.atomic
def access_request_grant(*, actor: User, request: AccessRequest, note: str = "") -> AccessRequest:
    request = _decide_access_request(
        actor=actor, request=request, status=AccessRequestStatus.GRANTED, note=note
    )
    if not Involvement.objects.filter(
        child=request.child, agency=request.requesting_agency, ended_on__isnull=True
    ).exists():
        involvement = Involvement.objects.create(
            child=request.child,
            agency=request.requesting_agency,
            role=_default_involvement_role(request.requesting_agency),
            added_by=actor,
        )
        record_event(
            actor=actor,
            action="involvement.added",
            obj=involvement,
            child=request.child,
            changes={"agency": [None, request.requesting_agency.name], "via": [None, "access request"]},
        )
    return request


@transaction.atomic
def access_request_decline(*, actor: User, request: AccessRequest, note: str) -> AccessRequest:
    if not note.strip():
        raise ValidationError({"note": ["Enter a reason for declining"]})
    return _decide_access_request(
        actor=actor, request=request, status=AccessRequestStatus.DECLINED, note=note
    )


@transaction.atomic
def child_grant_view(*, actor: User, child: Child, user: User) -> None:
    """Let one person outside the involved agencies see this child (e.g. an independent panel member)."""
    _require_role(actor, Role.TEAM_MANAGER, Role.SERVICE_MANAGER, doing="grant access")
    access.grant_child_view(user=user, child=child)
    record_event(
        actor=actor, action="child.view_granted", obj=child, child=child, changes={"user": [None, user.pk]}
    )


@transaction.atomic
def child_revoke_view(*, actor: User, child: Child, user: User) -> None:
    _require_role(actor, Role.TEAM_MANAGER, Role.SERVICE_MANAGER, doing="revoke access")
    access.revoke_child_view(user=user, child=child)
    record_event(
        actor=actor, action="child.view_revoked", obj=child, child=child, changes={"user": [user.pk, None]}
    )


# --- Organisations and people (system administrators, the demo loader) ---------------------------


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
    team = Team(agency=agency, name=name)
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
) -> User:
    """Add a person. `actor` is None only for the bootstrap loaders (seed_demo, createsuperuser)."""
    _require_partnership_admin(actor, partnership=agency.partnership, doing="add a person")
    bad_roles = set(roles) - set(Role.values)
    if bad_roles:
        raise ValidationError({"roles": [f"Unknown roles: {', '.join(sorted(bad_roles))}"]})
    if delegated_limit is not None and Role.FINANCE_APPROVER not in roles:
        raise ValidationError({"delegated_limit": ["Only finance approvers have a delegated limit"]})
    user = User(
        email=email.strip().lower(),
        full_name=full_name,
        agency=agency,
        roles=list(roles),
        job_title=job_title,
        delegated_limit=delegated_limit,
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
        changes={"email": [None, user.email], "agency": [None, agency.pk], "roles": [None, list(roles)]},
    )
    return user


def record_admin_change(*, actor: User, obj: Any, before: Mapping[str, Any]) -> None:
    """Audit a change a system administrator made to an agency, team or person in the admin."""
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


# --- API tokens ------------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    user: User,
    name: str,
    expires_in_days: int | None = None,
    scope: str = TokenScope.FULL,
    operations: list[str] | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for `user` and return it with its secret, which is shown once and never stored.

    People make their own tokens; a partnership administrator makes them for a service account of
    their partnership. A service account's token is never of full scope.
    """
    from casework.tokens import digest_of, new_secret

    if not access.is_usable(actor) or actor.is_service_account:
        raise access.NotAllowed("Only a person may make API tokens")
    if user.pk != actor.pk and not access.can_administer_account(actor=actor, account=user):
        raise access.NotAllowed("You may only make tokens for yourself or a service account you administer")
    if user.pk != actor.pk and not user.is_service_account:
        raise access.NotAllowed("Only the person themselves may make a token for their own account")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Enter a name for the token, like “Finance system export”"]
    elif len(name) > 100:
        errors["name"] = ["Name must be 100 characters or fewer"]
    days = settings.API_TOKEN_DEFAULT_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        errors["expires_in_days"] = [f"Enter a number of days from 1 to {settings.API_TOKEN_MAX_DAYS}"]
    if scope not in TokenScope.values:
        errors["scope"] = ["Choose what the token may do"]
    elif user.is_service_account and scope == TokenScope.FULL:
        errors["scope"] = ["A service account's token is read only or limited to named operations"]
    operations = sorted(set(operations or []))
    if scope == TokenScope.OPERATIONS:
        from casework.tokens import api_operation_names

        unknown = set(operations) - api_operation_names()
        if not operations:
            errors["operations"] = ["Choose at least one operation"]
        elif unknown:
            errors["operations"] = [f"Unknown operations: {', '.join(sorted(unknown))}"]
    else:
        operations = []
    if errors:
        raise ValidationError(errors)
    secret = new_secret()
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        digest=digest_of(secret),
        scope=scope,
        operations=operations,
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    record_event(
        actor=actor,
        action="api_token.created",
        obj=token,
        changes={
            "user": [None, user.pk],
            "name": [None, name],
            "scope": [None, scope],
            "operations": [None, operations],
            "expires_at": [None, token.expires_at.isoformat()],
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token at once. Revoking twice is refused (409): the first revocation stands."""
    if token.user_id != actor.pk and not access.can_administer_account(actor=actor, account=token.user):
        raise access.NotAllowed("You may only revoke your own tokens or a service account's")
    now = timezone.now()
    if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    ):
        raise InvalidTransition("This token has already been revoked")
    token.revoked_at, token.revoked_by = now, actor
    record_event(
        actor=actor, action="api_token.revoked", obj=token, changes={"revoked_at": [None, now.isoformat()]}
    )
    return token
