"""Writes for decisions: record a draft, sign it, correct a signed one. What a decision must say is
checked in panels/services/decision_rules.py; the absent-agency rule (recommendations made on
signing, and their answers) is panels/services/recommendations.py.

Sources: seeds 002 (Joint Funding Panel terms of reference: a decision records the recommended
course accepted or the preferred option, the lead agency and key worker, where the costs fall and
a review date; "no decision will be made that impacts on an agency that is not present").

Who: the panel's chair, vice-chair and administrators record and correct drafts
(panels.access.can_run_meeting); only the chair or vice-chair signs (panels.access.can_chair).
A signed version is locked: it is never edited (InvalidTransition → 409); a correction is a new
version with a reason, which must be signed again, and the old one becomes superseded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import User
from casework.services import InvalidTransition
from casework.stale import StaleEdit
from funding.models import FundingPackage
from funding.services import package_create_from_decision, package_recheck
from panels import access
from panels.models import (
    AGREED_OUTCOMES,
    AgencyRecommendation,
    AgendaItem,
    Decision,
    DecisionStatus,
    Outcome,
)
from panels.selectors.running import agencies_not_deciding, decision_impacts
from panels.services.cetr import decision_require_cetr, raise_sendiass_action
from panels.services.decision_rules import (
    DECISION_FIELDS,
    Share,
    apply_values,
    build,
    check_inquorate_outcome,
    check_item,
    check_meeting_can_decide,
    draft_fingerprint,
    item_referral,
    saved_values,
    snapshot,
    who_saved_draft,
)
from panels.services.recommendations import (
    recommend_to_absent_agencies,
    recommendation_chase,
    recommendation_due_on,
    recommendation_respond,
)
from panels.services.running import require_runner
from referrals import services as referral_services
from referrals.models import Status

__all__ = [
    "DECISION_FIELDS",
    "OUTCOME_TO_REFERRAL_STATUS",
    "Reevaluation",
    "decision_correct",
    "decision_record",
    "decision_reevaluate",
    "decision_sign",
    "draft_fingerprint",
    "recommendation_chase",
    "recommendation_respond",
]

# What signing does to the referral (referrals.services.referral_record_outcome).
OUTCOME_TO_REFERRAL_STATUS: dict[str, Status] = {
    Outcome.AGREED_AS_RECOMMENDED: Status.DECIDED,
    Outcome.AGREED_PREFERRED_OPTION: Status.DECIDED,
    Outcome.AGREED_WITH_CONDITIONS: Status.DECIDED,
    Outcome.DECLINED: Status.DECIDED,
    Outcome.ESCALATED: Status.DECIDED,
    Outcome.DEFERRED: Status.DEFERRED,
    Outcome.RETURNED: Status.RETURNED,
}


# --- Recording, signing, correcting --------------------------------------------------------------


@transaction.atomic
def decision_record(
    *,
    actor: User,
    agenda_item: AgendaItem,
    fields: Mapping[str, Any],
    shares: list[Share] | None = None,
    decision: Decision | None = None,
    seen_fingerprint: str | None = None,
) -> Decision:
    """Record the decision on an item as a draft (`decision=None`), or edit the item's draft
    (`decision=` that draft). A signed decision is locked: editing it raises InvalidTransition.
    `seen_fingerprint`: draft_fingerprint() of the draft the editor loaded; if someone saved a
    different draft since, the edit is refused (InvalidTransition, 409) rather than overwriting it.

    Refused (ValidationError) unless the meeting is quorate, not cancelled and today or past, and
    the item is a referral on this meeting's agenda that is not withdrawn. `shares` are
    (agency, "percentage" | "amount", value); left out, the agreed option's proposed split is used.
    """
    meeting = agenda_item.meeting
    require_runner(actor, meeting)
    current = (
        Decision.objects.select_for_update()
        .filter(agenda_item=agenda_item)
        .exclude(status=DecisionStatus.SUPERSEDED)
        .first()
    )
    if decision is None and current is not None:
        if current.is_locked:
            raise InvalidTransition("This item already has a decision: reload the page to see it")
        raise StaleEdit(
            f"This item already has a draft decision: {who_saved_draft(current)}. Reload the page "
            "and change that one",
            current=saved_values(current),
        )
    if decision is not None:
        if current is None or current.pk != decision.pk:
            raise InvalidTransition("This decision has been replaced by a correction: reload the page")
        if current.is_locked:
            raise InvalidTransition(
                "This decision has been signed, so it is locked: record a correction instead"
            )
        if seen_fingerprint is not None and seen_fingerprint != draft_fingerprint(current):
            raise StaleEdit(
                f"Someone else saved this draft decision after you opened it: {who_saved_draft(current)}. "
                "Reload the page to see their version, then make your changes again",
                current=saved_values(current),
            )
    check_item(agenda_item, new=current is None or current.version == 1)
    inquorate = check_meeting_can_decide(meeting)
    values, share_rows = build(agenda_item=agenda_item, values=fields, shares=shares)
    check_inquorate_outcome(inquorate, values["outcome"])
    if current is None:
        target = Decision(
            agenda_item=agenda_item, referral_id=agenda_item.referral_id, version=1, recorded_by=actor
        )
        before: dict[str, Any] = {}
    else:
        target = current
        before = snapshot(current, list(current.shares.all()))
    target.was_quorate = not inquorate
    target.recorded_by = actor
    target.recorded_at = timezone.now()
    try:
        with transaction.atomic():
            apply_values(target, values, share_rows)
    except IntegrityError as exc:  # someone recorded the item's first decision at the same moment
        raise InvalidTransition("Someone else recorded a decision on this item: reload the page") from exc
    after = snapshot(target, share_rows)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    record_event(
        actor=actor,
        action="decision.recorded" if not before else "decision.edited",
        obj=target,
        child=item_referral(agenda_item).child,
        changes=changes,
    )
    return target


@transaction.atomic
def decision_sign(*, actor: User, decision: Decision) -> Decision:
    """The chair or vice-chair signs a draft: it is locked, the referral moves (agreed, declined or
    escalated → decided; deferred → deferred; returned → returned for more information), and each
    absent agency the decision impacts gets a recommendation to answer (seeds 002)."""
    agenda_item = AgendaItem.objects.select_related("meeting__panel", "referral__child").get(
        pk=decision.agenda_item_id
    )
    meeting = agenda_item.meeting
    if not access.can_chair(user=actor, panel=meeting.panel):
        raise NotAllowed("Only the panel's chair or vice-chair can sign a decision")
    check_item(agenda_item, new=False)
    inquorate = check_meeting_can_decide(meeting)
    check_inquorate_outcome(inquorate, decision.outcome)
    decision_require_cetr(decision=decision, agenda_item=agenda_item)
    now = timezone.now()
    updated = Decision.objects.filter(pk=decision.pk, status=DecisionStatus.DRAFT).update(
        status=DecisionStatus.SIGNED, signed_by=actor, signed_at=now
    )
    if updated != 1:
        raise InvalidTransition("This decision has already been signed or replaced: reload the page")
    decision.refresh_from_db()
    referral_services.referral_record_outcome(
        actor=actor,
        referral=item_referral(agenda_item),
        to=OUTCOME_TO_REFERRAL_STATUS[decision.outcome],
        reason=f"{decision.get_outcome_display()} at {meeting}",
    )
    made = recommend_to_absent_agencies(decision=decision, meeting=meeting)
    record_event(
        actor=actor,
        action="decision.signed",
        obj=decision,
        child=item_referral(agenda_item).child,
        changes={
            "status": [DecisionStatus.DRAFT, DecisionStatus.SIGNED],
            "version": [None, decision.version],
            "recommendations": [None, [r.agency_id for r in made]],
        },
    )
    _fund(actor=actor, decision=decision)
    raise_sendiass_action(actor=actor, decision=decision, agenda_item=agenda_item)
    return decision


def _fund(*, actor: User, decision: Decision) -> None:
    """An agreed decision that says where the costs fall becomes a funding package for each agency's
    finance approvers (funding.services). A correction of a funded decision changes the package
    through a variation instead, so the approvals already given are kept where nothing changed."""
    if decision.outcome not in AGREED_OUTCOMES or not decision.shares.exists():
        return
    if decision.cost is None and decision.option_id is None:
        return
    earlier, chain = decision.supersedes, []
    while earlier is not None:
        chain.append(earlier.pk)
        earlier = earlier.supersedes
    if chain and FundingPackage.objects.filter(decision_id__in=chain).exists():
        return
    package_create_from_decision(actor=actor, decision=decision)


@transaction.atomic
def decision_correct(
    *,
    actor: User,
    decision: Decision,
    reason: str,
    fields: Mapping[str, Any] | None = None,
    shares: list[Share] | None = None,
) -> Decision:
    """Correct a signed decision: a new draft version with the reason, starting from the signed
    one's values changed by `fields` (and `shares`); the signed one becomes superseded and is never
    edited. The new version must be signed again."""
    agenda_item = AgendaItem.objects.select_related("meeting__panel", "referral__child").get(
        pk=decision.agenda_item_id
    )
    meeting = agenda_item.meeting
    require_runner(actor, meeting)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"correction_reason": ["Enter the reason for the correction"]})
    if len(reason) > 2000:
        raise ValidationError({"correction_reason": ["The reason must be 2000 characters or fewer"]})
    old = Decision.objects.select_for_update().filter(pk=decision.pk).first()
    if old is None or old.status != DecisionStatus.SIGNED:
        raise InvalidTransition(
            "Only the signed decision can be corrected: a draft is changed directly, and a superseded "
            "one has already been corrected"
        )
    check_item(agenda_item, new=False)
    inquorate = check_meeting_can_decide(meeting)
    old_shares = list(old.shares.select_related("agency"))
    values = {name: getattr(old, name) for name in DECISION_FIELDS}
    values.update(fields or {})
    if shares is None and values.get("option") == old.option and values["outcome"] in AGREED_OUTCOMES:
        shares = [(s.agency, s.basis, s.value) for s in old_shares]
    built, share_rows = build(agenda_item=agenda_item, values=values, shares=shares)
    check_inquorate_outcome(inquorate, built["outcome"])
    if (
        Decision.objects.filter(pk=old.pk, status=DecisionStatus.SIGNED).update(
            status=DecisionStatus.SUPERSEDED
        )
        != 1
    ):
        raise InvalidTransition("Someone else corrected this decision first: reload the page")
    new = Decision(
        agenda_item=agenda_item,
        referral_id=agenda_item.referral_id,
        version=old.version + 1,
        supersedes=old,
        correction_reason=reason,
        was_quorate=not inquorate,
        recorded_by=actor,
    )
    apply_values(new, built, share_rows)
    after = snapshot(new, share_rows)
    before = snapshot(old, old_shares)
    record_event(
        actor=actor,
        action="decision.corrected",
        obj=new,
        child=item_referral(agenda_item).child,
        changes={
            "version": [old.version, new.version],
            "reason": [None, reason],
            **{k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
        },
    )
    return new


# --- Re-evaluating a signed decision after its meeting's attendance is corrected ---------------------


@dataclass(frozen=True)
class Reevaluation:
    """A signed decision worked out again: the version it supersedes, the new signed version, and
    the recommendations the new version opened (new ones) and closed (agencies now decided for)."""

    superseded: Decision
    decision: Decision
    opened: list[AgencyRecommendation]
    closed: list[AgencyRecommendation]


@transaction.atomic
def decision_reevaluate(*, actor: User, decision: Decision, reason: str) -> Reevaluation | None:
    """Work a signed decision out again from its meeting's attendance as now recorded (after
    panels.services.attendance.attendance_correct). seeds 002, Joint Funding Panel: "Decisions are
    not to be made if they impact upon one of the agencies who may not be present. The
    recommendations made to an absent agency will require a response within 3 working days";
    Leicester JSP: "Quorate will be a minimum of two members from each organisation".

    Which impacted agencies the meeting could not decide for (agencies_not_deciding) is compared with
    the recommendations the signed version made. The same: None, the decision stays as it is.
    Different: the decision is corrected by decision_correct (a new version with the reason
    "attendance corrected: ...", the signed one superseded and kept), and the new version stands
    signed with the chair's signature of the version it corrects: what was decided is unchanged,
    only which parts are decisions follows from who was present. Its recommendations are those
    the rule now gives: one already made to an agency is carried over as it stands (its due date and
    any answer: the agency answered the same decision); a new one is due the panel's working days
    after the meeting date (recommendation_due_on); one to an agency now decided for is closed (it
    stays on the superseded version). The funding package is checked again (funding waits for a new
    recommendation's acceptance: funding.services.package_recheck). Nobody is notified here: the
    attendance correction tells each person once."""
    made = {r.agency_id: r for r in decision.recommendations.select_related("agency")}
    impacted = decision_impacts(decision)
    meeting = decision.agenda_item.meeting
    now_not_deciding = agencies_not_deciding(meeting, impacted)
    if set(now_not_deciding) == set(made):
        return None
    new = decision_correct(actor=actor, decision=decision, reason=f"attendance corrected: {reason}"[:2000])
    Decision.objects.filter(pk=new.pk, status=DecisionStatus.DRAFT).update(
        status=DecisionStatus.SIGNED, signed_by_id=decision.signed_by_id, signed_at=decision.signed_at
    )
    new.refresh_from_db()
    child = decision.referral.child if decision.referral is not None else None
    due = recommendation_due_on(meeting)
    opened, closed = [], []
    for pk, why in sorted(now_not_deciding.items()):
        earlier = made.get(pk)
        carried = AgencyRecommendation.objects.create(
            decision=new,
            agency_id=pk,
            due_on=earlier.due_on if earlier else due,
            why=why[:300],
            **(
                {
                    "status": earlier.status,
                    "response_reason": earlier.response_reason,
                    "responded_by_id": earlier.responded_by_id,
                    "responded_at": earlier.responded_at,
                    "last_chased_at": earlier.last_chased_at,
                }
                if earlier
                else {}
            ),
        )
        if earlier is None:
            opened.append(carried)
            record_event(
                actor=actor,
                action="decision.recommendation_made",
                obj=carried,
                child=child,
                changes={"agency": [None, pk], "due_on": [None, str(due)], "why": [None, why]},
            )
    for pk, earlier in sorted(made.items()):
        if pk not in now_not_deciding:
            closed.append(earlier)
            record_event(
                actor=actor,
                action="decision.recommendation_closed",
                obj=earlier,
                child=child,
                changes={"status": [earlier.status, None], "reason": [None, new.correction_reason]},
            )
    record_event(
        actor=actor,
        action="decision.reevaluated",
        obj=new,
        child=child,
        changes={
            "version": [decision.version, new.version],
            "recommendations": [sorted(made), sorted(now_not_deciding)],
            "reason": [None, new.correction_reason],
        },
    )
    package_recheck(actor=actor, decision=new)
    return Reevaluation(superseded=decision, decision=new, opened=opened, closed=closed)
