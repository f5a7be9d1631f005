"""A decision with a three-way split becomes a package; each agency's finance approver approves
its share; the package is agreed and appears in each agency's commitments. axe-core on each page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.models import AgencyKind, Involvement, Role
from funding import services
from panels.models import AgendaItem, Decision, DecisionShare
from referrals.models import Referral
from tests.browser.conftest import assert_accessible
from tests.factories import AgencyFactory, MeetingFactory, PanelFactory, UserFactory

pytestmark = pytest.mark.browser


def test_three_way_split_is_approved_and_committed(
    transactional_db,
    live_server,
    new_page,
    sign_in,
    hampshire,
    hiow_icb,
    child,
    social_worker,
    council_finance,
    icb_finance,
):
    sen = AgencyFactory(
        name="Hampshire County Council SEN", kind=AgencyKind.SEN, partnership=hampshire.partnership
    )
    Involvement.objects.create(child=child, agency=sen, role="other", added_by=social_worker)
    sen_finance = UserFactory(
        email="sofia.penny@hants.example.gov.uk",
        agency=sen,
        roles=[Role.FINANCE_APPROVER],
        delegated_limit=Decimal("50000"),
    )
    admin = UserFactory(agency=hampshire, roles=[Role.PANEL_ADMINISTRATOR], full_name="Adam Clerk")
    panel = PanelFactory(name="Hampshire IRAP", host_agency=hampshire)
    today = timezone.localdate()
    meeting = MeetingFactory(panel=panel, date=today - dt.timedelta(days=3))
    referral = Referral.objects.create(
        child=child,
        panel=panel,
        meeting=meeting,
        pathway="joint_package",
        referrer=social_worker,
        referrer_agency=hampshire,
        status="decided",
        created_by=social_worker,
    )
    item = AgendaItem.objects.create(
        meeting=meeting, kind="referral", referral=referral, title="AH", added_by=admin
    )
    decision = Decision.objects.create(
        agenda_item=item,
        referral=referral,
        outcome="agreed_as_recommended",
        rationale="Agreed.",
        lead_agency=hampshire,
        cost=Decimal("2000.00"),
        cost_period="weekly",
        starts_on=today,
        review_date=today + dt.timedelta(days=180),
        recorded_by=admin,
        status="signed",
        signed_by=admin,
        signed_at=timezone.now(),
    )
    for agency, pct in ((hampshire, "50"), (sen, "20"), (hiow_icb, "30")):
        DecisionShare.objects.create(
            decision=decision, agency=agency, basis="percentage", value=Decimal(pct), amount=Decimal("0")
        )
    package = services.package_create_from_decision(actor=admin, decision=decision)

    for person, agency_name in (
        (council_finance, hampshire.name),
        (sen_finance, sen.name),
        (icb_finance, hiow_icb.name),
    ):
        page = new_page()
        sign_in(page, person.email)
        page.goto(f"{live_server.url}/funding/approvals/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Shares awaiting my approval")
        assert_accessible(page)
        page.get_by_role("link", name=f"Package {package.pk}").click()
        expect(page.locator("#matrix")).to_contain_text("£2,000.00")
        assert_accessible(page)
        page.get_by_role("button", name=f"Approve {agency_name} share").click()
        expect(page.get_by_text("Your agency's share is approved.")).to_be_visible()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Agreed")
    assert_accessible(page)

    for person in (council_finance, icb_finance, sen_finance):
        page = new_page()
        sign_in(page, person.email)
        page.goto(f"{live_server.url}/funding/commitments/")
        expect(page.locator("#commitment-lines")).to_contain_text(f"Package {package.pk}")
        assert_accessible(page)
