"""The main journeys in a real browser (Debian Chromium through Playwright), with axe-core checks.

Each test signs in through the real form against pytest-django's live server. `transactional_db`
comes first in each signature so the personas are committed and visible to the server's thread.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, assert_accessible

pytestmark = pytest.mark.browser

INVALID_NHS_NUMBER = "943 476 5918"  # check digit should be 9
VALID_NHS_NUMBER = "943 476 5919"


def assert_page_furniture(page: Page) -> None:
    """Every page carries the protective marking and a skip link to the main content."""
    expect(page.locator("header .app-protective-marking")).to_contain_text("OFFICIAL-SENSITIVE")
    expect(page.locator("footer .app-protective-marking")).to_contain_text("OFFICIAL-SENSITIVE")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_have_attribute("href", "#main-content")
    expect(page.locator("main#main-content")).to_have_count(1)


def summary_value(page: Page, key: str):
    return page.locator(".govuk-summary-list__row", has=page.locator("dt", has_text=key)).locator("dd")


def test_find_a_child(transactional_db, social_worker, child, live_server, page, sign_in):
    sign_in(page, social_worker.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    assert_page_furniture(page)
    assert_accessible(page)

    # The skip link is the first thing a keyboard reaches, and moves focus to the main content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Children").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Children")
    assert_page_furniture(page)
    assert_accessible(page)

    page.get_by_label("Search children").fill("Hart")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/children/\?q=Hart$"))
    expect(page.get_by_role("status")).to_contain_text("1 result for name Hart")
    assert_accessible(page)

    page.get_by_role("link", name="HART, Amelia").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amelia Hart")
    expect(summary_value(page, "NHS number")).to_have_text(child.nhs_number_display)
    assert_page_furniture(page)
    assert_accessible(page)


def test_find_a_child_without_javascript(
    transactional_db, social_worker, child, live_server, new_page, sign_in
):
    page = new_page(java_script_enabled=False)
    sign_in(page, social_worker.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    # The inline script in base.html would have added js-enabled: prove it did not run.
    expect(page.locator("body")).not_to_have_class(re.compile(r"js-enabled"))

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Children").click()
    page.get_by_label("Search children").fill("Hart")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_contain_text("1 result for name Hart")

    page.get_by_role("link", name="HART, Amelia").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amelia Hart")
    expect(summary_value(page, "NHS number")).to_have_text(child.nhs_number_display)


def test_register_a_child_after_fixing_an_error(transactional_db, social_worker, live_server, page, sign_in):
    sign_in(page, social_worker.email)
    page.goto(f"{live_server.url}/children/")
    page.get_by_role("link", name="Register a child").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a child")
    assert_accessible(page)

    page.get_by_label("Given name", exact=True).fill("Isla")
    page.get_by_label("Family name", exact=True).fill("Brennan")
    page.get_by_label("Date of birth").fill("27/03/2015")
    page.get_by_label(re.compile(r"^NHS number")).fill(INVALID_NHS_NUMBER)
    page.get_by_role("button", name="Register child").click()

    expect(page).to_have_title(re.compile(r"^Error: Register a child"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary on load
    error_link = summary.get_by_role("link", name=re.compile(r"check digit does not match"))
    expect(error_link).to_have_attribute("href", "#id_nhs_number")
    nhs_input = page.get_by_label(re.compile(r"^NHS number"))
    expect(nhs_input).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_nhs_number-error")).to_contain_text("check digit does not match")
    # Nothing typed is lost.
    expect(page.get_by_label("Given name", exact=True)).to_have_value("Isla")
    expect(page.get_by_label("Family name", exact=True)).to_have_value("Brennan")
    expect(nhs_input).to_have_value(INVALID_NHS_NUMBER)
    assert_accessible(page)

    error_link.click()
    expect(nhs_input).to_be_focused()
    nhs_input.fill(VALID_NHS_NUMBER)
    page.get_by_role("button", name="Register child").click()

    expect(page).to_have_url(re.compile(r"/children/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Isla Brennan")
    expect(page.get_by_role("alert")).to_contain_text("Isla Brennan has been registered")
    expect(summary_value(page, "NHS number")).to_have_text(VALID_NHS_NUMBER)
    assert_accessible(page)


def test_outsider_cannot_reach_a_hampshire_child(
    transactional_db, outsider, child, leicester_child, live_server, page, sign_in
):
    sign_in(page, outsider.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")

    response = page.goto(f"{live_server.url}/children/{child.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page).to_have_title(re.compile(r"^Page not found – "))
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator("main")).not_to_contain_text("Amelia")
    assert_page_furniture(page)
    assert_accessible(page)

    page.goto(f"{live_server.url}/children/")
    expect(page.get_by_role("status")).to_contain_text("1 child your agency is involved with")
    expect(page.get_by_role("link", name="MARSH, Leo")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Hart")
    expect(page.locator("main")).not_to_contain_text(child.nhs_number_display)

    # Searching by name or NHS number finds nothing either.
    for query in ("Hart", child.nhs_number):
        page.get_by_label("Search children").fill(query)
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("status")).to_contain_text("0 results")
        expect(page.get_by_role("heading", name="No children found")).to_be_visible()


def test_five_wrong_passwords_lock_sign_in(
    transactional_db, social_worker, team_manager, live_server, page, new_page, sign_in
):
    for _ in range(4):
        sign_in(page, social_worker.email, "not the right password")
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Enter a correct email address and password"
        )
    sign_in(page, social_worker.email, "not the right password")  # the fifth: limit reached

    with page.expect_response(lambda r: r.request.method == "POST" and "/sign-in/" in r.url) as posted:
        sign_in(page, social_worker.email, PASSWORD)
    assert posted.value.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is locked")
    expect(page.locator("main")).to_contain_text("You can try again in 30 minutes")
    assert_accessible(page)

    # Still signed out: pages send Sam back to sign in.
    page.goto(f"{live_server.url}/children/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/children/$"))

    # The lock is on username + IP address: a colleague in the same office can still sign in.
    colleague = new_page()
    sign_in(colleague, team_manager.email)
    expect(colleague.get_by_role("heading", level=1)).to_have_text("My work")


def test_menu_on_a_narrow_screen(transactional_db, social_worker, live_server, new_page, sign_in):
    # The real CSP here (no bypass): the nonce'd inline script and app.js must both run under it.
    page = new_page(viewport={"width": 375, "height": 667}, bypass_csp=False)
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, social_worker.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))

    menu = page.get_by_role("button", name="Menu")
    children_link = page.get_by_role("navigation", name="Menu").get_by_role("link", name="Children")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(children_link).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(children_link).to_be_visible()
    children_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Children")
    assert csp_errors == []
