"""Each persona starts at My work and finishes their main task from it (issue 16): the item is listed
with its title, child, due date and overdue tag; its link opens the page where the task is done;
back on My work the item is gone and the navigation count has moved with it. axe-core checks My
work once per test.

The panels fixtures' world (tests/panels/conftest.py, tests/funding/conftest.py): Hampshire IRAP,
its members, Amelia Hart, the clock at Monday 2 March 2026, 09:30 London. The live server runs in
this process, so time_machine moves its clock too; the clock ticks while the browser works.
`transactional_db` makes the data visible to the live server's thread.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from casework.models import Involvement
from panels.models import AgencyRecommendation, AgendaItem, Decision
from referrals import services as referral_services
from referrals.models import Referral
from tests.browser.conftest import assert_accessible
from tests.factories import AwaitingTeamManagerReferralFactory, MeetingFactory, signed_decision_for
from tests.funding.conftest import *  # noqa: F403  (the panels and funding fixtures)
from tests.panels.conftest import at

pytestmark = pytest.mark.browser

D = dt.date


@pytest.fixture
def clock(transactional_db, time_machine):
    """Monday 2 March 2026, 09:30 London, before any persona or child is made."""
    time_machine.move_to(at(D(2026, 3, 2)), tick=False)
    return time_machine


def nav_count(page: Page) -> int:
    """The number in the navigation's My work link (none shown when nothing is waiting)."""
    badge = page.locator("[data-my-work-count]")
    return int(badge.first.get_attribute("data-my-work-count")) if badge.count() else 0


