"""Small screens (WCAG 2.2 reflow, 1.4.10; issue 16): at 320 CSS pixels wide no page scrolls sideways.

The main pages, with long content in them, opened at 320 px and at 1280 px zoomed to 200% (a
640 px wide viewport at twice the pixel density): the page is never wider than the window. Wide
tables sit in a labelled, focusable scroll region ({% table_scroll %}, casework/templatetags/layout.py), which
scrolls on its own, so the page around it does not.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from casework.models import Role
from tests.factories import MeetingFactory, PanelFactory, UserFactory

pytestmark = pytest.mark.browser

SCREENS = {
    "320 px": {"viewport": {"width": 320, "height": 640}},
    "1280 px at 200%": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}

# Pages whose sideways scrolling is known and listed rather than failed on, while being rebuilt.
# None now: Run the meeting's tables sit in {% table_scroll %} like every other page's.
BEING_REBUILT: set[str] = set()

# What sticks out of the window, for the failure message: elements wider than the page that are
# not inside a region that scrolls by itself.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const scrolls = (el) => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const x = getComputedStyle(p).overflowX;
            if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
        }
        return false;
    };
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 1 && !scrolls(el)) {
            const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (el.className && typeof el.className === 'string'
                   ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
            out.push(`${name} (right edge ${Math.round(box.right)}px): `
                     + (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60));
        }
    }
    return {scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 6)};
}"""


def _world(*, hampshire, hiow_icb, child, social_worker, panel_chair, council_finance, icb_finance):
    """A child with two referrals of three options each, both on today's meeting; one decision's
    package agreed (in the commitments), the other's awaiting the council's approval (in the tray)."""
    from funding import services as funding_services
    from panels.models import AgendaItem, Decision, DecisionShare, Membership

    today = timezone.localdate()
    admin = UserFactory(agency=hampshire, roles=[Role.PANEL_ADMINISTRATOR], full_name="Paul Adeyemi")
    panel = PanelFactory(
        name="Hampshire Integrated Resource Allocation Panel", kind="irap", host_agency=hampshire
    )
    Membership.objects.create(
        panel=panel,
        person=panel_chair,
        agency=hampshire,
        role="chair",
        starts_on=today - dt.timedelta(days=30),
    )
    meeting = MeetingFactory(panel=panel, date=today)
    packages = []
    for number, words in enumerate(("Residential short breaks", "Therapeutic placement"), start=1):
        referral = _referral_with_options(
            child, panel, social_worker, words, meeting=meeting, status="on_agenda"
        )
        item = AgendaItem.objects.create(
            meeting=meeting,
            kind="referral",
            referral=referral,
            title=f"{child.initials}: joint package {number}",
            added_by=admin,
            position=number,
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
            signed_by=panel_chair,
            signed_at=timezone.now(),
        )
        for agency in (hampshire, hiow_icb):
            DecisionShare.objects.create(
                decision=decision, agency=agency, basis="percentage", value=Decimal("50"), amount=Decimal("0")
            )
        packages.append(funding_services.package_create_from_decision(actor=admin, decision=decision))
    agreed = packages[0]
    for share in agreed.current_version.shares.select_related("agency"):
        approver = council_finance if share.agency == hampshire else icb_finance
        funding_services.share_approve(actor=approver, share=share, expected_version=agreed.version_number)
    draft = _referral_with_options(
        child, panel, social_worker, "Specialist day school", meeting=None, status="draft"
    )
    return child, draft, meeting, packages[1]


def _referral_with_options(child, panel, worker, words, *, meeting, status):
    """A referral with three long-worded options, each split between the council and the ICB."""
    from referrals.models import Option, OptionShare, Referral

    referral = Referral.objects.create(
        child=child,
        panel=panel,
        meeting=meeting,
        pathway="joint_package",
        status=status,
        referrer=worker,
        referrer_agency=worker.agency,
        created_by=worker,
        reason_for_referral="Placement at risk of breaking down.",
    )
    icb = child.involvements.exclude(agency=child.owning_agency).first().agency
    for position in (1, 2, 3):
        option = Option.objects.create(
            referral=referral,
            position=position,
            description=f"{words}, option {position}: overnight support and an extended school day",
            cost=Decimal("123456.78"),
            period="weekly",
            is_recommended=position == 1,
        )
        OptionShare.objects.bulk_create(
            [
                OptionShare(
                    option=option, agency=child.owning_agency, basis="percentage", value=Decimal("50")
                ),
                OptionShare(option=option, agency=icb, basis="percentage", value=Decimal("50")),
            ]
        )
    return referral


