"""What a decision must say, checked before it is saved: the meeting and item it is made at, its
values and where its costs fall (the funding split), and the draft's fingerprint for two people
editing it at once. The writes that use these are in panels/services/decisions.py.

Sources: seeds 002 (Joint Funding Panel terms of reference: a decision records the recommended
course accepted or the preferred option, the lead agency and key worker, where the costs fall and
a review date; Leicester JSP: quorate with two members from each organisation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from casework import money
from casework.models import Agency
from casework.stale import who_saved
from panels.models import (
    AGREED_OUTCOMES,
    AgendaItem,
    AgendaItemKind,
    Decision,
    DecisionShare,
    Meeting,
    Outcome,
)
from panels.selectors.running import whole_meeting_inquorate
from panels.services.running import require_open
from referrals.models import CostPeriod, Option, Referral, ShareBasis, Status

__all__ = ["DECISION_FIELDS", "INQUORATE_OUTCOMES", "draft_fingerprint", "missing_answers"]

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

Share = tuple[Agency, str, Decimal]


# --- Checks ------------------------------------------------------------------------------------


def check_meeting_can_decide(meeting: Meeting) -> str:
    """A decision is made at a meeting that is not cancelled, on its day or after. The chair can
    always hold the meeting: returns why the WHOLE meeting is inquorate ("" when it is not), and
    then every item can only be recommended or deferred (check_inquorate_outcome). An agency absent
    or below its own quorum does not stop the meeting: the part of a decision that impacts it
    becomes a recommendation to it on signing (panels.services.recommendations; seeds 002, Joint
    Funding Panel: "Decisions are not to be made if they impact upon one of the agencies who may
    not be present. The recommendations made to an absent agency will require a response within 3
    working days"; Leicester JSP: "Quorate will be a minimum of two members from each
    organisation")."""
    require_open(meeting)
    if timezone.localdate() < meeting.date:
        raise ValidationError(
            f"Decisions are recorded on the day of the meeting or after: this meeting is on "
            f"{meeting.date:%-d %B %Y}"
        )
    return whole_meeting_inquorate(meeting)


# What an inquorate meeting may still do: recommend (an agreed outcome, answered by each agency it
# impacts) or defer.
INQUORATE_OUTCOMES = (*AGREED_OUTCOMES, Outcome.DEFERRED)


def check_inquorate_outcome(inquorate: str, outcome: str) -> None:
    """seeds 002: at a meeting that is not quorate, no decision is made: each item is recommended
    to the agencies it impacts, or deferred."""
    if inquorate and outcome and outcome not in INQUORATE_OUTCOMES:
        raise ValidationError(
            {
                "outcome": [
                    f"The meeting is not quorate ({inquorate}), so it can only recommend or defer: "
                    "an agreed outcome becomes a recommendation to each agency it impacts"
                ]
            }
        )


def check_item(agenda_item: AgendaItem, *, new: bool) -> None:
    if agenda_item.kind != AgendaItemKind.REFERRAL or agenda_item.referral_id is None:
        raise ValidationError({"agenda_item": ["Decisions are made on referrals on the agenda"]})
    if agenda_item.withdrawn_at is not None:
        raise ValidationError({"agenda_item": ["This item has been withdrawn from the agenda"]})
    if new:
        status = Referral.objects.filter(pk=agenda_item.referral_id).values_list("status", flat=True).first()
        if status != Status.ON_AGENDA:
            raise ValidationError({"agenda_item": ["This referral is not on the agenda of this meeting"]})


def item_referral(agenda_item: AgendaItem) -> Referral:
    """The referral a decision on this item is about (check_item has refused an item without one)."""
    if agenda_item.referral is None:
        raise ValidationError({"agenda_item": ["Decisions are made on referrals on the agenda"]})
    return agenda_item.referral


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


def _agreed_option(outcome: str, option: Option | None, options: list[Option]) -> Option | None:
    """The option an agreement is about: the recommended one when agreed as recommended, else the
    one chosen if it is one of the referral's (its cost, period and dates fill what is not given)."""
    if outcome == Outcome.AGREED_AS_RECOMMENDED:
        return next((o for o in options if o.is_recommended), None)
    if option is not None and any(option.pk == o.pk for o in options):
        return option
    return None


def missing_answers(*, values: Mapping[str, Any], options: list[Option]) -> dict[str, list[str]]:
    """Each answer the decision's outcome asks for that `values` leaves out (seeds 002): the outcome
    and its rationale, the conditions of a conditional agreement, and for an agreement the option,
    the lead agency, the cost and how often (unless the option agreed gives them) and the review
    date. `build` checks these with the rest; the decision form asks them too when something typed
    cannot be read, so a person is told every missing answer at once, not in turns."""
    errors: dict[str, list[str]] = {}
    outcome = values.get("outcome") or ""
    if outcome not in Outcome.values:
        errors["outcome"] = ["Choose the outcome"]
    if not (values.get("rationale") or "").strip():
        errors["rationale"] = [
            "Enter the reasons for declining"
            if outcome == Outcome.DECLINED
            else "Enter the rationale for the decision"
        ]
    if outcome == Outcome.AGREED_WITH_CONDITIONS and not (values.get("conditions") or "").strip():
        errors["conditions"] = ["Enter the conditions of the agreement"]
    if outcome not in AGREED_OUTCOMES:
        return errors
    option = _agreed_option(outcome, values.get("option"), options)
    if outcome == Outcome.AGREED_AS_RECOMMENDED and option is None:
        errors["option"] = ["This referral has no recommended option: choose the preferred option"]
    elif outcome != Outcome.AGREED_AS_RECOMMENDED and values.get("option") is None:
        errors["option"] = ["Choose the option agreed"]
    if values.get("lead_agency") is None:
        errors["lead_agency"] = ["Choose the lead agency"]
    if values.get("cost") in (None, "") and option is None:
        errors["cost"] = ["Enter the agreed cost"]
    if (values.get("cost_period") or (option.period if option is not None else "")) not in CostPeriod.values:
        errors["cost_period"] = ["Choose how often the cost is paid"]
    if values.get("review_date") is None:
        errors["review_date"] = ["Enter the review date"]
    return errors


def build(
    *, agenda_item: AgendaItem, values: Mapping[str, Any], shares: list[Share] | None
) -> tuple[dict[str, Any], list[DecisionShare]]:
    """Check a decision's fields (seeds 002) and fill the agreed cost, period, dates and split from
    the option where they are not given. Raises ValidationError with every field's message."""
    referral = item_referral(agenda_item)
    meeting = agenda_item.meeting
    panel = meeting.panel
    unknown = set(values) - set(DECISION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown decision fields: {sorted(unknown)}")
    options = list(referral.options.prefetch_related("shares__agency"))
    errors = missing_answers(values=values, options=options)
    outcome = values.get("outcome") or ""
    rationale = (values.get("rationale") or "").strip()
    if len(rationale) > 10000:
        errors["rationale"] = ["The rationale must be 10000 characters or fewer"]
    conditions = (values.get("conditions") or "").strip()
    if "conditions" not in errors and len(conditions) > 5000:
        errors["conditions"] = ["The conditions must be 5000 characters or fewer"]
    agreed = outcome in AGREED_OUTCOMES

    option: Option | None = values.get("option")
    recommended = next((o for o in options if o.is_recommended), None)
    if outcome == Outcome.AGREED_AS_RECOMMENDED:
        if recommended is not None and option is not None and option.pk != recommended.pk:
            errors["option"] = [
                f"Agreed as recommended means the recommended option (option {recommended.position}): "
                "choose it, or agree a preferred option"
            ]
        option = recommended
    if option is not None and all(option.pk != o.pk for o in options):
        errors["option"] = ["Choose one of this referral's options"]
        option = None

    lead_agency = values.get("lead_agency")
    if lead_agency is not None and lead_agency.partnership != panel.partnership:
        errors["lead_agency"] = ["Choose an agency of the panel's partnership"]
    key_worker = values.get("key_worker")
    if key_worker is not None and (
        not key_worker.is_active
        or key_worker.agency is None
        or key_worker.agency.partnership != panel.partnership
    ):
        errors["key_worker"] = ["Choose a key worker from an agency of the panel's partnership"]

    missing_cost = errors.pop("cost", None)
    cost = _money(values.get("cost"), "cost", errors)
    if missing_cost and "cost" not in errors:
        errors["cost"] = missing_cost
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
        if review_date is not None and review_date <= meeting.date:
            errors["review_date"] = ["The review date must be after the meeting"]
        if cost is not None:
            if shares is None and option is not None:
                shares = _option_shares(option)
            share_rows = _split(cost, shares or [], panel.partnership, errors)
    else:
        # Nothing is committed: no cost, no split (the option is kept only as a reference).
        option = option if option is not None and any(option.pk == o.pk for o in options) else None
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
            # Not a field anyone sets: the agreed option's weeks a year (38 or 52), as the package
            # copies them, so every figure a year counts the placement's weeks (docs/adr/0012-money.md).
            "weeks_per_year": option.weeks_per_year if agreed and option is not None else money.WEEKS_A_YEAR,
            "starts_on": starts_on if agreed else None,
            "ends_on": ends_on if agreed else None,
            "review_date": review_date,
        },
        share_rows,
    )


