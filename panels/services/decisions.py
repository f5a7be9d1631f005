"""Writes for decisions: record a draft, sign it, correct a signed one; and the absent-agency rule.

Sources: seeds 002 (Joint Funding Panel terms of reference: a decision records the recommended
course accepted or the preferred option, the lead agency and key worker, where the costs fall and
a review date; Leicester JSP: quorate with two members from each organisation; "no decision will
be made that impacts on an agency that is not present" — the absent agency answers a
recommendation within 3 working days, the panel's `absent_agency_response_working_days`).

Who: the panel's chair, vice-chair and administrators record and correct drafts
(panels.access.can_run_meeting); only the chair or vice-chair signs (panels.access.can_chair).
A signed version is locked: it is never edited (InvalidTransition → 409); a correction is a new
version with a reason, which must be signed again, and the old one becomes superseded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from casework import money
from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import Agency, Role, User
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.stale import StaleEdit, who_saved
from casework.working_days import add_working_days
from panels import access
from panels.models import (
    AGREED_OUTCOMES,
    AgencyRecommendation,
    AgendaItem,
    AgendaItemKind,
    Decision,
    DecisionShare,
    DecisionStatus,
    Meeting,
    Membership,
    Outcome,
    RecommendationStatus,
)
from panels.selectors.running import agencies_present, quorum
from panels.services.running import require_open, require_runner
from referrals import services as referral_services
from referrals.models import CostPeriod, Option, Referral, ShareBasis, Status

__all__ = [
    "DECISION_FIELDS",
    "OUTCOME_TO_REFERRAL_STATUS",
    "decision_correct",
    "decision_record",
    "decision_sign",
    "draft_fingerprint",
    "recommendation_chase",
    "recommendation_respond",
]

DECISION_FIELDS = (
    "outcome",
    "option",
    "rationale",
    "conditions",
    "lead_agency",
    "key_worker",
    "cost",
    "cost_period",
    "starts_on",
    "ends_on",
    "review_date",
)

# What signing does to the referral (referrals.services.referral_record_outcome).
OUTCOME_TO_REFERRAL_STATUS = {
    Outcome.AGREED_AS_RECOMMENDED: Status.DECIDED,
    Outcome.AGREED_PREFERRED_OPTION: Status.DECIDED,
    Outcome.AGREED_WITH_CONDITIONS: Status.DECIDED,
    Outcome.DECLINED: Status.DECIDED,
    Outcome.ESCALATED: Status.DECIDED,
    Outcome.DEFERRED: Status.DEFERRED,
    Outcome.RETURNED: Status.RETURNED,
}

Share = tuple[Agency, str, Decimal]


# --- Checks ------------------------------------------------------------------------------------


def _check_meeting_can_decide(meeting: Meeting) -> None:
    """A decision is made at a meeting that is not cancelled, on its day or after, while quorate."""
    require_open(meeting)
    if timezone.localdate() < meeting.date:
        raise ValidationError(
            f"Decisions are recorded on the day of the meeting or after: this meeting is on "
            f"{meeting.date:%-d %B %Y}"
        )
    # seeds 002, Leicester JSP: quorate with two members from each organisation (a panel setting).
    if not quorum(meeting).is_quorate:
        raise ValidationError(
            {"attendance": ["The meeting is not quorate, so no decision can be made: record who is present"]}
        )


def _check_item(agenda_item: AgendaItem, *, new: bool) -> None:
    if agenda_item.kind != AgendaItemKind.REFERRAL or agenda_item.referral_id is None:
        raise ValidationError({"agenda_item": ["Decisions are made on referrals on the agenda"]})
    if agenda_item.withdrawn_at is not None:
        raise ValidationError({"agenda_item": ["This item has been withdrawn from the agenda"]})
    if new:
        status = Referral.objects.filter(pk=agenda_item.referral_id).values_list("status", flat=True).first()
        if status != Status.ON_AGENDA:
            raise ValidationError({"agenda_item": ["This referral is not on the agenda of this meeting"]})


def _money(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("£", "").strip())
    except (InvalidOperation, ValueError):
        errors[field] = ["Enter an amount in pounds and pence, like 1234.56"]
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(money.PENNY) or amount >= 10**10:
        errors[field] = ["Enter an amount of £0.00 or more, to the penny"]
        return None
    return amount


def _split(
    cost: Decimal, shares: list[Share], partnership: str, errors: dict[str, list[str]]
) -> list[DecisionShare]:
    """Where the costs fall: percentages or amounts per agency that account for the cost exactly
    (the amounts per period come from casework.money.allocate, so they add up to the penny)."""
    if not shares:
        errors["shares"] = ["Say which agencies pay what share of the cost"]
        return []
    agencies = [agency.pk for agency, _b, _v in shares]
    if len(set(agencies)) != len(agencies):
        errors["shares"] = ["Name each agency once"]
        return []
    if any(agency.partnership != partnership for agency, _b, _v in shares):
        errors["shares"] = ["Choose agencies of the panel's partnership"]
        return []
    bases = {basis for _a, basis, _v in shares}
    if not bases <= set(ShareBasis.values):
        errors["shares"] = ["Give each share as a percentage or an amount"]
        return []
    if len(bases) > 1:
        errors["shares"] = ["Use either percentages or amounts for every agency, not both"]
        return []
    values = [value for _a, _b, value in shares]
    if any(v is None or v < 0 for v in values):
        errors["shares"] = ["No agency's share can be less than zero"]
        return []
    total = sum(values, Decimal("0"))
    if bases == {ShareBasis.PERCENTAGE}:
        if total != Decimal("100"):
            errors["shares"] = [f"The percentages add up to {total.normalize():f}%, not 100%"]
            return []
        amounts = money.allocate(cost, values)
    else:
        if total != cost:
            errors["shares"] = [f"The amounts add up to £{total:,.2f}, not the agreed cost of £{cost:,.2f}"]
            return []
        amounts = list(values)
    return [
        DecisionShare(agency=agency, basis=basis, value=value, amount=amount)
        for (agency, basis, value), amount in zip(shares, amounts, strict=True)
    ]


def _option_shares(option: Option) -> list[Share]:
    return [(s.agency, s.basis, s.value) for s in option.shares.select_related("agency")]


def _build(
    *, agenda_item: AgendaItem, values: Mapping[str, Any], shares: list[Share] | None
) -> tuple[dict[str, Any], list[DecisionShare]]:
    """Check a decision's fields (seeds 002) and fill the agreed cost, period, dates and split from
    the option where they are not given. Raises ValidationError with every field's message."""
    referral = agenda_item.referral
    meeting = agenda_item.meeting
    panel = meeting.panel
    errors: dict[str, list[str]] = {}
    unknown = set(values) - set(DECISION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown decision fields: {sorted(unknown)}")
    outcome = values.get("outcome") or ""
    if outcome not in Outcome.values:
        errors["outcome"] = ["Choose the outcome"]
    rationale = (values.get("rationale") or "").strip()
    if not rationale:
        errors["rationale"] = [
            "Enter the reasons for declining"
            if outcome == Outcome.DECLINED
            else "Enter the rationale for the decision"
        ]
    elif len(rationale) > 10000:
        errors["rationale"] = ["The rationale must be 10000 characters or fewer"]
    conditions = (values.get("conditions") or "").strip()
    if outcome == Outcome.AGREED_WITH_CONDITIONS and not conditions:
        errors["conditions"] = ["Enter the conditions of the agreement"]
    elif len(conditions) > 5000:
        errors["conditions"] = ["The conditions must be 5000 characters or fewer"]
    agreed = outcome in AGREED_OUTCOMES

    options = list(referral.options.prefetch_related("shares__agency"))
    option: Option | None = values.get("option")
    recommended = next((o for o in options if o.is_recommended), None)
    if outcome == Outcome.AGREED_AS_RECOMMENDED:
        if recommended is None:
            errors["option"] = ["This referral has no recommended option: choose the preferred option"]
        elif option is not None and option.pk != recommended.pk:
            errors["option"] = [
                f"Agreed as recommended means the recommended option (option {recommended.position}): "
                "choose it, or agree a preferred option"
            ]
        option = recommended
    elif agreed:
        if option is None:
            errors["option"] = ["Choose the option agreed"]
    if option is not None and all(option.pk != o.pk for o in options):
        errors["option"] = ["Choose one of this referral's options"]
        option = None
    if not agreed:
        option = option if option is not None and any(option.pk == o.pk for o in options) else None

    lead_agency = values.get("lead_agency")
    if lead_agency is not None and lead_agency.partnership != panel.partnership:
        errors["lead_agency"] = ["Choose an agency of the panel's partnership"]
    elif agreed and lead_agency is None:
        errors["lead_agency"] = ["Choose the lead agency"]
    key_worker = values.get("key_worker")
    if key_worker is not None and (
        not key_worker.is_active
        or key_worker.agency is None
        or key_worker.agency.partnership != panel.partnership
    ):
        errors["key_worker"] = ["Choose a key worker from an agency of the panel's partnership"]

    cost = _money(values.get("cost"), "cost", errors)
    cost_period = values.get("cost_period") or ""
    starts_on: dt.date | None = values.get("starts_on")
    ends_on: dt.date | None = values.get("ends_on")
    review_date: dt.date | None = values.get("review_date")
    share_rows: list[DecisionShare] = []
    if agreed:
        if option is not None:
            cost = option.cost if cost is None and "cost" not in errors else cost
            cost_period = cost_period or option.period
            starts_on = starts_on or option.starts_on
            ends_on = ends_on or option.ends_on
        if cost is None and "cost" not in errors:
            errors["cost"] = ["Enter the agreed cost"]
        if cost_period not in CostPeriod.values:
            errors["cost_period"] = ["Choose how often the cost is paid"]
        if review_date is None:
            errors["review_date"] = ["Enter the review date"]
        elif review_date <= meeting.date:
            errors["review_date"] = ["The review date must be after the meeting"]
        if cost is not None:
            if shares is None and option is not None:
                shares = _option_shares(option)
            share_rows = _split(cost, shares or [], panel.partnership, errors)
    else:
        # Nothing is committed: no cost, no split (the option is kept only as a reference).
        cost, cost_period, share_rows = None, "", []
        if review_date is not None and review_date <= meeting.date:
            errors["review_date"] = ["The review date must be after the meeting"]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = ["The end date must be on or after the start date"]
    if errors:
        raise ValidationError(errors)
    return (
        {
            "outcome": outcome,
            "option": option,
            "rationale": rationale,
            "conditions": conditions,
            "lead_agency": lead_agency,
            "key_worker": key_worker,
            "cost": cost,
            "cost_period": cost_period,
            "starts_on": starts_on if agreed else None,
            "ends_on": ends_on if agreed else None,
            "review_date": review_date,
        },
        share_rows,
    )


def draft_fingerprint(decision: Decision) -> str:
    """What a draft says, as a short hash: sent with an edit form to refuse a save over a later one."""
    shares = sorted(decision.shares.all(), key=lambda share: share.pk)  # uses a prefetch when there is one
    payload = json.dumps(_snapshot(decision, shares), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _snapshot(decision: Decision, shares: list[DecisionShare]) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "option": decision.option_id,
        "rationale": decision.rationale,
        "conditions": decision.conditions,
        "lead_agency": decision.lead_agency_id,
        "key_worker": decision.key_worker_id,
        "cost": None if decision.cost is None else str(decision.cost),
        "cost_period": decision.cost_period,
        "starts_on": None if decision.starts_on is None else str(decision.starts_on),
        "ends_on": None if decision.ends_on is None else str(decision.ends_on),
        "review_date": None if decision.review_date is None else str(decision.review_date),
        "shares": [[s.agency_id, s.basis, str(s.value), str(s.amount)] for s in shares],
    }


def _saved(decision: Decision) -> dict[str, Any]:
    """A draft as saved now, for a stale editor to compare (the API's 409 body)."""
    shares = list(decision.shares.all())
    return {
        "decision": decision.pk,
        "fingerprint": draft_fingerprint(decision),
        **_snapshot(decision, shares),
    }


def _apply(decision: Decision, values: Mapping[str, Any], share_rows: list[DecisionShare]) -> None:
    for name, value in values.items():
        setattr(decision, name, value)
    decision.full_clean(
        exclude=["agenda_item", "referral", "supersedes", "recorded_by"], validate_constraints=False
    )
    decision.save()
    decision.shares.all().delete()
    for row in share_rows:
        row.decision = decision
    DecisionShare.objects.bulk_create(share_rows)


def _who_saved_draft(decision: Decision) -> str:
    """Who won the race to save this draft, for the loser's 409 ("Adam Clerk saved it at 10:02")."""
    return who_saved(decision, actions=["decision.recorded", "decision.edited"]) or (
        f"{decision.recorded_by.full_name} saved it"
    )


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
            f"This item already has a draft decision: {_who_saved_draft(current)}. Reload the page "
            "and change that one",
            current=_saved(current),
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
                f"Someone else saved this draft decision after you opened it: {_who_saved_draft(current)}. "
                "Reload the page to see their version, then make your changes again",
                current=_saved(current),
            )
    _check_item(agenda_item, new=current is None or current.version == 1)
    _check_meeting_can_decide(meeting)
    values, share_rows = _build(agenda_item=agenda_item, values=fields, shares=shares)
    if current is None:
        target = Decision(
            agenda_item=agenda_item, referral_id=agenda_item.referral_id, version=1, recorded_by=actor
        )
        before: dict[str, Any] = {}
    else:
        target = current
        before = _snapshot(current, list(current.shares.all()))
    target.was_quorate = True
    target.recorded_by = actor
    target.recorded_at = timezone.now()
    try:
        with transaction.atomic():
            _apply(target, values, share_rows)
    except IntegrityError as exc:  # someone recorded the item's first decision at the same moment
        raise InvalidTransition("Someone else recorded a decision on this item: reload the page") from exc
    after = _snapshot(target, share_rows)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    record_event(
        actor=actor,
        action="decision.recorded" if not before else "decision.edited",
        obj=target,
        child=agenda_item.referral.child,
        changes=changes,
    )
    return target


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
    initials = decision.referral.child.initials if decision.referral_id else ""
    subject = (
        f"Reminder: {meeting.panel.name} awaits your agency's answer on a recommendation for {initials}"
        if chase
        else f"{meeting.panel.name} made a recommendation for {initials} that your agency must answer"
    )
    notify(
        users=_recommendation_recipients(recommendation.agency, meeting.panel_id),
        subject=subject,
        body=(
            f"{recommendation.agency.name} was not present at the meeting on {meeting.date:%-d %B %Y}. "
            f"The panel's decision gives your agency a part in it, so it stays a recommendation until "
            f"your agency accepts or declines it, by {recommendation.due_on:%-d %B %Y}."
        ),
        url=reverse("panels:recommendation_respond", args=[recommendation.pk]),
    )


