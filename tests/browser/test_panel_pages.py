"""The panel administrator's pages in the browser, with axe-core checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.factories import MeetingFactory, PanelFactory, UserFactory

pytestmark = pytest.mark.browser


def test_administrator_moves_a_meeting(transactional_db, hampshire, live_server, page, sign_in):
    administrator = UserFactory(agency=hampshire, roles=["panel_administrator"], full_name="Paul Adeyemi")
    panel = PanelFactory(name="Hampshire Integrated Resource Allocation Panel", host_agency=hampshire)
    day = timezone.localdate() + dt.timedelta(days=30)
    while day.weekday() > 3:
        day += dt.timedelta(days=1)
    MeetingFactory(panel=panel, date=day)

    sign_in(page, administrator.email)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Panels").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Panels")
    assert_accessible(page)

    page.get_by_role("link", name=panel.name).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(panel.name)
    assert_accessible(page)

    page.goto(f"{live_server.url}/panels/meetings/")
    assert_accessible(page)
    page.get_by_role("link", name=day.strftime("%a %-d %b %Y")).first.click()
    assert_accessible(page)

    page.get_by_role("link", name="Move this meeting").click()
    assert_accessible(page)
    page.get_by_role("button", name="Move meeting").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
