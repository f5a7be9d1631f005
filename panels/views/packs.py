"""The panel pack's page: its state while it is built in the background (the page refreshes itself
without JavaScript), what happened to it (attempt 2 after the first build stopped, failed after 3
attempts, from its "pack.build" job), the download for those with the papers, and "make a new version" for the
chair and administrators. Meetings come only from panels.access; the pack only with the whole
meeting's papers (access.can_read_whole_papers: a lead member's item grant is not enough), else
404, as for a meeting of another partnership (issue 7: members lose the pack after the meeting).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from casework.access import record_id
from panels import access, services
from panels.models import MeetingPack
from panels.selectors import pack_child_ids, pack_progress
from panels.views.read_log import log_children


@require_http_methods(["GET"])
def pack(request, pk):
    meeting = access.get_meeting_with_papers_for_user(user=request.user, pk=pk)
    progress = pack_progress(meeting=meeting)
    return render(
        request,
        "panels/pack/page.html",
        {
            "meeting": meeting,
            "pack": progress.pack if progress else None,
            "progress": progress,
            "building": progress is not None and progress.building,
            "can_administer": access.can_administer(user=request.user, panel=meeting.panel),
        },
    )


@require_POST
def pack_make(request, pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=record_id(pk))
    services.pack_request(actor=request.user, meeting=meeting)
    return redirect(reverse("panels:pack", args=[meeting.pk]))


def pack_pdf_response(request, found: MeetingPack) -> HttpResponse:
    """The download, for the page and the API alike: stamped, audited, never cached."""
    response = HttpResponse(
        services.pack_download(actor=request.user, pack=found), content_type="application/pdf"
    )
    # The read log (issue 12): one row per download naming every child on the agenda it was built from.
    log_children(request, pack_child_ids(found), channel="pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="panel-pack-{found.meeting.date:%Y-%m-%d}-v{found.version}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET"])
def pack_download(request, pk, version):
    return pack_pdf_response(
        request, access.get_ready_pack_for_user(user=request.user, meeting_pk=pk, version=version)
    )


urlpatterns = [
    path("meetings/<str:pk>/pack/", pack, name="pack"),
    path("meetings/<str:pk>/pack/new/", pack_make, name="pack_make"),
    path("meetings/<str:pk>/pack/<str:version>/download/", pack_download, name="pack_download"),
]
