"""The REST API for pathway cases: the same operations as the pages, through the same services
and access checks. Every case comes from pathways/access.py (one the caller cannot see is a 404);
errors are mapped in casework/api_errors.py (400 field messages, 403, 404, 409)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.access import NotAllowed, get_child_for_user
from casework.api_kit import (
    ERROR,
    ERRORS,
    PRECONDITION_REQUIRED,
    READ_ERRORS,
    field_errors,
    parsed,
    require_precondition,
)
from casework.audit import record_child_view
from pathways import access, selectors, services
from pathways import serializers as s
from pathways.models import CaseKind
from referrals import access as referral_access

OPENERS = {
    "continuing-care": (s.ContinuingCareOpenSerializer, CaseKind.CONTINUING_CARE),
    "section-117": (s.Section117OpenSerializer, CaseKind.SECTION_117),
    "complex-lives": (s.ComplexLivesOpenSerializer, CaseKind.COMPLEX_LIVES),
    "ifr": (s.IFRSubmitSerializer, CaseKind.IFR),
}


def _decision(actor, case, d):
    number = d.pop("panel_referral")
    referral = None
    if number:
        try:
            referral = referral_access.get_referral_for_user(user=actor, pk=number)
        except Http404:
            raise ValidationError(
                {"panel_referral": ["There is no referral with this number for you"]}
            ) from None
    return services.cc_record_decision(actor=actor, case=case, panel_referral=referral, **d)


NO_SUCH_PACKAGE = "Choose one of the child's funding packages that you can see"


def _check_package(actor, case, ref, *, saved=None) -> None:
    """`funding_package_ref` stays an id here (a system interface), but only one of the case's child's
    packages this person can see (pathways.selectors.funding_packages_for_case, as the pages offer
    them); any other id, of a package that exists or not, gets the same 400. The id already saved
    (`saved`) may be sent back unchanged."""
    if ref is None or ref == saved:
        return
    if not selectors.is_funding_package_for_case(user=actor, case=case, pk=ref):
        raise ValidationError({"funding_package_ref": [NO_SUCH_PACKAGE]})


def _package(actor, case, d):
    _check_package(actor, case, d.get("funding_package_ref"))
    return services.cc_record_package(actor=actor, case=case, **d)


def _aftercare_plan(actor, case, d):
    if "funding_package_ref" in d:
        saved = case.section_117.funding_package_ref if case.kind == CaseKind.SECTION_117 else None
        _check_package(actor, case, d["funding_package_ref"], saved=saved)
    return services.s117_update(actor=actor, case=case, seen=d.pop("fingerprint"), fields=d)


def _mdt(actor, case, d):
    agencies = d.pop("agencies")
    return services.mdt_record(actor=actor, case=case, fields=d, agencies=agencies)


ACTIONS = {
    "checklist": (s.ChecklistSerializer, lambda a, c, d: services.cc_record_checklist(actor=a, case=c, **d)),
    "evidence": (
        s.EvidenceSerializer,
        lambda a, c, d: services.cc_record_evidence(actor=a, case=c, seen=d.pop("fingerprint"), **d),
    ),
    "dst": (
        s.DSTSerializer,
        lambda a, c, d: services.cc_save_dst(actor=a, case=c, scores=d["scores"], seen=d["fingerprint"]),
    ),
    "recommendation": (s.RecommendSerializer, lambda a, c, d: services.cc_recommend(actor=a, case=c, **d)),
    "decision": (s.DecisionSerializer, _decision),
    "package": (s.PackageSerializer, _package),
    "transition": (
        s.TransitionSerializer,
        lambda a, c, d: services.cc_record_transition_step(actor=a, case=c, **d),
    ),
    "reviews": (s.ReviewSerializer, lambda a, c, d: services.review_record(actor=a, case=c, **d)),
    "close": (s.ReasonSerializer, lambda a, c, d: services.case_close(actor=a, case=c, **d)),
    "aftercare-plan": (s.S117PlanSerializer, _aftercare_plan),
    "end-aftercare": (s.ReasonSerializer, lambda a, c, d: services.s117_confirm_end(actor=a, case=c, **d)),
    "mdt": (s.MDTSerializer, _mdt),
    "ifr-decision": (s.IFRDecisionSerializer, lambda a, c, d: services.ifr_decide(actor=a, case=c, **d)),
    "ifr-information": (
        s.IFRInformationSerializer,
        lambda a, c, d: services.ifr_add_information(actor=a, case=c, **d),
    ),
    "ifr-appeal": (s.ReasonSerializer, lambda a, c, d: services.ifr_request_appeal(actor=a, case=c, **d)),
}

# The steps that edit what was saved before (and so can be edited by two people at once): the body
# carries the `fingerprint` the case's detail gave (428 without it, 409 naming who saved since).
EDITS = {
    "evidence": "the case's `continuing_care.evidence_fingerprint` as you read it",
    "dst": "the case's `continuing_care.dst_fingerprint` as you read it",
    "aftercare-plan": "the case's `section_117.plan_fingerprint` as you read it",
}

# Each step's own words in the schema: what it records, and the rules a schema cannot say (dates
# against today or the case's other dates, what one field needs of another, the case's state), each a
# 400 with the field's message. The pathways/api/urls.py route of each step passes its pair.
_NOT_FUTURE = "Dates are today or in the past."
STEP_DOCS = {
    "checklist": (
        "Record the Continuing Care checklist",
        "`completed_on` is today or in the past, and not before the referral was received.",
    ),
    "evidence": ("Record the evidence gathered for the Continuing Care assessment", ""),
    "dst": (
        "Score the Decision Support Tool",
        "`scores` maps a care domain's code to its level and evidence; each level must be one the domain "
        "allows. Only a health assessor scores it.",
    ),
    "recommendation": (
        "Recommend whether the child has Continuing Care needs",
        "Every DST care domain is scored first. Recommending against what the DST suggests needs "
        "`override_reason`.",
    ),
    "decision": (
        "Record the ICB's Continuing Care decision",
        "`decided_on` is today or in the past, and not before the referral was received; `panel_referral` "
        "is a referral for this child.",
    ),
    "package": (
        "Record the Continuing Care package",
        "`started_on` is not before the decision; `funding_package_ref` is the id of one of the child's "
        "funding packages you can see.",
    ),
    "transition": ("Record a step of the transition to adult services", _NOT_FUTURE),
    "reviews": (
        "Record a review",
        "`held_on` is today or in the past, and not before the package started (Continuing Care) or "
        "aftercare began (Section 117).",
    ),
    "close": ("Close the case", ""),
    "aftercare-plan": (
        "Change the Section 117 aftercare plan",
        "`discharged_on` is today or in the past, and not before the date of detention; "
        "`funding_package_ref` is the id of one of the child's funding packages you can see (or the one "
        "already recorded).",
    ),
    "end-aftercare": (
        "Confirm that Section 117 aftercare ends",
        "Aftercare ends by a joint decision: the responsible ICB and the responsible council each confirm "
        "once (a side that has already confirmed answers 400 until the other does), and never while a "
        "community treatment order is in force.",
    ),
    "mdt": (
        "Record a Complex Lives MDT meeting",
        f"`agencies` are agencies involved with the child. {_NOT_FUTURE}",
    ),
    "ifr-decision": (
        "Record the IFR panel's decision",
        "Declined, or more information needed, needs `reasons`.",
    ),
    "ifr-information": ("Add information to an IFR", ""),
    "ifr-appeal": ("Ask for an IFR decision to be looked at again", ""),
}
KIND_DOCS = {
    "continuing-care": (
        "Start a Continuing Care case",
        "The lead agency is the child's ICB; `case_worker` is of an agency involved with the child. "
        + _NOT_FUTURE,
    ),
    "section-117": (
        "Start a Section 117 aftercare case",
        "Detention under section 3, 37, 45A, 47 or 48 (section 2 gives no right to aftercare). "
        "`discharged_on` is not before `detained_on`; both are today or in the past. The lead agency, "
        "`case_worker`, and the responsible ICB and council are agencies involved with the child.",
    ),
    "complex-lives": (
        "Start a Complex Lives case",
        "The lead agency and `case_worker` are of agencies involved with the child.",
    ),
    "ifr": (
        "Submit an Individual Funding Request",
        "Only an NHS clinician of an agency involved with the child.",
    ),
}
_EDIT_DOC = (
    " Send `fingerprint`, {what}: without it 428 and nothing is saved; if someone saved it since, 409 "
    "naming who and when."
)
STEP_DOCS.update(
    {
        step: (summary, (rules + _EDIT_DOC.format(what=EDITS[step])).strip())
        for step, (summary, rules) in STEP_DOCS.items()
        if step in EDITS
    }
)
assert set(STEP_DOCS) == set(ACTIONS) and set(KIND_DOCS) == set(OPENERS) and set(EDITS) <= set(ACTIONS)

_BAD_REQUEST = field_errors("Missing reason", {"reason": ["This field is required."]})
_CONFLICT = OpenApiResponse(ERROR, description="The case is not at a stage where this step can be recorded.")
_WRITE_ERRORS = {400: _BAD_REQUEST, **ERRORS, 409: _CONFLICT}


def _detail(user, pk, *, code=status.HTTP_200_OK) -> Response:
    summary = selectors.case_detail(user=user, pk=pk)
    return Response(s.case_data(summary), status=code)


class ChildCasesView(APIView):
    """GET: the child's pathway cases with events, key dates and what is due next (not paginated:
    a child has a handful). POST /<kind>/: start a case."""

    @extend_schema(
        summary="A child's pathway cases", responses={200: s.PathwayCaseListSerializer, **READ_ERRORS}
    )
    def get(self, request: Request, child_pk: str) -> Response:
        child = get_child_for_user(user=request.user, pk=child_pk)
        record_child_view(user=request.user, child=child, channel="api", path=request.path)
        summaries = selectors.pathway_timeline_for_child(user=request.user, child=child)
        return Response({"results": [s.case_data(x) for x in summaries]})


class CaseStartView(APIView):
    """POST: start a case of one kind. Each kind has its own route (pathways/api/urls.py), so the
    schema documents each kind's body on its own path."""

    kind = ""  # set per route, with its documentation (KIND_DOCS)
    operation_summary = ""
    operation_description = ""

    def get_serializer_class(self):
        return OPENERS[self.kind][0]

    @extend_schema(responses={201: s.PathwayCaseSerializer, **_WRITE_ERRORS})
    def post(self, request: Request, child_pk: str) -> Response:
        child = get_child_for_user(user=request.user, pk=child_pk)
        serializer_class, case_kind = OPENERS[self.kind]
        if case_kind == CaseKind.IFR:
            access.require(user=request.user, need="submit_ifr")
        if case_kind != CaseKind.IFR and not access.can_edit_cases(user=request.user):
            raise NotAllowed("Your role does not allow opening pathway cases")
        d = dict(parsed(serializer_class, request.data))
        people = {"actor": request.user, "child": child}
        if case_kind == CaseKind.CONTINUING_CARE:
            case = services.cc_open(**people, **d)
        elif case_kind == CaseKind.SECTION_117:
            lead, worker = d.pop("lead_agency"), d.pop("case_worker")
            case = services.s117_open(**people, lead_agency=lead, case_worker=worker, fields=d)
        elif case_kind == CaseKind.COMPLEX_LIVES:
            case = services.complex_lives_open(**people, **d)
        else:
            case = services.ifr_submit(**people, **d)
        return _detail(request.user, case.pk, code=status.HTTP_201_CREATED)


