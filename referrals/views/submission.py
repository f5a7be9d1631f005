"""Submission to a meeting and the chair's decisions on it (accept a late paper, move it), and
withdrawing and closing a referral."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from casework.access import NotAllowed
from casework.services import InvalidTransition
from casework.web import form_step
from referrals import access, services
from referrals.forms.journey import CloseForm, MeetingForm, WithdrawForm
from referrals.models import Referral, Status

# panels' names, imported once in __init__.py (the import contract's declared exceptions)
from referrals.views import closures_by_panel, meeting_deadlines, meetings_to_submit_to
from referrals.views.common import _check_unchanged, _is_chair


def _meeting_form(request, referral: Referral, *, label: str, exclude: int | None = None):
    meetings = meetings_to_submit_to(panel=referral.panel, other_than=exclude)
    closures = closures_by_panel(panel_ids={referral.panel_id})[referral.panel_id]
    deadlines = {m.pk: meeting_deadlines(m, closures).papers_due for m in meetings}
    form = MeetingForm(
        request.POST or None,
        meetings=meetings,
        deadlines=deadlines,
        today=timezone.localdate(),
        label=label,
    )
    return form, bool(deadlines)


def _submitted(referral: Referral) -> str:
    if referral.is_late_paper:
        return (
            "Submitted as a late paper: the chair will decide whether to take it at this meeting or "
            "move it to another"
        )
    return f"Submitted to {referral.meeting}"


@require_http_methods(["GET", "POST"])
def referral_submit(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    if request.method == "POST":
        _check_unchanged(request, referral)
    if referral.status != Status.READY_TO_SUBMIT:
        raise InvalidTransition(
            f"This referral is {referral.get_status_display().lower()}: only a referral signed by both "
            "managers can be submitted"
        )
    form, has_meetings = _meeting_form(request, referral, label="Which meeting is it for?")
    done = form_step(
        request,
        form,
        lambda data: services.referral_submit(actor=request.user, referral=referral, meeting=data["meeting"]),
        message=_submitted,
        then=reverse("referrals:detail", args=[referral.pk]),
    )
    if done:
        return done
    return render(
        request,
        "referrals/meeting_form.html",
        {
            "referral": referral,
            "form": form,
            "has_meetings": has_meetings,
            "heading": "Submit to a meeting",
            "submit_label": "Submit referral",
            "late_warning": True,
        },
    )


def referral_accept_late(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    if request.method != "POST":
        return redirect("referrals:detail", pk=referral.pk)
    _check_unchanged(request, referral)
    services.referral_accept_late(actor=request.user, referral=referral)
    messages.success(request, f"Late paper accepted for {referral.meeting}")
    return redirect("referrals:detail", pk=referral.pk)


@require_http_methods(["GET", "POST"])
def referral_move(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        _check_unchanged(request, referral)
    if not _is_chair(request.user, referral):
        raise NotAllowed("Only the panel's chair can do this")
    if referral.status != Status.SUBMITTED:
        raise InvalidTransition("Only a submitted referral can be moved to another meeting")
    form, has_meetings = _meeting_form(
        request, referral, label="Which meeting should it move to?", exclude=referral.meeting_id
    )
    done = form_step(
        request,
        form,
        lambda data: services.referral_move_to_meeting(
            actor=request.user, referral=referral, meeting=data["meeting"]
        ),
        message=lambda moved: f"Moved to {moved.meeting}",
        then=reverse("referrals:detail", args=[referral.pk]),
    )
    if done:
        return done
    return render(
        request,
        "referrals/meeting_form.html",
        {
            "referral": referral,
            "form": form,
            "has_meetings": has_meetings,
            "heading": "Move to another meeting",
            "submit_label": "Move referral",
        },
    )


@require_http_methods(["GET", "POST"])
def referral_withdraw(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    if request.method == "POST":
        _check_unchanged(request, referral)
    form = WithdrawForm(request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: services.referral_withdraw(actor=request.user, referral=referral, reason=data["reason"]),
        message="Referral withdrawn",
        then=reverse("referrals:detail", args=[referral.pk]),
    )
    if done:
        return done
    return render(
        request,
        "referrals/action_form.html",
        {
            "referral": referral,
            "form": form,
            "heading": "Withdraw the referral",
            "intro": ["A withdrawn referral cannot be submitted or changed again."],
            "submit_label": "Withdraw referral",
            "warning": True,
        },
    )


@require_http_methods(["GET", "POST"])
def referral_close(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        _check_unchanged(request, referral)
    form = CloseForm(request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: services.referral_close(actor=request.user, referral=referral, reason=data["reason"]),
        message="Referral closed",
        then=reverse("referrals:detail", args=[referral.pk]),
    )
    if done:
        return done
    return render(
        request,
        "referrals/action_form.html",
        {
            "referral": referral,
            "form": form,
            "heading": "Close the referral",
            "intro": [
                "A referral the panel accepted is closed only once the child has accessed suitable "
                "provision or no longer needs a response from the panel."
            ],
            "submit_label": "Close referral",
        },
    )
