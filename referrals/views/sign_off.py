"""Sign-off: sending a complete referral for signatures, then signing or returning it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework.web import form_step
from referrals import access, services
from referrals.forms.journey import SignOffForm
from referrals.models import SignOffStage, Status
from referrals.views.common import _check_unchanged, _problem_links


@require_http_methods(["GET", "POST"])
def referral_send(request, pk):
    """Check the referral is complete and send it to the team manager."""
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        _check_unchanged(request, referral)
        try:
            referral = services.referral_send_for_sign_off(actor=request.user, referral=referral)
        except ValidationError as exc:
            errors = _problem_links(referral, exc.message_dict)
        else:
            messages.success(request, "Sent to your team manager for sign-off")
            return redirect("referrals:detail", pk=referral.pk)
    elif referral.status not in {Status.DRAFT, Status.RETURNED}:
        return redirect("referrals:detail", pk=referral.pk)
    problems = errors or _problem_links(referral, services.completeness(referral))
    return render(
        request,
        "referrals/send.html",
        {"referral": referral, "errors": errors, "problems": problems},
    )


@require_http_methods(["GET", "POST"])
def referral_sign(request, pk):
    """Sign, or return with comments, as the team manager or the service manager."""
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    # The status the page showed: a signature or return that crossed with someone else's (or a
    # double submit) is a 409 saying who did what, never a 403 about the person's role (issue 13).
    seen = (request.POST.get("status") or None) if request.method == "POST" else None
    returning = request.POST.get("decision") == "return"
    stage = services.signer_stage(
        actor=request.user, referral=referral, expected_status=seen, returning=returning
    )
    form = SignOffForm(request.POST or None)
    act = services.referral_return if returning else services.referral_sign
    done = form_step(
        request,
        form,
        lambda data: act(
            actor=request.user, referral=referral, comments=data["comments"], expected_status=seen
        ),
        message="Returned to the referrer with your comments" if returning else "Signed",
        then=reverse("referrals:detail", args=[referral.pk]),
    )
    if done:
        return done
    return render(
        request,
        "referrals/sign.html",
        {"referral": referral, "form": form, "stage": SignOffStage(stage).label.lower()},
    )
