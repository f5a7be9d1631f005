"""The administrator builds a meeting's agenda and circulates the papers with JavaScript off; the
agenda and papers pages pass axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from panels.models import Membership
from tests.browser.conftest import assert_accessible
from tests.factories import MeetingFactory, PanelFactory, UserFactory
from tests.panels.conftest import submit_referral

pytestmark = pytest.mark.browser


def test_administrator_builds_and_circulates_an_agenda_without_javascript(
    transactional_db,
    hampshire,
    hiow_icb,
    child,
    social_worker,
    team_manager,
    service_manager,
    panel_chair,
    live_server,
    new_page,
    sign_in,
):
    administrator = UserFactory(agency=hampshire, roles=["panel_administrator"], full_name="Paul Adeyemi")
    member = UserFactory(agency=hiow_icb, roles=["panel_member"], full_name="Irene Grant")
    panel = PanelFactory(name="Hampshire IRAP", host_agency=hampshire)
    start = timezone.localdate() - dt.timedelta(days=30)
    for person, agency, role in [(panel_chair, hampshire, "chair"), (member, hiow_icb, "member")]:
        Membership.objects.create(panel=panel, person=person, agency=agency, role=role, starts_on=start)
    day = timezone.localdate() + dt.timedelta(days=42)
    while day.weekday() != 3:
        day += dt.timedelta(days=1)
    meeting = MeetingFactory(panel=panel, date=day)
    submit_referral(
        child=child,
        meeting=meeting,
        social_worker=social_worker,
        team_manager=team_manager,
        service_manager=service_manager,
        hampshire=hampshire,
        hiow_icb=hiow_icb,
    )
    agenda_url = f"{live_server.url}/panels/meetings/{meeting.pk}/agenda/"
    papers_url = f"{live_server.url}/panels/meetings/{meeting.pk}/papers/"

    page = new_page(java_script_enabled=False)
    sign_in(page, administrator.email)
    page.goto(agenda_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agenda for")
    page.get_by_role("button", name="Build the agenda from the submitted referrals").click()
    expect(page.get_by_text("1 item added to the agenda")).to_be_visible()

    page.get_by_role("link", name="Add any other business").click()
    page.get_by_role("button", name="Add to agenda").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a title for the item")
    page.get_by_label("Title").fill("Budget position")
    page.get_by_role("button", name="Add to agenda").click()
    expect(page.get_by_text("Budget position added to the agenda")).to_be_visible()

    page.locator("tbody tr", has_text="Budget position").get_by_role("button", name="Up").click()
    expect(page.locator("table tbody tr").first).to_contain_text("Budget position")

    page.get_by_role("link", name="Lead member for Budget position").click()
    page.get_by_label("Lead member").select_option(
        label="Irene Grant (Member, NHS Hampshire and Isle of Wight ICB)"
    )
    page.get_by_role("button", name="Save lead member").click()
    expect(page.locator("table tbody tr").first).to_contain_text("Irene Grant")

    page.get_by_role("link", name="Circulate the papers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Circulate the papers")
    page.get_by_role("button", name="Circulate papers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Papers for")
    expect(page.get_by_text("Papers circulated to the panel's members")).to_be_visible()
    expect(page.get_by_role("link", name=f"Referral for {child.initials}")).to_be_visible()

    # The axe checks need JavaScript to run axe itself: the same pages in a second session.
    checker = new_page()
    sign_in(checker, administrator.email)
    checker.goto(agenda_url)
    assert_accessible(checker)
    checker.goto(papers_url)
    assert_accessible(checker)

    reader = new_page()
    sign_in(reader, member.email)
    reader.goto(papers_url)
    expect(reader.get_by_text(f"Until the end of {day:%A %-d %B %Y}")).to_be_visible()
    assert_accessible(reader)
