"""Continuing Care: checklist → full assessment (three areas of evidence and the DST) →
recommendation → multi-agency decision → package → reviews, and the move to adult NHS Continuing
Healthcare (National Framework for Children and Young People's Continuing Care, 2016)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from casework.models import Agency, AgencyKind, Child, User
from casework.services import InvalidTransition
from casework.stale import fingerprint
from pathways import access
from pathways.models import (
    CaseKind,
    ContinuingCare,
    DSTDomain,
    DSTScore,
    Level,
    PathwayCase,
    Recommendation,
    Status,
)
from pathways.selectors import dst_prompt, settings_for
from pathways.services.cases import (
    _audit,
    _check_people,
    _event,
    _expect_kind,
    _not_future,
    _open,
    _raise,
    _refuse_stale,
    _require,
    _stale,
    _transition,
)

__all__ = [
    "EVIDENCE_FIELDS",
    "TRANSITION_STEPS",
    "cc_open",
    "cc_record_checklist",
    "cc_record_decision",
    "cc_record_evidence",
    "cc_record_package",
    "cc_record_transition_step",
    "cc_recommend",
    "cc_save_dst",
    "dst_fingerprint",
    "evidence_fingerprint",
]


TRANSITION_STEPS = {
    "adult_team_told_on": "Adult team told",
    "adult_checklist_on": "Adult NHS Continuing Healthcare checklist done",
    "decision_in_principle_on": "Adult decision in principle",
    "adult_package_on": "Adult package in place",
}


@transaction.atomic
def cc_open(
    *, actor: User, child: Child, lead_agency: Agency, case_worker: User | None, referral_received_on: dt.date
) -> PathwayCase:
    """Continuing Care is ICB-led (National Framework 2016). The clock to the decision starts at the
    referral: `cc_decision_weeks` of the lead ICB's partnership settings (6 by default)."""
    _require(access.can_edit_cases(user=actor), "Your role does not allow opening pathway cases")
    errors: dict[str, str] = {}
    if lead_agency.kind != AgencyKind.ICB:
        errors["lead_agency"] = "Continuing Care is led by an ICB: choose the child's ICB as the lead agency"
    _check_people(child=child, lead_agency=lead_agency, case_worker=case_worker, errors=errors)
    if referral_received_on is None:
        errors["referral_received_on"] = "Enter the date the referral was received"
    _not_future(referral_received_on, "referral_received_on", errors)
    _raise(errors)
    weeks = settings_for(lead_agency).cc_decision_weeks
    case = _open(
        actor=actor,
        child=child,
        kind=CaseKind.CONTINUING_CARE,
        lead_agency=lead_agency,
        case_worker=case_worker,
        status=Status.CHECKLIST,
        what="Continuing Care referral received",
    )
    ContinuingCare.objects.create(
        case=case,
        referral_received_on=referral_received_on,
        decision_due_on=referral_received_on + dt.timedelta(weeks=weeks),
    )
    return case


@transaction.atomic
def cc_record_checklist(
    *, actor: User, case: PathwayCase, completed_on: dt.date, full_assessment_needed: bool, notes: str = ""
) -> PathwayCase:
    """The pre-assessment checklist: a positive one leads to a full assessment, a negative one closes."""
    _expect_kind(case, CaseKind.CONTINUING_CARE)
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording the checklist")
    cc = case.continuing_care
    errors: dict[str, str] = {}
    if completed_on is None:
        errors["completed_on"] = "Enter the date the checklist was completed"
    _not_future(completed_on, "completed_on", errors)
    if completed_on and completed_on < cc.referral_received_on:
        errors["completed_on"] = "The checklist cannot be completed before the referral was received"
    if full_assessment_needed is None:
        errors["full_assessment_needed"] = "Say whether the checklist shows a full assessment is needed"
    _raise(errors)
    to = Status.ASSESSMENT if full_assessment_needed else Status.CLOSED
    what = (
        "Checklist: full assessment needed"
        if full_assessment_needed
        else "Checklist: no full assessment needed"
    )
    _transition(
        case=case,
        actor=actor,
        allowed_from=[Status.CHECKLIST],
        to=to,
        what=what,
        note=notes,
        on_date=completed_on,
    )
    cc.checklist_completed_on, cc.checklist_full_assessment, cc.checklist_notes = (
        completed_on,
        full_assessment_needed,
        notes,
    )
    cc.full_clean()
    cc.save(update_fields=["checklist_completed_on", "checklist_full_assessment", "checklist_notes"])
    return case


