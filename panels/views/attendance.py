"""The "Correct attendance" page of a meeting whose decisions are signed (seeds 002: who was present
decides what was a decision and what a recommendation to an absent agency). Thin: parse input,
check access, call panels.services.attendance_correct, render.

The meeting comes from panels/access.py with need "administer" (the panel's chair, vice-chair and
administrators): another partnership's meeting is a 404 for every method, the same as a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse

from casework.forms import add_service_errors
from casework.services import InvalidTransition
from panels import access, selectors, services
from panels.forms.attendance import AttendanceCorrectionForm

__all__ = ["run_attendance_correct", "urlpatterns"]


def _done_message(result: services.AttendanceCorrection) -> str:
    done = result.reevaluated
    kept = len(result.unchanged)
    if not done:
        return "Attendance corrected" + (
            f": no signed decision changed ({kept} worked out again)" if kept else ""
        )
    items = ", ".join(str(r.decision.agenda_item.position) for r in done)
    return (
        f"Attendance corrected: the decision{'s' if len(done) > 1 else ''} on item{'s' if len(done) > 1 else ''} "
        f"{items} {'have' if len(done) > 1 else 'has'} a new version"
        + (f"; {kept} other signed decision{'s' if kept != 1 else ''} did not change" if kept else "")
    )


def run_attendance_correct(request, pk):
    """GET: the members with their attendance, the signed decisions a correction works out again,
    and the form. POST: the correction; a change made since the page was loaded answers 409 with
    the page as it is now."""
    meeting = access.get_meeting_for_user(
        user=request.user,
        pk=pk,
        need="administer",
        refusal="Only the panel's chair or administrators can correct attendance",
    )
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    page = selectors.attendance_correction_page(meeting=meeting)
    form = AttendanceCorrectionForm(
        request.POST if request.method == "POST" else None,
        members=page.members,
        attendance=page.attendance,
    )
    conflict = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        seat = next(m for m in page.members if m.pk == data["membership"])  # the form's choices are these
        try:
            result = services.attendance_correct(
                actor=request.user,
                meeting=meeting,
                membership=seat,
                present=data["present"],
                reason=data["reason"],
                expected_status=form.seen(seat.pk),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except InvalidTransition as exc:
            conflict = str(exc)
            page = selectors.attendance_correction_page(meeting=meeting)
            form = AttendanceCorrectionForm(members=page.members, attendance=page.attendance)
        else:
            messages.success(request, _done_message(result))
            return redirect(reverse("panels:run_meeting", args=[meeting.pk]) + "#attendance")
    return render(
        request,
        "panels/running/attendance_correct.html",
        {"meeting": meeting, "panel": meeting.panel, "page": page, "form": form, "conflict": conflict},
        status=409 if conflict else 200,
    )


urlpatterns = [
    path(
        "meetings/<str:pk>/run/attendance/correct/",
        run_attendance_correct,
        name="run_attendance_correct",
    ),
]
