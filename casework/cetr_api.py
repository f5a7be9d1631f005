"""The CETR safeguard's REST API (casework.cetr), the same operations as the pages:

GET  /api/children/<id>/cetr/            the child's latest CETR or override, and whether one is needed
POST /api/children/<id>/cetr/            record a CETR held (held_on, outcome, document)
POST /api/children/<id>/cetr/override/   a named senior person goes ahead without one (overridden_by, role, reason)

A child the caller cannot see is a 404; a role that cannot change children is a 403; field errors
are a 400 (casework/api_errors.py).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.access import get_child_for_user
from casework.api_kit import caller, parsed
from casework.cetr import cetr_override, cetr_record, child_needs_cetr, current_cetr
from casework.models import CetrRecord, User
from casework.serializers import StrictCharField

__all__ = ["urlpatterns"]


@extend_schema_serializer(component_name="CetrRecordWrite")
class CetrWriteSerializer(serializers.Serializer):
    held_on = serializers.DateField(help_text="Today or in the past")
    outcome = StrictCharField(max_length=5000)
    document = StrictCharField(max_length=300, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="CetrOverrideWrite")
class CetrOverrideSerializer(serializers.Serializer):
    overridden_by = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), help_text="A service manager or panel chair"
    )
    role = StrictCharField(max_length=200)
    reason = StrictCharField(max_length=5000)


class CetrSerializer(serializers.ModelSerializer):
    summary = serializers.CharField(read_only=True)

    class Meta:
        model = CetrRecord
        fields = [
            "id",
            "held_on",
            "outcome",
            "document",
            "overridden_by",
            "overrider_role",
            "override_reason",
            "recorded_at",
            "summary",
        ]
        read_only_fields = fields


class CetrStateSerializer(serializers.Serializer):
    current = CetrSerializer(allow_null=True)
    needed_for_escalation = serializers.BooleanField(
        help_text="Autistic or with a learning disability: a CETR before a JSP or JFP (seeds 002)"
    )


class ChildCetrView(APIView):
    @extend_schema(summary="The child's latest CETR or override", responses={200: CetrStateSerializer})
    def get(self, request: Request, pk: str) -> Response:
        child = get_child_for_user(user=caller(request), pk=pk)
        record = current_cetr(child)
        return Response(
            {
                "current": CetrSerializer(record).data if record else None,
                "needed_for_escalation": child_needs_cetr(child),
            }
        )

    @extend_schema(
        summary="Record a Care, Education and Treatment Review",
        request=CetrWriteSerializer,
        responses={201: CetrSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        child = get_child_for_user(user=caller(request), pk=pk, need="change")
        data = parsed(CetrWriteSerializer, request.data)
        row = cetr_record(actor=caller(request), child=child, **data)
        return Response(CetrSerializer(row).data, status=status.HTTP_201_CREATED)


class ChildCetrOverrideView(APIView):
    @extend_schema(
        summary="Go ahead without a CETR: a named senior person's override with the reason",
        request=CetrOverrideSerializer,
        responses={201: CetrSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        child = get_child_for_user(user=caller(request), pk=pk, need="change")
        data = parsed(CetrOverrideSerializer, request.data)
        row = cetr_override(actor=caller(request), child=child, **data)
        return Response(CetrSerializer(row).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("children/<str:pk>/cetr/", ChildCetrView.as_view(), name="api-child-cetr"),
    path("children/<str:pk>/cetr/override/", ChildCetrOverrideView.as_view(), name="api-child-cetr-override"),
]