def _require_assessing(case: PathwayCase) -> None:
    if case.status != Status.ASSESSMENT:
        raise InvalidTransition("The assessment can be changed only while the case is at full assessment")


EVIDENCE_FIELDS = ("preferences", "holistic_assessment", "professional_reports")


@transaction.atomic
def cc_record_evidence(
    *,
    actor: User,
    case: PathwayCase,
    preferences: str,
    holistic_assessment: str,
    professional_reports: str,
    seen: str | None = None,
) -> ContinuingCare:
    """Three of the four areas of evidence (the fourth is the DST). `seen`: evidence_fingerprint()
    as the editor opened it (the page and the API require it); a later save is not overwritten
    (StaleEdit naming who saved it)."""
    _expect_kind(case, CaseKind.CONTINUING_CARE)
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording the assessment")
    _require_assessing(case)
    cc = ContinuingCare.objects.select_for_update().get(pk=case.continuing_care.pk)
    _refuse_stale(
        case=case, record=cc, fields=EVIDENCE_FIELDS, seen=seen, what="the evidence", action="cc_evidence"
    )
    before = {f: getattr(cc, f) for f in EVIDENCE_FIELDS}
    cc.preferences, cc.holistic_assessment, cc.professional_reports = (
        preferences.strip(),
        holistic_assessment.strip(),
        professional_reports.strip(),
    )
    cc.full_clean()
    cc.save(update_fields=list(before))
    changed = [f for f in before if before[f] != getattr(cc, f)]
    _event(case=case, actor=actor, what="Assessment evidence recorded")
    _audit(actor=actor, action="cc_evidence", case=case, changes={"changed": changed})
    case.continuing_care = cc
    return cc


def evidence_fingerprint(cc: ContinuingCare) -> str:
    """The three areas of evidence as an editor saw them, sent back with their edit (`seen`)."""
    return fingerprint(cc, EVIDENCE_FIELDS)


def _dst_saved(cc: ContinuingCare) -> dict[str, dict[str, str]]:
    """The saved scores by domain code: from the scores prefetched with their domains (a case list,
    pathways.selectors), else one query."""
    if "scores" in getattr(cc, "_prefetched_objects_cache", {}):
        rows = [(s.domain.code, s.level, s.evidence) for s in cc.scores.all()]
    else:
        rows = list(
            DSTScore.objects.filter(continuing_care=cc).values_list("domain__code", "level", "evidence")
        )
    return {code: {"level": level, "evidence": evidence} for code, level, evidence in rows}


