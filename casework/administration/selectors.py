"""Reads for the partnership administration pages, each scoped by casework.access (an
administrator reads only their own partnership) and shaped here (select_related / prefetch)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from casework import access
from casework.models import Agency, ApiToken, Team, User


def agency_list(*, user: User) -> QuerySet[Agency]:
    """The partnership's agencies with their numbers of teams and active people: one query."""
    return (
        access.agencies_administered_by(user=user)
        .annotate(
            team_count=Count("teams", distinct=True),
            people_count=Count(
                "users",
                filter=Q(users__is_active=True, users__is_service_account=False),
                distinct=True,
            ),
        )
        .order_by("name")
    )


def agency_teams(*, agency: Agency) -> QuerySet[Team]:
    """The agency's teams with how many active people each has (one query)."""
    return (
        Team.objects.filter(agency=agency)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name")
    )


STATES = {
    "active": Q(is_active=True),
    "closed": Q(is_active=False),
    "all": Q(),
}


def people_list(*, user: User, agency: Agency | None = None, state: str = "active") -> QuerySet[User]:
    """The partnership's people (not service accounts), by name: the page, its count and one
    prefetch of their teams, whatever the number of people."""
    people = (
        access.accounts_administered_by(user=user)
        .filter(STATES.get(state, STATES["active"]), is_service_account=False)
        .select_related("agency")
        .prefetch_related(Prefetch("teams", queryset=Team.objects.order_by("name")))
        .order_by("full_name", "email", "pk")
    )
    if agency is not None:
        people = people.filter(agency=agency)
    return people


def service_accounts(*, user: User) -> QuerySet[User]:
    return (
        access.accounts_administered_by(user=user)
        .filter(is_service_account=True)
        .select_related("agency")
        .annotate(live_tokens=Count("api_tokens", filter=Q(api_tokens__revoked_at__isnull=True)))
        .order_by("full_name", "pk")
    )


def account_teams(*, account: User) -> list[Team]:
    return list(account.teams.select_related("agency").order_by("name"))


def account_tokens(*, account: User) -> QuerySet[ApiToken]:
    """A service account's tokens: name, scope, expiry and last use (the secret is never stored)."""
    return ApiToken.objects.filter(user=account).select_related("created_by", "revoked_by")


def has_authenticator(*, account: User) -> bool:
    """Whether the person has set up an authenticator app (the reset button is shown only then)."""
    from casework.mfa import has_authenticator as _has

    return not account.is_service_account and _has(account)


# --- Background work ------------------------------------------------------------------------------

JOB_STATES = ("failed", "waiting", "running", "done")


def background_summary(*, user: User) -> dict:
    """How much of the partnership's background work is open or failed, and how long the oldest
    has waited: one query over the open-and-failed rows (the job_partnership_status index)."""
    from django.db.models import Min

    from casework.models import JobStatus

    jobs = access.background_jobs_administered_by(user=user)
    counts = jobs.aggregate(
        waiting=Count("pk", filter=Q(status=JobStatus.WAITING)),
        running=Count("pk", filter=Q(status=JobStatus.RUNNING)),
        failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
        oldest_open=Min("created_at", filter=Q(status__in=[JobStatus.WAITING, JobStatus.RUNNING])),
    )
    return counts


def background_jobs(*, user: User, status: str) -> QuerySet:
    """The partnership's background jobs in one state, newest first (paginated by the page)."""
    return (
        access.background_jobs_administered_by(user=user).filter(status=status).order_by("-created_at", "-pk")
    )