class UnknownCaseKindView(APIView):
    """Any other kind: the same JSON 404 as a missing child, after the child's own check."""

    @extend_schema(exclude=True)
    def post(self, request: Request, child_pk: str, kind: str) -> Response:
        get_child_for_user(user=request.user, pk=child_pk)
        raise Http404


class CaseView(APIView):
    @extend_schema(summary="A pathway case", responses={200: s.PathwayCaseSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: str) -> Response:
        summary = selectors.case_detail(user=request.user, pk=pk)
        record_child_view(user=request.user, child=summary.case.child, channel="api", path=request.path)
        return Response(s.case_data(summary))


class CaseActionView(APIView):
    """POST: record one step. Each step has its own route (pathways/api/urls.py), so the schema
    documents each step's body on its own path."""

    step = ""  # set per route, with its documentation (STEP_DOCS)
    operation_summary = ""
    operation_description = ""

    def get_serializer_class(self):
        return ACTIONS[self.step][0]

    @extend_schema(responses={200: s.PathwayCaseSerializer, **_WRITE_ERRORS})
    def post(self, request: Request, pk: str) -> Response:
        case = access.get_case_for_user(user=request.user, pk=pk)
        serializer_class, call = ACTIONS[self.step]
        if self.step in EDITS:
            require_precondition(request.data, "fingerprint", EDITS[self.step])
        call(request.user, case, dict(parsed(serializer_class, request.data)))
        return _detail(request.user, case.pk)


class CaseEditView(CaseActionView):
    """POST: an edit of what was saved before (EDITS): the body's `fingerprint` is required."""

    @extend_schema(responses={200: s.PathwayCaseSerializer, **_WRITE_ERRORS, 428: PRECONDITION_REQUIRED})
    def post(self, request: Request, pk: str) -> Response:
        return super().post(request, pk)


class UnknownCaseActionView(APIView):
    """Any other step: the same JSON 404 as a missing case, after the case's own check."""

    @extend_schema(exclude=True)
    def post(self, request: Request, pk: str, action: str) -> Response:
        access.get_case_for_user(user=request.user, pk=pk)
        raise Http404
