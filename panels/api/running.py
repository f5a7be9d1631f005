"""The REST API for running a meeting: quorum, attendance and declarations of interest. The same
services and access checks as the chair's page; decisions and absent agencies' recommendations are
in decisions.py and recommendations.py beside it, attendance corrections in attendance.py.

Every meeting, item, decision and recommendation comes through panels/access.py (another
partnership's answers 404 exactly like a missing one). Domain errors become HTTP answers in
casework/api_errors.py: ValidationError → 400 with field messages, NotAllowed → 403,
InvalidTransition → 409 (a signed decision is locked; a stale or repeated change).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api_kit import parsed
from casework.serializers import StrictBooleanField, StrictCharField
from panels import access, selectors, services
from panels.models import Attendance, AttendanceStatus, Declaration, DeclarationAction, Meeting, Membership
from panels.views.read_log import log_children

# --- Serializers -----------------------------------------------------------------------------------


class _Ref(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AgencyQuorumSerializer(serializers.Serializer):
    agency = _Ref()
    present = serializers.IntegerField()
    required = serializers.IntegerField()
    met = serializers.BooleanField()


class QuorumSerializer(serializers.Serializer):
    is_quorate = serializers.BooleanField()
    inquorate = serializers.CharField(
        help_text="Why the whole meeting is inquorate by the panel's settings (it can then only recommend "
        "or defer); empty when it is not"
    )
    required_per_agency = serializers.IntegerField()
    present_total = serializers.IntegerField()
    agencies = AgencyQuorumSerializer(many=True)


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["id", "membership", "status", "deputy_for", "recorded_by", "recorded_at"]
        read_only_fields = fields


class AttendanceWriteSerializer(serializers.Serializer):
    membership = serializers.IntegerField(help_text="The member's seat (membership id)")
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    deputy_for = serializers.IntegerField(
        required=False, allow_null=True, help_text="The member they attend for"
    )


class DeclarationSerializer(serializers.ModelSerializer):
    corrected_by = serializers.SerializerMethodField(
        help_text="The entry that corrects this one, if any: then this one no longer stands"
    )

    class Meta:
        model = Declaration
        fields = [
            "id",
            "agenda_item",
            "membership",
            "interest",
            "action",
            "recorded_by",
            "recorded_at",
            "corrects",
            "withdrawn",
            "reason",
            "corrected_by",
        ]
        read_only_fields = fields

    def get_corrected_by(self, declaration: Declaration) -> int | None:
        if hasattr(declaration, "corrected_by_pk"):  # annotated by the list
            return declaration.corrected_by_pk
        return selectors.declaration_corrected_by(declaration=declaration)


class DeclarationCorrectionSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000, help_text="Why the declaration is corrected")
    withdraw = StrictBooleanField(
        required=False, default=False, help_text="The declaration was recorded in error: withdraw it"
    )
    interest = StrictCharField(max_length=2000, required=False, help_text="Left out: kept")
    action = serializers.ChoiceField(
        choices=DeclarationAction.choices, required=False, help_text="Left out: kept"
    )


class DeclarationWriteSerializer(serializers.Serializer):
    membership = serializers.IntegerField()
    interest = StrictCharField(max_length=2000, allow_blank=True)
    action = serializers.ChoiceField(choices=DeclarationAction.choices)


# --- Fetching through access -------------------------------------------------------------------------


def _seat(meeting: Meeting, pk: int | None, field: str) -> Membership | None:
    if pk is None:
        return None
    found = selectors.panel_seat(panel=meeting.panel, pk=pk)
    if found is None:
        raise ValidationError({field: [f"No member with id {pk} on this panel"]})
    return found


# --- Views ---------------------------------------------------------------------------------------------


class QuorumView(APIView):
    @extend_schema(summary="A meeting's quorum, live from its attendance", responses={200: QuorumSerializer})
    def get(self, request, pk):
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="follow")
        result = selectors.quorum(meeting)
        return Response(
            QuorumSerializer(
                {
                    "is_quorate": result.is_quorate,
                    "inquorate": selectors.whole_meeting_inquorate(meeting),
                    "required_per_agency": result.required_per_agency,
                    "present_total": result.present_total,
                    "agencies": [
                        {
                            "agency": {"id": r.agency.pk, "name": r.agency.name},
                            "present": r.present,
                            "required": r.required,
                            "met": r.met,
                        }
                        for r in result.agencies
                    ],
                }
            ).data
        )


class AttendanceView(APIView):
    @extend_schema(summary="A meeting's attendance", responses={200: AttendanceSerializer(many=True)})
    def get(self, request, pk):
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="follow")
        return Response(AttendanceSerializer(selectors.meeting_attendance(meeting=meeting), many=True).data)

    @extend_schema(
        summary="Record a member's attendance",
        request=AttendanceWriteSerializer,
        responses={200: AttendanceSerializer},
    )
    def post(self, request, pk):
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="run")
        data = parsed(AttendanceWriteSerializer, request.data)
        row = services.attendance_record(
            actor=request.user,
            meeting=meeting,
            membership=_seat(meeting, data["membership"], "membership"),
            status=data["status"],
            deputy_for=_seat(meeting, data.get("deputy_for"), "deputy_for"),
        )
        return Response(AttendanceSerializer(row).data)


class MeetingDeclarationsView(APIView):
    @extend_schema(
        summary="Declarations of interest at a meeting",
        description="Every entry, corrections included (nothing is lost): an entry stands while no other "
        "corrects it (`corrected_by` is null) and it does not withdraw one (`withdrawn` is false).",
        responses={200: DeclarationSerializer(many=True)},
    )
    def get(self, request, pk):
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="follow")
        found = selectors.meeting_declarations(meeting=meeting)
        log_children(request, [declaration.child_pk for declaration in found], channel="api")
        return Response(DeclarationSerializer(found, many=True).data)


class ItemDeclarationsView(APIView):
    @extend_schema(
        summary="Record a declaration of interest on an item",
        request=DeclarationWriteSerializer,
        responses={201: DeclarationSerializer},
    )
    def post(self, request, pk):
        item = access.get_agenda_item_for_user(user=request.user, pk=pk, need="run")
        data = parsed(DeclarationWriteSerializer, request.data)
        declaration = services.declaration_record(
            actor=request.user,
            agenda_item=item,
            membership=_seat(item.meeting, data["membership"], "membership"),
            interest=data["interest"],
            action=data["action"],
        )
        return Response(DeclarationSerializer(declaration).data, status=status.HTTP_201_CREATED)


class DeclarationView(APIView):
    @extend_schema(
        summary="Remove a declaration recorded in error",
        description="Only before the item's decision is signed; after that, declarations are append-only "
        "(409 saying who signed and when): correct it instead.",
        responses={204: None},
    )
    def delete(self, request, pk):
        declaration = access.get_declaration_for_user(user=request.user, pk=pk, need="run")
        services.declaration_remove(actor=request.user, declaration=declaration)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeclarationCorrectView(APIView):
    @extend_schema(
        summary="Correct a declaration (a new entry; the one it corrects is kept)",
        description="The new entry names the one it corrects, with the corrected interest and action "
        "(left out: kept) or `withdraw`, and the reason. An entry is corrected once: correcting one "
        "already corrected (or two corrections at once) is a 409 naming who corrected it.",
        request=DeclarationCorrectionSerializer,
        responses={201: DeclarationSerializer},
    )
    def post(self, request, pk):
        declaration = access.get_declaration_for_user(user=request.user, pk=pk, need="run")
        data = parsed(DeclarationCorrectionSerializer, request.data)
        correction = services.declaration_correct(
            actor=request.user,
            declaration=declaration,
            reason=data["reason"],
            interest=data.get("interest"),
            action=data.get("action"),
            withdraw=data["withdraw"],
        )
        return Response(DeclarationSerializer(correction).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("meetings/<str:pk>/quorum/", QuorumView.as_view(), name="api-meeting-quorum"),
    path("meetings/<str:pk>/attendance/", AttendanceView.as_view(), name="api-meeting-attendance"),
    path(
        "meetings/<str:pk>/declarations/", MeetingDeclarationsView.as_view(), name="api-meeting-declarations"
    ),
    path("agenda-items/<str:pk>/declarations/", ItemDeclarationsView.as_view(), name="api-item-declarations"),
    path("declarations/<str:pk>/", DeclarationView.as_view(), name="api-declaration"),
    path("declarations/<str:pk>/correct/", DeclarationCorrectView.as_view(), name="api-declaration-correct"),
]
