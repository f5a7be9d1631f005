"""Who may see or act on referrals and their evidence. The one place these rules live.

A referral belongs to a child: it is visible to users who may see the child (casework/access.py).
It is changed by child editors of the referring agency while it is editable; signed by team and
service managers of the referring agency who did not write it. Missing and forbidden look the
same (Http404).

Papers access (seeds 002, Joint Funding Panel 3.3: papers are not held longer than necessary): a
panel member also sees a referral while they hold an active papers grant for a meeting where the
referral is on the agenda (panels.models.PapersGrant, made when the papers are circulated). Members'
grants end after the meeting day; the chair's copy and the lead member's item are kept.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from casework.access import (
    CHILD_EDITORS,
    NOT_FOUND_MESSAGE,
    NotAllowed,
    is_usable,
    record_id,
    visible_child_q,
)
from casework.models import Role, User
from panels.models import PapersGrant
from referrals.models import Evidence, Referral

# seeds 002: "all referrals must be approved by a service manager or panel member".
SERVICE_MANAGER_SIGNERS = (Role.SERVICE_MANAGER, Role.PANEL_MEMBER)
TEAM_MANAGER_SIGNERS = (Role.TEAM_MANAGER,)


def referrals_visible_to(*, user: User | None) -> QuerySet[Referral]:
    """Referrals of the children the user may see, or on an agenda whose papers they hold now.

    One query, fail closed: the child rule OR an EXISTS over the user's live papers grants (no id
    list is read into Python). PostgreSQL runs the EXISTS once per query as a hashed subplan that
    starts from the user's grants (person index) and reaches the items by meeting; people holding
    no grant pay one index probe. EXPLAIN is checked in tests/panels/test_agenda_papers_access.py.
    The OR means a list is no longer a semi-join on the child: see the agenda part's report.
    """
    if not is_usable(user):
        return Referral.objects.none()
    return Referral.objects.filter(visible_child_q(user=user) | Q(papers_granted(user=user)))


def papers_granted(*, user: User) -> Exists:
    """EXISTS: the referral is on a live (not withdrawn) agenda item of a meeting whose papers this
    user holds right now: a meeting-wide grant, or one for that item; started, not ended, not revoked.

    Written from the user's grants outward, so the planner starts at the (person, meeting) index on
    grants and reaches the agenda items through the (meeting, position) index; PostgreSQL turns it
    into one hashed subplan per query, not a probe per referral.
    """
    now = timezone.now()
    return Exists(
        # One filter() call, so every condition on the agenda item is about the same item (join).
        PapersGrant.objects.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
            Q(agenda_item__isnull=True) | Q(agenda_item_id=F("meeting__agenda_items__id")),
            person_id=user.pk,
            starts_at__lte=now,
            revoked_at__isnull=True,
            meeting__agenda_items__referral_id=OuterRef("pk"),
            meeting__agenda_items__withdrawn_at__isnull=True,
        )
    )


def get_referral_for_user(
    *,
    user: User,
    pk: object,
    need: str = "view",
    shape: Callable[[QuerySet[Referral]], QuerySet[Referral]] | None = None,
) -> Referral:
    """The referral if the user may `need` ("view" or "edit") it; Http404 when they may not see it.

    `shape` lets a selector add select_related / prefetch_related to the same query; it must not
    widen the filter.
    """
    visible = referrals_visible_to(user=user).select_related(
        "child", "panel", "meeting", "referrer", "referrer_agency", "review_of"
    )
    if shape is not None:
        visible = shape(visible)
    referral = visible.filter(pk=record_id(pk)).first()
    if referral is None:
        raise Http404(NOT_FOUND_MESSAGE)
    if need == "edit" and not can_edit(user=user, referral=referral):
        raise NotAllowed("Only the referring team can change this referral")
    return referral


def can_create(*, user: User) -> bool:
    return bool(user.is_active and user.agency_id and user.has_role(*CHILD_EDITORS))


def can_edit(*, user: User, referral: Referral) -> bool:
    return can_create(user=user) and user.agency_id == referral.referrer_agency_id


def can_sign(*, user: User, referral: Referral, stage: str) -> bool:
    """Managers of the referring agency sign; nobody signs a referral they wrote."""
    roles = TEAM_MANAGER_SIGNERS if stage == "team_manager" else SERVICE_MANAGER_SIGNERS
    return bool(
        user.is_active
        and user.agency_id == referral.referrer_agency_id
        and user.has_role(*roles)
        and user.pk not in {referral.referrer_id, referral.created_by_id}
    )


def signing_stage(referral: Referral) -> str | None:
    """Which signature the referral is waiting for, if any."""
    return {"awaiting_team_manager": "team_manager", "awaiting_service_manager": "service_manager"}.get(
        referral.status
    )


def get_evidence_for_user(*, user: User, referral_pk: object, pk: object) -> Evidence:
    referral = get_referral_for_user(user=user, pk=referral_pk)
    evidence = Evidence.objects.filter(referral=referral, pk=record_id(pk), removed_at__isnull=True).first()
    if evidence is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return evidence
