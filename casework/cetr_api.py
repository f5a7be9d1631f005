"""The CETR safeguard's REST API (casework.cetr), the same operations as the pages:

GET  /api/children/<id>/cetr/            the child's CETRs and overrides (each with its referral and the last
                                         day it counts), the latest still valid, and whether one is needed
POST /api/children/<id>/cetr/            record a CETR held for a referral (referral, held_on, outcome, document)
POST /api/children/<id>/cetr/override/   a named senior person goes ahead without one (overridden_by, reason;
                                         role only while the partnership names nobody for escalation)

A child the caller cannot see is a 404; a role that cannot change children is a 403; field errors
are a 400 (casework/api_errors.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors
from casework.access import get_child_for_user
from casework.api_kit import caller, parsed
from casework.cetr import cetr_override, cetr_record, child_needs_cetr
from casework.models import CetrRecord
from casework.serializers import StrictCharField

__all__ = ["urlpatterns"]


@extend_schema_serializer(component_name="CetrRecordWrite")
class CetrWriteSerializer(serializers.Serializer):
    referral = serializers.IntegerField(
        help_text="The child's referral the CETR was held for: it counts for that referral only, for CETR_VALID_DAYS"
    )
    held_on = serializers.DateField(help_text="Today or in the past")
    outcome = StrictCharField(max_length=5000)
    document = StrictCharField(max_length=300, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="CetrOverrideWrite")
class CetrOverrideSerializer(serializers.Serializer):
    referral = serializers.IntegerField(
        help_text="The child's referral the override is for: it counts for that referral only, for CETR_VALID_DAYS"
    )
    overridden_by = serializers.PrimaryKeyRelatedField(
        queryset=selectors.active_people(),
        help_text=(
            "One of the senior people the child's partnership names for escalation, at the grade it sets "
            "for this override; a service manager or panel chair while it names nobody"
        ),
    )
    role = StrictCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed only while the partnership names nobody: otherwise the job title it recorded is kept",
    )
    reason = StrictCharField(max_length=5000)


class CetrSerializer(serializers.ModelSerializer):
    summary = serializers.CharField(read_only=True)
    valid_today = serializers.SerializerMethodField(help_text="Whether it counts today for its referral")

    def get_valid_today(self, record: CetrRecord) -> bool:
        return record.is_valid_on(timezone.localdate())

    class Meta:
        model = CetrRecord
        fields = [
            "id",
            "referral",
            "valid_until",
            "valid_today",
            "held_on",
            "outcome",
            "document",
            "report_name",
            "report_size",
            "overridden_by",
            "overrider_role",
            "override_reason",
            "recorded_at",
            "summary",
        ]
        read_only_fields = fields


class CetrStateSerializer(serializers.Serializer):
    current = CetrSerializer(
        allow_null=True, help_text="The latest CETR or override still valid for any of the child's referrals"
    )
    records = CetrSerializer(
        many=True, help_text="Every CETR and override recorded for the child, newest first"
    )
    needed_for_escalation = serializers.BooleanField(
        help_text="Autistic or with a learning disability: a CETR before a JSP or JFP (seeds 002)"
    )


def _referral(request: Request, child, pk: int):
    """The child's referral with this id that the caller may open, or a 400 on "referral"."""
    found = selectors.cetr_referral(user=caller(request), child=child, pk=pk)
    if found is None:
        raise ValidationError({"referral": [f"Choose a referral for {child.given_name}"]})
    return found


class ChildCetrView(APIView):
    @extend_schema(summary="The child's latest CETR or override", responses={200: CetrStateSerializer})
    def get(self, request: Request, pk: str) -> Response:
        child = get_child_for_user(user=caller(request), pk=pk)
        records = selectors.cetr_records_of(child=child)
        today = timezone.localdate()
        current = next((record for record in records if record.is_valid_on(today)), None)
        return Response(
            {
                "current": CetrSerializer(current).data if current else None,
                "records": CetrSerializer(records, many=True).data,
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
        data["referral"] = _referral(request, child, data["referral"])
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
        data["referral"] = _referral(request, child, data["referral"])
        row = cetr_override(actor=caller(request), child=child, **data)
        return Response(CetrSerializer(row).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("children/<str:pk>/cetr/", ChildCetrView.as_view(), name="api-child-cetr"),
    path("children/<str:pk>/cetr/override/", ChildCetrOverrideView.as_view(), name="api-child-cetr-override"),
]
