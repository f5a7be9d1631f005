"""The form step every page shares (casework/web.py): bind, call the service, errors onto the
form with the typing kept, or a message and a redirect; someone else's change first answers 409
with the page again."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory

from casework import stale
from casework.services import InvalidTransition
from casework.stale import StaleEdit
from casework.web import form_page, form_step


class ReasonForm(forms.Form):
    reason = forms.CharField()
    when = forms.CharField(required=False)


def _request(method: str, data: dict | None = None):
    factory = RequestFactory()
    request = factory.post("/x", data or {}) if method == "POST" else factory.get("/x")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_a_get_renders_the_form_and_calls_nothing():
    calls = []
    request = _request("GET")
    assert form_step(request, ReasonForm(None), calls.append, then="/done") is None
    assert calls == []


def test_an_invalid_form_calls_nothing_and_keeps_the_typing():
    calls = []
    request = _request("POST", {"when": "Tuesday"})
    form = ReasonForm(request.POST)
    assert form_step(request, form, calls.append, then="/done") is None
    assert calls == []
    assert "reason" in form.errors
    assert form["when"].value() == "Tuesday"


def test_a_service_refusal_lands_next_to_its_field_or_on_the_form():
    def refuse(_data):
        raise ValidationError({"reason": "Say why in more words", "elsewhere": "Not a field here"})

    request = _request("POST", {"reason": "no"})
    form = ReasonForm(request.POST)
    assert form_step(request, form, refuse, then="/done", message="Saved") is None
    assert form.errors["reason"] == ["Say why in more words"]
    assert form.non_field_errors() == ["Not a field here"]
    assert form["reason"].value() == "no"
    assert list(get_messages(request)) == []


@pytest.mark.parametrize("message", ["Saved", lambda result: f"Saved {result}"])
def test_done_says_so_and_moves_on(message):
    request = _request("POST", {"reason": "because"})
    response = form_step(
        request,
        ReasonForm(request.POST),
        lambda data: data["reason"].upper(),
        then=lambda r: f"/done/{r}",
        message=message,
    )
    assert response.status_code == 302
    assert response["Location"] == "/done/BECAUSE"
    assert [str(m) for m in get_messages(request)] in (["Saved"], ["Saved BECAUSE"])


def test_someone_elses_change_first_answers_409_with_the_page_again():
    def refuse(_data):
        raise InvalidTransition("Someone else saved this first")

    request = _request("POST", {"reason": "mine"})
    form = ReasonForm(request.POST)
    response = form_step(
        request, form, refuse, then="/done", message="Saved", stale_page=lambda e: HttpResponse(str(e))
    )
    assert response.status_code == 409
    assert response.content == b"Someone else saved this first"
    assert list(get_messages(request)) == []


def test_without_a_stale_page_the_refusal_is_the_middlewares():
    def refuse(_data):
        raise InvalidTransition("Closed")

    request = _request("POST", {"reason": "mine"})
    with pytest.raises(InvalidTransition):
        form_step(request, ReasonForm(request.POST), refuse, then="/done")


@pytest.mark.django_db
def test_a_form_page_that_runs_the_step_shows_the_typing_beside_the_saved_record():
    def refuse(_data):
        raise StaleEdit("Someone else saved this first. Open it again")

    request = _request("POST", {"reason": "mine"})
    request.user = AnonymousUser()
    form = ReasonForm(request.POST)
    response = form_page(
        request,
        form=form,
        run=refuse,
        then="/done",
        conflict=lambda e: stale.conflict(form=form, message=str(e), saved={"reason": "theirs"}),
        heading="Give a reason",
        back_url="/back",
        submit_label="Save",
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this first." in page
    assert "mine" in page and "theirs" in page