def draft_fingerprint(decision: Decision) -> str:
    """What a draft says, as a short hash: sent with an edit form to refuse a save over a later one."""
    shares = sorted(decision.shares.all(), key=lambda share: share.pk)  # uses a prefetch when there is one
    payload = json.dumps(snapshot(decision, shares), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def snapshot(decision: Decision, shares: list[DecisionShare]) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "option": decision.option_id,
        "rationale": decision.rationale,
        "conditions": decision.conditions,
        "lead_agency": decision.lead_agency_id,
        "key_worker": decision.key_worker_id,
        "cost": None if decision.cost is None else str(decision.cost),
        "cost_period": decision.cost_period,
        "weeks_per_year": decision.weeks_per_year,
        "starts_on": None if decision.starts_on is None else str(decision.starts_on),
        "ends_on": None if decision.ends_on is None else str(decision.ends_on),
        "review_date": None if decision.review_date is None else str(decision.review_date),
        "shares": [[s.agency_id, s.basis, str(s.value), str(s.amount)] for s in shares],
    }


def saved_values(decision: Decision) -> dict[str, Any]:
    """A draft as saved now, for a stale editor to compare (the API's 409 body)."""
    shares = list(decision.shares.all())
    return {
        "decision": decision.pk,
        "fingerprint": draft_fingerprint(decision),
        **snapshot(decision, shares),
    }


def apply_values(decision: Decision, values: Mapping[str, Any], share_rows: list[DecisionShare]) -> None:
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


def who_saved_draft(decision: Decision) -> str:
    """Who won the race to save this draft, for the loser's 409 ("Adam Clerk saved it at 10:02")."""
    return who_saved(decision, actions=["decision.recorded", "decision.edited"]) or (
        f"{decision.recorded_by.full_name} saved it"
    )
