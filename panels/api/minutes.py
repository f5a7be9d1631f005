"""API for a meeting's minutes: read, draft, edit (with the version), approve, circulate.

The same services and access checks as the pages: the meeting comes through
panels.access.get_meeting_minutes_for_user (another partnership's meeting: 404; someone who can
see the panel but was not on it that day: 403). Domain errors are mapped in casework/api_errors.py:
ValidationError → 400 with field messages, InvalidTransition (a stale version, or a status that no
longer allows it) → 409, NotAllowed → 403.
"""

from __future__ import annotations

from django.urls import path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api_kit import ERROR, ERRORS, field_errors, parsed
from casework.serializers import StrictCharField
from casework.services import InvalidTransition
from panels import access, services
from panels.models import Meeting, Minutes, MinutesStatus
from panels.selectors.minutes import minutes_due, minutes_for_meeting
from panels.services.minutes import MINUTES_MAX_LENGTH
from panels.views.minutes import log_minutes_read

_CONFLICT = OpenApiResponse(
    ERROR,
    description="Someone changed the minutes since the version you sent, or their status no longer "
    "allows this (approved minutes cannot be edited; only approved minutes can be circulated).",
)


class MinutesSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    meeting = serializers.IntegerField(source="meeting_id", read_only=True)
    status = serializers.ChoiceField(choices=MinutesStatus.choices, read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="Send it back with an edit or approval")
    body = serializers.CharField(
        read_only=True, allow_null=True, help_text="Null while draft for members who do not write them"
    )
    drafted_at = serializers.DateTimeField(read_only=True)
    drafted_by = serializers.CharField(source="drafted_by.full_name", read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    approved_by = serializers.CharField(source="approved_by.full_name", read_only=True, allow_null=True)
    circulated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    due_on = serializers.DateField(read_only=True)
    overdue = serializers.BooleanField(read_only=True)
    pdf_url = serializers.CharField(read_only=True, allow_null=True)


class MinutesEditSerializer(serializers.Serializer):
    whole_on_patch = True  # the whole text and the version read (casework.api_errors.AutoSchema)

    body = StrictCharField(max_length=MINUTES_MAX_LENGTH, trim_whitespace=False)
    version = serializers.IntegerField(min_value=1)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class DraftSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Needed to draft again: the version you read (left out or stale: 409)",
    )


def _answer(
    request: Request, meeting: Meeting, minutes: Minutes, *, code: int = status.HTTP_200_OK
) -> Response:
    user = request.user
    minutes.meeting = meeting
    due = minutes_due(meeting, minutes)
    writes = access.can_administer(user=user, panel=meeting.panel) or access.can_chair(
        user=user, panel=meeting.panel
    )
    minutes.body = minutes.body if writes or minutes.status != MinutesStatus.DRAFT else None
    minutes.due_on, minutes.overdue = due.due_on, due.overdue
    minutes.pdf_url = reverse("panels:minutes_pdf", args=[meeting.pk]) if minutes.pdf_name else None
    if request.method == "GET":
        log_minutes_read(request, minutes, channel="api")  # the read log (issue 12)
    return Response(MinutesSerializer(minutes).data, status=code)


def _existing(meeting: Meeting) -> Minutes:
    minutes = minutes_for_meeting(meeting)
    if minutes is None:
        raise InvalidTransition("The minutes of this meeting have not been drafted yet")
    minutes.meeting = meeting
    return minutes


class MinutesView(APIView):
    @extend_schema(
        summary="A meeting's minutes",
        description="Status, version, text (drafts only for those who write or approve them), due date "
        "(N working days after the meeting, the panel's setting) and the PDF's link once circulated. "
        "409 when none have been drafted yet.",
        responses={200: MinutesSerializer, **ERRORS, 409: _CONFLICT},
    )
    def get(self, request: Request, pk: str) -> Response:
        meeting = access.get_meeting_minutes_for_user(user=request.user, pk=pk)
        return _answer(request, meeting, _existing(meeting))

    @extend_schema(
        summary="Edit the draft minutes",
        description="Send the whole text and the version you last read; a stale version is a 409.",
        request=MinutesEditSerializer,
        responses={
            200: MinutesSerializer,
            400: field_errors("Empty", {"body": ["Enter the minutes"]}),
            **ERRORS,
            409: _CONFLICT,
        },
    )
    def patch(self, request: Request, pk: str) -> Response:
        meeting = access.get_meeting_minutes_for_user(user=request.user, pk=pk, need="administer")
        data = parsed(MinutesEditSerializer, request.data)
        minutes = services.minutes_edit(
            actor=request.user, minutes=_existing(meeting), version=data["version"], body=data["body"]
        )
        return _answer(request, meeting, minutes)


class MinutesDraftView(APIView):
    @extend_schema(
        summary="Draft the minutes from the meeting's record",
        description="From attendance, declarations and decisions; children by initials and referral number "
        "only. Drafting again (201 the first time, 200 after) replaces the text and needs the version "
        "you read: without it, or with an older one, 409 and nothing is replaced.",
        request=DraftSerializer,
        responses={201: MinutesSerializer, 200: MinutesSerializer, **ERRORS, 409: _CONFLICT},
    )
    def post(self, request: Request, pk: str) -> Response:
        meeting = access.get_meeting_minutes_for_user(user=request.user, pk=pk, need="administer")
        data = parsed(DraftSerializer, request.data)
        existed = minutes_for_meeting(meeting) is not None
        minutes = services.minutes_draft(actor=request.user, meeting=meeting, version=data.get("version"))
        return _answer(
            request, meeting, minutes, code=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )


class MinutesApproveView(APIView):
    @extend_schema(
        summary="Approve the minutes (chair or vice-chair)",
        description="Send the version you read; the approved minutes can no longer be edited.",
        request=VersionSerializer,
        responses={
            200: MinutesSerializer,
            400: field_errors("No version", {"version": ["This field is required."]}),
            **ERRORS,
            409: _CONFLICT,
        },
    )
    def post(self, request: Request, pk: str) -> Response:
        meeting = access.get_meeting_minutes_for_user(
            user=request.user,
            pk=pk,
            need="chair",
            refusal="Only the panel's chair or vice-chair can approve the minutes",
        )
        data = parsed(VersionSerializer, request.data)
        minutes = services.minutes_approve(
            actor=request.user, minutes=_existing(meeting), version=data["version"]
        )
        return _answer(request, meeting, minutes)


class MinutesCirculateView(APIView):
    @extend_schema(
        summary="Circulate the approved minutes to the panel's members",
        description="Each current member gets a notice and an e-mail with a link; the PDF is rendered "
        "after the commit.",
        request=None,
        responses={200: MinutesSerializer, **ERRORS, 409: _CONFLICT},
    )
    def post(self, request: Request, pk: str) -> Response:
        meeting = access.get_meeting_minutes_for_user(user=request.user, pk=pk, need="administer")
        minutes = services.minutes_circulate(actor=request.user, minutes=_existing(meeting))
        return _answer(request, meeting, minutes)


urlpatterns = [
    path("meetings/<str:pk>/minutes/", MinutesView.as_view(), name="meeting-minutes"),
    path("meetings/<str:pk>/minutes/draft/", MinutesDraftView.as_view(), name="meeting-minutes-draft"),
    path("meetings/<str:pk>/minutes/approve/", MinutesApproveView.as_view(), name="meeting-minutes-approve"),
    path(
        "meetings/<str:pk>/minutes/circulate/",
        MinutesCirculateView.as_view(),
        name="meeting-minutes-circulate",
    ),
]
