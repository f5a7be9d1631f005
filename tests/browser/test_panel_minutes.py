"""After a meeting, with JavaScript off: the administrator drafts and edits the minutes, the chair
approves them, the administrator circulates them and prepares and sends a decision letter. The
same pages pass axe-core (checked in a second, JavaScript-enabled session, since axe needs it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from panels.models import AgendaItem, Membership
from referrals.models import Referral
from tests.browser.conftest import assert_accessible
from tests.factories import MeetingFactory, PanelFactory, UserFactory, attendance_for, signed_decision_for

pytestmark = pytest.mark.browser


def test_minutes_approved_and_letter_sent_without_javascript(
    transactional_db,
    hampshire,
    hiow_icb,
    child,
    social_worker,
    service_manager,
    panel_chair,
    live_server,
    new_page,
    sign_in,
):
    administrator = UserFactory(agency=hampshire, roles=["panel_administrator"], full_name="Paul Adeyemi")
    member = UserFactory(agency=hiow_icb, roles=["panel_member"], full_name="Irene Grant")
    panel = PanelFactory(name="Hampshire IRAP", host_agency=hampshire)
    start = timezone.localdate() - dt.timedelta(days=60)
    for person, agency, role in [(panel_chair, hampshire, "chair"), (member, hiow_icb, "member")]:
        Membership.objects.create(panel=panel, person=person, agency=agency, role=role, starts_on=start)
    day = timezone.localdate() - dt.timedelta(days=1)
    while day.weekday() > 4:
        day -= dt.timedelta(days=1)
    meeting = MeetingFactory(panel=panel, date=day)
    referral = Referral.objects.create(
        child=child,
        panel=panel,
        meeting=meeting,
        pathway="joint_package",
        status="on_agenda",
        referrer=social_worker,
        referrer_agency=hampshire,
        created_by=social_worker,
    )
    item = AgendaItem.objects.create(
        meeting=meeting, kind="referral", referral=referral, title="Item", added_by=administrator
    )
    attendance_for(meeting, panel_chair, member, recorded_by=administrator)
    signed_decision_for(
        item, chair=panel_chair, shares=[(hampshire, "50", "743.20"), (hiow_icb, "50", "743.20")]
    )
    minutes_url = f"{live_server.url}/panels/meetings/{meeting.pk}/minutes/"
    letters_url = f"{live_server.url}/panels/meetings/{meeting.pk}/letters/"

    page = new_page(java_script_enabled=False)
    sign_in(page, administrator.email)
    page.goto(minutes_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Minutes")
    page.get_by_role("link", name="Draft the minutes").click()
    page.get_by_role("button", name="Draft the minutes").click()
    expect(page.get_by_text("Minutes drafted from the meeting's record")).to_be_visible()
    minutes_box = page.get_by_label("Minutes")
    expect(minutes_box).to_contain_text(f"Referral {referral.pk} for {child.initials}")
    minutes_box.fill("")
    page.get_by_role("button", name="Save the minutes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the minutes")
    page.get_by_label("Minutes").fill(
        f"Minutes of the meeting.\nReferral {referral.pk} for {child.initials}: agreed."
    )
    page.get_by_role("button", name="Save the minutes").click()
    expect(page.get_by_text("Minutes saved")).to_be_visible()

    chair = new_page(java_script_enabled=False)
    sign_in(chair, panel_chair.email)
    chair.goto(minutes_url)
    chair.get_by_role("link", name="Approve the minutes").click()
    chair.get_by_role("button", name="Approve the minutes").click()
    expect(chair.get_by_text("Minutes approved")).to_be_visible()
    expect(chair.locator("main .govuk-tag").first).to_have_text("Approved by the chair")

    page.goto(minutes_url)
    page.get_by_role("link", name="Circulate the minutes").click()
    page.get_by_role("button", name="Circulate the minutes").click()
    expect(page.get_by_text("Minutes circulated to the panel's members")).to_be_visible()
    expect(page.get_by_role("link", name="Download the minutes (PDF)")).to_be_visible()

    page.goto(letters_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Decision letters")
    page.get_by_role("link", name=f"Prepare the letter for referral {referral.pk}").click()
    page.get_by_role("button", name="Prepare the letter").click()
    expect(page.get_by_label("Letter")).to_contain_text(f"decision on the referral for {child.initials}")
    page.get_by_role("button", name="Save the letter").click()
    expect(page.get_by_text("Letter saved")).to_be_visible()
    page.get_by_role("link", name=f"Send the letter for referral {referral.pk}").click()
    page.get_by_role("button", name="Send the letter").click()
    expect(page.get_by_text("Letter sent to the referrer and their service manager")).to_be_visible()
    expect(page.locator("table")).to_contain_text(f"{social_worker.full_name} (Referrer): e-mailed")
    expect(page.locator("table")).to_contain_text(
        f"{service_manager.full_name} (Service manager (budget holder)): e-mailed"
    )

    checker = new_page()
    sign_in(checker, administrator.email)
    for url in (minutes_url, letters_url, f"{live_server.url}/panels/{panel.pk}/letter-template/"):
        checker.goto(url)
        assert_accessible(checker)
    reader = new_page()
    sign_in(reader, member.email)
    reader.goto(minutes_url)
    expect(reader.get_by_text("Minutes of the meeting.")).to_be_visible()
    assert_accessible(reader)
