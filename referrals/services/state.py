"""Reading a referral's state: the form's sections, what is missing before it can be sent for
sign-off, and the fingerprint of what a signer vouches for."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from referrals.models import Option, OptionShare, Referral, ShareBasis, SignOff, SignOffDecision, Status

# The form's sections, each a page of the task list: (key, title, fields).
SECTIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("referrer", "Referrer and relationship to the child", ("referrer_relationship",)),
    ("needs", "1. Assessed needs", ("assessed_needs",)),
    ("support", "2. Support in place", ("current_support",)),
    ("iro", "3. IRO comments", ("iro_comments",)),
    ("permanency", "4. Permanency plan", ("permanency_plan",)),
    (
        "education",
        "5. Education",
        (
            "education_change",
            "education_has_ehc_plan",
            "education_discussed_with_sen",
            "education_sen_comments",
            "education_current_school",
            "education_school_type",
        ),
    ),
    ("elsewhere", "6. Considered elsewhere", ("considered_elsewhere",)),
    ("child_voice", "7. The child's voice", ("child_voice",)),
    ("parents_voice", "8. Parents' and carers' views", ("parents_voice",)),
    (
        "reason",
        "Reason for referral and summary of circumstances",
        ("reason_for_referral", "summary_of_circumstances"),
    ),
]
SECTION_FIELDS = {key: fields for key, _title, fields in SECTIONS}
SECTION_TITLES = {key: title for key, title, _fields in SECTIONS}
ALL_SECTION_FIELDS = tuple(f for _k, _t, fields in SECTIONS for f in fields)
OPTION_FIELDS = ("description", "provider", "cost", "period", "starts_on", "ends_on", "benefits", "risks")
# What kind of placement an option is (seeds 003: the 38-week residential rule). Kept out of
# OPTION_FIELDS so an option that leaves them at their defaults keeps the fingerprint it was signed with.
OPTION_PLACEMENT_FIELDS = ("provider_kind", "weeks_per_year")
PLACEMENT_DEFAULTS = {"provider_kind": "unconfirmed", "weeks_per_year": 52}
# Home support priced by the hour (issue 15): the weekly cost is worked out from these, so the
# fingerprint's cost already changes with them.
OPTION_HOURS_FIELDS = ("hours_per_week", "hourly_rate")
FINAL_STATUSES = {Status.WITHDRAWN, Status.CLOSED}


def section_problems(referral: Referral, key: str) -> list[str]:
    """What is missing from one section, in the words shown next to it. Empty when complete."""
    r = referral
    if key == "referrer":
        return [] if r.referrer_relationship.strip() else ["Enter your relationship to the child"]
    if key == "iro":
        # Only for a looked-after child (the form: "If the child is Looked After ...").
        if r.child.is_looked_after and not r.iro_comments.strip():
            return ["Enter the IRO's comments on the proposed plan: the child is looked after"]
        return []
    if key == "education":
        problems = []
        if r.education_change is None:
            problems.append(
                "Say whether this might change the school placement or affect the child's education"
            )
        elif r.education_change:
            if r.education_has_ehc_plan is None:
                problems.append("Say whether the child has an EHC plan")
            elif r.education_has_ehc_plan and r.education_discussed_with_sen is None:
                problems.append("Say whether this has been discussed with the SEN team")
            elif (
                r.education_has_ehc_plan
                and r.education_discussed_with_sen
                and not r.education_sen_comments.strip()
            ):
                problems.append("Enter the SEN team's comments")
        if not r.education_current_school.strip():
            problems.append("Enter the current school, or 'not in school'")
        if not r.education_school_type:
            problems.append("Say whether the school is mainstream, special or other")
        return problems
    if key == "reason":
        problems = []
        if not r.reason_for_referral.strip():
            problems.append("Enter the reason for referral")
        if not r.summary_of_circumstances.strip():
            problems.append("Enter a summary of the circumstances")
        return problems
    field = SECTION_FIELDS[key][0]
    if not str(getattr(r, field) or "").strip():
        return [f"Complete section {SECTION_TITLES[key]}"]
    return []


def option_problems(referral: Referral, options: list[Option] | None = None) -> list[str]:
    options = list(referral.options.prefetch_related("shares")) if options is None else options
    if not options:
        return ["Add at least one option with its cost"]
    problems = []
    if sum(1 for o in options if o.is_recommended) != 1:
        problems.append("Choose the option you recommend")
    for option in options:
        problem = split_problem(option, list(option.shares.all()))
        if problem:
            problems.append(f"Option {option.position}: {problem}")
    return problems


def split_problem(option: Option, shares: list[OptionShare]) -> str | None:
    """Why the proposed split does not account for the whole cost exactly, or None."""
    if not shares:
        return "say which agencies pay what share"
    if any(s.value < 0 for s in shares):
        return "no agency's share can be less than zero"
    bases = {s.basis for s in shares}
    if len(bases) > 1:
        return "use either percentages or amounts for every agency, not both"
    if bases == {ShareBasis.PERCENTAGE}:
        total = sum((s.value for s in shares), Decimal("0"))
        if total != Decimal("100"):
            return f"the percentages add up to {total.normalize():f}%, not 100%"
    else:
        total = sum((s.value for s in shares), Decimal("0"))
        if total != option.cost:
            return f"the amounts add up to £{total:,.2f}, not the cost of £{option.cost:,.2f}"
    return None


def completeness(referral: Referral) -> dict[str, list[str]]:
    """Every problem that stops sending for sign-off, keyed by task-list item."""
    problems = {key: section_problems(referral, key) for key, _t, _f in SECTIONS}
    problems["options"] = option_problems(referral)
    if not referral.evidence.filter(removed_at__isnull=True).exists():
        # seeds 002, Joint Funding Panel 3.7: "referrals ... must be supported by attached evidence".
        problems["evidence"] = ["Attach at least one piece of evidence"]
    return {key: msgs for key, msgs in problems.items() if msgs}


def content_hash(referral: Referral) -> str:
    """A fingerprint of everything a signer vouches for: sections, options, splits, evidence."""
    options = [
        {
            **{f: str(getattr(o, f)) for f in OPTION_FIELDS},
            **{
                f: str(getattr(o, f))
                for f in OPTION_PLACEMENT_FIELDS
                if getattr(o, f) != PLACEMENT_DEFAULTS[f]
            },
            "recommended": o.is_recommended,
            "shares": sorted([s.agency_id, s.basis, str(s.value)] for s in o.shares.all()),
        }
        for o in referral.options.prefetch_related("shares").order_by("pk")
    ]
    payload = {
        "sections": {f: str(getattr(referral, f)) for f in ALL_SECTION_FIELDS},
        "head": [referral.pathway, referral.request_type, referral.urgency, referral.review_of_id],
        "options": options,
        "evidence": sorted(
            referral.evidence.filter(removed_at__isnull=True).values_list("sha256", flat=True)
        ),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def current_signatures(referral: Referral) -> list[SignOff]:
    return list(
        referral.sign_offs.filter(decision=SignOffDecision.SIGNED, withdrawn_at__isnull=True).select_related(
            "signer"
        )
    )
