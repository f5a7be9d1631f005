"""Reads for referral pages and the API, with their query shapes. Always scoped through access.py."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Prefetch, Q, QuerySet, Value, When

from casework.access import is_usable, record_id
from casework.models import Role, User
from referrals import access
from referrals.models import Evidence, Option, OptionShare, Referral, SignOff, Status, StatusChange, Urgency

LIST_RELATED = ("child", "panel", "meeting", "referrer", "referrer_agency")


@dataclass(frozen=True)
class ReferralFilters:
    status: str = ""
    panel: int | None = None
    pathway: str = ""
    urgency: str = ""


def _filtered(referrals: QuerySet[Referral], filters: ReferralFilters) -> QuerySet[Referral]:
    if filters.status:
        referrals = referrals.filter(status=filters.status)
    if filters.panel:
        referrals = referrals.filter(panel_id=filters.panel)
    if filters.pathway:
        referrals = referrals.filter(pathway=filters.pathway)
    if filters.urgency:
        referrals = referrals.filter(urgency=filters.urgency)
    return referrals


def referral_list(*, user: User, filters: ReferralFilters | None = None) -> QuerySet[Referral]:
    """Every referral the user may see, newest change first, filterable (each filter is indexed).
    Read through access.referrals_listed_for, the rule shaped for a list of all of them."""
    return _listed(access.referrals_listed_for(user=user), filters)


def my_referrals(*, user: User, filters: ReferralFilters | None = None) -> QuerySet[Referral]:
    """The user's own referrals: found by referrer first, then each checked by the rule."""
    return _listed(access.referrals_visible_to(user=user).filter(referrer=user), filters)


def child_referrals(*, user: User, child_id: int) -> QuerySet[Referral]:
    """The child's referrals this person may see, newest change first: found by child first, then
    each checked by the rule (not referral_list's, which reads every visible referral first)."""
    return _listed(access.referrals_visible_to(user=user).filter(child_id=child_id), None)


def _listed(referrals: QuerySet[Referral], filters: ReferralFilters | None) -> QuerySet[Referral]:
    return (
        _filtered(referrals, filters or ReferralFilters())
        .select_related(*LIST_RELATED)
        .order_by("-updated_at", "-id")
    )


def awaiting_my_sign_off(*, user: User) -> QuerySet[Referral]:
    """Referrals of the user's agency waiting for a signature the user may give (not their own)."""
    if not is_usable(user):
        return Referral.objects.none()
    stages = Q(pk__in=[])
    if user.has_role(*access.TEAM_MANAGER_SIGNERS):
        stages |= Q(status=Status.AWAITING_TEAM_MANAGER)
    if user.has_role(*access.SERVICE_MANAGER_SIGNERS):
        stages |= Q(status=Status.AWAITING_SERVICE_MANAGER)
    return (
        access.referrals_visible_to(user=user)
        .filter(stages, referrer_agency_id=user.agency_id)
        .exclude(referrer=user)
        .exclude(created_by=user)
        .select_related(*LIST_RELATED)
        .order_by("updated_at", "id")
    )


def awaiting_my_sign_off_count(*, user: User) -> int:
    return awaiting_my_sign_off(user=user).count()


def submitted_for_meeting(*, user: User, meeting_id: int) -> QuerySet[Referral]:
    """A meeting's submitted referrals (panel administrators and chairs), emergencies first."""
    return (
        access.referrals_visible_to(user=user)
        .filter(meeting_id=meeting_id, status__in=[Status.SUBMITTED, Status.ON_AGENDA])
        .select_related(*LIST_RELATED)
        .annotate(
            urgency_rank=Case(
                When(urgency=Urgency.EMERGENCY, then=Value(0)),
                When(urgency=Urgency.URGENT, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("urgency_rank", "submitted_at", "id")
    )


def can_see_panel_lists(*, user: User) -> bool:
    return user.has_role(Role.PANEL_ADMINISTRATOR, Role.PANEL_CHAIR, Role.PANEL_MEMBER)


def referral_detail(*, user: User, pk: object) -> Referral:
    """One referral with its options and shares, evidence, sign-offs and timeline: the access check
    and the joins in one query, then one query per related list."""

    def shape(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
        return referrals.select_related(
            *LIST_RELATED, "review_of", "late_accepted_by", "submitted_by"
        ).prefetch_related(
            Prefetch(
                "options",
                queryset=Option.objects.prefetch_related(
                    Prefetch("shares", queryset=OptionShare.objects.select_related("agency"))
                ),
            ),
            Prefetch(
                "evidence",
                queryset=Evidence.objects.filter(removed_at__isnull=True).select_related("uploaded_by"),
            ),
            Prefetch("sign_offs", queryset=SignOff.objects.select_related("signer")),
            Prefetch("status_changes", queryset=StatusChange.objects.select_related("actor")),
        )

    return access.get_referral_for_user(user=user, pk=pk, shape=shape)


def awaiting_my_sign_off_among(*, user: User, referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Those of `referrals` waiting for a signature the user may give (the API's filter)."""
    return referrals.filter(pk__in=awaiting_my_sign_off(user=user).values("pk"))


def earlier_referrals(*, user: User, child_id: int, other_than: Referral | None = None) -> QuerySet[Referral]:
    """The child's referrals this person can see, newest first (a referral may review one of them)."""
    referrals = child_referrals(user=user, child_id=child_id)
    if other_than is not None:
        referrals = referrals.exclude(pk=other_than.pk)
    return referrals.order_by("-created_at")


def option_on(*, referral: Referral, pk: object, with_shares: bool = False) -> Option | None:
    """One option of a referral the user has already been allowed to see (None for an id that is
    not one of its options); `with_shares` fetches its agencies' shares too."""
    options = referral.options.all()
    if with_shares:
        options = options.prefetch_related("shares")
    return options.filter(pk=record_id(pk)).first()


def options_with_shares(*, referral: Referral) -> list[Option]:
    """The referral's options, each with its shares and their agencies (the options page)."""
    return list(referral.options.prefetch_related("shares__agency"))


def evidence_on(*, referral: Referral) -> list[Evidence]:
    """The referral's evidence still attached, with who uploaded each."""
    return list(referral.evidence.filter(removed_at__isnull=True).select_related("uploaded_by"))
