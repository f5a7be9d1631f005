"""Every write to the core domain. Pages, API, admin, commands and tasks all call these.

Each service is keyword-only, atomic, validates with full_clean(), checks the actor's role and
writes an audit event. Nothing changes without an actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

from casework import access
from casework.audit import diff, record_event, snapshot
from casework.models import (
    AccessRequest,
    AccessRequestStatus,
    Agency,
    ApiToken,
    AuditEvent,
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
from casework.nhs import nhs_number_problem, normalise_nhs_number
from casework.notifications import notify


class InvalidTransition(Exception):
    """A state change that is no longer allowed (HTTP 409)."""


class DuplicateNHSNumber(ValidationError):
    """The NHS number already belongs to a child the actor can see (saying so reveals nothing)."""

    def __init__(self, *, child: Child):
        self.child = child
        super().__init__(
            {"nhs_number": ["A child with this NHS number is already registered"]},
            code="duplicate_nhs_number",
        )


# The one answer to "is there a child with this NHS number?" for anyone who cannot see that child,
# whether there is one or not (issue 12: no existence oracle).
ACCESS_ASK_ANSWER = (
    "If a record with this NHS number exists, the agency that holds it has been asked to share it "
    "with you. You will be told if they do."
)


def access_ask_limit_message() -> str:
    return (
        f"You have asked for {settings.ACCESS_REQUESTS_PER_DAY} records in the last 24 hours, the most "
        "allowed. Try again tomorrow, or ask your team manager to contact the other agency."
    )


class AccessAskOutcome(models.TextChoices):
    SENT = "sent", "Asked, if there is anyone to ask"
    LIMIT_REACHED = "limit_reached", "Refused: too many asks today"
    ALREADY_VISIBLE = "already_visible", "The actor can already see the child"


@dataclass(frozen=True)
class AccessAsk:
    """What an ask for a child's record answers. `child` is set only when the actor can see it."""

    outcome: str
    child: Child | None = None

    @property
    def message(self) -> str:
        if self.outcome == AccessAskOutcome.ALREADY_VISIBLE:
            return "Your agency can already see this child's record"
        if self.outcome == AccessAskOutcome.LIMIT_REACHED:
            return access_ask_limit_message()
        return ACCESS_ASK_ANSWER


class NHSNumberHeldElsewhere(ValidationError):
    """A registration or change that would reuse an NHS number the actor cannot see. Nothing was
    saved; the owners were asked instead (`ask`), and the message is the neutral answer."""

    def __init__(self, *, ask: AccessAsk):
        self.ask = ask
        message = ask.message
        if ask.outcome == AccessAskOutcome.SENT:
            message = f"Nothing has been saved. {message}"
        super().__init__({"nhs_number": [message]}, code="nhs_number_held_elsewhere")


class _HiddenDuplicate(Exception):
    """Internal: the NHS number belongs to a child the actor cannot see (undo, then ask)."""

    def __init__(self, nhs_number: str):
        self.nhs_number = nhs_number


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
    if not access.is_partnership_administrator(actor) or access.agency_of(actor).partnership != partnership:
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
    worker, team = child.allocated_social_worker, child.allocated_team  # read only when set
    if worker is not None and worker.agency_id != child.owning_agency_id:
        errors.setdefault("allocated_social_worker", []).append(
            "Choose a social worker from the registering agency"
        )
    if team is not None and team.agency_id != child.owning_agency_id:
        errors.setdefault("allocated_team", []).append("Choose a team from the registering agency")
    if errors:
        raise ValidationError(errors)


def _check_nhs_number_free(*, actor: User, nhs_number: str | None, exclude_pk: int | None = None) -> None:
    if not nhs_number:
        return
    same = Child.objects.filter(nhs_number=nhs_number)
    existing = (same.exclude(pk=exclude_pk) if exclude_pk is not None else same).first()
    if existing is None:
        return
    if access.children_visible_to(user=actor).filter(pk=existing.pk).exists():
        raise DuplicateNHSNumber(child=existing)
    raise _HiddenDuplicate(nhs_number)


