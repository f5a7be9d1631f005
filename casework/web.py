"""The web kit every app's pages are built from (issue 14): the one-column form page, and the step
every form page repeats — bind the form, call the service, show the service's refusal on the
form, or say it is done and move on.

Views stay thin: they fetch the record through access.py, build the form, and hand the rest here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casework.forms import add_service_errors

T = TypeVar("T")


def form_page(
    request: HttpRequest,
    *,
    form: forms.Form | None,
    heading: str,
    back_url: str,
    submit_label: str,
    **extra: Any,
) -> HttpResponse:
    """The shared one-column form or confirmation page (templates/casework/form_page.html)."""
    context = {"form": form, "heading": heading, "back_url": back_url, "submit_label": submit_label, **extra}
    return render(request, "casework/form_page.html", context)


def form_step(
    request: HttpRequest,
    form: forms.Form,
    run: Callable[[dict[str, Any]], T],
    *,
    then: str | Callable[[T], str],
    message: str | Callable[[T], str] | None = None,
) -> HttpResponse | None:
    """On a valid POST, `run(form.cleaned_data)` (a service call); then flash `message` and
    redirect to `then` (a URL, or a function of what the service returned).

    A ValidationError from the service lands on the form, on the field it names when the form has
    that field (GOV.UK style: next to the field, the person's typing kept), and None is returned so
    that the view renders the form again. Any other refusal (InvalidTransition's 409, NotAllowed's
    403, a 404) is the middleware's to answer, as on every other page.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = run(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    if message:
        messages.success(request, message(result) if callable(message) else message)
    return redirect(then(result) if callable(then) else then)
