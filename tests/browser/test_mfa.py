"""Two-step verification in a real browser: a panel chair's first sign-in sets up an app, the next
asks for its code; each page passes the axe-core check."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from casework import mfa
from tests.browser.conftest import PASSWORD, assert_accessible

pytestmark = pytest.mark.browser


def test_a_panel_chair_sets_up_an_app_then_signs_in_with_it(transactional_db, panel_chair, live_server, page):
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Email address").fill(panel_chair.email.upper())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step verification")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page)
    secret = page.get_by_label("Key").input_value().replace(" ", "")
    key_hex = b32decode(secret + "=" * (-len(secret) % 8)).hex()
    page.get_by_label("Enter the 6-digit code your app now shows").fill(mfa.current_code(key_hex))
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Two-step verification is on")).to_be_visible()
    expect(page.locator(".app-recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="I have kept my recovery codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email address").fill(panel_chair.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check it is you")
    assert_accessible(page)
    page.get_by_label("Enter the 6-digit code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not correct")
    assert_accessible(page)
    device = TOTPDevice.objects.get(user=panel_chair)
    page.wait_for_timeout(1100)  # django-otp's back-off after one wrong code: one second
    page.get_by_label("Enter the 6-digit code from your authenticator app").fill(mfa.next_unused_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
