"""The escalation ladder's REST API (seeds 002): the same operations as the pages, through the same
services and access checks. Mounted under /api/ by pathways/api/urls.py. An escalation the caller
cannot see is a 404; errors map through casework/api_errors.py (400 field messages, 403, 404, 409).

GET  /api/children/<id>/escalations/              the child's escalations with their clocks
POST /api/children/<id>/escalations/              open one (RSG, or JSP for a breakdown / DTOC)
GET  /api/escalations/<id>/                       one escalation: rungs, meetings, CETRs, reports
POST /api/escalations/<id>/<step>/                escalate | meetings | cetr | reports | resolve

Each step has its own route, so the schema documents each step's body on its own path (as the
pathway steps do, pathways/api/urls.py); any other step answers the same JSON 404 as a missing record.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import re_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors as casework_selectors
from casework.access import NotAllowed, get_child_for_user
from casework.api_kit import ANY_ID, parsed
from casework.audit import record_child_view
from casework.models import User
from casework.serializers import StrictCharField
from panels import selectors as panel_selectors
from pathways import access, selectors, services
from pathways.models import EscalationLevel, EscalationRoute
from referrals import access as referral_access

__all__ = ["urlpatterns"]


# Request bodies name their own schema components ("Escalation..."), set on every class as a subclass
# would inherit its parent's: names like MeetingSerializer are used by other apps too.


class _LadderSerializer(serializers.Serializer):
    authorised_by = serializers.PrimaryKeyRelatedField(queryset=casework_selectors.active_people())
    reason = StrictCharField(max_length=5000)
    chair = serializers.PrimaryKeyRelatedField(
        queryset=casework_selectors.active_people(), required=False, allow_null=True
    )
    target_panel = serializers.PrimaryKeyRelatedField(
        queryset=panel_selectors.all_panels(), required=False, allow_null=True
    )
    referral = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    cetr_override_reason = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="EscalationOpen")
class OpenSerializer(_LadderSerializer):
    route = serializers.ChoiceField(choices=EscalationRoute.choices)
    summary = StrictCharField(max_length=5000)
    level = serializers.ChoiceField(choices=[EscalationLevel.RSG, EscalationLevel.JSP])


@extend_schema_serializer(component_name="EscalationEscalate")
class EscalateSerializer(_LadderSerializer):
    to_level = serializers.ChoiceField(choices=[EscalationLevel.JSP, EscalationLevel.ERG])


@extend_schema_serializer(component_name="EscalationMeeting")
class MeetingSerializer(serializers.Serializer):
    held_at = serializers.DateTimeField()
    chair = serializers.PrimaryKeyRelatedField(queryset=casework_selectors.active_people())
    agencies = serializers.PrimaryKeyRelatedField(queryset=casework_selectors.all_agencies(), many=True)
    attendees = StrictCharField(max_length=5000)
    notes = StrictCharField(max_length=5000)
    actions = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="EscalationCETR")
class CETRSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    chaired_by = StrictCharField(max_length=200)
    recommendations = StrictCharField(max_length=5000)


@extend_schema_serializer(component_name="EscalationReport")
class ReportSerializer(serializers.Serializer):
    reported_on = serializers.DateField()
    progress = StrictCharField(max_length=5000)


@extend_schema_serializer(component_name="EscalationResolve")
class ResolveSerializer(serializers.Serializer):
    outcome = StrictCharField(max_length=5000)


def _referral(user, d: dict):
    """The referral by number, only if the caller may see it (else a 400, never a hint it exists)."""
    number = d.pop("referral", None)
    if not number:
        return None
    try:
        return referral_access.get_referral_for_user(user=user, pk=number)
    except Http404:
        raise ValidationError({"referral": ["There is no referral with this number for you"]}) from None


def _person(user: User | None) -> dict | None:
    return {"id": user.pk, "name": user.full_name} if user else None


def _clock(clock: selectors.GroupClock) -> dict:
    return {
        "next_meeting_due": clock.next_meeting_due,
        "meeting_overdue": clock.meeting_overdue,
        "first_meeting": clock.first_meeting,
        "next_meeting_from": clock.next_meeting_from,
        "report_due": clock.report_due,
        "report_overdue": clock.report_overdue,
        "chair": _person(clock.chair),
    }


def _step(step, *, full: bool) -> dict:
    data = {
        "level": step.level,
        "authorised_by": _person(step.authorised_by),
        "authoriser_seniority": step.authoriser_seniority,
        "authoriser_title": step.authoriser_title,
        "reason": step.reason,
        "authorised_at": step.authorised_at,
        "chair": _person(step.chair),
        "target_panel": {"id": step.target_panel_id, "name": step.target_panel.name}
        if step.target_panel
        else None,
        "referral": step.referral_id,
        "cetr_overridden": step.cetr_overridden,
        "cetr_override_reason": step.cetr_override_reason,
        "outcome": step.outcome,
        "ended_at": step.ended_at,
    }
    if full:
        data["meetings"] = [
            {
                "id": m.pk,
                "held_at": m.held_at,
                "chair": _person(m.chair),
                "agencies": [a.pk for a in m.agencies.all()],
                "attendees": m.attendees,
                "notes": m.notes,
                "actions": m.actions,
            }
            for m in step.meetings.all()
        ]
        data["reports"] = [{"reported_on": r.reported_on, "progress": r.progress} for r in step.reports.all()]
    return data


def _escalation(e, *, clock, steps, full: bool) -> dict:
    return {
        "id": e.pk,
        "child": e.child_id,
        "route": e.route,
        "level": e.level,
        "status": e.status,
        "summary": e.summary,
        "opened_at": e.opened_at,
        "resolved_at": e.resolved_at,
        "outcome": e.outcome,
        "clock": _clock(clock),
        "steps": [_step(s, full=full) for s in steps],
    }


def _detail(user, pk, *, code=status.HTTP_200_OK, log_path: str = "") -> Response:
    d = selectors.escalation_detail(user=user, pk=pk)
    if log_path:
        record_child_view(user=user, child=d.escalation.child, channel="api", path=log_path)
    data = _escalation(d.escalation, clock=d.clock, steps=d.steps, full=True)
    data["cetrs"] = [
        {"held_on": c.held_on, "chaired_by": c.chaired_by, "recommendations": c.recommendations}
        for c in d.cetrs
    ]
    data["cetr_needed"] = d.cetr_needed
    data["missing_agencies"] = [a.pk for a in d.missing_agencies]
    return Response(data, status=code)


class ChildEscalationsView(APIView):
    @extend_schema(summary="A child's escalations", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, child_pk: str) -> Response:
        child = get_child_for_user(user=request.user, pk=child_pk)
        record_child_view(user=request.user, child=child, channel="api", path=request.path)
        summaries = selectors.escalations_for_child(user=request.user, child=child)
        return Response(
            {
                "results": [
                    _escalation(s.escalation, clock=s.clock, steps=list(s.escalation.steps.all()), full=False)
                    for s in summaries
                ]
            }
        )

    @extend_schema(summary="Open an escalation", request=OpenSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, child_pk: str) -> Response:
        child = get_child_for_user(user=request.user, pk=child_pk)
        if not access.can_record_escalation(user=request.user):
            raise NotAllowed("Your role does not allow recording escalations")
        d = dict(parsed(OpenSerializer, request.data))
        referral = _referral(request.user, d)
        escalation = services.escalation_open(actor=request.user, child=child, referral=referral, **d)
        return _detail(request.user, escalation.pk, code=status.HTTP_201_CREATED)


def _escalate(user, e, d):
    referral = _referral(user, d)
    return services.escalation_escalate(actor=user, escalation=e, referral=referral, **d)


def _meeting(user, e, d):
    return services.escalation_record_meeting(actor=user, escalation=e, **d)


# Each step: its body, the service it calls, and its documentation (the rules the schema cannot say
# are in the description, so a client can read them).
ACTIONS = {
    "escalate": (
        EscalateSerializer,
        _escalate,
        "Escalate to the next rung",
        "A Rapid Solutions Group goes to a Joint Solutions Panel or an Exceptional Resourcing Group, a Joint "
        "Solutions Panel to an Exceptional Resourcing Group; a resolved escalation or any other step "
        "answers 409. `authorised_by` must be an escalation authoriser of an agency involved with the "
        "child, senior enough for the rung (the partnership's escalation settings). To a Joint Solutions "
        "Panel: `target_panel` is a Joint Solutions Panel of the child's partnership, `referral` one of "
        "the child's, and for an autistic child or a child with a learning disability a Care, Education "
        "and Treatment Review first, or `cetr_override_reason` from someone senior enough to override. To "
        "an Exceptional Resourcing Group: `chair` is also an authoriser senior enough to chair it.",
    ),
    "meetings": (
        MeetingSerializer,
        _meeting,
        "Record a meeting of the group",
        "For a Rapid Solutions Group or an Exceptional Resourcing Group (409 otherwise, or once "
        "resolved). `held_at` is now or in the past, and not before the group was set up; an "
        "Exceptional Resourcing Group meets at most once in the partnership's minimum number of days, "
        "chaired by an authoriser senior enough to chair it. The chair and `agencies` are of agencies "
        "involved with the child.",
    ),
    "cetr": (
        CETRSerializer,
        lambda u, e, d: services.escalation_record_cetr(actor=u, escalation=e, **d),
        "Record a Care, Education and Treatment Review",
        "The review must have been held: `held_on` is today or in the past. A resolved escalation "
        "answers 409.",
    ),
    "reports": (
        ReportSerializer,
        lambda u, e, d: services.escalation_record_report(actor=u, escalation=e, **d),
        "Record an Exceptional Resourcing Group's progress report",
        "Only at an Exceptional Resourcing Group (409 otherwise, or once resolved). `reported_on` is "
        "today or in the past, and not before the group was established.",
    ),
    "resolve": (
        ResolveSerializer,
        lambda u, e, d: services.escalation_resolve(actor=u, escalation=e, **d),
        "Resolve the escalation",
        "Records the outcome on the escalation and its current rung. An escalation already resolved "
        "answers 409.",
    ),
}


class EscalationView(APIView):
    @extend_schema(summary="An escalation", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: str) -> Response:
        return _detail(request.user, pk, log_path=request.path)


class EscalationStepView(APIView):
    """POST: record one step. Each step has its own route (below), with its own documented body."""

    step = ""  # set per route, with its documentation
    operation_summary = ""
    operation_description = ""

    def get_serializer_class(self):
        return ACTIONS[self.step][0]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: str) -> Response:
        escalation = access.get_escalation_for_user(user=request.user, pk=pk, need="change")
        serializer_class, call = ACTIONS[self.step][:2]
        call(request.user, escalation, dict(parsed(serializer_class, request.data)))
        return _detail(request.user, escalation.pk)


class UnknownEscalationStepView(APIView):
    """Any other step: the same JSON 404 as a missing escalation, after the escalation's own check."""

    @extend_schema(exclude=True)
    def post(self, request: Request, pk: str, action: str) -> Response:
        access.get_escalation_for_user(user=request.user, pk=pk, need="change")
        raise Http404


urlpatterns = [
    re_path(
        rf"^children/(?P<child_pk>{ANY_ID})/escalations/$",
        ChildEscalationsView.as_view(),
        name="api-escalation-child",
    ),
    re_path(rf"^escalations/(?P<pk>{ANY_ID})/$", EscalationView.as_view(), name="api-escalation"),
    *(
        re_path(
            rf"^escalations/(?P<pk>{ANY_ID})/{step}/$",
            EscalationStepView.as_view(step=step, operation_summary=summary, operation_description=described),
            name=f"api-escalation-{step}",
        )
        for step, (_body, _call, summary, described) in ACTIONS.items()
    ),
    re_path(
        rf"^escalations/(?P<pk>{ANY_ID})/(?P<action>{ANY_ID})/$",
        UnknownEscalationStepView.as_view(),
        name="api-escalation-action",
    ),
]
