"""A child's record: registering and changing it (one NHS number, one child, no existence oracle),
its parents and carers, the agencies involved, and one person's view granted outside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework import access
from casework.audit import diff, record_event, snapshot
from casework.models import Agency, Child, Involvement, InvolvementRole, ParentCarer, Role, User
from casework.nhs import normalise_nhs_number
from casework.services.access_requests import (
    AccessAsk,
    AccessAskOutcome,
    _default_involvement_role,
    access_request_ask,
)
from casework.services.common import InvalidTransition, _require_role


class DuplicateNHSNumber(ValidationError):
    """The NHS number already belongs to a child the actor can see (saying so reveals nothing)."""

    def __init__(self, *, child: Child):
        self.child = child
        super().__init__(
            {"nhs_number": ["A child with this NHS number is already registered"]},
            code="duplicate_nhs_number",
        )


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
def involvement_add_for_funding(
    *, actor: User, child: Child, agencies: Iterable[Agency], reason: str
) -> list[Involvement]:
    """Each agency given a share of the child's funding becomes involved with the child, so its
    finance approvers can open the package and the child it pays for (docs/adr/0013). An agency
    already involved (an open involvement) is left as it is; the others get an involvement from
    today with the role their kind of agency has and `reason`, and an audit event saying so.

    No role check: the funding service that gives the share has checked the actor may (the chair
    signing the decision, or a package manager); a share never goes outside the child's partnership
    (funding.services refuses it first, and so does this)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValueError("An involvement for a funding share needs its reason")
    wanted = {agency.pk: agency for agency in agencies}
    if not wanted:
        return []
    partnership = child.owning_agency.partnership
    outside = sorted(a.name for a in wanted.values() if a.partnership != partnership)
    if outside:
        raise ValidationError({"agency": [f"{', '.join(outside)} is not in this child's partnership"]})
    already = set(
        Involvement.objects.filter(child=child, agency_id__in=wanted, ended_on__isnull=True).values_list(
            "agency_id", flat=True
        )
    )
    made = []
    for agency_id, agency in wanted.items():
        if agency_id in already:
            continue
        involvement = Involvement(
            child=child,
            agency=agency,
            role=_default_involvement_role(agency),
            started_on=timezone.localdate(),
            added_by=actor,
            reason=reason[:200],
        )
        involvement.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                involvement.save()
        except IntegrityError:
            continue  # another package for this child involved the agency at the same moment
        record_event(
            actor=actor,
            action="involvement.added",
            obj=involvement,
            child=child,
            changes={
                "agency": [None, agency.name],
                "role": [None, involvement.role],
                "started_on": [None, str(involvement.started_on)],
                "reason": [None, involvement.reason],
                "via": [None, "funding share"],
            },
        )
        made.append(involvement)
    return made


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
