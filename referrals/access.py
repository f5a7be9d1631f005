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
    agency_id_of,
    current_involvements,
    granted_child_ids,
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
    """Referrals of the children the user may see, or on an agenda whose papers they hold now: the
    rule for a referral or a few (a page's record, a feed narrowed by referrer, meeting or status,
    an EXISTS per row of another table).

    One query, fail closed: the child rule OR an EXISTS over the user's live papers grants (no id
    list is read into Python). Each row found by the caller's own filters is checked with an index
    probe per rule (the involvement by agency and child, the grants by person); people holding no
    grant pay one index probe. EXPLAIN is checked in tests/panels/test_agenda_papers_access.py.
    Under the OR PostgreSQL guesses that 75% of all referrals pass, so a list of every visible
    referral reads them through referrals_listed_for instead (bench/README.md).
    """
    if not is_usable(user):
        return Referral.objects.none()
    return Referral.objects.filter(visible_child_q(user=user) | Q(papers_granted(user=user)))


def referrals_listed_for(*, user: User | None) -> QuerySet[Referral]:
    """The same referrals as referrals_visible_to, shaped for a list of all of them (`referrals/all/`
    and `/api/referrals/`, filtered at most by status, panel, pathway or urgency): `id IN (a UNION)`
    of visible_referral_ids. Under referrals_visible_to's OR PostgreSQL could make neither EXISTS a
    join and guessed that 75% of the referrals pass, so the list's page merge-joined every referral
    with all 500,000 children (bench/README.md, "Every page at national size": 720-1,070 ms of SQL).
    As a UNION each part is a join it estimates within a few percent. Not for a list narrowed by the
    caller to a few rows (a referrer's, a meeting's): the UNION is read whole before their filter.
    """
    if not is_usable(user):
        return Referral.objects.none()
    return Referral.objects.filter(pk__in=visible_referral_ids(user=user))


def visible_referral_ids(*, user: User) -> QuerySet:
    """The ids of the referrals referrals_visible_to gives, as one UNION whose every part is a plain
    join PostgreSQL estimates well: the referrals of children the user's agency is involved with now
    (an EXISTS alone, a semi-join on the involvement index), of children they hold a grant for (a
    literal list, only for people who hold any: casework.access.granted_child_ids), and those their
    live papers grants reach. (The child part as visible_child_q, an EXISTS OR-ed with the grants,
    was guessed at half of all referrals, and the list then read every child: bench/README.md.)"""
    involved = current_involvements(agency_id=agency_id_of(user)).filter(child_id=OuterRef("child_id"))
    ids = Referral.objects.filter(Exists(involved)).order_by().values("pk")
    granted = granted_child_ids(user=user)
    if granted:
        ids = ids.union(Referral.objects.filter(child_id__in=granted).order_by().values("pk"))
    return ids.union(papers_granted_ids(user=user))


def papers_granted_ids(*, user: User) -> QuerySet:
    """The ids of the referrals on a live (not withdrawn) agenda item of a meeting whose papers this
    user holds right now: a meeting-wide grant, or one for that item; started, not ended, not
    revoked. Read from the user's grants outward: the (person, meeting) index on grants, then the
    agenda items by meeting."""
    return _live_grants(user, meeting__agenda_items__referral__isnull=False).values(
        "meeting__agenda_items__referral_id"
    )


def papers_granted(*, user: User) -> Exists:
    """EXISTS: the referral row is one of papers_granted_ids (a rule about one referral at a time)."""
    return Exists(_live_grants(user, meeting__agenda_items__referral_id=OuterRef("pk")))


def _live_grants(user: User, **item: object) -> QuerySet[PapersGrant]:
    now = timezone.now()
    # One filter() call, so every condition on the agenda item is about the same item (join).
    return PapersGrant.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now),
        Q(agenda_item__isnull=True) | Q(agenda_item_id=F("meeting__agenda_items__id")),
        person_id=user.pk,
        starts_at__lte=now,
        revoked_at__isnull=True,
        meeting__agenda_items__withdrawn_at__isnull=True,
        **item,
    ).order_by()


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