def dst_fingerprint(cc: ContinuingCare) -> str:
    """The DST's scores as an editor saw them (at most one query), sent back with their edit (`seen`): the
    same short hash as casework.stale.fingerprint, over every scored domain."""
    payload = json.dumps(_dst_saved(cc), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


@transaction.atomic
def cc_save_dst(
    *, actor: User, case: PathwayCase, scores: Mapping[str, Mapping[str, str]], seen: str | None = None
) -> list[DSTScore]:
    """Score care domains of the DST: {domain code: {"level": ..., "evidence": ...}}.

    A level the domain does not allow (reference data, migration 0002) is refused for that domain.
    Only the health assessor scores the DST. `seen`: dst_fingerprint() as the editor opened it (the
    page and the API require it); scores saved since are not overwritten (StaleEdit naming who).
    """
    _expect_kind(case, CaseKind.CONTINUING_CARE)
    _require(access.can_assess(user=actor), "Only a health assessor records the Decision Support Tool")
    _require_assessing(case)
    locked = ContinuingCare.objects.select_for_update().get(pk=case.continuing_care.pk)
    if seen and seen != dst_fingerprint(locked):
        current = {"scores": _dst_saved(locked), "fingerprint": dst_fingerprint(locked)}
        raise _stale(case=case, what="the Decision Support Tool", action="cc_dst", current=current)
    domains = {d.code: d for d in DSTDomain.objects.all()}
    errors: dict[str, str] = {}
    if not scores:
        errors["dst"] = "Score at least one care domain"
    for code, entry in scores.items():
        domain = domains.get(code)
        level = (entry or {}).get("level") or ""
        if domain is None:
            errors[code] = "There is no such DST care domain"
        elif level not in Level.values:
            errors[code] = f"Choose a level of need for {domain.name.lower()}"
        elif level not in domain.allowed_levels:
            allowed = ", ".join(Level(v).label.lower() for v in domain.allowed_levels)
            errors[code] = f"{domain.name} cannot be scored {Level(level).label.lower()}: choose {allowed}"
        elif len(entry.get("evidence") or "") > 5000:
            errors[code] = "Evidence must be 5000 characters or fewer"
    _raise(errors)
    cc = case.continuing_care
    saved = []
    for code, entry in scores.items():
        score, _ = DSTScore.objects.update_or_create(
            continuing_care=cc,
            domain=domains[code],
            defaults={"level": entry["level"], "evidence": (entry.get("evidence") or "").strip()},
        )
        saved.append(score)
    _event(case=case, actor=actor, what=f"Decision Support Tool: {len(saved)} domain(s) scored")
    _audit(
        actor=actor,
        action="cc_dst",
        case=case,
        changes={code: entry["level"] for code, entry in scores.items()},
    )
    return saved


@transaction.atomic
def cc_recommend(
    *, actor: User, case: PathwayCase, recommendation: str, reasons: str, override_reason: str = ""
) -> PathwayCase:
    """The assessor's recommendation, with reasons. The DST prompt only suggests: a recommendation
    that goes against it needs a reason for the override."""
    _expect_kind(case, CaseKind.CONTINUING_CARE)
    _require(access.can_assess(user=actor), "Only a health assessor makes the recommendation")
    _require_assessing(case)
    cc = ContinuingCare.objects.select_for_update().get(pk=case.continuing_care.pk)
    scores = list(cc.scores.all())
    domains = list(DSTDomain.objects.all())
    errors: dict[str, str] = {}
    missing = [d.name for d in domains if d.pk not in {s.domain_id for s in scores}]
    if missing:
        errors["dst"] = f"Score every DST care domain first. Not yet scored: {', '.join(missing)}"
    for field, label in (
        ("preferences", "the child's and family's preferences"),
        ("holistic_assessment", "the holistic assessment, including carers"),
        ("professional_reports", "reports and risk assessments from professionals"),
    ):
        if not getattr(cc, field):
            errors[field] = f"Record {label} first"
    if recommendation not in Recommendation.values:
        errors["recommendation"] = "Choose whether the child has continuing care needs"
    if not (reasons or "").strip():
        errors["reasons"] = "Give the reasons for the recommendation"
    prompt = dst_prompt(scores=scores, settings=settings_for(case.lead_agency))
    against = recommendation in Recommendation.values and (
        (recommendation == Recommendation.CONTINUING_CARE_NEEDS) != prompt.suggests_needs
    )
    if against and not (override_reason or "").strip():
        errors["override_reason"] = (
            f"The DST prompt suggests {prompt.summary.lower()}: give a reason for recommending otherwise"
        )
    _raise(errors)
    cc.recommendation = recommendation
    cc.recommendation_reasons = reasons.strip()
    cc.prompt_suggested_needs = prompt.suggests_needs
    cc.override_reason = override_reason.strip() if against else ""
    cc.recommended_by, cc.recommended_on = actor, timezone.localdate()
    cc.full_clean()
    cc.save()
    case.continuing_care = cc
    return _transition(
        case=case,
        actor=actor,
        allowed_from=[Status.ASSESSMENT],
        to=Status.RECOMMENDED,
        what=f"Recommendation: {cc.get_recommendation_display().lower()}",
        note=reasons.strip(),
    )


@transaction.atomic
def cc_record_decision(
    *,
    actor: User,
    case: PathwayCase,
    decision: str,
    decided_on: dt.date,
    notes: str = "",
    panel_referral=None,
) -> PathwayCase:
    """The multi-agency decision. A panel item may be linked by its referral (the same child's)."""
    _expect_kind(case, CaseKind.CONTINUING_CARE)
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording the decision")
    cc = case.continuing_care
    errors: dict[str, str] = {}
    if decision not in Recommendation.values:
        errors["decision"] = "Choose the decision"
    if decided_on is None:
        errors["decided_on"] = "Enter the date of the decision"
    _not_future(decided_on, "decided_on", errors)
    if decided_on and decided_on < cc.referral_received_on:
        errors["decided_on"] = "The decision cannot be before the referral was received"
    if panel_referral is not None and panel_referral.child_id != case.child_id:
        errors["panel_referral"] = "Choose a referral for this child"
    _raise(errors)
    _transition(
        case=case,
        actor=actor,
        allowed_from=[Status.RECOMMENDED],
        to=Status.DECIDED,
        what=f"Decision: {Recommendation(decision).label.lower()}",
        note=notes,
        on_date=decided_on,
    )
    cc.decision, cc.decided_on, cc.decision_notes, cc.panel_referral = (
        decision,
        decided_on,
        notes,
        panel_referral,
    )
    cc.full_clean()
    cc.save(update_fields=["decision", "decided_on", "decision_notes", "panel_referral"])
    return case


@transaction.atomic
def cc_record_package(
    *,
    actor: User,
    case: PathwayCase,
    started_on: dt.date,
    phb_offered: bool,
    phb_outcome: str = "",
    funding_package_ref: int | None = None,
) -> PathwayCase:
    _expect_kind(case, CaseKind.CONTINUING_CARE)
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording the package")
    cc = case.continuing_care
    if case.status == Status.DECIDED and cc.decision != Recommendation.CONTINUING_CARE_NEEDS:
        raise InvalidTransition("The decision was that the child does not have continuing care needs")
    errors: dict[str, str] = {}
    if started_on is None:
        errors["started_on"] = "Enter the date the package starts"
    elif cc.decided_on and started_on < cc.decided_on:
        errors["started_on"] = f"The package cannot start before the decision ({cc.decided_on:%-d %B %Y})"
    if phb_offered is None:
        errors["phb_offered"] = "Say whether a personal health budget was offered"
    _raise(errors)
    _transition(
        case=case,
        actor=actor,
        allowed_from=[Status.DECIDED],
        to=Status.PACKAGE,
        what="Package in place",
        on_date=started_on,
    )
    cc.package_started_on, cc.phb_offered, cc.phb_outcome = started_on, phb_offered, phb_outcome.strip()
    cc.funding_package_ref = funding_package_ref
    cc.full_clean()
    cc.save(update_fields=["package_started_on", "phb_offered", "phb_outcome", "funding_package_ref"])
    return case


@transaction.atomic
def cc_record_transition_step(
    *, actor: User, case: PathwayCase, step: str, on_date: dt.date
) -> ContinuingCare:
    """A step of the move to adult NHS Continuing Healthcare (14: adult team told; 16-17: checklist;
    17: decision in principle; 18: package in place)."""
    _expect_kind(case, CaseKind.CONTINUING_CARE)
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording transition steps")
    if case.status == Status.CLOSED:
        raise InvalidTransition("This case is closed")
    errors: dict[str, str] = {}
    if step not in TRANSITION_STEPS:
        errors["step"] = "Choose a transition step"
    if on_date is None:
        errors["on_date"] = "Enter the date"
    _not_future(on_date, "on_date", errors)
    _raise(errors)
    cc = case.continuing_care
    setattr(cc, step, on_date)
    cc.save(update_fields=[step])
    _event(case=case, actor=actor, what=TRANSITION_STEPS[step], on_date=on_date)
    _audit(actor=actor, action="cc_transition_step", case=case, changes={step: str(on_date)})
    return cc