def _recommend_to_absent_agencies(*, decision: Decision, meeting: Meeting) -> list[AgencyRecommendation]:
    """seeds 002: "no decision will be made that impacts on an agency that is not present". An
    agency given a share (more than £0) or the lead role with no member present gets a
    recommendation to answer within the panel's `absent_agency_response_working_days` working days
    of signing (closure days excluded, casework.working_days)."""
    present = agencies_present(meeting)
    impacted: dict[int, Agency] = {
        share.agency_id: share.agency
        for share in decision.shares.select_related("agency")
        if share.amount > 0
    }
    if decision.lead_agency_id:
        impacted[decision.lead_agency_id] = decision.lead_agency
    absent = [agency for pk, agency in sorted(impacted.items()) if pk not in present]
    if not absent:
        return []
    panel = meeting.panel
    closures = frozenset(panel.closure_days.values_list("day", flat=True))
    due = add_working_days(timezone.localdate(), panel.absent_agency_response_working_days, closures)
    made = []
    for agency in absent:
        recommendation = AgencyRecommendation.objects.create(decision=decision, agency=agency, due_on=due)
        record_event(
            actor=None,
            action="decision.recommendation_made",
            obj=recommendation,
            child=decision.referral.child if decision.referral_id else None,
            changes={"agency": [None, agency.pk], "due_on": [None, str(due)]},
        )
        _notify_recommendation(recommendation)
        made.append(recommendation)
    return made


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
    _check_item(agenda_item, new=False)
    _check_meeting_can_decide(meeting)
    now = timezone.now()
    updated = Decision.objects.filter(pk=decision.pk, status=DecisionStatus.DRAFT).update(
        status=DecisionStatus.SIGNED, signed_by=actor, signed_at=now
    )
    if updated != 1:
        raise InvalidTransition("This decision has already been signed or replaced: reload the page")
    decision.refresh_from_db()
    referral_services.referral_record_outcome(
        actor=actor,
        referral=agenda_item.referral,
        to=OUTCOME_TO_REFERRAL_STATUS[decision.outcome],
        reason=f"{decision.get_outcome_display()} at {meeting}",
    )
    made = _recommend_to_absent_agencies(decision=decision, meeting=meeting)
    record_event(
        actor=actor,
        action="decision.signed",
        obj=decision,
        child=agenda_item.referral.child,
        changes={
            "status": [DecisionStatus.DRAFT, DecisionStatus.SIGNED],
            "version": [None, decision.version],
            "recommendations": [None, [r.agency_id for r in made]],
        },
    )
    _fund(actor=actor, decision=decision)
    return decision


