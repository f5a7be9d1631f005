"""Individual Funding Requests: submitted by an NHS clinician, decided by the IFR panel within
`ifr_decision_working_days` working days, with more information or an appeal when asked."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from casework.access import agency_of
from casework.models import Child, User
from casework.working_days import add_working_days
from pathways import access
from pathways.models import CaseKind, IFRDecision, IndividualFundingRequest, PathwayCase, Status
from pathways.selectors import settings_for
from pathways.services.cases import _check_people, _expect_kind, _open, _raise, _require, _transition

__all__ = [
    "IFR_REASONS_NEEDED",
    "ifr_add_information",
    "ifr_decide",
    "ifr_request_appeal",
    "ifr_submit",
]


# The decisions that need their reasons written, with what is said when they are missing.
IFR_REASONS_NEEDED = {
    IFRDecision.DECLINED: "Give the reasons the request was declined",
    IFRDecision.MORE_INFORMATION: "Say what more information the panel needs",
}


@transaction.atomic
def ifr_submit(
    *,
    actor: User,
    child: Child,
    treatment: str,
    exceptionality: str,
    evidence: str = "",
    case_worker: User | None = None,
) -> PathwayCase:
    """Submitted only by an NHS clinician (a health assessor of an ICB or NHS trust), whose agency
    leads. The decision is due `ifr_decision_working_days` working days after submission."""
    _require(
        access.can_submit_ifr(user=actor),
        "Only an NHS clinician (a health assessor of an ICB or NHS trust) can submit an IFR",
    )
    # An NHS clinician always has an agency (can_submit_ifr); it leads the case.
    lead_agency = agency_of(actor)
    errors: dict[str, str] = {}
    _check_people(child=child, lead_agency=lead_agency, case_worker=case_worker, errors=errors)
    if "lead_agency" in errors:
        errors["treatment"] = "Your agency must be involved with the child to submit an IFR"
        del errors["lead_agency"]
    if not (treatment or "").strip():
        errors["treatment"] = "Describe the treatment requested"
    if not (exceptionality or "").strip():
        errors["exceptionality"] = "Set out why the child's clinical circumstances are exceptional"
    _raise(errors)
    today = timezone.localdate()
    days = settings_for(lead_agency).ifr_decision_working_days
    case = _open(
        actor=actor,
        child=child,
        kind=CaseKind.IFR,
        lead_agency=lead_agency,
        case_worker=case_worker or actor,
        status=Status.SUBMITTED,
        what="Individual Funding Request submitted",
    )
    ifr = IndividualFundingRequest(
        case=case,
        treatment=treatment.strip(),
        exceptionality=exceptionality.strip(),
        evidence=(evidence or "").strip(),
        submitted_by=actor,
        submitted_on=today,
        decision_due_on=add_working_days(today, days),
    )
    ifr.full_clean()
    ifr.save()
    return case


@transaction.atomic
def ifr_decide(*, actor: User, case: PathwayCase, decision: str, reasons: str = "") -> PathwayCase:
    """The IFR panel's decision: approved, declined (with reasons), or more information needed."""
    _expect_kind(case, CaseKind.IFR)
    _require(access.can_decide_ifr(user=actor), "Only the IFR panel's administrators record its decision")
    errors: dict[str, str] = {}
    if decision not in IFRDecision.values:
        errors["decision"] = "Choose the panel's decision"
    elif decision in IFR_REASONS_NEEDED and not (reasons or "").strip():
        errors["reasons"] = IFR_REASONS_NEEDED[IFRDecision(decision)]
    _raise(errors)
    to = {
        IFRDecision.APPROVED: Status.APPROVED,
        IFRDecision.DECLINED: Status.DECLINED,
        IFRDecision.MORE_INFORMATION: Status.MORE_INFORMATION,
    }[IFRDecision(decision)]
    _transition(
        case=case,
        actor=actor,
        allowed_from=[Status.SUBMITTED, Status.APPEAL],
        to=to,
        what=f"IFR panel: {IFRDecision(decision).label.lower()}",
    )
    ifr = case.ifr
    ifr.decision, ifr.decision_reasons = decision, (reasons or "").strip()
    ifr.decided_by, ifr.decided_on = actor, timezone.localdate()
    ifr.full_clean()
    ifr.save(update_fields=["decision", "decision_reasons", "decided_by", "decided_on"])
    return case


@transaction.atomic
def ifr_add_information(*, actor: User, case: PathwayCase, information: str) -> PathwayCase:
    _expect_kind(case, CaseKind.IFR)
    _require(access.can_submit_ifr(user=actor), "Only an NHS clinician can add information to an IFR")
    if not (information or "").strip():
        _raise({"information": "Add the information the panel asked for"})
    _transition(
        case=case,
        actor=actor,
        allowed_from=[Status.MORE_INFORMATION],
        to=Status.SUBMITTED,
        what="More information sent to the IFR panel",
    )
    ifr = case.ifr
    ifr.evidence = "\n\n".join(filter(None, [ifr.evidence, information.strip()]))
    ifr.full_clean()
    ifr.save(update_fields=["evidence"])
    return case


@transaction.atomic
def ifr_request_appeal(*, actor: User, case: PathwayCase, reason: str) -> PathwayCase:
    _expect_kind(case, CaseKind.IFR)
    _require(access.can_submit_ifr(user=actor), "Only an NHS clinician can ask for an appeal or review")
    if not (reason or "").strip():
        _raise({"reason": "Give the grounds for the appeal or review"})
    _transition(
        case=case,
        actor=actor,
        allowed_from=[Status.DECLINED],
        to=Status.APPEAL,
        what="Appeal or review requested",
    )
    ifr = case.ifr
    ifr.appeal_reason = reason.strip()
    ifr.full_clean()
    ifr.save(update_fields=["appeal_reason"])
    return case
