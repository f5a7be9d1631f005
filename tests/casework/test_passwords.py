"""Passwords (issue 12): every way of setting one uses the sign-up validators
(AUTH_PASSWORD_VALIDATORS), and sign-in treats the e-mail address case-insensitively."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from casework import services
from casework.auth import password_set_url
from casework.models import AuditEvent, Role
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
STRONG = "plum kettle orbit lantern"
TOO_SHORT = "Short1!"
TOO_COMMON = "password1234"


def _errors(response) -> str:
    return response.content.decode()


# --- Changing a password ---------------------------------------------------------------------------


def _change(client, new, old=PASSWORD):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (TOO_SHORT, "This password is too short. It must contain at least 12 characters."),
        (TOO_COMMON, "This password is too common."),
        ("sam.okafor@hants.example.gov.uk", "The password is too similar to the email."),
    ],
)
def test_changing_a_password_uses_the_sign_up_rules(client, social_worker, new, message):
    client.force_login(social_worker)
    response = _change(client, new)
    assert response.status_code == 200
    assert message in _errors(response)
    assert "govuk-error-summary" in _errors(response)
    social_worker.refresh_from_db()
    assert social_worker.check_password(PASSWORD)


def test_changing_a_password_needs_the_current_one(client, social_worker):
    client.force_login(social_worker)
    response = _change(client, STRONG, old="not my password")
    assert "Your current password is not right" in _errors(response)
    mismatch = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG + "x"},
    )
    assert "The two passwords do not match" in _errors(mismatch)


def test_a_changed_password_keeps_the_person_signed_in_and_is_audited(client, panel_chair):
    client.force_login(panel_chair)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and b"Use at least 12 characters" in page.content
    response = _change(client, STRONG)
    assert response.status_code == 302 and response["Location"] == reverse("account")
    panel_chair.refresh_from_db()
    assert panel_chair.check_password(STRONG)
    # Still signed in, second step included.
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(actor=panel_chair, action="user.password_changed").exists()


# --- Setting a password from an e-mailed link (reset, or an administrator's invitation) -------------


def _link_from_last_email() -> str:
    match = re.search(r"https?://\S+/sign-in/set-password/\S+/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


def _follow_link(client, link: str):
    path = link.removeprefix(settings.SITE_URL.rstrip("/"))
    response = client.get(path)
    assert response.status_code == 302  # to the same page without the token in the address
    return response["Location"]


def _set(client, form_url, new):
    return client.post(form_url, {"new_password1": new, "new_password2": new})


def test_a_reset_link_is_sent_for_the_address_in_any_case(client, social_worker):
    response = client.post(reverse("password_reset"), {"email": "Sam.Okafor@Hants.Example.gov.uk"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [social_worker.email]
    assert _link_from_last_email().startswith(settings.SITE_URL.rstrip("/") + "/sign-in/set-password/")
    assert mail.outbox[0].alternatives  # a text and an HTML part


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.gov.uk"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_service_accounts_get_no_reset_link(client, hampshire):
    system = UserFactory(agency=hampshire, is_service_account=True)
    client.post(reverse("password_reset"), {"email": system.email})
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (TOO_SHORT, "This password is too short. It must contain at least 12 characters."),
        (TOO_COMMON, "This password is too common."),
    ],
)
def test_a_password_set_from_a_link_uses_the_sign_up_rules(client, social_worker, new, message):
    client.post(reverse("password_reset"), {"email": social_worker.email})
    form_url = _follow_link(client, _link_from_last_email())
    response = _set(client, form_url, new)
    assert response.status_code == 200
    assert message in _errors(response)
    social_worker.refresh_from_db()
    assert social_worker.check_password(PASSWORD)


def test_a_password_set_from_a_link_works_once_and_signs_in(client, social_worker):
    client.post(reverse("password_reset"), {"email": social_worker.email})
    link = _link_from_last_email()
    form_url = _follow_link(client, link)
    assert client.get(form_url).status_code == 200
    done = _set(client, form_url, STRONG)
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert AuditEvent.objects.filter(actor=social_worker, action="user.password_set_from_link").exists()
    # The link is spent.
    again = client.get(link.removeprefix(settings.SITE_URL.rstrip("/")))
    assert b"This link does not work" in again.content
    signed_in = client.post(reverse("login"), {"username": social_worker.email, "password": STRONG})
    assert signed_in.status_code == 302


def test_an_invited_person_chooses_a_password_from_their_link(client, hampshire):
    invited = services.user_create(
        actor=None,
        email="new.starter@hants.example.gov.uk",
        full_name="New Starter",
        agency=hampshire,
        roles=[Role.SOCIAL_WORKER],
    )
    assert not invited.has_usable_password()
    form_url = _follow_link(client, password_set_url(invited))
    assert _set(client, form_url, TOO_COMMON).status_code == 200
    assert _set(client, form_url, STRONG).status_code == 302
    invited.refresh_from_db()
    assert invited.check_password(STRONG)
    # Having lost the invitation, they can ask for a link themselves.
    invited.set_unusable_password()
    invited.save()
    client.post(reverse("password_reset"), {"email": invited.email})
    assert len(mail.outbox) == 1


def test_the_sign_in_page_links_to_password_reset(client, db):
    assert reverse("password_reset").encode() in client.get(reverse("login")).content


# --- The e-mail address at sign-in ----------------------------------------------------------------


def test_sign_in_ignores_the_case_of_the_email(client, social_worker):
    response = client.post(
        reverse("login"), {"username": "  Sam.Okafor@HANTS.example.gov.uk ", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_the_lockout_counts_every_spelling_of_the_email_as_one(client, social_worker):
    spellings = ["Sam.Okafor@hants.example.gov.uk", "SAM.OKAFOR@HANTS.EXAMPLE.GOV.UK", social_worker.email]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": spellings[attempt % len(spellings)], "password": "wrong"},
            REMOTE_ADDR="10.0.0.9",
        )
    locked = client.post(
        reverse("login"), {"username": social_worker.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert locked.status_code == 429


def test_e_mail_addresses_are_stored_in_lower_case(hampshire):
    person = UserFactory.build(agency=hampshire)
    stored = services.user_create(
        actor=None,
        email="Mixed.Case@Hants.Example.gov.uk",
        full_name=person.full_name,
        agency=hampshire,
        roles=[],
    )
    assert stored.email == "mixed.case@hants.example.gov.uk"
