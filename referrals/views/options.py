"""Options and costs: the list, adding or changing an option with its split, removing it and
choosing the recommended one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from referrals import access, selectors, services
from referrals.forms.options import PERIOD_LABELS, OptionForm
from referrals.views.common import _option, _option_costs, _require_editable, _saved, _split_agencies


def option_list(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    _require_editable(referral)
    options = selectors.options_with_shares(referral=referral)
    return render(
        request,
        "referrals/options.html",
        {
            "referral": referral,
            "options": [_option_costs(option) for option in options],
            "problems": services.option_problems(referral, options),
        },
    )


@require_http_methods(["GET", "POST"])
def option_edit(request, pk, option_pk=None):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    option = _option(referral, option_pk) if option_pk is not None else None
    _require_editable(referral)
    agencies = _split_agencies(referral, option)
    form = OptionForm(request.POST or None, agencies=agencies, option=option)
    # Not web.form_step: the split's problems ("shares") go next to the basis question
    # (OptionForm.add_service_errors), which the shared mapping cannot know.
    if request.method == "POST" and form.is_valid():
        before = referral.status
        try:
            saved = services.option_save(
                actor=request.user,
                referral=referral,
                fields=form.option_fields(),
                shares=form.shares,
                option=option,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            referral.refresh_from_db(fields=["status"])
            message = f"Option {saved.position} saved" if option else f"Option {saved.position} added"
            messages.success(request, _saved(request, referral, before, message))
            return redirect(reverse("referrals:options", args=[referral.pk]))
    return render(
        request,
        "referrals/option_form.html",
        {"referral": referral, "form": form, "option": option, "period_labels": PERIOD_LABELS},
    )


@require_http_methods(["GET", "POST"])
def option_remove(request, pk, option_pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    option = _option(referral, option_pk)
    _require_editable(referral)
    back = reverse("referrals:options", args=[referral.pk])
    if request.method == "POST":
        services.option_remove(actor=request.user, option=option)
        messages.success(request, f"Option {option.position} removed")
        return redirect(back)
    return render(
        request,
        "referrals/confirm.html",
        {
            "referral": referral,
            "heading": f"Remove option {option.position}?",
            "intro": [option.description],
            "back_url": back,
            "submit_label": "Remove option",
            "warning": True,
        },
    )


def option_recommend(request, pk, option_pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    option = _option(referral, option_pk)
    back = reverse("referrals:options", args=[referral.pk])
    if request.method != "POST":
        return redirect(back)
    _require_editable(referral)
    services.option_recommend(actor=request.user, option=option)
    messages.success(request, f"Option {option.position} is now the recommended option")
    return redirect(back)
