# ruff: noqa: F811 - fixtures imported from the panels test module are used as arguments
"""Every API error is JSON, never an HTML page: problem details (RFC 9457) for a client that asks
with `Accept: application/problem+json`, the API's long-standing shape otherwise. A database that
cannot be reached is a 503 with Retry-After (pages too), and so is SessionInterrupted in a database
blip (issue 13: "Errors in the shape the client expects").

The database going away is real: the project's connection is swapped for one to a port nothing
listens on, so every query of the request (loading the session, the token, the view's own) fails
in psycopg's connect, as it does while PostgreSQL is down. The test's own connection is put back.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import connections
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casework.api_problem import (
    JSON_CONTENT_TYPE,
    PROBLEM_CONTENT_TYPE,
    RETRY_AFTER_SECONDS,
    SERVER_ERROR,
    UNAVAILABLE,
    problem_from,
)
from casework.services import api_token_create
from panels import services as panel_services
from tests.casework.problem_urls import FAULT, unreachable_database
from tests.panels.conftest import (  # noqa: F401 - fixtures
    clock,
    council_member,
    icb_member,
    irap,
    panel_admin,
    second_icb_member,
)

CHILDREN = "/api/children/"
# What a client that wants problem details sends (DRF answers a success as application/json).
ASKS_FOR_PROBLEMS = {"HTTP_ACCEPT": "application/json, application/problem+json"}
urls = pytest.mark.urls("tests.casework.problem_urls")


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert b"<html" not in response.content.lower()
    return body


def _plain(response, status: int) -> dict:
    """The API's long-standing shape, for a client that did not ask for problem details."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == JSON_CONTENT_TYPE
    assert b"<html" not in response.content.lower()
    return response.json()


def _api(user=None, *, problems: bool = True) -> APIClient:
    client = APIClient(raise_request_exception=False, **(ASKS_FOR_PROBLEMS if problems else {}))
    if user is not None:
        client.force_login(user)
    return client


def _page_client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def real_database():
    """The test's own connection, put back whatever a test (or its view) swapped in."""
    real = connections["default"]
    yield real
    down, connections["default"] = connections["default"], real
    if down is not real:
        down.close()


@pytest.fixture
def database_down(real_database):
    """`with database_down:` the project's database cannot be reached."""

    class Outage:
        def __enter__(self):
            connections["default"] = unreachable_database()

        def __exit__(self, *exc):
            connections["default"] = real_database

    return Outage()


# --- Outside DRF: unknown URLs, other methods, faults --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/no-such-thing/", "/api/children/1/no-such-step/", "/api/referrals/x/y/z/"]
)
def test_an_unknown_api_url_is_a_json_404(path, social_worker):
    for user in (None, social_worker):
        body = _problem(_api(user).get(path), 404)
        assert body == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "Page not found",
        }
        assert _plain(_api(user, problems=False).get(path), 404) == {"detail": "Page not found"}


@urls
def test_a_plain_django_view_s_405_is_json_and_keeps_allow(social_worker):
    response = _api(social_worker).post("/api/test-problems/only-get/")
    assert _problem(response, 405)["detail"] == 'Method "POST" not allowed.'
    assert response["Allow"] == "GET" and "Accept" in response["Vary"]
    plain = _api(social_worker, problems=False).post("/api/test-problems/only-get/")
    assert _plain(plain, 405) == {"detail": 'Method "POST" not allowed.'} and plain["Allow"] == "GET"


@pytest.mark.django_db
def test_a_drf_405_is_a_problem(social_worker):
    body = _problem(_api(social_worker).delete(CHILDREN), 405)
    assert body["title"] == "Method Not Allowed" and body["detail"] == 'Method "DELETE" not allowed.'


@urls
def test_a_fault_is_a_json_500_that_keeps_the_traceback_in_the_log(social_worker, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = _api(social_worker).get("/api/test-problems/fault/")
        plain = _api(social_worker, problems=False).get("/api/test-problems/fault/")
    body = _problem(response, 500)
    assert body == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": SERVER_ERROR,
    }
    assert _plain(plain, 500) == {"detail": SERVER_ERROR}
    for answer in (response, plain):
        assert b"7f3a" not in answer.content and b"Traceback" not in answer.content
        assert answer["Cache-Control"] == "no-store, private"
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 2 and all(FAULT in str(r.exc_info[1]) for r in logged)