def open_my_work(page: Page, base_url: str) -> int:
    """Goes to My work; checks the list's length equals the navigation count; returns the count."""
    page.goto(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    listed = page.locator("main li[data-kind]").count()
    assert nav_count(page) == listed
    return listed


def work_item(page: Page, kind: str):
    return page.locator(f"main li[data-kind='{kind}']")


def start_at_my_work(page: Page, sign_in, base_url: str, person, kind: str):
    """Signs `person` in and opens My work (checked with axe-core): one `kind` item is listed.
    Returns the count before the task, and the item."""
    sign_in(page, person.email)
    before = open_my_work(page, base_url)
    assert_accessible(page)
    listed = work_item(page, kind)
    expect(listed).to_have_count(1)
    return before, listed


def back_at_my_work(page: Page, base_url: str, kind: str, *, count: int) -> None:
    """Back on My work once the task is done: no `kind` item is left and the count is `count`."""
    assert open_my_work(page, base_url) == count
    expect(work_item(page, kind)).to_have_count(0)


def test_social_worker_resubmits_a_returned_referral(
    clock,
    live_server,
    page,
    sign_in,
    irap,
    irap_meeting,
    child,
    social_worker,
    team_manager,
    hampshire,
    hiow_icb,
):
    referral = AwaitingTeamManagerReferralFactory(
        child=child, referrer=social_worker, panel=irap, council=hampshire, icb=hiow_icb
    )
    referral_services.referral_return(
        actor=team_manager, referral=referral, comments="Say how the plan keeps her near her brother."
    )
    clock.move_to(at(D(2026, 3, 2), 10), tick=True)

    before, item = start_at_my_work(page, sign_in, live_server.url, social_worker, "referral.returned")
    # Papers for the meeting of Thursday 9 April are due 7 working days before, across Easter.
    expect(item).to_contain_text("Add the information the signer asked for to the referral to Hampshire IRAP")
    expect(item).to_contain_text("Due Friday 27 March 2026")
    expect(item).to_contain_text("Child: Amelia Hart")
    expect(item.locator(".govuk-tag--red")).to_have_count(0)
    # What the team manager asked for is on the item: the task list it opens does not show it.
    expect(item).to_contain_text("The signer asked: Say how the plan keeps her near her brother.")

    item.get_by_role("link", name=re.compile("Add the information the signer asked for")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral form")
    page.get_by_role("link", name="4. Permanency plan", exact=True).click()
    page.get_by_label("What is the permanency plan for the child?", exact=True).fill(
        "Return home with support, at the school near her brother."
    )
    page.get_by_role("button", name="Save and return to task list").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Saved")
    page.get_by_role("link", name="Send for sign-off").click()
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Sent to your team manager for sign-off"
    )
    referral.refresh_from_db()
    assert referral.status == "awaiting_team_manager"

    # The returned item is done; the referral stays on the list as waiting for the team manager
    # (what the requester follows), so the count is the same.
    back_at_my_work(page, live_server.url, "referral.returned", count=before)
    waiting = work_item(page, "referral.awaiting_sign_off")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Waiting for A team manager in your agency")


def test_panel_chair_signs_a_draft_decision(clock, live_server, page, sign_in, item, panel_chair):
    Decision.objects.create(
        agenda_item=item,
        referral=item.referral,
        outcome="deferred",
        rationale="Waiting for the health assessment.",
        recorded_by=panel_chair,
    )
    clock.move_to(at(D(2026, 4, 9), 14, 5), tick=True)

    before, listed = start_at_my_work(page, sign_in, live_server.url, panel_chair, "panels.decision_to_sign")
    expect(listed).to_contain_text(f"Sign the decision on item {item.position}, {item.title}")
    expect(listed).to_contain_text("Child: Amelia Hart")
    expect(listed).to_contain_text(re.compile(r"Due \w+ \d+ April 2026"))

    listed.get_by_role("link", name=f"Sign the decision on item {item.position}").click()
    expect(page).to_have_url(re.compile(rf"/run/items/{item.pk}/#decision$"))
    section = page.locator(f"#item-{item.pk}")
    section.get_by_role("button", name="Sign the decision").click()
    expect(page.get_by_text("Decision signed", exact=True)).to_be_visible()
    assert Decision.objects.get(agenda_item=item).status == "signed"

    back_at_my_work(page, live_server.url, "panels.decision_to_sign", count=before - 1)


def test_finance_approver_approves_a_share_within_their_limit(
    clock, live_server, page, sign_in, existing_package, icb_finance
):
    # The share started waiting on Monday 2 March: due 2 working days later, overdue by Thursday.
    clock.move_to(at(D(2026, 3, 5), 10), tick=True)

    before, listed = start_at_my_work(page, sign_in, live_server.url, icb_finance, "funding.share_to_approve")
    expect(listed).to_contain_text("Approve NHS Hampshire and Isle of Wight ICB's share of £")
    expect(listed).to_contain_text("Was due Wednesday 4 March 2026")
    expect(listed.locator(".govuk-tag--red")).to_have_text("Overdue")
    expect(listed).to_contain_text("Child: Amelia Hart")

    listed.get_by_role("link", name=re.compile("^Approve NHS Hampshire")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Approve your agency's share")
    page.get_by_role("button", name="Approve share").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    share = existing_package.current_version.shares.get(agency=icb_finance.agency)
    assert share.status == "approved"

    back_at_my_work(page, live_server.url, "funding.share_to_approve", count=before - 1)


def test_absent_agency_accepts_a_recommendation(
    clock, live_server, page, sign_in, irap, child, social_worker, panel_chair, panel_admin, sen, sen_manager
):
    Involvement.objects.create(child=child, agency=sen, role="other", added_by=social_worker)
    held = MeetingFactory(panel=irap, date=D(2026, 2, 23))
    referral = Referral.objects.create(
        child=child,
        panel=irap,
        meeting=held,
        pathway="joint_package",
        status="decided",
        referrer=social_worker,
        referrer_agency=social_worker.agency,
        created_by=social_worker,
    )
    agenda_item = AgendaItem.objects.create(
        meeting=held, kind="referral", referral=referral, title="AH: Joint package", added_by=panel_admin
    )
    decision = signed_decision_for(agenda_item, chair=panel_chair)
    # SEN was absent on Monday 23 February: its answer was due 3 working days later.
    recommendation = AgencyRecommendation.objects.create(decision=decision, agency=sen, due_on=D(2026, 2, 26))
    clock.move_to(at(D(2026, 3, 2), 10), tick=True)

    before, listed = start_at_my_work(
        page, sign_in, live_server.url, sen_manager, "panels.recommendation_to_answer"
    )
    expect(listed).to_contain_text(f"Answer Hampshire IRAP's recommendation to {sen.name}")
    expect(listed).to_contain_text("Was due Thursday 26 February 2026")
    expect(listed.locator(".govuk-tag--red")).to_have_text("Overdue")
    expect(listed).to_contain_text("Child: Amelia Hart")

    listed.get_by_role("link", name=re.compile("^Answer Hampshire IRAP's recommendation")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Recommendation to {sen.name}")
    page.get_by_label("Yes, we accept it").check()
    page.get_by_label("Reason").fill("The school place is within the SEN team's budget.")
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_text("Your agency's answer has been recorded")).to_be_visible()
    recommendation.refresh_from_db()
    assert recommendation.status != "awaiting"

    back_at_my_work(page, live_server.url, "panels.recommendation_to_answer", count=before - 1)


def test_panel_administrator_circulates_an_agenda(clock, live_server, page, sign_in, item, panel_admin):
    meeting = item.meeting
    # The papers for Thursday 9 April were due to go out 5 working days before, across Easter
    # (Good Friday and Easter Monday are closure days): Tuesday 31 March.
    clock.move_to(at(D(2026, 4, 1), 10), tick=True)

    before, listed = start_at_my_work(
        page, sign_in, live_server.url, panel_admin, "panels.agenda_to_circulate"
    )
    expect(listed).to_contain_text("Build and circulate the agenda for")
    expect(listed).to_contain_text("Was due Tuesday 31 March 2026")
    expect(listed.locator(".govuk-tag--red")).to_have_text("Overdue")

    listed.get_by_role("link", name=re.compile("^Build and circulate the agenda")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda for Thursday 9 April 2026")
    page.get_by_role("link", name="Circulate the papers").click()
    page.get_by_role("button", name="Circulate papers").click()
    expect(page.get_by_text("Papers circulated to the panel's members")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.circulated_at is not None

    back_at_my_work(page, live_server.url, "panels.agenda_to_circulate", count=before - 1)
