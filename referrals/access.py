"""Who may see or act on referrals and their evidence. The one place these rules live.

A referral belongs to a child: it is visible to users who may see the child (casework/access.py).
It is changed by child editors of the referring agency while it is editable; signed by team and
service managers of the referring agency who did not write it. Missing and forbidden look the
same (Http404).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import Http404

from casework.access import CHILD_EDITORS, NOT_FOUND_MESSAGE, NotAllowed, children_visible_to, record_id
from casework.models import Role, User
from referrals.models import Evidence, Referral

# seeds 002: "all referrals must be approved by a service manager or panel member".
SERVICE_MANAGER_SIGNERS = (Role.SERVICE_MANAGER, Role.PANEL_MEMBER)
TEAM_MANAGER_SIGNERS = (Role.TEAM_MANAGER,)


def referrals_visible_to(*, user: User | None) -> QuerySet[Referral]:
    return Referral.objects.filter(child__in=children_visible_to(user=user))


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


def can_chair(*, user: User, panel) -> bool:
    """The panel's own chair or vice-chair, seated on it today (panels.models.Membership)."""
    from panels.models import CHAIRING_ROLES, Membership

    if not (user.is_active and user.agency_id):
        return False
    return Membership.objects.current().filter(panel=panel, person=user, role__in=CHAIRING_ROLES).exists()


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
