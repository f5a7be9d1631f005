"""Who may see or do what with agencies, people and children. The one place these rules live.

The main rule is agency scoping in SQL: a child, and everything about it, is visible to users of an
agency currently involved with the child. Individual exceptions (an independent panel member, a
clinician asked for one assessment) are django-guardian object grants on a direct foreign-key table
(ChildUserObjectPermission), so "what may this user see" stays one indexed query.

Fail closed: an unknown user, an inactive user or a user without an agency sees nothing. Missing
and forbidden look the same (Http404), so another agency's records cannot be discovered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeGuard

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

from casework.models import (
    AccessRequest,
    Agency,
    ApiToken,
    BackgroundJob,
    Child,
    ChildUserObjectPermission,
    Involvement,
    Role,
    Team,
    User,
)

NOT_FOUND_MESSAGE = "Page not found"

# Who may register children and change their details.
CHILD_EDITORS = (
    Role.SOCIAL_WORKER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.HEALTH_ASSESSOR,
    Role.PANEL_ADMINISTRATOR,
)
# Who may see the record of who viewed and changed a child.
HISTORY_READERS = (Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.AUDITOR)
# Who decides requests from other agencies to become involved with a child.
ACCESS_REQUEST_DECIDERS = (Role.TEAM_MANAGER, Role.SERVICE_MANAGER)


def record_id(value: object) -> int:
    """A record id from a URL or request; anything that is not one is the same 404 as a forbidden
    record (never a database error for "abc" or a number too big for a bigint)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise Http404(NOT_FOUND_MESSAGE) from None
    if not 0 < number < 2**63:
        raise Http404(NOT_FOUND_MESSAGE)
    return number


class NotAllowed(Exception):
    """The user can see the record but their role does not let them do this."""


