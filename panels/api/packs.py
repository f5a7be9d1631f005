"""The panel pack in the API: its state, a request for a new version, and the download."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.access import NOT_FOUND_MESSAGE, record_id
from panels import access, services
from panels.models import MeetingPack, PackStatus
from panels.pack import latest_pack
from panels.views.packs import pack_pdf_response


class PackSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingPack
        fields = [
            "version",
            "status",
            "items_done",
            "items_total",
            "page_count",
            "left_out",
            "error",
            "requested_at",
            "built_at",
        ]
        read_only_fields = fields


class MeetingPackView(APIView):
    """GET: the latest version of the meeting's pack (404 before one is made). POST: make a new
    version if the agenda or papers changed (the chair and administrators); 202 while it builds."""

    serializer_class = PackSerializer

    def get(self, request, pk):
        current = latest_pack(access.get_meeting_with_papers_for_user(user=request.user, pk=pk))
        if current is None:
            raise Http404(NOT_FOUND_MESSAGE)
        return Response(PackSerializer(current).data)

    @extend_schema(
        summary="Make a new version of the pack if the agenda or papers changed",
        request=None,
        responses={
            200: OpenApiResponse(PackSerializer, description="The version is ready"),
            202: OpenApiResponse(PackSerializer, description="The version is being built"),
        },
    )
    def post(self, request, pk):
        meeting = access.get_meeting_for_user(user=request.user, pk=record_id(pk))
        made = services.pack_request(actor=request.user, meeting=meeting)
        made.refresh_from_db()
        return Response(PackSerializer(made).data, status=200 if made.status == PackStatus.READY else 202)


class MeetingPackDownloadView(APIView):
    """The PDF of one ready version, stamped with the name of the person downloading it."""

    @extend_schema(
        summary="Download a ready version of the pack",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="The pack as a PDF, stamped with the downloader's name (an attachment)",
            ),
            404: OpenApiResponse(description="No such meeting, or no ready pack of that version"),
        },
    )
    def get(self, request, pk, version):
        return pack_pdf_response(
            request, access.get_ready_pack_for_user(user=request.user, meeting_pk=pk, version=version)
        )


urlpatterns = [
    path("meetings/<str:pk>/pack/", MeetingPackView.as_view(), name="api-meeting-pack"),
    path(
        "meetings/<str:pk>/pack/<str:version>/download/",
        MeetingPackDownloadView.as_view(),
        name="api-meeting-pack-download",
    ),
]
