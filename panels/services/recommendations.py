"""Writes for the absent-agency rule: recommendations made when a decision is signed, the absent
agency's answer, and the administrators' reminder.

Sources: seeds 002 (Joint Funding Panel: "no decision will be made that impacts on an agency that
is not present" — the absent agency answers a recommendation within 3 working days, the panel's
`absent_agency_response_working_days`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import Agency, Role, User
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.working_days import add_working_days
from funding.services import package_recheck
from panels import access
from panels.models import (
    AgencyRecommendation,
    AgendaItem,
    AgendaItemKind,
    Decision,
    DecisionStatus,
    Meeting,
    MeetingStatus,
    MemberRole,
    Membership,
    RecommendationStatus,
)
from panels.selectors.running import agencies_not_deciding, decision_impacts

__all__ = ["recommendation_chase", "recommendation_due_on", "recommendation_respond"]


def _recommendation_recipients(agency: Agency, panel_id: int) -> list[User]:
    """The absent agency's managers, finance approvers and panel members (seeds 002)."""
    by_role = User.objects.filter(
        agency=agency,
        is_active=True,
        roles__overlap=[Role.SERVICE_MANAGER, Role.FINANCE_APPROVER, Role.PANEL_MEMBER, Role.PANEL_CHAIR],
    )
    seated = User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.current().filter(panel_id=panel_id, agency=agency).values("person_id"),
    )
    return list({u.pk: u for u in [*by_role, *seated]}.values())


def _notify_recommendation(recommendation: AgencyRecommendation, *, chase: bool = False) -> None:
    decision = recommendation.decision
    meeting = decision.agenda_item.meeting
    initials = decision.referral.child.initials if decision.referral else ""
    subject = (
        f"Reminder: {meeting.panel.name} awaits your agency's answer on a recommendation for {initials}"
        if chase
        else f"{meeting.panel.name} made a recommendation for {initials} that your agency must answer"
    )
    notify(
        users=_recommendation_recipients(recommendation.agency, meeting.panel_id),
        subject=subject,
        body=(
            f"At the meeting on {meeting.date:%-d %B %Y}, for {recommendation.agency.name}, "
            f"{recommendation.why or 'no member of the agency was present'}. "
            f"The panel's decision gives your agency a part in it, so it stays a recommendation until "
            f"your agency accepts or declines it, by {recommendation.due_on:%-d %B %Y}."
        ),
        url=reverse("panels:recommendation_respond", args=[recommendation.pk]),
    )


def recommend_to_absent_agencies(*, decision: Decision, meeting: Meeting) -> list[AgencyRecommendation]:
    """seeds 002, Joint Funding Panel: "Decisions are not to be made if they impact upon one of the
    agencies who may not be present. The recommendations made to an absent agency will require a
    response within 3 working days." Each agency the decision impacts (a share of more than £0, or
    the lead role: decision_impacts) that the meeting cannot decide for (absent, below its own
    quorum — Leicester JSP: "Quorate will be a minimum of two members from each organisation" — or
    the whole meeting inquorate: agencies_not_deciding) gets a recommendation, with why, to answer
    within the panel's `absent_agency_response_working_days` working days of the MEETING DATE
    (weekends, bank holidays and closure days excluded, casework.working_days). The rest stands."""
    impacted = decision_impacts(decision)
    not_deciding = agencies_not_deciding(meeting, impacted)
    if not not_deciding:
        return []
    due = recommendation_due_on(meeting)
    made = []
    for pk, why in sorted(not_deciding.items()):
        agency = impacted[pk]
        recommendation = AgencyRecommendation.objects.create(
            decision=decision, agency=agency, due_on=due, why=why[:300]
        )
        record_event(
            actor=None,
            action="decision.recommendation_made",
            obj=recommendation,
            child=decision.referral.child if decision.referral else None,
            changes={"agency": [None, agency.pk], "due_on": [None, str(due)], "why": [None, why]},
        )
        _notify_recommendation(recommendation)
        made.append(recommendation)
    return made


def recommendation_due_on(meeting: Meeting) -> dt.date:
    """When an absent agency's answer is due: the panel's `absent_agency_response_working_days`
    working days after the meeting date (seeds 002: "within 3 working days"), not the day the chair
    signs. The same computation as the meeting's deadlines (panels.selectors.meetings)."""
    panel = meeting.panel
    closures = frozenset(panel.closure_days.values_list("day", flat=True))
    return add_working_days(meeting.date, panel.absent_agency_response_working_days, closures)


# --- Absent agencies' answers ---------------------------------------------------------------------


