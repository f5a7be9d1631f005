"""API tokens (issue 12): made by the person, shown once, stored as a digest, named, expiring,
revocable, scoped; service accounts' tokens read only or named operations; every step audited and
the secret in no page, row or audit event."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework import services
from casework.access import NotAllowed
from casework.models import ApiToken, AuditEvent, Role, TokenScope
from casework.services import InvalidTransition
from casework.tokens import digest_of
from tests.factories import UserFactory

CHILDREN = "/api/children/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def partnership_admin(hampshire):
    return UserFactory(
        email="alex.admin@hants.example.gov.uk",
        full_name="Alex Admin",
        agency=hampshire,
        roles=[Role.PARTNERSHIP_ADMINISTRATOR],
    )


@pytest.fixture
def finance_system(hampshire):
    """A service account: the council's finance system, reading exports."""
    return UserFactory(
        email="finance.system@hants.example.gov.uk",
        full_name="Finance system",
        agency=hampshire,
        roles=[Role.FINANCE_APPROVER],
        is_service_account=True,
    )


def test_a_person_makes_a_token_on_the_page_sees_it_once_and_uses_it(client, social_worker, child):
    client.force_login(social_worker)
    response = client.post(reverse("api_token_new"), {"name": "My spreadsheet", "expires_in_days": "30"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("cw_") and secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]

    token = ApiToken.objects.get(user=social_worker)
    assert token.digest == digest_of(secret) and secret not in token.digest
    assert token.expires_at.date() == (timezone.now() + dt.timedelta(days=30)).date()

    # The list shows the name and dates, never the secret.
    listing = client.get(reverse("api_tokens")).content.decode()
    assert "My spreadsheet" in listing and secret not in listing

    api = bearer(secret)
    assert api.get("/api/me/").json()["email"] == social_worker.email
    assert api.get(CHILDREN).json()["count"] == 1
    # "Token <secret>" works too, and no CSRF token is needed for a write.
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.patch(f"{CHILDREN}{child.pk}/", {"preferred_name": "Mia"}, format="json").status_code == 200

    token.refresh_from_db()
    assert token.first_used_at is not None and token.last_used_at is not None
    actions = list(
        AuditEvent.objects.filter(object_type="casework.ApiToken").values_list("action", flat=True)
    )
    assert sorted(actions) == ["api_token.created", "api_token.first_used"]
    # The secret is in no audit row.
    assert secret not in json.dumps(list(AuditEvent.objects.values("changes", "object_repr")))


def test_the_secret_is_stored_nowhere(social_worker):
    _token, secret = services.api_token_create(actor=social_worker, user=social_worker, name="Probe")
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, name FROM casework_apitoken")
        rows = cursor.fetchall()
    assert all(secret not in str(row) for row in rows)


def test_a_revoked_token_stops_working_at_once_and_revoking_twice_is_a_conflict(client, social_worker):
    token, secret = services.api_token_create(actor=social_worker, user=social_worker, name="Laptop")
    assert bearer(secret).get("/api/me/").status_code == 200
    client.force_login(social_worker)
    listed = client.get(reverse("api_tokens")).content.decode()
    assert reverse("api_token_revoke", args=[token.pk]) in listed
    # The link asks first; only the confirmation revokes.
    confirm = client.get(reverse("api_token_revoke", args=[token.pk])).content.decode()
    assert "Revoke the token" in confirm and bearer(secret).get("/api/me/").status_code == 200
    response = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    answer = bearer(secret).get("/api/me/")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer")
    assert AuditEvent.objects.filter(action="api_token.revoked", actor=social_worker).count() == 1
    token.refresh_from_db()
    with pytest.raises(InvalidTransition):
        services.api_token_revoke(actor=social_worker, token=token)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 409


def test_a_token_expires(social_worker):
    _token, secret = services.api_token_create(
        actor=social_worker, user=social_worker, name="Short", expires_in_days=1
    )
    assert bearer(secret).get("/api/me/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        assert bearer(secret).get("/api/me/").status_code == 401


def test_default_expiry_is_the_setting(social_worker, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 7
    token, _ = services.api_token_create(actor=social_worker, user=social_worker, name="Default")
    assert (token.expires_at - token.created_at).days == 7


@pytest.mark.parametrize("days", [0, -3, 366, 10**9])
def test_expiry_out_of_range_is_refused(social_worker, days):
    with pytest.raises(ValidationError) as error:
        services.api_token_create(actor=social_worker, user=social_worker, name="X", expires_in_days=days)
    assert "expires_in_days" in error.value.message_dict


def test_form_errors_keep_the_typing(client, social_worker):
    client.force_login(social_worker)
    response = client.post(reverse("api_token_new"), {"name": "Keep me", "expires_in_days": "9999"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page and 'value="Keep me"' in page
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer", "Bearer a b", "Token cw_" + "x" * 43])
def test_bad_tokens_answer_401(header, child):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(CHILDREN)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_a_closed_account_s_token_is_refused(social_worker):
    _token, secret = services.api_token_create(actor=social_worker, user=social_worker, name="X")
    social_worker.is_active = False
    social_worker.save()
    assert bearer(secret).get("/api/me/").status_code == 401


def test_nobody_revokes_or_sees_another_person_s_token(client, social_worker, team_manager, outsider):
    token, secret = services.api_token_create(actor=social_worker, user=social_worker, name="Mine")
    for other in (team_manager, outsider):
        client.force_login(other)
        assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
        assert client.get(reverse("api_token_revoke", args=[token.pk])).status_code == 404
        assert "Mine" not in client.get(reverse("api_tokens")).content.decode()
        with pytest.raises(NotAllowed):
            services.api_token_revoke(actor=other, token=token)
    assert bearer(secret).get("/api/me/").status_code == 200


def test_nobody_makes_a_token_for_another_person(social_worker, team_manager, partnership_admin):
    for actor in (team_manager, partnership_admin):
        with pytest.raises(NotAllowed):
            services.api_token_create(actor=actor, user=social_worker, name="Sneaky")
    assert not ApiToken.objects.exists()


def test_a_service_account_token_is_read_only_or_named_operations(partnership_admin, finance_system, child):
    with pytest.raises(ValidationError):
        services.api_token_create(
            actor=partnership_admin, user=finance_system, name="Full", scope=TokenScope.FULL
        )
    _token, reader = services.api_token_create(
        actor=partnership_admin, user=finance_system, name="Reader", scope=TokenScope.READ_ONLY
    )
    api = bearer(reader)
    assert api.get("/api/me/").status_code == 200
    assert api.post("/api/children/", {}, format="json").status_code == 403

    _token, narrow = services.api_token_create(
        actor=partnership_admin,
        user=finance_system,
        name="Me only",
        scope=TokenScope.OPERATIONS,
        operations=["api-me"],
    )
    assert bearer(narrow).get("/api/me/").status_code == 200
    assert bearer(narrow).get(CHILDREN).status_code == 403


def test_unknown_operations_are_refused(partnership_admin, finance_system):
    with pytest.raises(ValidationError) as error:
        services.api_token_create(
            actor=partnership_admin,
            user=finance_system,
            name="X",
            scope=TokenScope.OPERATIONS,
            operations=["drop-everything"],
        )
    assert "operations" in error.value.message_dict


def test_another_partnership_s_administrator_cannot_touch_a_service_account(finance_system, leicester):
    leicester_admin = UserFactory(agency=leicester, roles=[Role.PARTNERSHIP_ADMINISTRATOR])
    with pytest.raises(NotAllowed):
        services.api_token_create(
            actor=leicester_admin, user=finance_system, name="X", scope=TokenScope.READ_ONLY
        )


def test_a_service_account_cannot_sign_in_to_pages(client, finance_system):
    response = client.post(
        reverse("login"), {"username": finance_system.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()


def test_the_password_exchange_endpoint_is_gone(social_worker):
    response = APIClient().post(
        "/api/token/", {"username": social_worker.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 404
