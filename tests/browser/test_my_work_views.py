"""The team and panel views of My work in a browser (issue 16): a team manager gives an absent
colleague's draft to someone else from the team view, without JavaScript; the pages again with
JavaScript for the axe-core checks; a panel administrator opens their panels' next meetings.

`transactional_db` comes first so the data is committed and visible to the live server's thread.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from casework.models import Role
from referrals.models import Referral
from tests.browser.conftest import assert_accessible
from tests.factories import MeetingFactory, PanelFactory, UserFactory

pytestmark = pytest.mark.browser


def test_team_manager_gives_a_colleagues_draft_away(
    transactional_db,
    live_server,
    new_page,
    sign_in,
    team_manager,
    social_worker,
    hampshire_team,
    child,
    hampshire,
):
    colleague = UserFactory(full_name="Cara Vale", agency=hampshire, roles=[Role.SOCIAL_WORKER])
    colleague.teams.add(hampshire_team)
    panel = PanelFactory(name="Hampshire IRAP", host_agency=hampshire)
    draft = Referral.objects.create(
        child=child,
        panel=panel,
        pathway="joint_package",
        referrer=social_worker,
        referrer_agency=hampshire,
        created_by=social_worker,
    )
    plain: Page = new_page(java_script_enabled=False)
    sign_in(plain, team_manager.email)
    plain.get_by_role("link", name="Your team's work").click()
    expect(plain.get_by_role("heading", level=1)).to_have_text("Your team's work")
    expect(plain.get_by_role("heading", name="Sam Okafor")).to_be_visible()
    plain.get_by_role("link", name="Give Sam Okafor's work to someone else").click()
    plain.get_by_role("button", name="Give the work").click()
    expect(plain.locator(".govuk-error-summary")).to_contain_text("Choose what to give")
    plain.get_by_label("Unfinished referrals", exact=False).check()
    plain.get_by_label("Who to give it to").select_option(label="Cara Vale")
    plain.get_by_role("button", name="Give the work").click()
    expect(plain.get_by_text("1 record of Sam Okafor given to Cara Vale")).to_be_visible()
    draft.refresh_from_db()
    assert draft.referrer == colleague

    Referral.objects.filter(pk=draft.pk).update(referrer=social_worker)
    page: Page = new_page()
    sign_in(page, team_manager.email)
    page.goto(f"{live_server.url}/my-work/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/my-work/team/")
    assert_accessible(page)
    page.get_by_role("link", name="Give Sam Okafor's work to someone else").click()
    page.get_by_role("button", name="Give the work").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)


def test_panel_administrator_sees_the_next_meetings(transactional_db, live_server, page, sign_in, hampshire):
    administrator = UserFactory(agency=hampshire, roles=[Role.PANEL_ADMINISTRATOR], full_name="Paul Adeyemi")
    panel = PanelFactory(name="Hampshire Integrated Resource Allocation Panel", host_agency=hampshire)
    MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=10))
    sign_in(page, administrator.email)
    page.get_by_role("link", name="Your panels' next meetings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your panels' next meetings")
    expect(page.get_by_text("Not circulated: due by")).to_be_visible()
    assert_accessible(page)
