"""The REST API's attendance correction, beside the attendance endpoint: the same service and access
check as the "Correct attendance" page (panels.services.attendance_correct).

The meeting comes from panels/access.py (another partnership's meeting answers 404 exactly like a
missing one). ValidationError → 400 with field messages, NotAllowed → 403, InvalidTransition → 409
(the member's attendance changed since `expected_status`), in casework/api_errors.py.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api_kit import parsed
from casework.serializers import StrictBooleanField, StrictCharField
from panels import access, services
from panels.api.running import AttendanceSerializer, _seat
from panels.models import AttendanceStatus

__all__ = ["urlpatterns"]


class AttendanceCorrectionWriteSerializer(serializers.Serializer):
    membership = serializers.IntegerField(help_text="The member's seat (membership id)")
    present = StrictBooleanField(help_text="Whether they were present at the meeting")
    reason = StrictCharField(max_length=2000, help_text="Why the attendance is corrected")
    expected_status = serializers.ChoiceField(
        choices=[*AttendanceStatus.choices, (services.NOT_RECORDED, "Not recorded")],
        required=False,
        help_text="The member's attendance as you read it: if it changed since, 409 and nothing is saved",
    )


class ReevaluatedSerializer(serializers.Serializer):
    superseded = serializers.IntegerField(help_text="The signed version the new one supersedes")
    decision = serializers.IntegerField(help_text="The new signed version")
    version = serializers.IntegerField()
    opened = serializers.ListField(
        child=serializers.IntegerField(), help_text="Agencies now given a recommendation to answer"
    )
    closed = serializers.ListField(
        child=serializers.IntegerField(), help_text="Agencies whose part is now decided"
    )


class AttendanceCorrectionSerializer(serializers.Serializer):
    attendance = AttendanceSerializer()
    reevaluated = ReevaluatedSerializer(many=True)
    unchanged = serializers.ListField(
        child=serializers.IntegerField(), help_text="Signed decisions whose parts did not change"
    )


class AttendanceCorrectView(APIView):
    @extend_schema(
        summary="Correct a member's attendance after a decision is signed",
        description="By the panel's chair, vice-chair or administrators, with a reason. Who was present "
        "decides what was a decision and what a recommendation to an absent agency (seeds 002), so each "
        "signed decision of the meeting is worked out again: one whose parts change gets a new signed "
        "version with the reason that opens or closes recommendations (funding for a new one waits for "
        "the agency's acceptance); the others are unchanged. 400 when nothing would change or the "
        "correction would leave the meeting inquorate with a decision it could not have made.",
        request=AttendanceCorrectionWriteSerializer,
        responses={200: AttendanceCorrectionSerializer},
    )
    def post(self, request, pk):
        meeting = access.get_meeting_for_user(
            user=request.user,
            pk=pk,
            need="administer",
            refusal="Only the panel's chair or administrators can correct attendance",
        )
        data = parsed(AttendanceCorrectionWriteSerializer, request.data)
        seat = _seat(meeting, data["membership"], "membership")
        result = services.attendance_correct(
            actor=request.user,
            meeting=meeting,
            membership=seat,
            present=data["present"],
            reason=data["reason"],
            expected_status=data.get("expected_status"),
        )
        return Response(
            AttendanceCorrectionSerializer(
                {
                    "attendance": result.attendance,
                    "reevaluated": [
                        {
                            "superseded": r.superseded.pk,
                            "decision": r.decision.pk,
                            "version": r.decision.version,
                            "opened": [x.agency_id for x in r.opened],
                            "closed": [x.agency_id for x in r.closed],
                        }
                        for r in result.reevaluated
                    ],
                    "unchanged": [d.pk for d in result.unchanged],
                }
            ).data
        )


urlpatterns = [
    path(
        "meetings/<str:pk>/attendance/correct/",
        AttendanceCorrectView.as_view(),
        name="api-meeting-attendance-correct",
    ),
]
