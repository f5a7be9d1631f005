"""REST representations of pathway cases. Serializers only parse and present; the rules live in
pathways/services/ and come back as ValidationError (400) or InvalidTransition (409). IFR clinical
detail is included only for NHS users and panel administrators (access.can_see_ifr_clinical)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from casework.models import Agency, User
from casework.serializers import StrictCharField
from pathways.models import CaseKind, DetentionSection, IFRDecision, Recommendation, Status
from pathways.services import TRANSITION_STEPS, dst_fingerprint, evidence_fingerprint, plan_fingerprint


def _fingerprint(what: str) -> serializers.CharField:
    """What the client read, sent back with its edit (issue 13: every race has one winner)."""
    return StrictCharField(
        max_length=64,
        help_text=f"`{what}` of the case as you read it: if someone saved it since, 409 naming who; "
        "left out, 428 and nothing is saved",
    )


def _text(required: bool = False) -> serializers.CharField:
    return StrictCharField(
        max_length=5000,
        required=required,
        allow_blank=not required,
        default="" if not required else serializers.empty,
    )


def _agency() -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())


def _worker() -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )


# Request bodies. Each names its own schema component ("Pathway..."; set on every class, as a
# subclass would inherit its parent's): class names like DecisionSerializer are used elsewhere too.


@extend_schema_serializer(component_name="PathwayOpen")
class OpenSerializer(serializers.Serializer):
    lead_agency = _agency()
    case_worker = _worker()


@extend_schema_serializer(component_name="PathwayContinuingCareOpen")
class ContinuingCareOpenSerializer(OpenSerializer):
    referral_received_on = serializers.DateField()


@extend_schema_serializer(component_name="PathwaySection117Open")
class Section117OpenSerializer(OpenSerializer):
    detention_section = serializers.ChoiceField(choices=DetentionSection.choices)
    detained_on = serializers.DateField()
    discharged_on = serializers.DateField(required=False, allow_null=True, default=None)
    cto_in_force = serializers.BooleanField(default=False)
    responsible_icb = _agency()
    responsible_council = _agency()
    ordinary_residence = _text()


@extend_schema_serializer(component_name="PathwayComplexLivesOpen")
class ComplexLivesOpenSerializer(OpenSerializer):
    unmet_need = _text(required=True)
    # Why a Complex Lives case is needed as well: required while the child has an open Continuing
    # Care case (services.complex_lives_open answers 400 on "reason" without it).
    reason = _text()


@extend_schema_serializer(component_name="PathwayIfrSubmit")
class IFRSubmitSerializer(serializers.Serializer):
    treatment = _text(required=True)
    exceptionality = _text(required=True)
    evidence = _text()
    case_worker = _worker()


@extend_schema_serializer(component_name="PathwayChecklist")
class ChecklistSerializer(serializers.Serializer):
    completed_on = serializers.DateField()
    full_assessment_needed = serializers.BooleanField()
    notes = _text()


@extend_schema_serializer(component_name="PathwayEvidence")
class EvidenceSerializer(serializers.Serializer):
    fingerprint = _fingerprint("continuing_care.evidence_fingerprint")
    preferences = _text(required=True)
    holistic_assessment = _text(required=True)
    professional_reports = _text(required=True)


@extend_schema_serializer(component_name="PathwayScore")
class ScoreSerializer(serializers.Serializer):
    level = StrictCharField(max_length=20)
    evidence = _text()


@extend_schema_serializer(component_name="PathwayDST")
class DSTSerializer(serializers.Serializer):
    fingerprint = _fingerprint("continuing_care.dst_fingerprint")
    scores = serializers.DictField(child=ScoreSerializer(), allow_empty=False)


@extend_schema_serializer(component_name="PathwayRecommend")
class RecommendSerializer(serializers.Serializer):
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    reasons = _text(required=True)
    override_reason = _text()


@extend_schema_serializer(component_name="PathwayDecision")
class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Recommendation.choices)
    decided_on = serializers.DateField()
    notes = _text()
    panel_referral = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


@extend_schema_serializer(component_name="PathwayPackage")
class PackageSerializer(serializers.Serializer):
    started_on = serializers.DateField()
    phb_offered = serializers.BooleanField()
    phb_outcome = _text()
    funding_package_ref = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


@extend_schema_serializer(component_name="PathwayTransition")
class TransitionSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=list(TRANSITION_STEPS.items()))
    on_date = serializers.DateField()


@extend_schema_serializer(component_name="PathwayReview")
class ReviewSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    notes = _text()


@extend_schema_serializer(component_name="PathwayReason")
class ReasonSerializer(serializers.Serializer):
    reason = _text(required=True)


@extend_schema_serializer(component_name="PathwayS117Plan")
class S117PlanSerializer(serializers.Serializer):
    fingerprint = _fingerprint("section_117.plan_fingerprint")
    discharged_on = serializers.DateField(required=False, allow_null=True)
    cto_in_force = serializers.BooleanField(required=False)
    plan_needs = StrictCharField(max_length=5000, required=False, allow_blank=True)
    plan_services = StrictCharField(max_length=5000, required=False, allow_blank=True)
    plan_providers = StrictCharField(max_length=5000, required=False, allow_blank=True)
    funding_package_ref = serializers.IntegerField(required=False, allow_null=True, min_value=1)


@extend_schema_serializer(component_name="PathwayMDT")
class MDTSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    agencies = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), many=True)
    attendees = _text(required=True)
    unmet_need = _text(required=True)
    options = _text()
    outcome = _text(required=True)
    actions = _text()


@extend_schema_serializer(component_name="PathwayIfrDecision")
class IFRDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=IFRDecision.choices)
    reasons = _text()


@extend_schema_serializer(component_name="PathwayIfrInformation")
class IFRInformationSerializer(serializers.Serializer):
    information = _text(required=True)


# --- Output ---------------------------------------------------------------------------------------


def _date(value):
    return value.isoformat() if value else None


def _package_url(ref: int | None) -> str | None:
    """The recorded funding package's own resource in this API (GET /api/funding/packages/<id>/), as
    the funding endpoints name a package: its id there is the number its page shows ("Funding package
    12"). No query: one the caller cannot see answers 404 there, as any package they cannot see."""
    return reverse("api-funding-package", args=[ref]) if ref else None


def case_data(summary) -> dict:
    """A case summary (selectors.CaseSummary) as JSON-ready data."""
    case = summary.case
    due = summary.next_due
    data = {
        "id": case.pk,
        "child": case.child_id,
        "kind": case.kind,
        "status": case.status,
        "status_label": case.get_status_display(),
        "lead_agency": {"id": case.lead_agency_id, "name": case.lead_agency.name},
        "case_worker": {"id": case.case_worker_id, "name": case.case_worker.full_name}
        if case.case_worker
        else None,
        "opened_on": _date(case.opened_on),
        "next_due": {"label": due.label, "on": _date(due.on), "overdue": due.overdue} if due else None,
        "key_dates": [{"label": label, "on": _date(day)} for label, day in summary.key_dates],
        "events": [
            {
                "on": _date(e.on_date),
                "what": e.what,
                "note": e.note,
                "by": e.actor.full_name,
                "to_status": e.to_status,
            }
            for e in summary.events
        ],
    }
    if case.kind == "continuing_care":
        cc = case.continuing_care
        data["continuing_care"] = {
            "referral_received_on": _date(cc.referral_received_on),
            "decision_due_on": _date(cc.decision_due_on),
            "checklist_completed_on": _date(cc.checklist_completed_on),
            "preferences": cc.preferences,
            "holistic_assessment": cc.holistic_assessment,
            "professional_reports": cc.professional_reports,
            "recommendation": cc.recommendation,
            "recommendation_reasons": cc.recommendation_reasons,
            "prompt_suggested_needs": cc.prompt_suggested_needs,
            "override_reason": cc.override_reason,
            "decision": cc.decision,
            "decided_on": _date(cc.decided_on),
            "panel_referral": cc.panel_referral_id,
            "package_started_on": _date(cc.package_started_on),
            "funding_package_ref": cc.funding_package_ref,
            "funding_package_url": _package_url(cc.funding_package_ref),
            "phb_offered": cc.phb_offered,
            "phb_outcome": cc.phb_outcome,
            "evidence_fingerprint": evidence_fingerprint(cc),
            "dst_fingerprint": dst_fingerprint(cc),
        }
    elif case.kind == "section_117":
        s = case.section_117
        data["section_117"] = {
            "detention_section": s.detention_section,
            "detained_on": _date(s.detained_on),
            "discharged_on": _date(s.discharged_on),
            "cto_in_force": s.cto_in_force,
            "responsible_icb": s.responsible_icb_id,
            "responsible_council": s.responsible_council_id,
            "ordinary_residence": s.ordinary_residence,
            "plan_needs": s.plan_needs,
            "plan_services": s.plan_services,
            "plan_providers": s.plan_providers,
            "funding_package_ref": s.funding_package_ref,
            "funding_package_url": _package_url(s.funding_package_ref),
            "icb_confirmed_end": bool(s.icb_end_by_id),
            "council_confirmed_end": bool(s.council_end_by_id),
            "plan_fingerprint": plan_fingerprint(s),
        }
    elif case.kind == "complex_lives":
        data["complex_lives"] = {"unmet_need": case.complex_lives.unmet_need}
    elif case.kind == "ifr":
        ifr = case.ifr
        data["ifr"] = {"submitted_on": _date(ifr.submitted_on), "decision_due_on": _date(ifr.decision_due_on)}
        if summary.show_clinical:
            data["ifr"].update(
                treatment=ifr.treatment,
                exceptionality=ifr.exceptionality,
                evidence=ifr.evidence,
                decision=ifr.decision,
                decision_reasons=ifr.decision_reasons,
                appeal_reason=ifr.appeal_reason,
            )
    return data


# --- Response shapes --------------------------------------------------------------------------------
# These only document what case_data (above) returns; the API builds its responses with case_data.


_REF_HELP = (
    "The recorded funding package's number (the `id` of /api/funding/packages/, and the number its "
    "page shows: 'Funding package 12'); null if none"
)
_URL_HELP = "The recorded funding package in this API (`funding_package_ref`'s resource); null if none"


class PathwayRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PathwayDueSerializer(serializers.Serializer):
    label = serializers.CharField()
    on = serializers.DateField()
    overdue = serializers.BooleanField()


class PathwayKeyDateSerializer(serializers.Serializer):
    label = serializers.CharField()
    on = serializers.DateField()


class PathwayEventSerializer(serializers.Serializer):
    on = serializers.DateField()
    what = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    by = serializers.CharField(help_text="Who recorded it")
    to_status = serializers.ChoiceField(
        choices=Status.choices, allow_blank=True, help_text="The status the case moved into; blank if none"
    )


class PathwayContinuingCareDetailSerializer(serializers.Serializer):
    referral_received_on = serializers.DateField()
    decision_due_on = serializers.DateField()
    checklist_completed_on = serializers.DateField(allow_null=True)
    preferences = serializers.CharField(allow_blank=True)
    holistic_assessment = serializers.CharField(allow_blank=True)
    professional_reports = serializers.CharField(allow_blank=True)
    recommendation = serializers.ChoiceField(choices=Recommendation.choices, allow_blank=True)
    recommendation_reasons = serializers.CharField(allow_blank=True)
    prompt_suggested_needs = serializers.BooleanField(
        allow_null=True, help_text="What the DST prompt said when recommending"
    )
    override_reason = serializers.CharField(allow_blank=True)
    decision = serializers.ChoiceField(choices=Recommendation.choices, allow_blank=True)
    decided_on = serializers.DateField(allow_null=True)
    panel_referral = serializers.IntegerField(allow_null=True, help_text="The panel referral's number")
    package_started_on = serializers.DateField(allow_null=True)
    funding_package_ref = serializers.IntegerField(allow_null=True, help_text=_REF_HELP)
    funding_package_url = serializers.CharField(allow_null=True, help_text=_URL_HELP)
    phb_offered = serializers.BooleanField(allow_null=True, help_text="Personal health budget offered")
    phb_outcome = serializers.CharField(allow_blank=True)
    evidence_fingerprint = serializers.CharField(help_text="Send back as `fingerprint` with an evidence edit")
    dst_fingerprint = serializers.CharField(help_text="Send back as `fingerprint` with a DST edit")


class PathwaySection117DetailSerializer(serializers.Serializer):
    detention_section = serializers.ChoiceField(choices=DetentionSection.choices)
    detained_on = serializers.DateField()
    discharged_on = serializers.DateField(allow_null=True)
    cto_in_force = serializers.BooleanField()
    responsible_icb = serializers.IntegerField(help_text="The responsible ICB's agency id")
    responsible_council = serializers.IntegerField(help_text="The responsible council's agency id")
    ordinary_residence = serializers.CharField(allow_blank=True)
    plan_needs = serializers.CharField(allow_blank=True)
    plan_services = serializers.CharField(allow_blank=True)
    plan_providers = serializers.CharField(allow_blank=True)
    funding_package_ref = serializers.IntegerField(allow_null=True, help_text=_REF_HELP)
    funding_package_url = serializers.CharField(allow_null=True, help_text=_URL_HELP)
    icb_confirmed_end = serializers.BooleanField()
    council_confirmed_end = serializers.BooleanField()
    plan_fingerprint = serializers.CharField(
        help_text="Send back as `fingerprint` with an aftercare plan edit"
    )


class PathwayComplexLivesDetailSerializer(serializers.Serializer):
    unmet_need = serializers.CharField(allow_blank=True)


class PathwayIfrDetailSerializer(serializers.Serializer):
    """The fields from treatment on are present only for NHS users and panel administrators."""

    submitted_on = serializers.DateField()
    decision_due_on = serializers.DateField()
    treatment = serializers.CharField(required=False, allow_blank=True)
    exceptionality = serializers.CharField(required=False, allow_blank=True)
    evidence = serializers.CharField(required=False, allow_blank=True)
    decision = serializers.ChoiceField(choices=IFRDecision.choices, required=False, allow_blank=True)
    decision_reasons = serializers.CharField(required=False, allow_blank=True)
    appeal_reason = serializers.CharField(required=False, allow_blank=True)


class PathwayCaseSerializer(serializers.Serializer):
    """A pathway case. Exactly one of continuing_care, section_117, complex_lives and ifr is present:
    the one for its kind."""

    id = serializers.IntegerField()
    child = serializers.IntegerField(help_text="The child's id")
    kind = serializers.ChoiceField(choices=CaseKind.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    lead_agency = PathwayRefSerializer()
    case_worker = PathwayRefSerializer(allow_null=True)
    opened_on = serializers.DateField()
    next_due = PathwayDueSerializer(allow_null=True, help_text="What is due next, if anything")
    key_dates = PathwayKeyDateSerializer(many=True)
    events = PathwayEventSerializer(many=True)
    continuing_care = PathwayContinuingCareDetailSerializer(required=False)
    section_117 = PathwaySection117DetailSerializer(required=False)
    complex_lives = PathwayComplexLivesDetailSerializer(required=False)
    ifr = PathwayIfrDetailSerializer(required=False)


class PathwayCaseListSerializer(serializers.Serializer):
    results = PathwayCaseSerializer(many=True)
