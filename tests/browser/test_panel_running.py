"""The chair runs a meeting in the browser without JavaScript: attendance, a decision signed; axe-core."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from panels.models import AgendaItem, Decision, Membership
from referrals.models import Option, OptionShare, Referral
from tests.browser.conftest import assert_accessible
from tests.factories import MeetingFactory, PanelFactory, UserFactory

pytestmark = pytest.mark.browser


def test_chair_records_attendance_and_signs_a_decision(
    transactional_db, hampshire, hiow_icb, panel_chair, social_worker, child, live_server, new_page, sign_in
):
    today = timezone.localdate()
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    panel.quorum_agencies.set([hampshire, hiow_icb])
    panel.quorum_members_per_agency = 1
    panel.save()
    icb_member = UserFactory(agency=hiow_icb, roles=["panel_member"], full_name="Irene Grant")
    start = today - dt.timedelta(days=30)
    Membership.objects.create(
        panel=panel, person=panel_chair, agency=hampshire, role="chair", starts_on=start
    )
    Membership.objects.create(panel=panel, person=icb_member, agency=hiow_icb, role="member", starts_on=start)
    meeting = MeetingFactory(panel=panel, date=today)
    referral = Referral.objects.create(
        child=child,
        panel=panel,
        meeting=meeting,
        pathway="joint_package",
        status="on_agenda",
        referrer=social_worker,
        referrer_agency=hampshire,
        created_by=social_worker,
        reason_for_referral="Placement at risk.",
    )
    option = Option.objects.create(
        referral=referral,
        position=1,
        description="Residential short breaks",
        cost=Decimal("1234.56"),
        period="weekly",
        is_recommended=True,
    )
    OptionShare.objects.bulk_create(
        [
            OptionShare(option=option, agency=hampshire, basis="percentage", value=Decimal("50")),
            OptionShare(option=option, agency=hiow_icb, basis="percentage", value=Decimal("50")),
        ]
    )
    item = AgendaItem.objects.create(
        meeting=meeting, kind="referral", referral=referral, title="AH: joint package", added_by=panel_chair
    )

    page = new_page(java_script_enabled=False)
    sign_in(page, panel_chair.email)
    page.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/run/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Run the meeting")
    expect(page.locator("#quorum")).to_contain_text("Not quorate")

    page.get_by_role("group", name="Peter Hale").get_by_label("Present").check()
    page.get_by_role("group", name="Irene Grant").get_by_label("Present").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator("#quorum")).to_contain_text("Quorate")
    expect(page.get_by_text("1 of 1 present").first).to_be_visible()

    # The agenda says where each item stands; each item has its own page.
    expect(page.locator(f"#agenda-item-{item.pk}")).to_contain_text("Not started")
    page.get_by_role("link", name="Item 1: AH: joint package").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Item 1: AH: joint package")
    section = page.locator(f"#item-{item.pk}")
    # The decision form is closed until the chair opens it.
    expect(section.get_by_label("Rationale")).to_be_hidden()
    section.get_by_text(f"Record the decision on item {item.position}").click()
    # A missing review date is shown next to its field, with the typing kept.
    section.get_by_label("Agreed as recommended").check()
    section.get_by_label("Rationale").fill("Short breaks meet her needs.")
    section.get_by_label("Lead agency").select_option(label=hampshire.name)
    section.get_by_role("button", name="Save draft decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the review date")
    section = page.locator(f"#item-{item.pk}")
    expect(section.get_by_label("Rationale")).to_have_value("Short breaks meet her needs.")
    review = (today + dt.timedelta(days=180)).strftime("%d/%m/%Y")
    section.get_by_label("Review date").fill(review)
    section.get_by_role("button", name="Save draft decision").click()
    expect(page.locator(f"#item-{item.pk}")).to_contain_text("Draft decision")
    assert page.url.endswith(f"/run/items/{item.pk}/#decision")

    page.locator(f"#item-{item.pk}").get_by_role("button", name="Sign the decision").click()
    expect(page.locator(f"#item-{item.pk}")).to_contain_text("Signed")
    assert Decision.objects.get().status == "signed"
    referral.refresh_from_db()
    assert referral.status == "decided"

    # axe-core needs JavaScript: check the same page, and a form error on it, in a second browser.
    checker = new_page()
    sign_in(checker, panel_chair.email)
    checker.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/run/")
    assert_accessible(checker)
    checker.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/run/items/{item.pk}/")
    assert_accessible(checker)
    checker.get_by_text(f"Record a declaration on item {item.position}").click()
    checker.get_by_role("button", name="Record declaration").click()
    expect(checker.locator(".govuk-error-summary")).to_contain_text("Choose the member")
    assert_accessible(checker)