def _fund(*, actor: User, decision: Decision) -> None:
    """An agreed decision that says where the costs fall becomes a funding package for each agency's
    finance approvers (funding.services). A correction of a funded decision changes the package
    through a variation instead, so the approvals already given are kept where nothing changed."""
    from funding.models import FundingPackage
    from funding.services import package_create_from_decision

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
    _check_item(agenda_item, new=False)
    _check_meeting_can_decide(meeting)
    old_shares = list(old.shares.select_related("agency"))
    values = {name: getattr(old, name) for name in DECISION_FIELDS}
    values.update(fields or {})
    if shares is None and values.get("option") == old.option and values["outcome"] in AGREED_OUTCOMES:
        shares = [(s.agency, s.basis, s.value) for s in old_shares]
    built, share_rows = _build(agenda_item=agenda_item, values=values, shares=shares)
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
        was_quorate=True,
        recorded_by=actor,
    )
    _apply(new, built, share_rows)
    after = _snapshot(new, share_rows)
    before = _snapshot(old, old_shares)
    record_event(
        actor=actor,
        action="decision.corrected",
        obj=new,
        child=agenda_item.referral.child,
        changes={
            "version": [old.version, new.version],
            "reason": [None, reason],
            **{k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
        },
    )
    return new


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
        child=decision.referral.child if decision.referral_id else None,
        changes={
            "status": [RecommendationStatus.AWAITING, status],
            **({"reason": [None, reason]} if reason else {}),
        },
    )
    if decision.signed_by_id:
        notify(
            users=[decision.signed_by],
            subject=f"{recommendation.agency.name} {status} the panel's recommendation",
            body=reason,
            url=reverse("panels:recommendation_respond", args=[recommendation.pk]),
        )
    return recommendation


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