def _ask_instead(*, actor: User, nhs_number: str, via: str) -> NHSNumberHeldElsewhere:
    reason = {
        "registration": f"{actor.full_name} tried to register a child with this NHS number.",
        "change": f"{actor.full_name} entered this NHS number on a child's record in their agency.",
    }[via]
    return NHSNumberHeldElsewhere(
        ask=access_request_ask(actor=actor, nhs_number=nhs_number, reason=reason, via=via)
    )


def _default_involvement_role(agency: Agency) -> str:
    return {
        "childrens_services": InvolvementRole.SOCIAL_CARE,
        "sen": InvolvementRole.EDUCATION,
        "icb": InvolvementRole.HEALTH_COMMISSIONER,
        "nhs_trust": InvolvementRole.HEALTH_PROVIDER,
    }.get(agency.kind, InvolvementRole.OTHER)


def child_register(*, actor: User, fields: Mapping[str, Any]) -> Child:
    """Register a child for the actor's agency, which becomes involved as the lead agency.

    Raises DuplicateNHSNumber when the actor can already see a child with this NHS number. When
    the number belongs to a child the actor cannot see, nothing is registered: the owners are
    asked to share the record (access_request_ask) and NHSNumberHeldElsewhere carries the same
    neutral answer as any ask. The caller must let that ask commit (catch the error, do not roll back).
    """
    try:
        return _child_register(actor=actor, fields=fields)
    except _HiddenDuplicate as hidden:
        raise _ask_instead(actor=actor, nhs_number=hidden.nhs_number, via="registration") from None