@urls
def test_a_fault_on_a_page_is_still_the_500_page(social_worker):
    response = _page_client(social_worker).get("/test-problems/fault/")
    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")
    assert b"Sorry, there is a problem with the service" in response.content


# --- The database is down ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_down_is_a_json_503_with_retry_after(social_worker, database_down):
    _token, secret = api_token_create(actor=social_worker, user=social_worker, name="Outage")
    session = _api(social_worker)
    token = _api()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    plain = _api(social_worker, problems=False)
    with database_down:
        problems = [
            session.get(CHILDREN),
            session.post(CHILDREN, {"given_name": "Ava"}, format="json"),
            session.get("/api/no-such-thing/"),
            token.get(CHILDREN),
            _api().get(CHILDREN),
        ]
        plain_answer = plain.get(CHILDREN)
    for response in problems:
        body = _problem(response, 503)
        assert body["title"] == "Service Unavailable" and body["detail"] == UNAVAILABLE
    assert _plain(plain_answer, 503) == {"detail": UNAVAILABLE}
    assert "Try again in a few minutes" in UNAVAILABLE
    for response in [*problems, plain_answer]:
        assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert response["Cache-Control"] == "no-store, private"
        assert b"Traceback" not in response.content and b"refused" not in response.content
    # And back again, once the database is.
    assert session.get(CHILDREN).status_code == 200


@pytest.mark.django_db
def test_the_database_down_on_a_page_is_the_503_page(social_worker, database_down):
    client = _page_client(social_worker)
    with database_down:
        response = client.get(reverse("children:list"))
    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "Sorry, the service is unavailable" in page and "Try again in a few minutes." in page
    assert "govuk-template" in page and "OFFICIAL-SENSITIVE" in page


# --- SessionInterrupted in a database blip ---------------------------------------------------------


@urls
@pytest.mark.parametrize("path", ["/api/test-problems/database-goes/", "/test-problems/database-goes/"])
def test_the_session_save_failing_in_a_blip_is_503_not_400(path, social_worker, real_database, caplog):
    client = _page_client(social_worker)
    with caplog.at_level(logging.WARNING, logger="casework.api_problem"):
        response = client.get(path, **ASKS_FOR_PROBLEMS)  # the view takes the database away after its work
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    if path.startswith("/api/"):
        _problem(response, 503)
    else:
        assert "Sorry, the service is unavailable" in response.content.decode()
    ours = [r for r in caplog.records if r.name == "casework.api_problem"]
    assert [(r.getMessage(), r.exc_info[0]) for r in ours] == [
        ("Session not saved (the database could not be reached): answered 503", SessionInterrupted)
    ]


@urls
def test_without_our_session_middleware_the_same_blip_is_django_s_400(social_worker, real_database, settings):
    """The test above reaches SessionInterrupted for real: Django's own middleware answers 400."""
    settings.MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware"
        if name == "casework.api_problem.SessionMiddleware"
        else name
        for name in settings.MIDDLEWARE
    ]
    response = _page_client(social_worker).get("/test-problems/database-goes/")
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_database_gone_before_the_session_is_read_is_503_too(social_worker, database_down):
    """Saving a session it could not even read: Django's session middleware fails outside every
    other middleware, and ours answers 503 there too."""
    client = _page_client(social_worker)
    with database_down:
        page = client.get(reverse("children:list"))
        api = client.get(CHILDREN, **ASKS_FOR_PROBLEMS)
    assert page.status_code == 503 and "Sorry, the service is unavailable" in page.content.decode()
    _problem(api, 503)


# --- DRF's answers: the same members, and the problem members for a client that asks --------------


