"""Decision letters: a meeting's list (each signed decision, its letter, due date and recipients),
prepare, edit, send, the PDF download, and the panel's letter template.

Thin: parse input, check access, call a service, render. Meetings and panels come through
panels.access (another partnership's: 404); the letters pages are for the panel's chair and
administrators (others who can see the panel: NotAllowed, the 403 page). The PDF is for whoever
may see the referral (referrals.access) and the panel's administrators, through
panels.access.get_letter_for_user (anyone else: 404). Every download is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from casework import stale
from casework.access import NOT_FOUND_MESSAGE
from casework.audit import record_child_view
from casework.pdf import open_stored_pdf
from casework.services import InvalidTransition
from casework.web import form_page, form_step
from panels import access, services
from panels.forms.minutes import LetterEditForm, LetterTemplateForm
from panels.models import Meeting, Panel
from panels.selectors.minutes import letter_rows
from panels.services.letters import LETTER_PLACEHOLDERS, letter_fingerprint
from panels.views.read_log import log_children

NOT_ADMIN = "Only the panel's chair or administrators can prepare and send decision letters"


def _log_child_on_get(request, child) -> None:
    """A page about one child's decision or letter is a read of the child's record (issue 12)."""
    if request.method == "GET":
        record_child_view(user=request.user, child=child, channel="page", path=request.path)


def _list_url(meeting: Meeting) -> str:
    return reverse("panels:letters", args=[meeting.pk])


def _caption(meeting: Meeting) -> str:
    return f"{meeting.panel.name}, {meeting.date:%-d %B %Y}"


def letter_list(request, pk):
    # Before the method: an outsider's POST is a 404.
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    rows = letter_rows(meeting=meeting)
    log_letter_rows(request, rows, channel="page")
    return render(
        request,
        "panels/letters/list.html",
        {"meeting": meeting, "panel": meeting.panel, "rows": rows},
    )


def log_letter_rows(request, rows, *, channel: str):
    """The read log (issue 12): each row names the child of its decision's referral. Gives the rows
    back, so the API logs what it answers in one call."""
    log_children(
        request, [row.decision.referral.child_id for row in rows if row.decision.referral_id], channel=channel
    )
    return rows


@require_http_methods(["GET", "POST"])
def letter_prepare(request, pk, decision_pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    decision = access.get_decision_for_meeting(meeting=meeting, pk=decision_pk)
    _log_child_on_get(request, decision.referral.child)
    if request.method == "POST":
        letter = services.letter_prepare(actor=request.user, decision=decision)
        messages.success(request, "Letter prepared from the panel's template: check it before sending")
        return redirect("panels:letter_edit", pk=meeting.pk, letter_pk=letter.pk)
    return form_page(
        request,
        form=None,
        heading=f"Prepare the letter for referral {decision.referral_id} ({decision.referral.child.initials})",
        caption=_caption(meeting),
        intro=[
            "The letter is filled in from the panel's template and the signed decision. You can change it before it is sent."
        ],
        back_url=_list_url(meeting),
        submit_label="Prepare the letter",
    )


@require_http_methods(["GET", "POST"])
def letter_edit(request, pk, letter_pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    letter = access.get_letter_for_meeting(meeting=meeting, pk=letter_pk)
    if letter.sent_at is not None:
        return redirect(_list_url(meeting))
    _log_child_on_get(request, letter.decision.referral.child)
    form = LetterEditForm(
        request.POST or None,
        initial={"subject": letter.subject, "body": letter.body, "fingerprint": letter_fingerprint(letter)},
    )

    def conflict(exc: InvalidTransition) -> stale.Conflict:
        # Saved by someone else, or sent, while this person edited: their text stays beside it.
        saved = access.get_letter_for_meeting(meeting=meeting, pk=letter_pk)
        retry = isinstance(exc, stale.StaleEdit) and saved.sent_at is None
        return stale.conflict(
            form=form,
            message=str(exc),
            saved={"subject": saved.subject, "body": saved.body},
            refresh={"fingerprint": letter_fingerprint(saved)} if retry else None,
            saved_by=stale.last_saved(saved),
            context=[("Sent", saved.sent_at)] if saved.sent_at else [],
        )

    return form_page(
        request,
        form=form,
        run=lambda data: services.letter_edit(
            actor=request.user,
            letter=letter,
            subject=data["subject"],
            body=data["body"],
            fingerprint=data["fingerprint"],
        ),
        then=_list_url(meeting),
        message="Letter saved",
        conflict=conflict,
        heading=f"Letter for referral {letter.decision.referral_id} ({letter.decision.referral.child.initials})",
        caption=_caption(meeting),
        intro=[f"To {letter.decision.referral.referrer.full_name} (the referrer) and their service manager."],
        back_url=_list_url(meeting),
        submit_label="Save the letter",
    )


@require_http_methods(["GET", "POST"])
def letter_send(request, pk, letter_pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    letter = access.get_letter_for_meeting(meeting=meeting, pk=letter_pk)
    _log_child_on_get(request, letter.decision.referral.child)
    if request.method == "POST":
        services.letter_send(actor=request.user, letter=letter)
        messages.success(request, "Letter sent to the referrer and their service manager")
        return redirect(_list_url(meeting))
    return form_page(
        request,
        form=None,
        heading="Send the letter",
        caption=_caption(meeting),
        intro=[
            "The referrer and their service manager (budget holder) each get an e-mail with the letter "
            "and a link to its PDF, which they open after signing in. A sent letter cannot be changed."
        ],
        inset=letter.body,
        back_url=_list_url(meeting),
        submit_label="Send the letter",
    )


def letter_pdf(request, pk):
    letter = access.get_letter_for_user(user=request.user, pk=pk)  # before the method: same 404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if not letter.pdf_name:
        raise Http404(NOT_FOUND_MESSAGE)
    handle = open_stored_pdf(letter.pdf_name)
    services.letter_record_download(actor=request.user, letter=letter, path=request.path)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"decision-letter-referral-{letter.decision.referral_id}.pdf",
        content_type="application/pdf",
    )


@require_http_methods(["GET", "POST"])
def letter_template(request, pk):
    panel: Panel = access.get_panel_for_user(
        user=request.user,
        pk=pk,
        need="administer",
        refusal="Only the panel's chair or administrators can change the letter template",
    )
    form = LetterTemplateForm(request.POST or None, initial={"template": panel.decision_letter_template})
    done = form_step(
        request,
        form,
        lambda data: services.panel_update_letter_template(
            actor=request.user, panel=panel, template=data["template"]
        ),
        message="Letter template saved",
        then=reverse("panels:detail", args=[panel.pk]),
    )
    if done:
        return done
    return render(
        request,
        "panels/letters/template.html",
        {"panel": panel, "form": form, "placeholders": LETTER_PLACEHOLDERS},
    )


urlpatterns = [
    path("meetings/<str:pk>/letters/", letter_list, name="letters"),
    path(
        "meetings/<str:pk>/letters/decisions/<str:decision_pk>/prepare/",
        letter_prepare,
        name="letter_prepare",
    ),
    path("meetings/<str:pk>/letters/<str:letter_pk>/edit/", letter_edit, name="letter_edit"),
    path("meetings/<str:pk>/letters/<str:letter_pk>/send/", letter_send, name="letter_send"),
    path("letters/<str:pk>/letter.pdf", letter_pdf, name="letter_pdf"),
    path("<str:pk>/letter-template/", letter_template, name="letter_template"),
]
