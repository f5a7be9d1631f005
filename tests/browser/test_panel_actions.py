"""The action log and the tracker in the browser, without JavaScript, with axe-core checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.factories import ChildFactory, MeetingFactory, PanelFactory, UserFactory, tracker_referral_for

pytestmark = pytest.mark.browser


def test_administrator_raises_updates_and_closes_an_action(
    transactional_db, hampshire, hiow_icb, social_worker, live_server, new_page, sign_in
):
    administrator = UserFactory(agency=hampshire, roles=["panel_administrator"], full_name="Adam Clerk")
    panel = PanelFactory(name="Hampshire Integrated Resource Allocation Panel", host_agency=hampshire)
    meeting = MeetingFactory(panel=panel, date=timezone.localdate() - dt.timedelta(days=7))
    child = ChildFactory(
        given_name="Amelia", family_name="Hart", owning_agency=hampshire, involved=[hiow_icb]
    )
    tracker_referral_for(
        child=child,
        meeting=meeting,
        referrer=social_worker,
        outcome="agreed_with_conditions",
        shares=[(hampshire, "743.20"), (hiow_icb, "743.20")],
    )
    page = new_page(java_script_enabled=False)
    sign_in(page, administrator.email)
    # axe-core needs JavaScript: each page the journey reaches is checked again in a second browser.
    axe_page = new_page()
    sign_in(axe_page, administrator.email)

    def check(reached):
        axe_page.goto(reached.url)
        assert_accessible(axe_page)

    page.goto(f"{live_server.url}/panels/{panel.pk}/actions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Action log")
    check(page)

    page.get_by_role("link", name="Add an action").click()
    check(page)
    page.get_by_role("button", name="Add action").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the action")
    check(page)
    page.get_by_label("Action", exact=True).fill("Children and young people attend the board")
    page.get_by_label("Desired outcome").fill("The voice of the child is heard")
    page.get_by_label("Adam Clerk").check()
    page.get_by_label("Due by").fill((timezone.localdate() + dt.timedelta(days=30)).strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Action 1")
    check(page)

    page.get_by_label("Update").fill("Workshop booked with the children in care council")
    page.get_by_role("button", name="Add update").click()
    expect(page.locator("#updates ~ ol")).to_contain_text("Workshop booked")

    page.get_by_role("link", name="Close action").click()
    check(page)
    page.get_by_label("Actual impact").fill("Two young people now attend every meeting")
    page.get_by_role("button", name="Close action").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Closed")
    check(page)

    page.goto(f"{live_server.url}/panels/{panel.pk}/actions/?status=closed")
    expect(page.locator("table")).to_contain_text("Children and young people attend the board")
    check(page)

    page.goto(f"{live_server.url}/panels/{panel.pk}/tracker/")
    expect(page.locator("table").first).to_contain_text("AH")
    expect(page.locator("#totals ~ .app-table-scroll table").first).to_contain_text("£743.20")
    check(page)
