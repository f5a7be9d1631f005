"""The chair runs a 20-item meeting from the keyboard alone (issue 16), without JavaScript: attendance
on the agenda page, then each item on its own page (decision form opened, filled, saved and signed,
then on to the next item), and no item page taller than about three screens at 1280 px wide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from panels.models import AgendaItem, Decision, Membership
from referrals.models import Option, OptionShare, Referral
from tests.browser.conftest import assert_accessible
from tests.factories import ChildFactory, MeetingFactory, PanelFactory, UserFactory

pytestmark = pytest.mark.browser

ITEMS = 20
WIDTH, HEIGHT = 1280, 800
MAX_TABS = 120


def _tab_to(page: Page, test: str, *args) -> None:
    """Press Tab until the focused element passes `test` (a JavaScript function of the element and
    `args`): the keyboard's way to a control, as a person without a mouse moves."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(f"([args]) => ({test})(document.activeElement, ...args)", [list(args)]):
            return
    pytest.fail(f"Tab never reached the control ({test} {args}) on {page.url}")


def _skip_to_main(page: Page) -> None:
    """A fresh page: the first Tab reaches "Skip to main content"; Enter moves on past the header."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.innerText.trim()") == "Skip to main content"
    page.keyboard.press("Enter")


TEXT_STARTS = "(el, text) => (el.innerText || el.value || '').trim().startsWith(text)"
ID_ENDS = "(el, suffix) => (el.id || '').endsWith(suffix)"
IN_GROUP = "(el, name) => el.type === 'radio' && el.closest('fieldset').innerText.includes(name)"


def _short_enough(page: Page) -> None:
    """The page below the header fits three screens: the header's height depends on how many
    sections the person's roles give them (with six or more, the service's name takes a line of its
    own above the navigation: tests/browser/test_header.py), not on the
    meeting's size, which is what this measures."""
    height = page.evaluate(
        "document.body.scrollHeight - (document.querySelector('main').getBoundingClientRect().top + window.scrollY)"
    )
    assert height <= 3 * HEIGHT, f"{page.url} is {height} px tall below its header at {WIDTH} px wide"


def _agenda(meeting, *, panel, child_agency, referrer, agencies, chair) -> list[AgendaItem]:
    items = []
    for n in range(1, ITEMS + 1):
        child = ChildFactory(owning_agency=child_agency, created_by=referrer, involved=agencies[1:])
        referral = Referral.objects.create(
            child=child,
            panel=panel,
            meeting=meeting,
            pathway="joint_package",
            status="on_agenda",
            referrer=referrer,
            referrer_agency=child_agency,
            created_by=referrer,
            reason_for_referral=f"Placement at risk ({n}).",
        )
        option = Option.objects.create(
            referral=referral,
            position=1,
            description="Short breaks at a residential home",
            cost=Decimal("850.00"),
            period="weekly",
            is_recommended=True,
        )
        OptionShare.objects.bulk_create(
            [OptionShare(option=option, agency=a, basis="percentage", value=Decimal("50")) for a in agencies]
        )
        items.append(
            AgendaItem.objects.create(
                meeting=meeting,
                kind="referral",
                referral=referral,
                title=f"{child.initials}: joint package {n}",
                added_by=chair,
                position=n,
            )
        )
    return items


def test_the_chair_decides_twenty_items_from_the_keyboard(
    transactional_db, hampshire, hiow_icb, panel_chair, social_worker, live_server, new_page, sign_in
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
    items = _agenda(
        meeting,
        panel=panel,
        child_agency=hampshire,
        referrer=social_worker,
        agencies=[hampshire, hiow_icb],
        chair=panel_chair,
    )
    review = (today + dt.timedelta(days=180)).strftime("%d/%m/%Y")

    page = new_page(java_script_enabled=False, viewport={"width": WIDTH, "height": HEIGHT})
    sign_in(page, panel_chair.email)
    page.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/run/")
    expect(page.locator("#quorum")).to_contain_text("Not quorate")
    expect(page.locator("tr[id^=agenda-item-]").filter(has_text="Not started")).to_have_count(ITEMS)

    # Attendance: each member's "Present", then Save attendance.
    for person in (panel_chair, icb_member):
        _tab_to(page, IN_GROUP, person.full_name)
        page.keyboard.press("Space")
    _tab_to(page, TEXT_STARTS, "Save attendance")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Attendance saved")).to_be_visible()
    expect(page.locator("#quorum")).not_to_contain_text("Not quorate")

    # Item 1 from the agenda, then each next item from the one before.
    _tab_to(page, TEXT_STARTS, f"Item 1: {items[0].title}")
    page.keyboard.press("Enter")
    for n, item in enumerate(items, start=1):
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Item {n}: {item.title}")
        _short_enough(page)
        section = page.locator(f"#item-{item.pk}")
        expect(section.get_by_label("Rationale")).to_be_hidden()
        _skip_to_main(page)
        _tab_to(page, TEXT_STARTS, f"Record the decision on item {n}")
        page.keyboard.press("Enter")
        expect(section.get_by_label("Rationale")).to_be_visible()
        # The outcome: the first radio takes focus; Space chooses "Agreed as recommended", and for
        # every third item the arrow keys move on to "Declined with reasons".
        _tab_to(page, ID_ENDS, "-outcome_0")
        page.keyboard.press("Space")
        declined = n % 3 == 0
        if declined:
            for _ in range(4):
                page.keyboard.press("ArrowDown")
        _tab_to(page, ID_ENDS, "-rationale")
        page.keyboard.type("The panel agrees short breaks." if not declined else "Needs are met at home.")
        if not declined:
            _tab_to(page, ID_ENDS, "-lead_agency")
            page.keyboard.press("ArrowDown")  # the first agency of the partnership
            _tab_to(page, ID_ENDS, "-review_date")
            page.keyboard.type(review)
        _tab_to(page, TEXT_STARTS, "Save draft decision")
        page.keyboard.press("Enter")
        expect(page.get_by_text(f"Draft decision saved for item {n}", exact=True)).to_be_visible()
        _short_enough(page)
        _tab_to(page, TEXT_STARTS, "Sign the decision")
        page.keyboard.press("Enter")
        expect(page.get_by_text("Decision signed", exact=True)).to_be_visible()
        expect(section.locator(".govuk-tag").first).to_have_text("Signed")
        _short_enough(page)
        if n < ITEMS:
            _tab_to(page, "(el) => el.getAttribute('rel') === 'next'")
            page.keyboard.press("Enter")

    decisions = Decision.objects.filter(agenda_item__meeting=meeting, status="signed")
    assert decisions.count() == ITEMS
    assert decisions.filter(outcome="declined").count() == ITEMS // 3
    assert all(d.lead_agency_id for d in decisions.exclude(outcome="declined"))

    # The agenda now says every item is decided; axe-core (it needs JavaScript) on it and an item.
    page.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/run/")
    expect(page.locator("tr[id^=agenda-item-]").filter(has_text="Decided")).to_have_count(ITEMS)
    checker = new_page(viewport={"width": WIDTH, "height": HEIGHT})
    sign_in(checker, panel_chair.email)
    checker.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/run/")
    assert_accessible(checker)
    checker.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/run/items/{items[1].pk}/")
    assert_accessible(checker)
