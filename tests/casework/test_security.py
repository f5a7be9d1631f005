"""Sign-in, lockout, sessions and headers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework.models import User
from tests.factories import UserFactory

GOOD_PASSWORD = "correct horse battery staple"


def _sign_in(client, email, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_wrong_password_says_so_in_govuk_words(client, social_worker):
    response = _sign_in(client, social_worker.email, "wrong")
    assert response.status_code == 200
    assert b"Enter a correct email address and password" in response.content


def test_blank_sign_in_fields_say_what_to_enter(client, db):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    assert b"Enter your email address" in response.content
    assert b"Enter your password" in response.content


def test_repeated_failures_lock_on_username_and_ip(client, social_worker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, social_worker.email, "wrong")
    locked = _sign_in(client, social_worker.email, GOOD_PASSWORD)
    assert locked.status_code == 429
    assert b"locked" in locked.content.lower()
    # Council offices share an outgoing address: a colleague on the same IP can still sign in.
    colleague = UserFactory(agency=social_worker.agency)
    assert _sign_in(client, colleague.email, GOOD_PASSWORD).status_code == 302
    # And the same person from another address is not locked out.
    assert _sign_in(client, social_worker.email, GOOD_PASSWORD, ip="10.0.0.2").status_code == 302


def test_session_is_an_idle_timeout():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_pages_send_a_content_security_policy(client, social_worker):
    client.force_login(social_worker)
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_every_page_carries_the_protective_marking(client, social_worker):
    assert b"OFFICIAL-SENSITIVE" in client.get(reverse("login")).content
    client.force_login(social_worker)
    assert b"OFFICIAL-SENSITIVE" in client.get(reverse("home")).content


def test_post_without_csrf_token_is_refused(social_worker):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(social_worker)
    response = strict.post(reverse("children:register"), {"given_name": "Ruby"})
    assert response.status_code == 403


@pytest.mark.parametrize("password", ["short", "password1234", "Test Person 2026"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password, user=User(email="x@example.gov.uk", full_name="Test Person"))


def test_a_long_passphrase_needs_no_symbols_or_capitals():
    validate_password("kettle orchard lantern", user=User(email="x@example.gov.uk", full_name="Test Person"))


def test_sign_out_is_a_post(client, social_worker):
    client.force_login(social_worker)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302