@transaction.atomic
def recommendation_respond(
    *, actor: User, recommendation: AgencyRecommendation, accept: bool, reason: str = ""
) -> AgencyRecommendation:
    """The absent agency accepts the panel's recommendation, or declines it with a reason, by one
    of its service managers, finance approvers or panel members (seeds 002)."""
    if not access.can_respond_to_recommendation(user=actor, recommendation=recommendation):
        raise NotAllowed("Only a manager, finance approver or panel member of that agency can answer this")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationError({"reason": ["Enter the reason your agency declines the recommendation"]})
    if len(reason) > 5000:
        raise ValidationError({"reason": ["The reason must be 5000 characters or fewer"]})
    if Decision.objects.filter(pk=recommendation.decision_id, status=DecisionStatus.SUPERSEDED).exists():
        raise InvalidTransition("The panel has corrected this decision since: answer the corrected one")
    status = RecommendationStatus.ACCEPTED if accept else RecommendationStatus.DECLINED
    now = timezone.now()
    updated = AgencyRecommendation.objects.filter(
        pk=recommendation.pk, status=RecommendationStatus.AWAITING
    ).update(status=status, response_reason=reason, responded_by=actor, responded_at=now)
    if updated != 1:
        raise InvalidTransition("This recommendation has already been answered")
    recommendation.refresh_from_db()
    decision = recommendation.decision
    record_event(
        actor=actor,
        action=f"decision.recommendation_{status}",
        obj=recommendation,
        child=decision.referral.child if decision.referral else None,
        changes={
            "status": [RecommendationStatus.AWAITING, status],
            **({"reason": [None, reason]} if reason else {}),
        },
    )
    if decision.signed_by is not None:
        notify(
            users=[decision.signed_by],
            subject=f"{recommendation.agency.name} {status} the panel's recommendation",
            body=reason,
            url=reverse("panels:recommendation_respond", args=[recommendation.pk]),
        )
    if accept:
        package_recheck(actor=actor, decision=decision)
    else:
        _return_to_chair(actor=actor, recommendation=recommendation)
    return recommendation


def _return_to_chair(*, actor: User, recommendation: AgencyRecommendation) -> AgendaItem | None:
    """A declined recommendation goes back to the chair and onto the panel's next scheduled
    meeting's agenda with the reason (as a supplement once that agenda is circulated, as a funding
    dispute is), and the other agencies the decision impacts are told (seeds 002, Joint Funding
    Panel: the recommendation to an absent agency needs its answer; a "no" is for the panel)."""
    decision = recommendation.decision
    meeting = decision.agenda_item.meeting
    initials = decision.referral.child.initials if decision.referral else ""
    text = (
        f"{recommendation.agency.name} declined the panel's recommendation: {recommendation.response_reason}"
    )
    following = (
        Meeting.objects.filter(
            panel_id=meeting.panel_id,
            status=MeetingStatus.SCHEDULED,
            date__gt=meeting.date,
            date__gte=timezone.localdate(),
        )
        .order_by("date", "starts_at")
        .first()
    )
    item = None
    if following is not None:
        last = following.agenda_items.aggregate(m=Max("position"))["m"] or 0
        item = AgendaItem.objects.create(
            meeting=following,
            kind=AgendaItemKind.OTHER_BUSINESS,
            title=f"Recommendation declined: {recommendation.agency.name}, {initials}"[:300],
            description=text,
            position=last + 1,
            is_supplement=following.circulated_at is not None,
            added_by=actor,
        )
    where = (
        f"It is on the agenda of {following}." if following else "No meeting is scheduled: list it by hand."
    )
    record_event(
        actor=actor,
        action="decision.recommendation_returned",
        obj=recommendation,
        child=decision.referral.child if decision.referral else None,
        changes={"agenda_item": [None, item.pk if item else None]},
    )
    chairs = User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.current()
        .filter(panel_id=meeting.panel_id, role__in=[MemberRole.CHAIR, MemberRole.VICE_CHAIR])
        .values("person_id"),
    )
    if decision.signed_by_id is not None:
        chairs = chairs.exclude(pk=decision.signed_by_id)
    notify(
        users=list(chairs),
        subject=f"{recommendation.agency.name} declined the panel's recommendation for {initials}",
        body=f"{text} {where}",
        url=reverse("panels:recommendation_respond", args=[recommendation.pk]),
    )
    others = {
        pk: agency for pk, agency in decision_impacts(decision).items() if pk != recommendation.agency_id
    }
    told = {
        u.pk: u for agency in others.values() for u in _recommendation_recipients(agency, meeting.panel_id)
    }
    notify(
        users=list(told.values()),
        subject=f"{recommendation.agency.name} declined the panel's recommendation for {initials}",
        body=f"{text} {where}",
        url=reverse("panels:recommendation_respond", args=[recommendation.pk]),
    )
    return item


@transaction.atomic
def recommendation_chase(*, actor: User, recommendation: AgencyRecommendation) -> AgencyRecommendation:
    """The panel's administrators chase an absent agency that has not answered: notified again."""
    panel = recommendation.decision.agenda_item.meeting.panel
    if not access.can_administer(user=actor, panel=panel):
        raise NotAllowed("Only the panel's chair or administrators can chase a recommendation")
    now = timezone.now()
    updated = AgencyRecommendation.objects.filter(
        pk=recommendation.pk, status=RecommendationStatus.AWAITING
    ).update(last_chased_at=now)
    if updated != 1:
        raise InvalidTransition("This recommendation has already been answered")
    recommendation.refresh_from_db()
    _notify_recommendation(recommendation, chase=True)
    record_event(
        actor=actor,
        action="decision.recommendation_chased",
        obj=recommendation,
        changes={"last_chased_at": [None, now.isoformat()]},
    )
    return recommendation