def is_usable(user: User | AnonymousUser | None) -> TypeGuard[User]:
    """Signed in, active and in an agency: anyone else sees nothing (fail closed)."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.agency_id)


def agency_id_of(user: User) -> int:
    """The agency of a person is_usable() let through (it checked they have one). Anyone else is
    the same 404 as a missing record, failing closed, though no caller reaches here with them."""
    if user.agency_id is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return user.agency_id


def agency_of(user: User) -> Agency:
    """The same as agency_id_of, for the agency itself (one query unless already read)."""
    if user.agency is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return user.agency


def current_involvements(*, agency_id: int) -> QuerySet[Involvement]:
    today = timezone.localdate()
    return Involvement.objects.filter(agency_id=agency_id, started_on__lte=today).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=today)
    )


def children_visible_to(*, user: User | AnonymousUser | None) -> QuerySet[Child]:
    """Every child the user may see: their agency is involved now, or they hold a grant.

    One EXISTS over the involvements is a semi-join PostgreSQL estimates well; OR-ing a second
    EXISTS for grants made both per-row filters with a 75% guess, and the list page read every
    child (bench/README.md). Grants are rare exceptions, so they are OR-ed in as a literal list of
    ids, looked up only for people flagged as holding any (User.holds_child_grants).
    """
    if not is_usable(user):
        return Child.objects.none()
    involved = Exists(current_involvements(agency_id=agency_id_of(user)).filter(child_id=OuterRef("pk")))
    granted = granted_child_ids(user=user)
    return Child.objects.filter(involved | Q(pk__in=granted) if granted else involved)


def visible_child_q(*, user: User | AnonymousUser | None, field: str = "child") -> Q:
    """The filter "its child is one the user may see" for a record with a foreign key `field` to
    Child: the same children as children_visible_to (an involvement of the user's agency now, or a
    grant), written on the key alone so PostgreSQL reads the involvement index and never the
    children table (bench/README.md, My work: a feed filtered through children_visible_to read every
    child of a 500,000-child data set).

    The involvement is an EXISTS correlated on the row's child, not `<field>_id IN (the agency's
    involved children)`: under an OR (a grant, a papers grant, a panel's administrators) PostgreSQL
    could only hash the IN list, reading every involvement of the agency (19,166 index entries for
    the largest council) however few rows the query is about; an EXISTS gives it the choice of a
    probe per row on involvement_agency_dates (agency, child) for a few rows, or the same hashed
    list for many (it plans both and keeps the cheaper)."""
    if not is_usable(user):
        return Q(pk__in=[])
    involved = current_involvements(agency_id=agency_id_of(user)).filter(child_id=OuterRef(f"{field}_id"))
    q = Q(Exists(involved))
    granted = granted_child_ids(user=user)
    return q | Q(**{f"{field}_id__in": granted}) if granted else q


def _involved_child_ids(*, user: User) -> QuerySet:
    """The ids of the children the user's agency is involved with now, read from the involvement
    index alone: the first piece of visible_child_ids (the second is the user's grants,
    granted_child_ids); visible_child_q asks the same involvements per row (an EXISTS)."""
    return current_involvements(agency_id=agency_id_of(user)).order_by().values("child_id")


def can_see_child(*, user: User | AnonymousUser | None, child_id: int) -> bool:
    """Whether the child's page opens for this person (get_child_for_user finds the child): for
    pages that link to a child's record, so they offer the link only to someone it will open for."""
    return children_visible_to(user=user).filter(pk=child_id).exists()


def granted_child_ids(*, user: User) -> list[int]:
    """The children this person holds an individual grant for, once per request (cached on the user)."""
    if not user.holds_child_grants:
        return []
    cached = getattr(user, "_granted_child_ids", None)
    if cached is None:
        cached = list(
            ChildUserObjectPermission.objects.filter(
                user_id=user.pk, permission__codename="view_child"
            ).values_list("content_object_id", flat=True)
        )
        user._granted_child_ids = cached
    return cached


def visible_child_ids(*, user: User | None) -> QuerySet:
    """The visible children's ids alone, to count a whole list without reading children."""
    if not is_usable(user):
        return Involvement.objects.none().values("child_id")
    # distinct: an open involvement and one ending in the future may both be current.
    ids = _involved_child_ids(user=user).distinct()
    granted = granted_child_ids(user=user)
    if granted:
        ids = ids.union(Child.objects.filter(pk__in=granted).order_by().values("pk"))
    return ids


def get_child_for_user(
    *,
    user: User | None,
    pk: object,
    need: str = "view",
    shape: Callable[[QuerySet[Child]], QuerySet[Child]] | None = None,
) -> Child:
    """The child with this id if the user may `need` ("view" or "change") it, else Http404.

    A child the user may see but not change raises NotAllowed for need="change" (they already
    know it exists, so saying so reveals nothing). `shape` lets a selector add select_related /
    prefetch_related to the same query; it must not widen the filter.
    """
    pk_int = record_id(pk)
    visible = children_visible_to(user=user)
    if shape is not None:
        visible = shape(visible)
    child = visible.filter(pk=pk_int).first()
    if child is None:
        raise Http404(NOT_FOUND_MESSAGE)
    if need == "change" and not can_edit_children(user=user):
        raise NotAllowed("Your role does not allow changing a child's record")
    return child


def can_edit_children(*, user: User | AnonymousUser | None) -> bool:
    return is_usable(user) and user.has_role(*CHILD_EDITORS)


def can_read_history(*, user: User | AnonymousUser | None) -> bool:
    return is_usable(user) and user.has_role(*HISTORY_READERS)


def can_decide_access_requests(*, user: User | AnonymousUser | None) -> bool:
    return is_usable(user) and user.has_role(*ACCESS_REQUEST_DECIDERS)


def agencies_visible_to(*, user: User | AnonymousUser | None) -> QuerySet[Agency]:
    """The directory of the person's own partnership: its councils, ICB and trusts. Another
    partnership's organisations are its own business (issue 12: every door scoped to its partnership);
    an agency with no partnership sees only itself."""
    if not is_usable(user):
        return Agency.objects.none()
    partnership = agency_of(user).partnership
    if not partnership:
        return Agency.objects.filter(pk=agency_id_of(user))
    return Agency.objects.filter(partnership=partnership)


def teams_visible_to(*, user: User | AnonymousUser | None) -> QuerySet[Team]:
    """Teams of the agencies in the person's partnership directory."""
    if not is_usable(user):
        return Team.objects.none()
    return Team.objects.filter(agency__in=agencies_visible_to(user=user))


def users_visible_to(*, user: User | AnonymousUser | None) -> QuerySet[User]:
    """People of the user's own agency. Other agencies' staff are reached through panels."""
    if not is_usable(user):
        return User.objects.none()
    return User.objects.filter(agency_id=agency_id_of(user), is_active=True)


def access_requests_for_decision(*, user: User) -> QuerySet[AccessRequest]:
    if not can_decide_access_requests(user=user):
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(owning_agency_id=user.agency_id)


def get_access_request_for_decision(*, user: User, pk: object) -> AccessRequest:
    pk_int = record_id(pk)
    found = access_requests_for_decision(user=user).filter(pk=pk_int).select_related("child").first()
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return found


def grant_child_view(*, user: User, child: Child) -> None:
    """An individual exception to agency scoping. Call only from services (they audit it)."""
    assign_perm("view_child", user, child)
    User.objects.filter(pk=user.pk).update(holds_child_grants=True)
    user.holds_child_grants = True
    user.__dict__.pop("_granted_child_ids", None)


def revoke_child_view(*, user: User, child: Child) -> None:
    remove_perm("view_child", user, child)
    still = ChildUserObjectPermission.objects.filter(user_id=user.pk).exists()
    User.objects.filter(pk=user.pk).update(holds_child_grants=still)
    user.holds_child_grants = still
    user.__dict__.pop("_granted_child_ids", None)


# --- Partnership administration ---------------------------------------------------------------------
# A partnership administrator manages the agencies, teams, people and service accounts of their own
# partnership. The role shows no child's record: they see children only as anyone of their agency
# does (their agency's involvement), never by virtue of the role.


def is_platform_operator(user: User | None) -> bool:
    """The Django admin's operator: a superuser with no agency, who sees nothing in the service."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_superuser
        and not user.agency_id
    )


def is_partnership_administrator(user: User | None) -> TypeGuard[User]:
    return (
        is_usable(user)
        and not user.is_service_account
        and user.has_role(Role.PARTNERSHIP_ADMINISTRATOR)
        and bool(agency_of(user).partnership)
    )


def agencies_administered_by(*, user: User | None) -> QuerySet[Agency]:
    if not is_partnership_administrator(user):
        return Agency.objects.none()
    return Agency.objects.filter(partnership=agency_of(user).partnership)


def accounts_administered_by(*, user: User | None) -> QuerySet[User]:
    """People and service accounts of the administrator's partnership (platform operators never)."""
    if not is_partnership_administrator(user):
        return User.objects.none()
    return User.objects.filter(
        agency__partnership=agency_of(user).partnership, is_superuser=False, is_staff=False
    )


def can_administer_account(*, actor: User | None, account: User) -> bool:
    return accounts_administered_by(user=actor).filter(pk=account.pk).exists()


def teams_administered_by(*, user: User | None) -> QuerySet[Team]:
    if not is_partnership_administrator(user):
        return Team.objects.none()
    return Team.objects.filter(agency__partnership=agency_of(user).partnership)


def _administered(queryset: QuerySet, pk: object):
    found = queryset.filter(pk=record_id(pk)).first()
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return found


def get_administered_agency(*, user: User | None, pk: object) -> Agency:
    """An agency of the administrator's partnership; another partnership's is the same 404 as none."""
    return _administered(agencies_administered_by(user=user), pk)


def get_administered_team(*, user: User | None, pk: object) -> Team:
    return _administered(teams_administered_by(user=user).select_related("agency"), pk)


def get_administered_account(*, user: User | None, pk: object) -> User:
    """A person or service account of the administrator's partnership, else Http404."""
    return _administered(accounts_administered_by(user=user).select_related("agency"), pk)


def background_jobs_administered_by(*, user: User | None) -> QuerySet[BackgroundJob]:
    """The background work owed for the administrator's partnership (its e-mails, packs, papers)."""
    if not is_partnership_administrator(user):
        return BackgroundJob.objects.none()
    return BackgroundJob.objects.filter(partnership=agency_of(user).partnership)


def get_administered_background_job(*, user: User | None, pk: object) -> BackgroundJob:
    return _administered(background_jobs_administered_by(user=user), pk)


def get_api_token(*, owner: User, pk: object) -> ApiToken:
    """One of `owner`'s API tokens (the signed-in person's own, or a service account the caller
    administers, checked first by the caller); anyone else's is the same 404 as none."""
    return _administered(ApiToken.objects.filter(user=owner), pk)


def require_partnership_administrator(user: User | None) -> None:
    """The administration pages are the same 404 as a missing page for anyone else, so they say
    nothing about who administers what."""
    if not is_partnership_administrator(user):
        raise Http404(NOT_FOUND_MESSAGE)


def require_not_self(*, actor: User, account: User, doing: str) -> None:
    """Nobody raises their own privileges: roles, limit, agency, teams and the active flag of an
    administrator's own account are changed by another administrator."""
    if actor.pk == account.pk:
        raise NotAllowed(f"You cannot {doing} for your own account: ask another partnership administrator")
