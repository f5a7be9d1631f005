"""Who may see and do what with funding packages. The one place these rules live.

A package is visible to people of an agency that has a share in it (any version) who may also see
the child (casework.access.children_visible_to), and to the deciding panel's administrators.
Everyone else, including another partnership, gets the same 404 as for a missing package. Fail
closed: an unusable user sees nothing.

Within a package, finance staff see their own agency's approvals in full and other agencies'
approvals as status only (who approved, queries and answers are theirs).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from casework.access import (
    NOT_FOUND_MESSAGE,
    NotAllowed,
    agency_id_of,
    is_usable,
    record_id,
    visible_child_q,
)
from casework.models import Role, User
from funding.models import FundingPackage, ShareLine

# Who may record a package for an existing arrangement, vary it or end it.
PACKAGE_MANAGERS = (Role.PANEL_ADMINISTRATOR, Role.FINANCE_APPROVER, Role.SERVICE_MANAGER)


def _administered_panel_filter(user: User) -> Q:
    """Packages of panels this person administers: their agency hosts the panel and they are a
    panel administrator, or they hold a current administrator (or chair) seat on it."""
    from panels.models import CHAIRING_ROLES, MemberRole, Membership

    seat = Q(
        Exists(
            Membership.objects.current()
            .filter(person_id=user.pk, role__in=[MemberRole.ADMINISTRATOR, *CHAIRING_ROLES])
            .filter(panel_id=OuterRef("panel_id"))
        )
    )
    host = (
        Q(panel__host_agency_id=user.agency_id) if user.has_role(Role.PANEL_ADMINISTRATOR) else Q(pk__in=[])
    )
    return Q(panel__isnull=False) & (host | seat)


def packages_visible_to(*, user: User | None) -> QuerySet[FundingPackage]:
    """One SQL query: share-holding agency and a visible child, or the deciding panel's admins."""
    if not is_usable(user):
        return FundingPackage.objects.none()
    shares = Exists(ShareLine.objects.filter(package_id=OuterRef("pk"), agency_id=agency_id_of(user)))
    child_ok = visible_child_q(user=user)
    return FundingPackage.objects.filter((shares & child_ok) | _administered_panel_filter(user))


def get_package_for_user(*, user: User | None, pk: object, shape=None) -> FundingPackage:
    pk_int = record_id(pk)
    visible = packages_visible_to(user=user)
    if shape is not None:
        visible = shape(visible)
    package = visible.filter(pk=pk_int).first()
    if package is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return package


def get_share_for_user(*, user: User | None, pk: object) -> ShareLine:
    """A share line of a package the user may see (404 otherwise)."""
    pk_int = record_id(pk)
    share = (
        ShareLine.objects.filter(pk=pk_int, package__in=packages_visible_to(user=user))
        .select_related("package", "version", "agency")
        .first()
    )
    if share is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return share


def is_finance_approver(user: User | None) -> bool:
    return is_usable(user) and user.has_role(Role.FINANCE_APPROVER)


def can_see_approval_detail(*, user: User, share: ShareLine) -> bool:
    """Own agency's approvals in full; another agency's as status only. Panel administrators see
    all (they answer the queries)."""
    return share.agency_id == user.agency_id or user.has_role(Role.PANEL_ADMINISTRATOR)


def require_approver_of(*, user: User, share: ShareLine) -> None:
    if not is_finance_approver(user) or share.agency_id != user.agency_id:
        raise NotAllowed("Only a finance approver of this share's agency can approve, query or dispute it")


def can_manage(*, user: User) -> bool:
    return is_usable(user) and user.has_role(*PACKAGE_MANAGERS)


def require_manager(*, user: User) -> None:
    if not can_manage(user=user):
        raise NotAllowed("Only panel administrators, finance approvers and service managers can do this")


def can_see_commitments(*, user: User | None) -> bool:
    return is_usable(user) and user.has_role(Role.FINANCE_APPROVER, Role.AUDITOR, Role.SERVICE_MANAGER)
