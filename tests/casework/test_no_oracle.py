"""No existence oracle (issue 12): asking for a child's record by NHS number, or registering a child
whose NHS number is held elsewhere, never tells an outsider whether that child is known here."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework import services
from casework.models import AccessRequest, AuditEvent, Child, Notification
from casework.nhs import synthetic_nhs_number

ASK = reverse("children:access_request_new")
API_ASK = "/api/access-requests/"


@pytest.fixture
def missing_nhs_number(db) -> str:
    rng = random.Random(12)
    while True:
        number = synthetic_nhs_number(rng)
        if not Child.objects.filter(nhs_number=number).exists():
            return number


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture
def outsider_api(outsider):
    api = APIClient()
    api.force_login(outsider)
    return api


def _answer(response) -> tuple:
    """Everything the outsider receives, less the headers that change with the clock alone."""
    headers = {k: v for k, v in response.headers.items() if k not in {"Date", "Set-Cookie", "Expires"}}
    return response.status_code, headers, response.content


def _without_per_request_values(html: bytes) -> bytes:
    return re.sub(rb'(nonce|value)="[^"]*"', b"", html)


def _asks(*, actor) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor=actor, action__startswith="access_request.").order_by("id"))


# --- The same answer either way -------------------------------------------------------------------


def test_the_page_answers_byte_for_byte_the_same_for_a_known_and_an_unknown_nhs_number(
    outsider_client, child, missing_nhs_number
):
    known = outsider_client.post(ASK, {"nhs_number": child.nhs_number, "reason": "Moved into Leicester"})
    unknown = outsider_client.post(ASK, {"nhs_number": missing_nhs_number, "reason": "Moved into Leicester"})

    assert known.status_code == 302
    assert _answer(known) == _answer(unknown)
    assert known["Location"] == reverse("children:access_request_sent")

    known_page = outsider_client.get(known["Location"])
    unknown_page = outsider_client.get(unknown["Location"])
    assert _without_per_request_values(known_page.content) == _without_per_request_values(
        unknown_page.content
    )
    assert services.ACCESS_ASK_ANSWER.replace("'", "&#x27;").encode() in known_page.content
    for secret in (
        child.given_name,
        child.family_name,
        "Hampshire",
        reverse("children:detail", args=[child.pk]),
    ):
        assert secret.encode() not in known_page.content


def test_the_api_answers_byte_for_byte_the_same(outsider_api, child, missing_nhs_number):
    known = outsider_api.post(API_ASK, {"nhs_number": child.nhs_number, "reason": "Moved"}, format="json")
    unknown = outsider_api.post(API_ASK, {"nhs_number": missing_nhs_number, "reason": "Moved"}, format="json")

    assert known.status_code == 202
    assert _answer(known) == _answer(unknown)
    assert known.json() == {"detail": services.ACCESS_ASK_ANSWER, "child": None}


def test_the_same_work_is_done_either_way(outsider_client, child, missing_nhs_number):
    """The request itself runs the same statements; the lookup that differs runs after the answer."""

    def statements(nhs_number: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            outsider_client.post(ASK, {"nhs_number": nhs_number, "reason": "Moved"})
        # The literal values differ (the NHS number, the ids); the shape of each statement must not.
        return [re.sub(r"'[^']*'|\b\d+\b|\"s\w+\"", "?", q["sql"]) for q in captured.captured_queries]

    assert statements(child.nhs_number) == statements(missing_nhs_number)


def test_a_second_ask_for_the_same_child_answers_the_same(outsider_client, child, missing_nhs_number):
    first = outsider_client.post(ASK, {"nhs_number": child.nhs_number, "reason": "Moved"})
    again = outsider_client.post(ASK, {"nhs_number": child.nhs_number, "reason": "Moved"})
    assert _answer(first) == _answer(again)


def test_registering_through_the_api_a_child_held_elsewhere_saves_nothing(
    outsider_api, outsider, child, django_capture_on_commit_callbacks
):
    body = {"given_name": "Ruby", "family_name": "Stone", "date_of_birth": "2015-03-02"}
    with django_capture_on_commit_callbacks(execute=True):
        refused = outsider_api.post("/api/children/", {**body, "nhs_number": child.nhs_number}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"nhs_number": [f"Nothing has been saved. {services.ACCESS_ASK_ANSWER}"]}
    assert Child.objects.filter(nhs_number=child.nhs_number).count() == 1
    assert not Child.objects.filter(given_name="Ruby").exists()
    # The ask it made was kept (the API answered rather than rolling back).
    assert AccessRequest.objects.filter(child=child, requested_by=outsider).exists()


# --- Registration with an NHS number held elsewhere --------------------------------------------


def test_registering_a_child_held_elsewhere_saves_nothing_and_asks_the_owners(
    outsider_client, outsider, child, team_manager, django_capture_on_commit_callbacks
):
    data = {
        "given_name": "Ruby",
        "family_name": "Stone",
        "date_of_birth": "02/03/2015",
        "nhs_number": child.nhs_number,
        "legal_status": "none",
        "sharing_basis": "statutory",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = outsider_client.post(reverse("children:register"), data)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing has been saved" in body
    assert 'value="Ruby"' in body  # the typing is kept
    assert child.given_name not in body and reverse("children:detail", args=[child.pk]) not in body
    assert Child.objects.count() == 1
    request = AccessRequest.objects.get()
    assert (request.child, request.requested_by) == (child, outsider)
    assert "tried to register" in request.reason
    assert [e.action for e in _asks(actor=outsider)] == ["access_request.asked", "access_request.created"]
    assert Notification.objects.filter(user=team_manager).exists()


def test_changing_a_childs_nhs_number_to_one_held_elsewhere_saves_nothing(
    client, social_worker, child, leicester_child, django_capture_on_commit_callbacks
):
    client.force_login(social_worker)
    url = reverse("children:edit", args=[child.pk])
    initial = client.get(url).context["form"].initial
    data = {name: "" if value is None else getattr(value, "pk", value) for name, value in initial.items()}
    data.update(nhs_number=leicester_child.nhs_number, date_of_birth=child.date_of_birth.strftime("%d/%m/%Y"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 200
    assert b"Nothing has been saved" in response.content
    assert leicester_child.family_name.encode() not in response.content
    child.refresh_from_db()
    assert child.nhs_number != leicester_child.nhs_number
    assert AccessRequest.objects.get().child == leicester_child


# --- A child the person can already see may be named ----------------------------------------------


def test_asking_for_a_child_i_can_already_see_links_to_it(client, social_worker, child):
    client.force_login(social_worker)
    response = client.post(ASK, {"nhs_number": child.nhs_number, "reason": "Checking"})
    assert response.status_code == 200
    assert reverse("children:detail", args=[child.pk]).encode() in response.content
    assert not AccessRequest.objects.exists()

    api = APIClient()
    api.force_login(social_worker)
    answer = api.post(API_ASK, {"nhs_number": child.nhs_number, "reason": "Checking"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["child"] == child.pk


# --- The limit per person -------------------------------------------------------------------------


def test_asks_are_limited_per_person_with_the_same_refusal_either_way(
    outsider_client, outsider_api, outsider, social_worker, child, missing_nhs_number, settings
):
    settings.ACCESS_REQUESTS_PER_DAY = 2
    outsider_client.post(ASK, {"nhs_number": missing_nhs_number, "reason": "One"})
    outsider_client.post(ASK, {"nhs_number": child.nhs_number, "reason": "Two"})

    known = outsider_client.post(ASK, {"nhs_number": child.nhs_number, "reason": "Three"})
    unknown = outsider_client.post(ASK, {"nhs_number": missing_nhs_number, "reason": "Three"})
    assert known.status_code == 200
    assert b"the most allowed" in known.content
    assert _without_per_request_values(known.content) == _without_per_request_values(unknown.content)

    api_known = outsider_api.post(API_ASK, {"nhs_number": child.nhs_number, "reason": "4"}, format="json")
    api_unknown = outsider_api.post(API_ASK, {"nhs_number": missing_nhs_number, "reason": "4"}, format="json")
    assert api_known.status_code == 429
    assert _answer(api_known) == _answer(api_unknown)

    actions = [e.action for e in _asks(actor=outsider)]
    assert actions == ["access_request.asked"] * 2 + ["access_request.refused"] * 4

    # Someone else's allowance is their own, and the limit is a rolling 24 hours.
    assert (
        services.access_request_ask(actor=social_worker, nhs_number=missing_nhs_number, reason="Mine").outcome
        == services.AccessAskOutcome.SENT
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        again = services.access_request_ask(actor=outsider, nhs_number=missing_nhs_number, reason="Later")
    assert again.outcome == services.AccessAskOutcome.SENT


def test_registering_past_the_limit_saves_nothing_and_raises_no_request(
    outsider, child, settings, django_capture_on_commit_callbacks
):
    settings.ACCESS_REQUESTS_PER_DAY = 0
    fields = {"given_name": "Ruby", "family_name": "Stone", "date_of_birth": "2015-03-02"}
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.NHSNumberHeldElsewhere) as exc,
    ):
        services.child_register(actor=outsider, fields={**fields, "nhs_number": child.nhs_number})
    assert "the most allowed" in exc.value.message_dict["nhs_number"][0]
    assert not AccessRequest.objects.exists()
    assert [e.action for e in _asks(actor=outsider)] == ["access_request.refused"]


# --- Every attempt audited; the owners see it, nobody else learns anything -----------------------


def test_every_ask_is_audited_and_only_a_real_record_reaches_its_owners(
    outsider_client,
    outsider,
    child,
    team_manager,
    service_manager,
    social_worker,
    missing_nhs_number,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        outsider_client.post(ASK, {"nhs_number": missing_nhs_number, "reason": "Moved into Leicester"})
        outsider_client.post(ASK, {"nhs_number": child.nhs_number, "reason": "Moved into Leicester"})

    missing_ask, known_ask, created = _asks(actor=outsider)
    # The asks themselves are recorded alike, against no child.
    assert (missing_ask.action, missing_ask.child_id) == ("access_request.asked", None)
    assert (known_ask.action, known_ask.child_id) == ("access_request.asked", None)
    assert missing_ask.changes["nhs_number"] == missing_nhs_number
    assert known_ask.changes["reason"] == "Moved into Leicester"
    # The request raised for the real record is on that child's history.
    assert (created.action, created.child_id) == ("access_request.created", child.pk)

    request = AccessRequest.objects.get()
    assert (request.child, request.owning_agency) == (child, child.owning_agency)
    notified = set(Notification.objects.values_list("user__email", flat=True))
    assert notified == {team_manager.email, service_manager.email}
    notice = Notification.objects.get(user=team_manager)
    assert notice.url == reverse("children:access_request_decide", args=[request.pk])
    assert child.family_name not in notice.subject + notice.body

    # The owners' managers see it on the decision pages; the outsider's own managers see nothing.
    outsider_client.force_login(team_manager)
    listing = outsider_client.get(reverse("children:access_requests"))
    assert child.full_name.encode() in listing.content
    outsider_client.force_login(outsider)
    assert child.full_name.encode() not in outsider_client.get(reverse("children:access_requests")).content


def test_the_requester_is_told_only_when_the_record_is_shared(outsider, child, team_manager):
    request = services.access_request_create(actor=outsider, nhs_number=child.nhs_number, reason="Moved")
    assert not Notification.objects.filter(user=outsider).exists()
    services.access_request_grant(actor=team_manager, request=request)
    notice = Notification.objects.get(user=outsider)
    assert notice.url == reverse("children:detail", args=[child.pk])


def test_searching_for_a_hidden_nhs_number_looks_like_a_missing_one_and_offers_to_ask(
    outsider_client, child, missing_nhs_number
):
    known = outsider_client.get(reverse("children:list"), {"q": child.nhs_number})
    unknown = outsider_client.get(reverse("children:list"), {"q": missing_nhs_number})
    assert b"No children found" in known.content
    ask_link = f"{ASK}?nhs_number={child.nhs_number}".encode()
    assert ask_link in known.content
    assert _without_per_request_values(known.content).replace(
        child.nhs_number.encode(), b"N"
    ) == _without_per_request_values(unknown.content).replace(missing_nhs_number.encode(), b"N")
