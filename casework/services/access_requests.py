"""Asking to see a child's record held by another agency, by NHS number, with no existence oracle
(issue 12), and the owning agency's managers granting or declining it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from casework import access
from casework.audit import record_event
from casework.models import (
    AccessRequest,
    AccessRequestStatus,
    Agency,
    AuditEvent,
    Child,
    Involvement,
    InvolvementRole,
    User,
)
from casework.nhs import nhs_number_problem, normalise_nhs_number
from casework.notifications import notify
from casework.services.common import InvalidTransition, _require_role

# The one answer to "is there a child with this NHS number?" for anyone who cannot see that child,
# whether there is one or not (issue 12: no existence oracle).
ACCESS_ASK_ANSWER = (
    "If a record with this NHS number exists, the agency that holds it has been asked to share it "
    "with you. You will be told if they do."
)


# A decline is always explained to the requester's agency.
DECLINE_NOTE_NEEDED = "Enter a reason for declining"


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


def _default_involvement_role(agency: Agency) -> str:
    return {
        "childrens_services": InvolvementRole.SOCIAL_CARE,
        "sen": InvolvementRole.EDUCATION,
        "icb": InvolvementRole.HEALTH_COMMISSIONER,
        "nhs_trust": InvolvementRole.HEALTH_PROVIDER,
    }.get(agency.kind, InvolvementRole.OTHER)


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
        raise ValidationError({"note": [DECLINE_NOTE_NEEDED]})
    return _decide_access_request(
        actor=actor, request=request, status=AccessRequestStatus.DECLINED, note=note
    )
