"""Every write to pathway cases. Pages and the API both call these.

Each service is keyword-only, atomic, checks the actor's role, validates (ValidationError keyed by
field, so a page shows it next to the field and the API answers 400), changes status by
compare-and-swap (another change first → InvalidTransition, 409), adds a line to the case's
timeline and writes an audit event against the child.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import Agency, AgencyKind, Child, User
from casework.services import InvalidTransition
from casework.stale import refuse_if_stale
from pathways import access
from pathways.models import (
    QUALIFYING_SECTIONS,
    CaseEvent,
    CaseKind,
    CaseReview,
    ComplexLives,
    ContinuingCare,
    DetentionSection,
    DSTDomain,
    DSTScore,
    IFRDecision,
    IndividualFundingRequest,
    Level,
    MDTMeeting,
    PathwayCase,
    Recommendation,
    Section117,
    Status,
)
from pathways.selectors import dst_prompt, settings_for

__all__ = [
    "case_close",
    "cc_open",
    "cc_record_checklist",
    "cc_record_decision",
    "cc_record_evidence",
    "cc_record_package",
    "cc_record_transition_step",
    "cc_recommend",
    "cc_save_dst",
    "complex_lives_open",
    "ifr_add_information",
    "ifr_decide",
    "ifr_request_appeal",
    "ifr_submit",
    "mdt_record",
    "review_record",
    "s117_confirm_end",
    "s117_open",
    "s117_update",
]

S2_REFUSAL = (
    "Section 2 (detention for assessment) does not give a right to section 117 aftercare. "
    "Aftercare follows detention for treatment under section 3, 37, 45A, 47 or 48"
)
TRANSITION_STEPS = {
    "adult_team_told_on": "Adult team told",
    "adult_checklist_on": "Adult NHS Continuing Healthcare checklist done",
    "decision_in_principle_on": "Adult decision in principle",
    "adult_package_on": "Adult package in place",
}


# --- Shared helpers ----------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


def _not_future(value: dt.date | None, field: str, errors: dict[str, str]) -> None:
    if value is not None and value > timezone.localdate():
        errors[field] = "The date must be today or in the past"


def _raise(errors: Mapping[str, str]) -> None:
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})


def _event(
    *,
    case: PathwayCase,
    actor: User,
    what: str,
    note: str = "",
    on_date: dt.date | None = None,
    from_status: str = "",
    to_status: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        what=what,
        actor=actor,
        note=note,
        on_date=on_date or timezone.localdate(),
        from_status=from_status,
        to_status=to_status,
    )


def _audit(*, actor: User, action: str, case: PathwayCase, changes: dict[str, Any] | None = None) -> None:
    record_event(actor=actor, action=f"pathways.{action}", obj=case, changes=changes or {}, child=case.child)


def _transition(
    *,
    case: PathwayCase,
    actor: User,
    allowed_from: Iterable[str],
    to: str,
    what: str,
    note: str = "",
    on_date: dt.date | None = None,
) -> PathwayCase:
    """Compare-and-swap the status: if someone moved the case on first, it is a conflict."""
    allowed_from = list(allowed_from)
    old = case.status
    if old not in allowed_from:
        raise InvalidTransition(
            f"This case is {case.get_status_display().lower()}: it cannot be changed like that now"
        )
    now = timezone.now()
    if PathwayCase.objects.filter(pk=case.pk, status=old).update(status=to, updated_at=now) != 1:
        raise InvalidTransition("Someone else changed this case first. Reload it and try again")
    case.status, case.updated_at = to, now
    _event(case=case, actor=actor, what=what, note=note, on_date=on_date, from_status=old, to_status=to)
    _audit(actor=actor, action="case_status", case=case, changes={"status": [old, to], "what": what})
    return case


def _expect_kind(case: PathwayCase, kind: str) -> None:
    if case.kind != kind:
        raise InvalidTransition(f"This is a {case.get_kind_display()} case")


def _check_people(
    *, child: Child, lead_agency: Agency, case_worker: User | None, errors: dict[str, str]
) -> None:
    involved = set(access.involved_agencies(child=child).values_list("pk", flat=True))
    if lead_agency.pk not in involved:
        errors["lead_agency"] = "Choose an agency involved with the child as the lead agency"
    if case_worker is not None and (not case_worker.is_active or case_worker.agency_id not in involved):
        errors["case_worker"] = "Choose a case worker from an agency involved with the child"


def _open(
    *,
    actor: User,
    child: Child,
    kind: str,
    lead_agency: Agency,
    case_worker: User | None,
    status: str,
    what: str,
    note: str = "",
) -> PathwayCase:
    case = PathwayCase.objects.create(
        child=child,
        kind=kind,
        lead_agency=lead_agency,
        case_worker=case_worker,
        status=status,
        created_by=actor,
    )
    _event(case=case, actor=actor, what=what, note=note, to_status=status)
    _audit(
        actor=actor,
        action=f"{kind}_open",
        case=case,
        changes={"lead_agency": lead_agency.pk, "case_worker": case_worker.pk if case_worker else None},
    )
    return case


def _months(day: dt.date, months: int) -> dt.date:
    from dateutil.relativedelta import relativedelta

    return day + relativedelta(months=months)


# --- Continuing Care --------------------------------------------------------------------------


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
    """Three of the four areas of evidence (the fourth is the DST). `seen`: the evidence's
    fingerprint (casework.stale.fingerprint) as the editor opened it; a later save is not overwritten."""
    _expect_kind(case, CaseKind.CONTINUING_CARE)
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording the assessment")
    _require_assessing(case)
    cc = ContinuingCare.objects.select_for_update().get(pk=case.continuing_care.pk)
    refuse_if_stale(
        record=cc,
        fields=EVIDENCE_FIELDS,
        seen=seen,
        message="Someone else changed the evidence since you opened it. Reload it and try again",
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


@transaction.atomic
def cc_save_dst(*, actor: User, case: PathwayCase, scores: Mapping[str, Mapping[str, str]]) -> list[DSTScore]:
    """Score care domains of the DST: {domain code: {"level": ..., "evidence": ...}}.

    A level the domain does not allow (reference data, migration 0002) is refused for that domain.
    Only the health assessor scores the DST.
    """
    _expect_kind(case, CaseKind.CONTINUING_CARE)
    _require(access.can_assess(user=actor), "Only a health assessor records the Decision Support Tool")
    _require_assessing(case)
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


# --- Reviews (Continuing Care and Section 117) ------------------------------------------------


@transaction.atomic
def review_record(*, actor: User, case: PathwayCase, held_on: dt.date, notes: str = "") -> CaseReview:
    """A review of a package in place (Continuing Care) or of aftercare (Section 117)."""
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording reviews")
    if case.kind == CaseKind.CONTINUING_CARE:
        if case.status != Status.PACKAGE:
            raise InvalidTransition("Reviews are recorded once the package is in place")
        starts, start_label = case.continuing_care.package_started_on, "the package started"
    elif case.kind == CaseKind.SECTION_117:
        if case.status != Status.AFTERCARE:
            raise InvalidTransition("Reviews are recorded while aftercare continues")
        s117 = case.section_117
        starts, start_label = s117.discharged_on or s117.detained_on, "aftercare began"
    else:
        raise InvalidTransition("This kind of case has no reviews")
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = "Enter the date of the review"
    elif held_on < starts:
        errors["held_on"] = f"The review date must be on or after the date {start_label} ({starts:%-d %B %Y})"
    _not_future(held_on, "held_on", errors)
    _raise(errors)
    review = CaseReview(case=case, held_on=held_on, notes=notes.strip(), recorded_by=actor)
    review.full_clean()
    review.save()
    _event(case=case, actor=actor, what="Review held", note=review.notes, on_date=held_on)
    _audit(actor=actor, action="review", case=case, changes={"held_on": str(held_on)})
    return review


@transaction.atomic
def case_close(*, actor: User, case: PathwayCase, reason: str) -> PathwayCase:
    _require(access.can_edit_cases(user=actor), "Your role does not allow closing pathway cases")
    if case.kind == CaseKind.SECTION_117:
        raise InvalidTransition(
            "Section 117 aftercare ends only by a joint decision of the ICB and the council"
        )
    if not (reason or "").strip():
        _raise({"reason": "Give the reason for closing the case"})
    open_statuses = [s for s in Status.values if s not in (Status.CLOSED, Status.ENDED)]
    return _transition(
        case=case,
        actor=actor,
        allowed_from=open_statuses,
        to=Status.CLOSED,
        what="Case closed",
        note=reason.strip(),
    )


# --- Section 117 aftercare --------------------------------------------------------------------


def _check_s117(fields: Mapping[str, Any], errors: dict[str, str]) -> None:
    section = fields.get("detention_section") or ""
    if section == DetentionSection.S2:
        errors["detention_section"] = S2_REFUSAL
    elif section not in QUALIFYING_SECTIONS:
        errors["detention_section"] = (
            "Choose the section of the Mental Health Act the child was detained under"
        )
    detained, discharged = fields.get("detained_on"), fields.get("discharged_on")
    if detained is None:
        errors["detained_on"] = "Enter the date of detention"
    _not_future(detained, "detained_on", errors)
    _not_future(discharged, "discharged_on", errors)
    if detained and discharged and discharged < detained:
        errors["discharged_on"] = "The discharge date must be on or after the date of detention"


@transaction.atomic
def s117_open(
    *, actor: User, child: Child, lead_agency: Agency, case_worker: User | None, fields: Mapping[str, Any]
) -> PathwayCase:
    """Mental Health Act 1983 s117: aftercare follows detention under s3, 37, 45A, 47 or 48, never
    s2; the duty falls jointly on the ICB and the council where the child ordinarily lived before
    detention. fields: detention_section, detained_on, discharged_on, cto_in_force,
    responsible_icb, responsible_council, ordinary_residence."""
    _require(access.can_edit_cases(user=actor), "Your role does not allow opening pathway cases")
    errors: dict[str, str] = {}
    _check_s117(fields, errors)
    _check_people(child=child, lead_agency=lead_agency, case_worker=case_worker, errors=errors)
    icb, council = fields.get("responsible_icb"), fields.get("responsible_council")
    involved = set(access.involved_agencies(child=child).values_list("pk", flat=True))
    if icb is None or icb.kind != AgencyKind.ICB:
        errors["responsible_icb"] = "Choose the responsible ICB"
    elif icb.pk not in involved:
        errors["responsible_icb"] = "The responsible ICB must be involved with the child: add it first"
    if council is None or council.kind not in access.COUNCIL_KINDS:
        errors["responsible_council"] = "Choose the responsible council"
    elif council.pk not in involved:
        errors["responsible_council"] = (
            "The responsible council must be involved with the child: add it first"
        )
    _raise(errors)
    case = _open(
        actor=actor,
        child=child,
        kind=CaseKind.SECTION_117,
        lead_agency=lead_agency,
        case_worker=case_worker,
        status=Status.AFTERCARE,
        what=f"Section 117 aftercare: detained under section {fields['detention_section']}",
    )
    s117 = Section117(
        case=case,
        detention_section=fields["detention_section"],
        detained_on=fields["detained_on"],
        discharged_on=fields.get("discharged_on"),
        cto_in_force=bool(fields.get("cto_in_force")),
        responsible_icb=icb,
        responsible_council=council,
        ordinary_residence=(fields.get("ordinary_residence") or "").strip(),
    )
    s117.full_clean()
    s117.save()
    return case


S117_UPDATABLE = (
    "discharged_on",
    "cto_in_force",
    "plan_needs",
    "plan_services",
    "plan_providers",
    "funding_package_ref",
)


@transaction.atomic
def s117_update(
    *, actor: User, case: PathwayCase, fields: Mapping[str, Any], seen: str | None = None
) -> Section117:
    """The aftercare plan (needs, services, who provides), joint funding reference, discharge and CTO.
    `seen`: the plan's fingerprint (casework.stale.fingerprint of S117_UPDATABLE) as the editor
    opened it; a later save is not overwritten."""
    _expect_kind(case, CaseKind.SECTION_117)
    _require(access.can_edit_cases(user=actor), "Your role does not allow changing the aftercare plan")
    if case.status != Status.AFTERCARE:
        raise InvalidTransition("Aftercare has ended")
    s117 = Section117.objects.select_for_update().get(pk=case.section_117.pk)
    refuse_if_stale(
        record=s117,
        fields=S117_UPDATABLE,
        seen=seen,
        message="Someone else changed the aftercare plan since you opened it. Reload it and try again",
    )
    errors: dict[str, str] = {}
    unknown = set(fields) - set(S117_UPDATABLE)
    if unknown:
        errors[sorted(unknown)[0]] = "This cannot be changed here"
    discharged = fields.get("discharged_on", s117.discharged_on)
    _not_future(discharged, "discharged_on", errors)
    if discharged and discharged < s117.detained_on:
        errors["discharged_on"] = "The discharge date must be on or after the date of detention"
    _raise(errors)
    before = {f: getattr(s117, f) for f in S117_UPDATABLE}
    for name, value in fields.items():
        setattr(s117, name, value.strip() if isinstance(value, str) else value)
    s117.full_clean()
    s117.save()
    changes = {
        f: [str(before[f]), str(getattr(s117, f))] for f in S117_UPDATABLE if before[f] != getattr(s117, f)
    }
    _event(case=case, actor=actor, what="Aftercare plan updated", note=", ".join(changes))
    _audit(actor=actor, action="s117_update", case=case, changes=changes)
    case.section_117 = s117
    return s117


@transaction.atomic
def s117_confirm_end(*, actor: User, case: PathwayCase, reason: str) -> PathwayCase:
    """Aftercare ends only by a joint decision: the responsible ICB and the responsible council each
    confirm (two people, one of each), and never while a community treatment order is in force."""
    _expect_kind(case, CaseKind.SECTION_117)
    s117 = Section117.objects.select_for_update().get(pk=case.section_117.pk)
    side = access.s117_side(user=actor, s117=s117)
    _require(side is not None, "Only the responsible ICB or council can confirm ending aftercare")
    if case.status != Status.AFTERCARE:
        raise InvalidTransition("Aftercare has already ended")
    errors: dict[str, str] = {}
    if s117.cto_in_force:
        errors["reason"] = "Aftercare cannot end while a community treatment order is in force"
    elif not (reason or "").strip():
        errors["reason"] = "Give the reason aftercare is no longer needed"
    elif getattr(s117, f"{side}_end_by_id"):
        label = "ICB" if side == "icb" else "council"
        errors["reason"] = f"The {label} has already confirmed: the other agency must confirm too"
    _raise(errors)
    now = timezone.now()
    setattr(s117, f"{side}_end_by", actor)
    setattr(s117, f"{side}_end_at", now)
    s117.end_reason = "\n".join(filter(None, [s117.end_reason, f"{actor.agency}: {reason.strip()}"]))
    s117.save(update_fields=[f"{side}_end_by", f"{side}_end_at", "end_reason"])
    label = "ICB" if side == "icb" else "Council"
    _event(case=case, actor=actor, what=f"{label} confirmed aftercare can end", note=reason.strip())
    _audit(actor=actor, action="s117_confirm_end", case=case, changes={"side": side})
    case.section_117 = s117
    if s117.icb_end_by_id and s117.council_end_by_id:
        _transition(
            case=case,
            actor=actor,
            allowed_from=[Status.AFTERCARE],
            to=Status.ENDED,
            what="Section 117 aftercare ended by joint decision",
        )
    return case


# --- Complex Lives ----------------------------------------------------------------------------


@transaction.atomic
def complex_lives_open(
    *, actor: User, child: Child, lead_agency: Agency, case_worker: User | None, unmet_need: str
) -> PathwayCase:
    """For an unmet health need no other route covers."""
    _require(access.can_edit_cases(user=actor), "Your role does not allow opening pathway cases")
    errors: dict[str, str] = {}
    _check_people(child=child, lead_agency=lead_agency, case_worker=case_worker, errors=errors)
    if not (unmet_need or "").strip():
        errors["unmet_need"] = "Describe the unmet health need"
    _raise(errors)
    case = _open(
        actor=actor,
        child=child,
        kind=CaseKind.COMPLEX_LIVES,
        lead_agency=lead_agency,
        case_worker=case_worker,
        status=Status.OPEN,
        what="Complex Lives case opened",
        note=unmet_need.strip(),
    )
    cl = ComplexLives(case=case, unmet_need=unmet_need.strip())
    cl.full_clean()
    cl.save()
    return case


@transaction.atomic
def mdt_record(
    *, actor: User, case: PathwayCase, fields: Mapping[str, Any], agencies: Iterable[Agency]
) -> MDTMeeting:
    """An MDT meeting: date, attendees by agency, the unmet need, options, outcome and actions (text)."""
    _expect_kind(case, CaseKind.COMPLEX_LIVES)
    _require(access.can_edit_cases(user=actor), "Your role does not allow recording MDT meetings")
    if case.status != Status.OPEN:
        raise InvalidTransition("This case is closed")
    agencies = list(agencies)
    errors: dict[str, str] = {}
    involved = set(access.involved_agencies(child=case.child).values_list("pk", flat=True))
    if not agencies:
        errors["agencies"] = "Choose the agencies that attended"
    elif any(a.pk not in involved for a in agencies):
        errors["agencies"] = "Choose agencies involved with the child"
    if fields.get("held_on") is None:
        errors["held_on"] = "Enter the date of the meeting"
    _not_future(fields.get("held_on"), "held_on", errors)
    required = {
        "attendees": "List who attended",
        "unmet_need": "Describe the unmet need discussed",
        "outcome": "Record the outcome",
    }
    errors.update({name: msg for name, msg in required.items() if not (fields.get(name) or "").strip()})
    _raise(errors)
    meeting = MDTMeeting(
        case=case,
        recorded_by=actor,
        **{
            k: (v.strip() if isinstance(v, str) else v)
            for k, v in fields.items()
            if k in ("held_on", "attendees", "unmet_need", "options", "outcome", "actions")
        },
    )
    meeting.full_clean()
    meeting.save()
    meeting.agencies.set(agencies)
    _event(case=case, actor=actor, what="MDT meeting held", note=meeting.outcome, on_date=meeting.held_on)
    _audit(actor=actor, action="mdt_record", case=case, changes={"held_on": str(meeting.held_on)})
    return meeting


# --- Individual Funding Requests --------------------------------------------------------------


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
    from panels.working_days import add_working_days

    _require(
        access.can_submit_ifr(user=actor),
        "Only an NHS clinician (a health assessor of an ICB or NHS trust) can submit an IFR",
    )
    errors: dict[str, str] = {}
    _check_people(child=child, lead_agency=actor.agency, case_worker=case_worker, errors=errors)
    if "lead_agency" in errors:
        errors["treatment"] = "Your agency must be involved with the child to submit an IFR"
        del errors["lead_agency"]
    if not (treatment or "").strip():
        errors["treatment"] = "Describe the treatment requested"
    if not (exceptionality or "").strip():
        errors["exceptionality"] = "Set out why the child's clinical circumstances are exceptional"
    _raise(errors)
    today = timezone.localdate()
    days = settings_for(actor.agency).ifr_decision_working_days
    case = _open(
        actor=actor,
        child=child,
        kind=CaseKind.IFR,
        lead_agency=actor.agency,
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
    elif decision == IFRDecision.DECLINED and not (reasons or "").strip():
        errors["reasons"] = "Give the reasons the request was declined"
    elif decision == IFRDecision.MORE_INFORMATION and not (reasons or "").strip():
        errors["reasons"] = "Say what more information the panel needs"
    _raise(errors)
    to = {
        IFRDecision.APPROVED: Status.APPROVED,
        IFRDecision.DECLINED: Status.DECLINED,
        IFRDecision.MORE_INFORMATION: Status.MORE_INFORMATION,
    }[decision]
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
