"""The minutes page of a meeting: read, draft, edit, approve, circulate, and the PDF download.

Thin: parse input, check access, call a service, render. The meeting comes through
panels.access.get_meeting_minutes_for_user (another partnership's meeting is a 404; someone who can
see the panel but was not on it that day is NotAllowed, the 403 page). A stale approval or a change
the status no longer allows is InvalidTransition (the 409 page). A stale edit answers 409 on this
page itself, keeping what the person typed next to the saved version, so nothing is lost.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from casework import stale
from casework.access import NOT_FOUND_MESSAGE
from casework.pdf import open_stored_pdf
from casework.services import InvalidTransition
from casework.web import form_page, form_step
from panels import access, services
from panels.forms.minutes import MinutesApproveForm, MinutesEditForm
from panels.models import Meeting, Minutes, MinutesStatus
from panels.selectors.minutes import minutes_due, minutes_for_meeting
from panels.views.read_log import log_children


def _minutes(meeting: Meeting) -> Minutes:
    minutes = minutes_for_meeting(meeting)
    if minutes is None:
        raise InvalidTransition("The minutes of this meeting have not been drafted yet")
    minutes.meeting = meeting
    return minutes


def _page_url(meeting: Meeting) -> str:
    return reverse("panels:minutes", args=[meeting.pk])


def log_minutes_read(request, minutes: Minutes | None, *, channel: str) -> None:
    """The read log (issue 12): the minutes name the children of the agenda's referral items
    (minutes_for_meeting's child_ids); nothing is logged when the text is not shown."""
    if minutes is not None and minutes.body is not None:
        log_children(request, getattr(minutes, "child_ids", None) or [], channel=channel)


def _render_page(request, meeting: Meeting, minutes: Minutes | None, *, form=None, conflict=None, status=200):
    administers = access.can_administer(user=request.user, panel=meeting.panel)
    chairs = access.can_chair(user=request.user, panel=meeting.panel)
    is_draft = minutes is not None and minutes.status == MinutesStatus.DRAFT
    can_edit = administers and is_draft
    show_body = minutes is not None and (administers or chairs or not is_draft)
    if show_body and request.method == "GET":
        log_minutes_read(request, minutes, channel="page")
    if can_edit and form is None:
        form = MinutesEditForm(initial={"body": minutes.body, "version": minutes.version})
    return render(
        request,
        "panels/minutes/minutes.html",
        {
            "meeting": meeting,
            "panel": meeting.panel,
            "minutes": minutes,
            "due": minutes_due(meeting, minutes),
            # Drafts are for the people who write and approve them; members read them once circulated.
            "show_body": show_body,
            "can_draft": administers and (minutes is None or is_draft),
            "can_edit": can_edit,
            "can_approve": chairs and is_draft,
            "can_circulate": administers and minutes is not None and minutes.status == MinutesStatus.APPROVED,
            "form": form if can_edit else None,
            "stale": conflict,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def minutes_page(request, pk):
    meeting = access.get_meeting_minutes_for_user(
        user=request.user,
        pk=pk,
        need="view" if request.method == "GET" else "administer",
        refusal="Only the panel's chair or administrators can change the minutes",
    )
    minutes = minutes_for_meeting(meeting)
    if request.method == "GET":
        return _render_page(request, meeting, minutes)
    minutes = _minutes(meeting)
    form = MinutesEditForm(request.POST)

    def saved_meanwhile(exc: InvalidTransition) -> HttpResponse:
        # Keep their text beside the saved one; while still a draft, with its version to save over it.
        minutes.refresh_from_db()
        retry = isinstance(exc, stale.StaleEdit) and minutes.status == MinutesStatus.DRAFT
        conflict = stale.conflict(
            form=form,
            message=str(exc),
            saved={"body": minutes.body},
            refresh={"version": minutes.version} if retry else None,
            saved_by=(minutes.updated_by.full_name, minutes.updated_at),
            context=[("Status", minutes.get_status_display())],
        )
        return _render_page(request, meeting, minutes, form=form, conflict=conflict)

    done = form_step(
        request,
        form,
        lambda data: services.minutes_edit(
            actor=request.user, minutes=minutes, version=data["version"], body=data["body"]
        ),
        then=_page_url(meeting),
        message="Minutes saved",
        stale_page=saved_meanwhile,
    )
    return done or _render_page(request, meeting, minutes, form=form)


@require_http_methods(["GET", "POST"])
def minutes_draft(request, pk):
    meeting = access.get_meeting_minutes_for_user(
        user=request.user,
        pk=pk,
        need="administer",
        refusal="Only the panel's chair or administrators can draft the minutes",
    )
    minutes = minutes_for_meeting(meeting)
    form = MinutesApproveForm(request.POST or None, initial={"version": minutes.version if minutes else 1})
    if request.method == "POST" and form.is_valid():
        services.minutes_draft(
            actor=request.user, meeting=meeting, version=form.cleaned_data["version"] if minutes else None
        )
        messages.success(request, "Minutes drafted from the meeting's record")
        return redirect(_page_url(meeting))
    return form_page(
        request,
        form=form,
        heading="Draft the minutes again?" if minutes else "Draft the minutes",
        caption=f"{meeting.panel.name}, {meeting.date:%-d %B %Y}",
        intro=[
            "The draft is written from the attendance, declarations of interest and decisions recorded "
            "for this meeting. Children appear only by their initials and referral number."
        ]
        + (["Drafting again replaces the text, including any changes made to it."] if minutes else []),
        back_url=_page_url(meeting),
        submit_label="Draft again" if minutes else "Draft the minutes",
        warning=bool(minutes),
    )


@require_http_methods(["GET", "POST"])
def minutes_approve(request, pk):
    meeting = access.get_meeting_minutes_for_user(
        user=request.user,
        pk=pk,
        need="chair",
        refusal="Only the panel's chair or vice-chair can approve the minutes",
    )
    minutes = _minutes(meeting)
    form = MinutesApproveForm(request.POST or None, initial={"version": minutes.version})
    if request.method == "POST" and form.is_valid():
        services.minutes_approve(actor=request.user, minutes=minutes, version=form.cleaned_data["version"])
        messages.success(request, "Minutes approved")
        return redirect(_page_url(meeting))
    return form_page(
        request,
        form=form,
        heading="Approve the minutes",
        caption=f"{meeting.panel.name}, {meeting.date:%-d %B %Y}",
        intro=["Once approved, the minutes can no longer be changed, and can be circulated to the members."],
        inset=minutes.body,
        back_url=_page_url(meeting),
        submit_label="Approve the minutes",
    )


@require_http_methods(["GET", "POST"])
def minutes_circulate(request, pk):
    meeting = access.get_meeting_minutes_for_user(
        user=request.user,
        pk=pk,
        need="administer",
        refusal="Only the panel's chair or administrators can circulate the minutes",
    )
    minutes = _minutes(meeting)
    if request.method == "POST":
        services.minutes_circulate(actor=request.user, minutes=minutes)
        messages.success(request, "Minutes circulated to the panel's members")
        return redirect(_page_url(meeting))
    return form_page(
        request,
        form=None,
        heading="Circulate the minutes",
        caption=f"{meeting.panel.name}, {meeting.date:%-d %B %Y}",
        intro=[
            "Each current member of the panel gets a notice and an e-mail with a link to the minutes. "
            "The minutes themselves stay behind the sign-in."
        ],
        back_url=_page_url(meeting),
        submit_label="Circulate the minutes",
    )


def minutes_pdf(request, pk):
    # Before the method: an outsider's POST is the same 404.
    meeting = access.get_meeting_minutes_for_user(user=request.user, pk=pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    minutes = minutes_for_meeting(meeting)
    if minutes is None or not minutes.pdf_name:
        raise Http404(NOT_FOUND_MESSAGE)
    handle = open_stored_pdf(minutes.pdf_name)
    services.minutes_record_download(actor=request.user, minutes=minutes)
    log_minutes_read(request, minutes, channel="pdf")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"minutes-{meeting.panel.pk}-{meeting.date:%Y-%m-%d}.pdf",
        content_type="application/pdf",
    )


urlpatterns = [
    path("meetings/<str:pk>/minutes/", minutes_page, name="minutes"),
    path("meetings/<str:pk>/minutes/draft/", minutes_draft, name="minutes_draft"),
    path("meetings/<str:pk>/minutes/approve/", minutes_approve, name="minutes_approve"),
    path("meetings/<str:pk>/minutes/circulate/", minutes_circulate, name="minutes_circulate"),
    path("meetings/<str:pk>/minutes/minutes.pdf", minutes_pdf, name="minutes_pdf"),
]