@transaction.atomic
def _child_register(*, actor: User, fields: Mapping[str, Any]) -> Child:
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
    except IntegrityError:
        if not child.nhs_number:  # some other constraint: not a race for the NHS number
            raise
        # Another registration of the same NHS number won the race: answer as if it had been first.
        raise _HiddenDuplicate(child.nhs_number) from None
    Involvement.objects.create(
        child=child,
        agency=access.agency_of(actor),
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


def child_update(*, actor: User, child: Child, fields: Mapping[str, Any]) -> Child:
    """Change a child's details. The caller fetched `child` through access.get_child_for_user.

    An NHS number that belongs to a child the actor cannot see is refused as in child_register.
    """
    try:
        return _child_update(actor=actor, child=child, fields=fields)
    except _HiddenDuplicate as hidden:
        raise _ask_instead(actor=actor, nhs_number=hidden.nhs_number, via="change") from None


@transaction.atomic
def _child_update(*, actor: User, child: Child, fields: Mapping[str, Any]) -> Child:
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
    except IntegrityError:
        if not locked.nhs_number:  # some other constraint: not a race for the NHS number
            raise
        raise _HiddenDuplicate(locked.nhs_number) from None
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
    if agency.partnership != child.owning_agency.partnership:
        # Issue 12: another area's agency is involved only by asking the owners (an access request).
        raise ValidationError({"agency": ["Choose an agency of this child's partnership"]})
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


ACCESS_ASKED = "access_request.asked"


def _asks_in_the_last_day(actor: User) -> int:
    since = timezone.now() - dt.timedelta(days=1)
    return AuditEvent.objects.filter(actor=actor, action=ACCESS_ASKED, at__gte=since).count()


@transaction.atomic
def access_request_ask(*, actor: User, nhs_number: str, reason: str, via: str = "ask") -> AccessAsk:
    """Ask whichever agency holds the record with this NHS number, if any, to share it.

    Issue 12, no existence oracle: the actor gets the same answer, with the same work done, whether
    a record exists or not. Here the ask is only audited (with no child) and a task is queued after
    the commit; the task (access_request_from_ask) looks the number up and raises the request to
    the owning agency's managers, out of the actor's sight. At most ACCESS_REQUESTS_PER_DAY asks per
    person in 24 hours; beyond that the same refusal, also audited. Only a child the actor can
    already see is named in the answer, which reveals nothing.
    """
    _require_role(actor, *access.CHILD_EDITORS, doing="request access to a child's record")
    if not actor.agency_id:
        raise access.NotAllowed("You need to belong to an agency to request access")
    nhs_number = normalise_nhs_number(nhs_number)
    problem = nhs_number_problem(nhs_number)
    if problem:
        raise ValidationError({"nhs_number": [problem]})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Enter why your agency needs to be involved"]})
    # One person's asks queue behind each other here, so two at once cannot both slip under the limit.
    list(User.objects.select_for_update().filter(pk=actor.pk).values_list("pk"))
    visible = access.children_visible_to(user=actor).filter(nhs_number=nhs_number).first()
    if visible is not None:
        record_event(
            actor=actor,
            action="access_request.already_visible",
            obj=visible,
            child=visible,
            changes={"via": via},
        )
        return AccessAsk(AccessAskOutcome.ALREADY_VISIBLE, child=visible)
    asked = {"nhs_number": nhs_number, "reason": reason, "via": via}
    if _asks_in_the_last_day(actor) >= settings.ACCESS_REQUESTS_PER_DAY:
        record_event(
            actor=actor,
            action="access_request.refused",
            obj=actor,
            changes={**asked, "limit": settings.ACCESS_REQUESTS_PER_DAY},
        )
        return AccessAsk(AccessAskOutcome.LIMIT_REACHED)
    event = record_event(actor=actor, action=ACCESS_ASKED, obj=actor, changes=asked)
    from casework import outbox
    from casework.jobs import ACCESS_REQUEST

    # In the background, so the page answers the same whether there is a record or not.
    outbox.defer(
        kind=ACCESS_REQUEST,
        object_id=event.pk,
        partnership=actor.agency.partnership if actor.agency else "",
        summary="An access request by NHS number",
    )
    return AccessAsk(AccessAskOutcome.SENT)


def access_request_from_ask(*, event_id: int) -> AccessRequest | None:
    """The background half of access_request_ask: raise the request, if there is a record to ask for."""
    event = AuditEvent.objects.select_related("actor").filter(pk=event_id, action=ACCESS_ASKED).first()
    if event is None or not access.is_usable(event.actor) or not event.actor.has_role(*access.CHILD_EDITORS):
        return None
    return access_request_create(
        actor=event.actor, nhs_number=event.changes["nhs_number"], reason=event.changes["reason"]
    )


@transaction.atomic
def access_request_create(*, actor: User, nhs_number: str, reason: str) -> AccessRequest | None:
    """Ask the owning agency to involve the actor's agency with the child with this NHS number, and
    tell its team and service managers. None when there is no such child, the actor can already see
    it, or their agency is already waiting for an answer.

    What this finds is never shown to the actor: pages and API reach it only through
    access_request_ask, which answers the same either way.
    """
    _require_role(actor, *access.CHILD_EDITORS, doing="request access to a child's record")
    nhs_number = normalise_nhs_number(nhs_number)
    if not reason.strip():
        raise ValidationError({"reason": ["Enter why your agency needs to be involved"]})
    child = Child.objects.select_related("owning_agency").filter(nhs_number=nhs_number).first()
    if child is None or access.children_visible_to(user=actor).filter(pk=child.pk).exists():
        return None
    if AccessRequest.objects.filter(
        child=child, requesting_agency_id=actor.agency_id, status=AccessRequestStatus.PENDING
    ).exists():
        return None
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
    notify(
        users=User.objects.filter(
            agency_id=child.owning_agency_id,
            is_active=True,
            roles__overlap=list(access.ACCESS_REQUEST_DECIDERS),
        ),
        subject=f"{access.agency_of(actor).name} asks to see the record of {child.initials}",
        body=f"{actor.full_name} asked for their agency to be involved with a child your agency registered.",
        url=reverse("children:access_request_decide", args=[request.pk]),
    )
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
    # The ask promised "you will be told if they do"; a decline stays silent, so it reveals nothing.
    notify(
        users=[request.requested_by],
        subject=f"You can now see the record of {request.child.initials}",
        body=f"{request.owning_agency.name} shared the record you asked for.",
        url=reverse("children:detail", args=[request.child_id]),
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


# --- Organisations and people (partnership administrators, the operator, the demo loader) ---------


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
