"""GET /api/reports/attendance/: Attendance for systems (issue 18): the same figures as the page
(reporting.attendance, the same access and small-number rule): the totals per agency and, paginated
as every list of the API (`?page=`, `count`, `next`, `previous`), the meetings with each agency's
attendance, the quorum (seeds 002: the panel's own rule) and the decisions that became
recommendations to an absent agency (seeds 001, 002). A filter that is not one of the caller's
panels, not a month like 2026-03, or a period over 24 months is a 400 naming the field; anyone who
may not see the report gets the same 404 as a missing page. No child is named, so no read is logged.
"""

from __future__ import annotations

from typing import cast

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from casework.api_kit import NOT_FOUND, NOT_SIGNED_IN, caller, field_errors, parsed
from panels.models import Panel
from reporting import attendance
from reporting.access import require_report_reader
from reporting.decision_times_api import MONTH, FigureSerializer, RefSerializer, _figure, _month

__all__ = ["urlpatterns"]


class AttendanceQuerySerializer(serializers.Serializer):
    panel = serializers.PrimaryKeyRelatedField(queryset=Panel.objects.none(), required=False, allow_null=True)
    month_from = serializers.RegexField(
        MONTH, required=False, allow_blank=True, help_text="The first month of meetings, like 2026-03"
    )
    month_to = serializers.RegexField(
        MONTH,
        required=False,
        allow_blank=True,
        help_text="The last month of meetings, like 2026-08 (the last twelve months when neither is given)",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None:  # the schema generator's instance
            return
        field = cast(serializers.PrimaryKeyRelatedField, self.fields["panel"])
        field.queryset = attendance.attendance_panels(user=user)

    def validate(self, data):
        start, end = _month(data.get("month_from")), _month(data.get("month_to"))
        if start and end and end < start:
            raise serializers.ValidationError({"month_to": ["Must be the same as or after month_from"]})
        first, last = attendance.AttendanceFilters(month_from=start, month_to=end).months()
        if attendance.months_between(first, last) > attendance.MAX_MONTHS:
            raise serializers.ValidationError(
                {"month_to": [f"Choose {attendance.MAX_MONTHS} months or fewer"]}
            )
        return data

    @staticmethod
    def filters(data: dict) -> attendance.AttendanceFilters:
        return attendance.AttendanceFilters(
            panel=data["panel"].pk if data.get("panel") else None,
            month_from=_month(data.get("month_from")),
            month_to=_month(data.get("month_to")),
        )


@extend_schema_serializer(component_name="AttendanceAgencyLine")
class AgencyLineSerializer(serializers.Serializer):
    agency = RefSerializer()
    seats = serializers.IntegerField(
        help_text="Chair, vice-chairs and members seated that day (not deputies)"
    )
    present = serializers.IntegerField(help_text="Seated members present in their own seat")
    deputies = serializers.IntegerField(help_text="Deputies present for a named member")
    apologies = serializers.IntegerField()
    absent = serializers.IntegerField()
    quorum_counted = serializers.IntegerField(allow_null=True, help_text="Null: not in the panel's quorum")
    quorum_needed = serializers.IntegerField(allow_null=True)
    quorum_met = serializers.BooleanField(allow_null=True)
    decisions_recommended = FigureSerializer(help_text="Decisions recommended to it; 1 to 4 suppressed")


@extend_schema_serializer(component_name="AttendanceMeeting")
class MeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    panel = RefSerializer()
    recorded = serializers.BooleanField(help_text="Any attendance recorded")
    quorate = serializers.BooleanField(allow_null=True, help_text="Null when no attendance was recorded")
    why_not_quorate = serializers.CharField(allow_blank=True)
    decisions_recommended = FigureSerializer()
    agencies = AgencyLineSerializer(many=True)


@extend_schema_serializer(component_name="AttendanceTotals")
class TotalsSerializer(serializers.Serializer):
    agency = RefSerializer()
    meetings = serializers.IntegerField()
    attended = serializers.IntegerField()
    below_quorum = serializers.IntegerField()
    seats = serializers.IntegerField()
    present = serializers.IntegerField()
    deputies = serializers.IntegerField()
    apologies = serializers.IntegerField()
    absent = serializers.IntegerField()
    decisions_recommended = FigureSerializer()


def _ref(obj) -> dict:
    return {"id": obj.pk, "name": obj.name}


def _meeting(row: attendance.MeetingAttendance) -> dict:
    return {
        "id": row.meeting.pk,
        "date": row.meeting.date,
        "panel": _ref(row.meeting.panel),
        "recorded": row.recorded,
        "quorate": row.is_quorate,
        "why_not_quorate": row.why_not,
        "decisions_recommended": _figure(row.decisions_recommended_shown),
        "agencies": [
            {
                "agency": _ref(line.agency),
                "seats": line.expected,
                "present": line.present,
                "deputies": line.deputies,
                "apologies": line.apologies,
                "absent": line.absent,
                "quorum_counted": line.counted,
                "quorum_needed": line.needed,
                "quorum_met": line.met,
                "decisions_recommended": _figure(line.recommendations_shown),
            }
            for line in row.lines
        ],
    }


def _totals(total: attendance.AgencyTotals) -> dict:
    return {
        "agency": _ref(total.agency),
        "meetings": total.meetings,
        "attended": total.attended,
        "below_quorum": total.below_quorum,
        "seats": total.expected,
        "present": total.present,
        "deputies": total.deputies,
        "apologies": total.apologies,
        "absent": total.absent,
        "decisions_recommended": _figure(total.recommendations_shown),
    }


class AttendanceView(GenericAPIView):
    serializer_class = MeetingSerializer

    @extend_schema(
        summary="Attendance: each agency at each meeting, the quorum, and decisions made recommendations",
        description="For each past meeting of the caller's panels in the months chosen (the last twelve by "
        "default, at most 24): each agency's seats, present, deputies, apologies and absent, whether the "
        "meeting was quorate under its panel's own rule, and the decisions that became recommendations to an "
        "absent agency; `totals` per agency over every meeting matching the filters. Counts of decisions "
        "from 1 to 4 are suppressed. For team and service managers, panel chairs and administrators (their "
        "panels), finance approvers and partnership administrators; 404 for anyone else.",
        parameters=[
            AttendanceQuerySerializer,
            OpenApiParameter("page", int, description="The page of `results`, from 1"),
        ],
        responses={
            200: inline_serializer(
                "AttendancePage",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": MeetingSerializer(many=True),
                    "totals": TotalsSerializer(many=True),
                    "start": serializers.DateField(),
                    "end": serializers.DateField(),
                },
            ),
            400: field_errors(
                "Not a month", {"month_from": ["This value does not match the required pattern."]}
            ),
            401: NOT_SIGNED_IN,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request) -> Response:
        user = caller(request)
        require_report_reader(user, api=True)
        query = parsed(AttendanceQuerySerializer, request.query_params, user=user)
        report = attendance.attendance_report(user=user, filters=AttendanceQuerySerializer.filters(query))
        page: list[attendance.MeetingAttendance] | None = self.paginate_queryset(
            report.meetings  # type: ignore[arg-type]
        )
        assert page is not None  # the project paginates every list
        response = self.get_paginated_response(MeetingSerializer([_meeting(r) for r in page], many=True).data)
        response.data["totals"] = TotalsSerializer([_totals(t) for t in report.totals], many=True).data
        response.data["start"], response.data["end"] = report.start, report.end
        return response


urlpatterns = [
    path("reports/attendance/", AttendanceView.as_view(), name="api-reports-attendance"),
]
