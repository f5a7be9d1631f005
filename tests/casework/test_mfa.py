"""Two-step verification (issue 12): required for partnership administrators, panel chairs, finance
approvers and auditors, optional for everyone else, and covered by the same lockout as passwords.

These tests sign in through the pages (or `client.login`), never with force_login, which stands
for a finished sign-in (tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework import mfa, services
from casework.demo import demo_totp_key, two_step_lines
from casework.models import AuditEvent, Role
from tests.factories import UserFactory
from tests.mfa_helpers import authenticator_for, fresh_recovery_code

PASSWORD = "correct horse battery staple"
IP = "10.0.0.7"


def sign_in(client, email, password=PASSWORD, ip=IP, next_url=None):
    data = {"username": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, REMOTE_ADDR=ip)


def enter_code(client, code, ip=IP, next_url=""):
    url = reverse("mfa_verify") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"code": code, "next": next_url}, REMOTE_ADDR=ip)


def setup_key(client) -> str:
    return client.session[mfa.SETUP_KEY_SESSION_KEY]


@pytest.fixture
def chair(hampshire):
    return UserFactory(agency=hampshire, roles=[Role.PANEL_CHAIR, Role.PANEL_MEMBER])


def test_the_required_roles_are_one_constant():
    assert {Role.PARTNERSHIP_ADMINISTRATOR, Role.PANEL_CHAIR, Role.FINANCE_APPROVER, Role.AUDITOR} == set(
        mfa.MFA_REQUIRED_ROLES
    )


@pytest.mark.parametrize("role", sorted(mfa.MFA_REQUIRED_ROLES))
def test_required_roles_reach_no_page_before_setting_up(client, hampshire, role):
    person = UserFactory(agency=hampshire, roles=[role])
    response = sign_in(client, person.email)
    assert response.status_code == 302
    for url in (
        reverse("home"),
        reverse("children:list"),
        reverse("notifications"),
        reverse("account"),
        reverse("api_tokens"),
        reverse("api_token_new"),
        reverse("mfa_overview"),
        reverse("mfa_recovery_codes"),
        reverse("password_change"),
        reverse("api-docs"),
    ):
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer["Location"].startswith(reverse("mfa_setup")), url
    # Nor can they post anything.
    assert client.post(reverse("notifications_read"))["Location"] == reverse("mfa_setup")
    # The API treats the half-finished session as no session.
    assert client.get("/api/me/").status_code == 401
    assert client.get(reverse("mfa_setup")).status_code == 200


def test_a_person_with_an_app_reaches_no_page_before_the_code(client, chair):
    authenticator_for(chair)
    response = sign_in(client, chair.email, next_url="/children/")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 302 and page["Location"] == reverse("mfa_verify") + "?next=%2Fchildren%2F"
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa_verify"))
    assert client.get("/api/me/").status_code == 401
    # A password alone cannot replace the person's app.
    assert client.get(reverse("mfa_setup"))["Location"].startswith(reverse("mfa_verify"))
    code_page = client.get(reverse("mfa_verify"))
    assert code_page.status_code == 200
    assert b"Enter the 6-digit code from your authenticator app" in code_page.content
    assert b"Notices" not in code_page.content and b"My work" not in code_page.content


def test_optional_roles_sign_in_with_a_password_alone(client, social_worker):
    assert not mfa.role_requires_mfa(social_worker)
    response = sign_in(client, social_worker.email)
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("account")).status_code == 200
    assert client.get("/api/me/").status_code == 200


def test_optional_roles_who_set_up_an_app_must_use_it(client, social_worker):
    device = authenticator_for(social_worker)
    sign_in(client, social_worker.email)
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa_verify"))
    response = enter_code(client, mfa.next_unused_code(device))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_setting_up_an_app_at_first_sign_in(client, chair):
    sign_in(client, chair.email)
    page = client.get(reverse("mfa_setup"))
    body = page.content.decode()
    key = setup_key(client)
    # The secret as text and as an otpauth:// link, for people without a camera, beside the QR code.
    assert mfa.secret_base32(key) in body
    assert "otpauth://totp/" in body and "<svg" in body
    wrong = client.post(
        reverse("mfa_setup"), {"code": "000000" if mfa.current_code(key) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert "The code is not correct" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=chair).exists()

    done = client.post(reverse("mfa_setup"), {"code": mfa.current_code(key)})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())
    assert len(codes) == 10
    device = TOTPDevice.objects.get(user=chair)
    assert device.confirmed and device.key == key
    assert AuditEvent.objects.filter(actor=chair, action="user.authenticator_set_up").exists()
    assert client.get(reverse("home")).status_code == 200
    # The confirming code cannot also sign someone in.
    assert mfa.verify_code(user=chair, code=mfa.current_code(key)) is None
    # The codes were shown once: the overview only counts them.
    overview = client.get(reverse("mfa_overview")).content.decode()
    assert "10 left" in overview and codes[0] not in overview


def test_wrong_code_says_so_and_keeps_the_person_at_the_step(client, chair):
    device = authenticator_for(chair)
    sign_in(client, chair.email)
    good = mfa.next_unused_code(device)
    wrong = "123456" if good != "123456" else "654321"
    response = enter_code(client, wrong)
    assert response.status_code == 200
    assert "The code is not correct" in response.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa_verify"))
    blank = enter_code(client, "")
    assert "Enter the 6-digit code from your authenticator app" in blank.content.decode()


def test_the_code_returns_the_person_to_the_page_they_asked_for(client, chair):
    device = authenticator_for(chair)
    sign_in(client, chair.email)
    response = enter_code(client, mfa.next_unused_code(device), next_url="/children/")
    assert response["Location"] == "/children/"
    # Once verified, the code step sends them on, but never off the site.
    assert client.get(reverse("mfa_verify") + "?next=https://evil.example/")["Location"] == reverse("home")


def test_a_recovery_code_works_once(client, chair):
    code = fresh_recovery_code(chair)
    sign_in(client, chair.email)
    response = enter_code(client, code.upper()[:4] + " " + code.upper()[4:])
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert AuditEvent.objects.filter(actor=chair, action="user.recovery_code_used").exists()
    client.post(reverse("logout"))

    sign_in(client, chair.email)
    again = enter_code(client, code)
    assert again.status_code == 200 and "The code is not correct" in again.content.decode()


def test_new_recovery_codes_replace_the_old_ones(client, chair):
    old = fresh_recovery_code(chair)
    client.force_login(chair)
    confirm = client.get(reverse("mfa_recovery_codes"))
    assert b"Make new recovery codes" in confirm.content
    made = client.post(reverse("mfa_recovery_codes"))
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", made.content.decode())
    assert len(codes) == 10
    assert set(StaticToken.objects.filter(device__user=chair).values_list("token", flat=True)) == set(codes)
    assert old not in codes
    assert mfa.recovery_codes_left(chair) == 10


def test_a_verified_person_may_replace_their_app(client, chair):
    old = authenticator_for(chair)
    client.force_login(chair)
    client.get(reverse("mfa_setup"))
    key = setup_key(client)
    assert key != old.key
    response = client.post(reverse("mfa_setup"), {"code": mfa.current_code(key)})
    assert response.status_code == 200
    assert list(TOTPDevice.objects.filter(user=chair).values_list("key", flat=True)) == [key]
    assert StaticDevice.objects.filter(user=chair).count() == 1
    assert AuditEvent.objects.filter(actor=chair, action="user.authenticator_replaced").exists()


def test_wrong_codes_lock_the_person_out_like_wrong_passwords(client, chair):
    device = authenticator_for(chair)
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(client, chair.email)
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            good = mfa.next_unused_code(device)
            response = enter_code(client, "000000" if good != "000000" else "111111")
            # django-otp's own back-off (1, 2, 4 ... seconds) is waited out, so every code is checked.
            traveller.shift(20)
        assert response.status_code == 429
        assert b"locked" in response.content.lower()
        # The half-finished sign-in is over, and the right password is refused too.
        assert client.get(reverse("home"))["Location"].startswith(reverse("login"))
        assert sign_in(client, chair.email).status_code == 429
        # From another address (the lockout is on username and IP) the person can go on.
        assert sign_in(client, chair.email, ip="10.0.0.8").status_code == 302
        assert enter_code(client, mfa.next_unused_code(device), ip="10.0.0.8").status_code == 302


def test_a_right_password_does_not_wipe_the_count_of_wrong_codes(client, chair):
    device = authenticator_for(chair)
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(client, chair.email)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            enter_code(client, "000000" if mfa.next_unused_code(device) != "000000" else "111111")
            traveller.shift(20)
        client.post(reverse("logout"))
        assert sign_in(client, chair.email).status_code == 302
        last = enter_code(client, "000000" if mfa.next_unused_code(device) != "000000" else "111111")
        assert last.status_code == 429


def test_a_finished_sign_in_forgives_earlier_wrong_codes(client, chair):
    device = authenticator_for(chair)
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(client, chair.email)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            enter_code(client, "000000" if mfa.next_unused_code(device) != "000000" else "111111")
            traveller.shift(20)
        assert enter_code(client, mfa.next_unused_code(device)).status_code == 302
        client.post(reverse("logout"))
        traveller.shift(30)
        sign_in(client, chair.email)
        once_more = enter_code(client, "000000" if mfa.next_unused_code(device) != "000000" else "111111")
        assert once_more.status_code == 200


def test_the_api_takes_tokens_but_not_a_half_finished_session(client, chair):
    _token, secret = services.api_token_create(actor=chair, user=chair, name="Script")
    sign_in(client, chair.email)
    assert client.get("/api/me/").status_code == 401
    assert client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_signing_out_is_always_possible(client, chair):
    sign_in(client, chair.email)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_account_page_links_password_two_step_and_tokens(client, social_worker):
    client.force_login(social_worker)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("account")}"' in home
    page = client.get(reverse("account")).content.decode()
    for name in ("password_change", "mfa_overview", "api_tokens"):
        assert f'href="{reverse(name)}"' in page
    overview = client.get(reverse("mfa_overview")).content.decode()
    assert "Off" in overview and reverse("mfa_setup") in overview


def test_an_optional_person_sets_up_an_app_from_their_account(client, social_worker):
    client.force_login(social_worker)
    client.get(reverse("mfa_setup"))
    key = setup_key(client)
    assert client.post(reverse("mfa_setup"), {"code": mfa.current_code(key)}).status_code == 200
    assert mfa.has_authenticator(social_worker)
    assert client.get(reverse("home")).status_code == 200  # this session is verified by it


def test_the_operator_admin_shows_no_authenticator_secret():
    assert TOTPDevice not in admin.site._registry and StaticDevice not in admin.site._registry


# --- The demo ---------------------------------------------------------------------------------------


def test_demo_secrets_are_fixed_per_person_and_printed():
    assert demo_totp_key("panel.chair@hants.demo.gov.uk") == demo_totp_key("Panel.Chair@hants.demo.gov.uk")
    assert demo_totp_key("panel.chair@hants.demo.gov.uk") != demo_totp_key("finance@hants.demo.gov.uk")
    lines = "\n".join(two_step_lines())
    assert "panel.chair@hants.demo.gov.uk" in lines and "admin@leics.demo.gov.uk" in lines
    assert mfa.secret_base32(demo_totp_key("auditor@hants.demo.gov.uk")) in lines
    assert "social.worker@hants.demo.gov.uk" not in lines


def test_the_demo_gives_each_person_who_needs_it_an_app_with_their_fixed_secret(hampshire, social_worker):
    from casework.demo import _load_demo_authenticators

    chair = UserFactory(email="panel.chair@hants.demo.gov.uk", agency=hampshire, roles=[Role.PANEL_CHAIR])
    assert _load_demo_authenticators([chair, social_worker]) == 1
    assert TOTPDevice.objects.get(user=chair).key == demo_totp_key(chair.email)
    assert not mfa.has_authenticator(social_worker)
    assert _load_demo_authenticators([chair, social_worker]) == 0


def test_demo_totp_prints_a_code_that_signs_the_demo_person_in(client, hampshire, capsys):
    email = "panel.chair@hants.demo.gov.uk"
    person = UserFactory(email=email, agency=hampshire, roles=[Role.PANEL_CHAIR])
    TOTPDevice.objects.create(user=person, name=mfa.AUTHENTICATOR_NAME, key=demo_totp_key(email))
    call_command("demo_totp", "Panel.Chair@hants.demo.gov.uk")
    code = capsys.readouterr().out.strip()
    assert re.fullmatch(r"\d{6}", code)
    sign_in(client, email)
    assert enter_code(client, code)["Location"] == reverse("home")
    # Used: the command now gives the next code, which also works.
    client.post(reverse("logout"))
    call_command("demo_totp", email)
    next_code = capsys.readouterr().out.strip()
    assert next_code != code
    sign_in(client, email)
    assert enter_code(client, next_code)["Location"] == reverse("home")


def test_demo_totp_refuses_people_without_a_demo_secret(db, social_worker):
    authenticator_for(social_worker)
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_totp", social_worker.email)


def test_demo_totp_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo_totp", "panel.chair@hants.demo.gov.uk")


def test_a_partnership_administrator_resets_a_persons_app(hampshire, leicester, chair):
    from casework.access import NotAllowed

    administrator = UserFactory(agency=hampshire, roles=[Role.PARTNERSHIP_ADMINISTRATOR])
    other_partnership = UserFactory(agency=leicester, roles=[Role.PARTNERSHIP_ADMINISTRATOR])
    fresh_recovery_code(chair)
    with pytest.raises(NotAllowed):
        mfa.authenticator_reset(actor=other_partnership, user=chair)
    with pytest.raises(NotAllowed):
        mfa.authenticator_reset(actor=chair, user=chair)
    assert mfa.has_authenticator(chair)
    mfa.authenticator_reset(actor=administrator, user=chair)
    assert not mfa.has_authenticator(chair) and mfa.recovery_codes_left(chair) == 0
    assert AuditEvent.objects.filter(actor=administrator, action="user.authenticator_reset").exists()
