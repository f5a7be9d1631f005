"""The panel pack's page: its state while it is built in the background (the page refreshes itself
without JavaScript), the download for those with the papers, and "make a new version" for the
chair and administrators. Meetings come only from panels.access; the pack only with the whole
meeting's papers (access.can_read_whole_papers: a lead member's item grant is not enough), else
404, as for a meeting of another partnership (issue 7: members lose the pack after the meeting).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from casework.access import NOT_FOUND_MESSAGE, record_id
from casework.audit import record_event
from panels import access, services
from panels.models import Meeting, MeetingPack, PackStatus
from panels.pack import latest_pack, stamped_download

NO_PAPERS = "The papers for this meeting are not available to you"


def _meeting_with_papers(request, pk: object) -> Meeting:
    meeting = access.get_meeting_for_user(user=request.user, pk=record_id(pk))
    if not access.can_read_whole_papers(user=request.user, meeting=meeting):
        # The pack is the papers: without them it is not there for you (after the meeting too).
        raise Http404(NOT_FOUND_MESSAGE)
    return meeting


@require_http_methods(["GET"])
def pack(request, pk):
    meeting = _meeting_with_papers(request, pk)
    current = latest_pack(meeting)
    building = current is not None and current.status in {PackStatus.QUEUED, PackStatus.BUILDING}
    return render(
        request,
        "panels/pack/page.html",
        {
            "meeting": meeting,
            "pack": current,
            "building": building,
            "can_administer": access.can_administer(user=request.user, panel=meeting.panel),
        },
    )


@require_POST
def pack_make(request, pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=record_id(pk))
    services.pack_request(actor=request.user, meeting=meeting)
    return redirect(reverse("panels:pack", args=[meeting.pk]))


@require_http_methods(["GET"])
def pack_download(request, pk, version):
    meeting = _meeting_with_papers(request, pk)
    found = MeetingPack.objects.filter(
        meeting=meeting, version=record_id(version), status=PackStatus.READY
    ).first()
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    body = stamped_download(found, person_name=request.user.full_name or request.user.email)
    record_event(
        actor=request.user,
        action="meeting.pack_downloaded",
        obj=meeting,
        changes={"version": [None, found.version]},
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="panel-pack-{meeting.date:%Y-%m-%d}-v{found.version}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("meetings/<str:pk>/pack/", pack, name="pack"),
    path("meetings/<str:pk>/pack/new/", pack_make, name="pack_make"),
    path("meetings/<str:pk>/pack/<str:version>/download/", pack_download, name="pack_download"),
]