def _pages(child, referral, meeting, package, *, social_worker, panel_chair, council_finance):
    """(what, who, path) of the main pages."""
    item = meeting.agenda_items.order_by("position").first()
    return [
        ("My work", social_worker, "/"),
        ("The child's page", social_worker, f"/children/{child.pk}/"),
        ("Referral options", social_worker, f"/referrals/{referral.pk}/options/"),
        ("Referral", social_worker, f"/referrals/{referral.pk}/"),
        ("Run the meeting", panel_chair, f"/panels/meetings/{meeting.pk}/run/"),
        ("An item of the meeting", panel_chair, f"/panels/meetings/{meeting.pk}/run/items/{item.pk}/"),
        ("Meeting", panel_chair, f"/panels/meetings/{meeting.pk}/"),
        ("Commitments", council_finance, "/funding/commitments/"),
        ("Package", council_finance, f"/funding/packages/{package.pk}/"),
        ("Approvals tray", council_finance, "/funding/approvals/"),
    ]


def _session_cookie(person, live_server) -> dict:
    """A signed-in session (two-step verification done, as tests/conftest.py's force_login does)."""
    client = Client()
    client.force_login(person)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}


def test_main_pages_do_not_scroll_sideways(
    transactional_db,
    live_server,
    new_page,
    hampshire,
    hiow_icb,
    child,
    social_worker,
    panel_chair,
    council_finance,
    icb_finance,
):
    people = {"social_worker": social_worker, "panel_chair": panel_chair, "council_finance": council_finance}
    world = _world(hampshire=hampshire, hiow_icb=hiow_icb, child=child, icb_finance=icb_finance, **people)
    pages = _pages(*world, **people)
    cookies = {who.pk: _session_cookie(who, live_server) for _what, who, _path in pages}

    failures, being_rebuilt = [], []
    for screen, options in SCREENS.items():
        browser_pages = {}
        for what, who, path in pages:
            if who.pk not in browser_pages:
                browser_pages[who.pk] = new_page(**options)
                browser_pages[who.pk].context.add_cookies([cookies[who.pk]])
            page = browser_pages[who.pk]
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (
                f"{what} ({path}): {response and response.status}"
            )
            assert "/sign-in/" not in page.url, f"{what}: not signed in"
            found = page.evaluate(OVERFLOW)
            if found["scrollWidth"] > found["width"]:
                (being_rebuilt if what in BEING_REBUILT else failures).append(
                    f"{what} at {screen} ({path}): {found['scrollWidth']}px wide in a {found['width']}px window\n"
                    + "\n".join(f"    {line}" for line in found["out"])
                )
            if what == "The child's page":
                _row_actions_reachable(page, screen)
    assert not failures, "Pages that scroll sideways:\n" + "\n".join(failures)
    if being_rebuilt:
        pytest.xfail("Pages being rebuilt that scroll sideways:\n" + "\n".join(being_rebuilt))


def _row_actions_reachable(page, screen: str) -> None:
    """Each row's action on the child's page (End an agency's involvement) can be scrolled into
    view, inside its table's scroll region, and reached from the keyboard."""
    links = page.get_by_role("link", name=re.compile(r"^End "))
    assert links.count(), "the child's page offers no row action"
    for index in range(links.count()):
        link = links.nth(index)
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        width = page.evaluate("() => document.documentElement.clientWidth")
        assert box and 0 <= box["x"] and box["x"] + box["width"] <= width, (
            f"{screen}: row action out of reach {box}"
        )
        link.focus()
        assert link.evaluate("(el) => el === document.activeElement")
