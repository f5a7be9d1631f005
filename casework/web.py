"""The web kit every app's pages are built from (issue 14): the one-column form page, and the step
every form page repeats — bind the form, call the service, show the service's refusal on the
form, or say it is done and move on. When someone else changed the record since the page was
loaded (the service's InvalidTransition), the step answers 409 with the page again: what was
typed kept beside the record as saved now (casework/stale.py).

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

from casework import stale
from casework.forms import add_service_errors
from casework.services import InvalidTransition

T = TypeVar("T")


def form_page(
    request: HttpRequest,
    *,
    form: forms.Form | None,
    heading: str,
    back_url: str,
    submit_label: str,
    run: Callable[[dict[str, Any]], T] | None = None,
    then: str | Callable[[T], str] | None = None,
    message: str | Callable[[T], str] | None = None,
    conflict: Callable[[InvalidTransition], stale.Conflict] | None = None,
    **extra: Any,
) -> HttpResponse:
    """The shared one-column form or confirmation page (templates/casework/form_page.html).

    With `run`, the page is its own step (form_step with `then` and `message`): a valid POST calls
    the service and moves on, a ValidationError shows the page again with it on the form. With
    `conflict` as well, the service's InvalidTransition answers 409 with this page showing
    `conflict(error)` (the typing beside the record as saved now, stale.conflict); without it the
    refusal is the middleware's 409 page.
    """

    def page(shown: stale.Conflict | None = None) -> HttpResponse:
        context = {"form": form, "heading": heading, "back_url": back_url, "submit_label": submit_label}
        return render(request, "casework/form_page.html", {**context, "stale": shown, **extra})

    if run is not None:
        if form is None or then is None:
            raise TypeError("a form page that runs a service needs its form and where to go next")
        stale_page = (lambda error: page(conflict(error))) if conflict is not None else None
        done = form_step(request, form, run, then=then, message=message, stale_page=stale_page)
        if done is not None:
            return done
    return page()


def form_step(
    request: HttpRequest,
    form: forms.Form,
    run: Callable[[dict[str, Any]], T],
    *,
    then: str | Callable[[T], str],
    message: str | Callable[[T], str] | None = None,
    stale_page: Callable[[InvalidTransition], HttpResponse] | None = None,
) -> HttpResponse | None:
    """On a valid POST, `run(form.cleaned_data)` (a service call); then flash `message` and
    redirect to `then` (a URL, or a function of what the service returned).

    A ValidationError from the service lands on the form, on the field it names when the form has
    that field (GOV.UK style: next to the field, the person's typing kept), and None is returned so
    that the view renders the form again. An InvalidTransition (someone else's change came first,
    or the record moved on) answers 409 with `stale_page(error)`, the page again showing the typing
    beside the saved record; without `stale_page` it is the middleware's to answer (the 409 page),
    as is any other refusal (NotAllowed's 403, a 404).
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = run(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    except InvalidTransition as error:
        if stale_page is None:
            raise
        return stale.refused(stale_page(error))
    if message:
        messages.success(request, message(result) if callable(message) else message)
    return redirect(then(result) if callable(then) else then)
