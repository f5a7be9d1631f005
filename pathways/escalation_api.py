"""The escalation ladder's REST API (seeds 002): the same operations as the pages, through the same
services and access checks. Mounted under /api/ by pathways/api_urls.py. An escalation the caller
cannot see is a 404; errors map through casework/api_errors.py (400 field messages, 403, 404, 409).

GET  /api/children/<id>/escalations/              the child's escalations with their clocks
POST /api/children/<id>/escalations/              open one (RSG, or JSP for a breakdown / DTOC)
GET  /api/escalations/<id>/                       one escalation: rungs, meetings, CETRs, reports
POST /api/escalations/<id>/<action>/              escalate | meetings | cetr | reports | resolve
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import re_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.access import NotAllowed, get_child_for_user
from casework.api import ANY_ID
from casework.audit import record_child_view
from casework.models import Agency, User
from casework.serializers import StrictCharField
from panels.models import Panel
from pathways import access
from pathways import escalation as services
from pathways import escalation_selectors as selectors
from pathways.escalation_models import EscalationLevel, EscalationRoute

__all__ = ["urlpatterns"]


def _users():
    return User.objects.filter(is_active=True)


class _LadderSerializer(serializers.Serializer):
    authorised_by = serializers.PrimaryKeyRelatedField(queryset=_users())
    reason = StrictCharField(max_length=5000)
    chair = serializers.PrimaryKeyRelatedField(queryset=_users(), required=False, allow_null=True)
    target_panel = serializers.PrimaryKeyRelatedField(
        queryset=Panel.objects.all(), required=False, allow_null=True
    )
    referral = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    cetr_override_reason = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


class OpenSerializer(_LadderSerializer):
    route = serializers.ChoiceField(choices=EscalationRoute.choices)
    summary = StrictCharField(max_length=5000)
    level = serializers.ChoiceField(choices=[EscalationLevel.RSG, EscalationLevel.JSP])


class EscalateSerializer(_LadderSerializer):
    to_level = serializers.ChoiceField(choices=[EscalationLevel.JSP, EscalationLevel.ERG])


class MeetingSerializer(serializers.Serializer):
    held_at = serializers.DateTimeField()
    chair = serializers.PrimaryKeyRelatedField(queryset=_users())
    agencies = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), many=True)
    attendees = StrictCharField(max_length=5000)
    notes = StrictCharField(max_length=5000)
    actions = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


class CETRSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    chaired_by = StrictCharField(max_length=200)
    recommendations = StrictCharField(max_length=5000)


class ReportSerializer(serializers.Serializer):
    reported_on = serializers.DateField()
    progress = StrictCharField(max_length=5000)


class ResolveSerializer(serializers.Serializer):
    outcome = StrictCharField(max_length=5000)


def _referral(user, d: dict):
    """The referral by number, only if the caller may see it (else a 400, never a hint it exists)."""
    from referrals import access as referral_access

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
        ser = OpenSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        referral = _referral(request.user, d)
        escalation = services.escalation_open(actor=request.user, child=child, referral=referral, **d)
        return _detail(request.user, escalation.pk, code=status.HTTP_201_CREATED)


def _escalate(user, e, d):
    referral = _referral(user, d)
    return services.escalation_escalate(actor=user, escalation=e, referral=referral, **d)


def _meeting(user, e, d):
    return services.escalation_record_meeting(actor=user, escalation=e, **d)


ACTIONS = {
    "escalate": (EscalateSerializer, _escalate),
    "meetings": (MeetingSerializer, _meeting),
    "cetr": (CETRSerializer, lambda u, e, d: services.escalation_record_cetr(actor=u, escalation=e, **d)),
    "reports": (
        ReportSerializer,
        lambda u, e, d: services.escalation_record_report(actor=u, escalation=e, **d),
    ),
    "resolve": (ResolveSerializer, lambda u, e, d: services.escalation_resolve(actor=u, escalation=e, **d)),
}


class EscalationView(APIView):
    @extend_schema(summary="An escalation", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: str) -> Response:
        return _detail(request.user, pk, log_path=request.path)


class EscalationActionView(APIView):
    @extend_schema(
        summary="Record a step on an escalation",
        description="Bodies: " + ", ".join(f"`{k}`: {v[0].__name__}" for k, v in ACTIONS.items()),
        parameters=[OpenApiParameter("action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(ACTIONS))],
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: str, action: str) -> Response:
        escalation = access.get_escalation_for_user(user=request.user, pk=pk, need="change")
        if action not in ACTIONS:
            raise Http404
        serializer_class, call = ACTIONS[action]
        ser = serializer_class(data=request.data)
        ser.is_valid(raise_exception=True)
        call(request.user, escalation, dict(ser.validated_data))
        return _detail(request.user, escalation.pk)


urlpatterns = [
    re_path(
        rf"^children/(?P<child_pk>{ANY_ID})/escalations/$",
        ChildEscalationsView.as_view(),
        name="api-escalation-child",
    ),
    re_path(rf"^escalations/(?P<pk>{ANY_ID})/$", EscalationView.as_view(), name="api-escalation"),
    re_path(
        rf"^escalations/(?P<pk>{ANY_ID})/(?P<action>{ANY_ID})/$",
        EscalationActionView.as_view(),
        name="api-escalation-action",
    ),
]