@pytest.mark.django_db
def test_a_400_keeps_its_field_messages_and_has_them_in_errors(social_worker):
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    data = {"given_name": "Ava", "family_name": "Smith", "date_of_birth": future}
    response = _api(social_worker).post(CHILDREN, data, format="json")
    body = _problem(response, 400)
    message = ["Date of birth must be today or in the past"]
    assert body["date_of_birth"] == message and body["errors"] == {"date_of_birth": message}
    assert body["detail"] == message[0]
    assert response.data == body  # DRF's own data is the problem too
    plain = _api(social_worker, problems=False).post(CHILDREN, data, format="json")
    assert _plain(plain, 400) == {"date_of_birth": message}


@pytest.mark.django_db
def test_a_body_that_cannot_be_read_is_a_400_with_its_detail(social_worker):
    response = _api(social_worker).post(CHILDREN, "{not json", content_type="application/json")
    body = _problem(response, 400)
    assert body["detail"].startswith("JSON parse error") and "errors" not in body


@pytest.mark.django_db
def test_a_404_and_a_401_keep_their_detail(social_worker, leicester_child):
    hidden = _problem(_api(social_worker).get(f"{CHILDREN}{leicester_child.pk}/"), 404)
    assert hidden["detail"] == "Page not found"
    assert _problem(_api().get(CHILDREN), 401)["detail"] == "Authentication credentials were not provided."
    bad_token = _api()
    bad_token.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    response = bad_token.get(CHILDREN)
    _problem(response, 401)
    assert response["WWW-Authenticate"]


@pytest.mark.django_db
def test_a_stale_edit_s_409_keeps_current(irap, panel_admin, council_member, hampshire):
    action = panel_services.action_create(
        actor=panel_admin,
        panel=irap,
        action="Children and young people attend the board",
        desired_outcome="The voice of the child is heard",
        owners=[council_member],
        owner_agencies=[hampshire],
        due_on=dt.date(2026, 3, 20),
    )
    url = reverse("api-action", args=[action.pk])
    api, plain = _api(), _api(problems=False)
    api.force_authenticate(panel_admin)
    plain.force_authenticate(panel_admin)
    assert api.patch(url, {"version": 1, "action": "First"}, format="json").status_code == 200
    body = _problem(api.patch(url, {"version": 1, "action": "Second"}, format="json"), 409)
    assert body["title"] == "Conflict" and "Someone else changed this action" in body["detail"]
    assert body["current"]["version"] == 2 and body["current"]["action"] == "First"
    old = _plain(plain.patch(url, {"version": 1, "action": "Third"}, format="json"), 409)
    assert set(old) == {"detail", "current"} and old["current"]["version"] == 2


def test_a_field_named_like_a_problem_member_is_in_errors():
    body = problem_from(400, {"title": ["Enter a title"], "file": ["Choose a file"]})
    assert body["title"] == "Bad Request" and body["status"] == 400
    assert body["errors"] == {"title": ["Enter a title"], "file": ["Choose a file"]}
    assert body["file"] == ["Choose a file"]
    assert "errors" in body["detail"]  # more than one message: where to find them


def test_a_list_of_messages_is_a_400_s_non_field_errors():
    message = "Add at least one item to the agenda before circulating it"
    body = problem_from(400, [message])
    assert body["errors"] == {"non_field_errors": [message]} and body["detail"] == message


def test_the_schema_documents_both_shapes(settings):
    """Every operation's error answers are documented as application/json and as problem details,
    and every operation has its 500 and its 503 (with Retry-After)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "Problem" in schema["components"]["schemas"]
    assert schema["components"]["responses"]["Unavailable"]["headers"]["Retry-After"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, answer in operation["responses"].items():
                if code[0] in "45" and "$ref" not in answer:
                    assert list(answer["content"]) == [JSON_CONTENT_TYPE, PROBLEM_CONTENT_TYPE], (
                        method,
                        path,
                        code,
                    )
            assert "500" in operation["responses"] and "503" in operation["responses"], (method, path)
    middleware = settings.MIDDLEWARE
    assert middleware.index("casework.api_problem.SessionMiddleware") + 1 == middleware.index(
        "casework.api_problem.ProblemDetailsMiddleware"
    )
