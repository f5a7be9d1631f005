"""Who may see or do what with pathway cases. The one place these rules live.

A pathway case follows its child: visible exactly when the child is (casework.access), so another
agency's case is a 404 like a missing one. Inside a visible case, an IFR's clinical detail (the
treatment, the exceptionality case, the evidence, the panel's reasons) is for NHS users (an ICB or
NHS trust) and panel administrators only; everyone else sees that an IFR exists and its status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from casework.access import (
    CHILD_EDITORS,
    NOT_FOUND_MESSAGE,
    NotAllowed,
    accounts_administered_by,
    agency_of,
    current_involvements,
    is_partnership_administrator,
    is_usable,
    record_id,
    visible_child_q,
)
from casework.models import NHS_KINDS, Agency, AgencyKind, Child, Involvement, Role, User
from pathways.models import Escalation, EscalationAuthoriser, PathwayCase, Section117

# Who may open pathway cases and record their steps.
CASE_EDITORS = (*CHILD_EDITORS, Role.PANEL_CHAIR)
# Who records a Continuing Care assessment's DST and recommendation: the health assessor.
ASSESSORS = (Role.HEALTH_ASSESSOR,)
# Who records an IFR panel's decision: the panel's administrators and chairs, of an NHS body.
IFR_DECIDERS = (Role.PANEL_ADMINISTRATOR, Role.PANEL_CHAIR)
COUNCIL_KINDS = {AgencyKind.CHILDRENS_SERVICES, AgencyKind.SEN}


def _agency(user: User) -> Agency | None:
    return user.agency if is_usable(user) else None


def is_nhs_user(user: User | None) -> bool:
    agency = _agency(user) if user is not None else None
    return bool(agency and agency.kind in NHS_KINDS)


def cases_visible_to(*, user: User | None) -> QuerySet[PathwayCase]:
    """Every pathway case of a child the user may see (one semi-join on the child's visibility)."""
    if not is_usable(user):
        return PathwayCase.objects.none()
    return PathwayCase.objects.filter(visible_child_q(user=user))


def get_case_for_user(
    *,
    user: User | None,
    pk: object,
    need: str = "view",
    shape: Callable[[QuerySet[PathwayCase]], QuerySet[PathwayCase]] | None = None,
) -> PathwayCase:
    """The case with this id if the user may `need` ("view" or "change") it, else Http404.

    need="change" for a visible case raises NotAllowed when the role may not record steps.
    """
    pk_int = record_id(pk)
    visible = cases_visible_to(user=user)
    if shape is not None:
        visible = shape(visible)
    found = visible.filter(pk=pk_int).first()
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    if need == "change" and not can_edit_cases(user=user):
        raise NotAllowed("Your role does not allow changing pathway cases")
    return found


def can_edit_cases(*, user: User | None) -> bool:
    return is_usable(user) and user.has_role(*CASE_EDITORS)


def can_assess(*, user: User | None) -> bool:
    return is_usable(user) and user.has_role(*ASSESSORS)


def can_submit_ifr(*, user: User | None) -> bool:
    """An IFR is submitted only by an NHS clinician: a health assessor of an ICB or NHS trust."""
    return is_usable(user) and user.has_role(Role.HEALTH_ASSESSOR) and is_nhs_user(user)


def can_decide_ifr(*, user: User | None) -> bool:
    return is_usable(user) and user.has_role(*IFR_DECIDERS) and is_nhs_user(user)


# What someone the IFR's rules leave out is told (NotAllowed, 403), by pages and API alike: nobody is
# shown an IFR form they cannot send (issue 15). require(need=...) checks and refuses with these.
IFRNeed = Literal["submit_ifr", "decide_ifr", "add_to_ifr"]
REFUSALS: dict[str, str] = {
    "submit_ifr": "Only an NHS clinician (a health assessor of an ICB or NHS trust) can submit an IFR",
    "decide_ifr": "Only the IFR panel's administrators and chairs, of an NHS body, record its decision",
    "add_to_ifr": "Only an NHS clinician (a health assessor of an ICB or NHS trust) can do this",
}


def require(*, user: User | None, need: IFRNeed) -> None:
    """NotAllowed (403) with REFUSALS[need] unless `user` may: submit an IFR or add to one (more
    information, an appeal) as an NHS clinician, or record the IFR panel's decision."""
    allowed = can_decide_ifr(user=user) if need == "decide_ifr" else can_submit_ifr(user=user)
    if not allowed:
        raise NotAllowed(REFUSALS[need])


def can_see_ifr_clinical(*, user: User | None) -> bool:
    return is_usable(user) and (is_nhs_user(user) or user.has_role(Role.PANEL_ADMINISTRATOR))


def s117_side(*, user: User | None, s117: Section117) -> str | None:
    """ "icb" or "council" when the user may confirm ending aftercare for that side, else None."""
    if not (is_usable(user) and user.has_role(*CASE_EDITORS)):
        return None
    if user.agency_id == s117.responsible_icb_id:
        return "icb"
    if user.agency_id == s117.responsible_council_id:
        return "council"
    return None


def involved_agencies(*, child: Child) -> QuerySet[Agency]:
    """Agencies involved with the child today: the only ones a case may name (their users can see it)."""
    return Agency.objects.filter(pk__in=_current_agency_ids(child))


def _current_agency_ids(child: Child) -> QuerySet:
    today = timezone.localdate()
    return (
        Involvement.objects.filter(child=child, started_on__lte=today)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .values("agency_id")
    )


def workers_for(*, child: Child) -> QuerySet[User]:
    """People who may be a case's worker: active users of an agency involved with the child."""
    return User.objects.filter(is_active=True, agency_id__in=_current_agency_ids(child)).select_related(
        "agency"
    )


__all__ = [
    "CASE_EDITORS",
    "COUNCIL_KINDS",
    "NotAllowed",
    "can_assess",
    "can_decide_ifr",
    "can_edit_cases",
    "can_see_ifr_clinical",
    "can_submit_ifr",
    "cases_visible_to",
    "current_involvements",
    "get_case_for_user",
    "involved_agencies",
    "is_nhs_user",
    "s117_side",
    "workers_for",
]


# --- The escalation ladder (seeds 002, Complex Care Escalation Process) -------------------------
# An escalation follows its child: visible exactly when the child is, so another partnership's
# escalation is a 404 like a missing one. Recording steps needs a case editor's role; authorising a
# step needs an active EscalationAuthoriser row of the grade the partnership's EscalationSettings
# ask for (checked in pathways/services/escalations.py).


def escalations_visible_to(*, user: User | None) -> QuerySet[Escalation]:
    if not is_usable(user):
        return Escalation.objects.none()
    return Escalation.objects.filter(visible_child_q(user=user))


def can_record_escalation(*, user: User | None) -> bool:
    return can_edit_cases(user=user)


def get_escalation_for_user(
    *,
    user: User | None,
    pk: object,
    need: str = "view",
    shape: Callable[[QuerySet[Escalation]], QuerySet[Escalation]] | None = None,
) -> Escalation:
    """The escalation if the user may `need` ("view" or "change") it, else Http404 (NotAllowed for
    a visible one the user's role may not change)."""
    pk_int = record_id(pk)
    visible = escalations_visible_to(user=user)
    if shape is not None:
        visible = shape(visible)
    found = visible.filter(pk=pk_int).first()
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    if need == "change" and not can_record_escalation(user=user):
        raise NotAllowed("Your role does not allow recording escalations")
    return found


def authorisers_for(*, child: Child) -> QuerySet[EscalationAuthoriser]:
    """Active authorisers of agencies involved with the child today (they can see the child)."""
    return EscalationAuthoriser.objects.filter(
        active=True, user__is_active=True, user__agency__in=involved_agencies(child=child)
    ).select_related("user", "user__agency")


def erg_chairs_for(*, child: Child) -> QuerySet[User]:
    """Who may chair the child's Exceptional Resourcing Group: its authorisers (authorisers_for),
    as people with their agency (seeds 002: an ERG is chaired by a Director)."""
    return User.objects.filter(pk__in=authorisers_for(child=child).values("user_id")).select_related("agency")


# --- Escalation authorisers and settings, kept by the partnership administrator -------------------
# Who holds which grade is data of the partnership: its administrator records it for people of
# their own partnership, never for themselves, and sets the partnership's EscalationSettings. This
# opens no child's record and no escalation: those follow the child, as above.


def authorisers_administered_by(*, user: User | None) -> QuerySet[EscalationAuthoriser]:
    return EscalationAuthoriser.objects.filter(user__in=accounts_administered_by(user=user))


def get_administered_authoriser(*, user: User | None, pk: object) -> EscalationAuthoriser:
    """An authoriser row of a person of the administrator's partnership, else Http404."""
    found = (
        authorisers_administered_by(user=user)
        .select_related("user", "user__agency")
        .filter(pk=record_id(pk))
        .first()
    )
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return found


def can_administer_escalation(*, user: User | None, partnership: str) -> bool:
    return (
        bool(partnership)
        and is_partnership_administrator(user)
        and agency_of(user).partnership == partnership
    )
