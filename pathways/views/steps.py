"""The one-form step that pathway case pages and escalation pages are made of: casework.web's
form_step, plus the 409 page when someone else's change came first (issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse

from casework import stale
from casework.services import InvalidTransition
from casework.web import form_page, form_step


def step_page(
    request: HttpRequest,
    form: forms.Form,
    run: Callable[[dict[str, Any]], object],
    *,
    then: str,
    message: str,
    conflict: Callable[[InvalidTransition], stale.Conflict],
    **page: Any,
) -> HttpResponse:
    """form_step (a valid POST calls `run`; a ValidationError goes back on the form; success flashes
    `message` and goes back to the record at `then`), else the form page, with `page`'s heading,
    caption, submit_label and intro. An InvalidTransition answers 409 with the form page again,
    showing `conflict(error)`: what was typed beside the record as saved now."""
    try:
        done = form_step(request, form, run, then=then, message=message)
    except InvalidTransition as error:
        return stale.refused(form_page(request, form=form, back_url=then, stale=conflict(error), **page))
    if done is not None:
        return done
    return form_page(request, form=form, back_url=then, stale=None, **page)
