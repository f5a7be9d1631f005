"""The header at a desktop width (issue 16): the person with every section of the service (My work,
Children, Referrals, Panels, Funding, Reports, Administration) sees the service navigation on one
line, the account links beside it, and nothing cut off. A navigation that wraps pushes every page
down and reads as two menus."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from casework.models import Role
from tests.browser.conftest import assert_accessible
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

# Where each navigation item sits, and whether any link in the header is clipped or off screen.
MEASURE = """() => {
    const items = [...document.querySelectorAll('.govuk-service-navigation__list > li')];
    const width = document.documentElement.clientWidth;
    const header = [...document.querySelectorAll('header a, header button')];
    return {
        names: items.map((li) => li.innerText.trim()),
        tops: items.map((li) => Math.round(li.getBoundingClientRect().top)),
        outside: header.filter((el) => {
            const box = el.getBoundingClientRect();
            return box.width && (box.right > width + 1 || box.left < 0);
        }).map((el) => el.innerText.trim()),
    };
}"""


@pytest.mark.parametrize("width", [1280, 1024])
def test_every_section_fits_on_one_line(page: Page, sign_in, live_server, hampshire, width):
    UserFactory(
        email="pat.every@hants.example",
        full_name="Patricia Everett-Washington",
        agency=hampshire,
        roles=[
            Role.SOCIAL_WORKER,
            Role.PANEL_CHAIR,
            Role.FINANCE_APPROVER,
            Role.PARTNERSHIP_ADMINISTRATOR,
        ],
    )
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, "pat.every@hants.example")

    seen = page.evaluate(MEASURE)

    assert seen["names"][:1] == ["My work"]
    assert {"Reports", "Administration"} <= {name.split()[0] for name in seen["names"]}
    assert len(set(seen["tops"])) == 1, f"the navigation wraps at {width} px: {seen}"
    assert not seen["outside"], f"cut off at {width} px: {seen['outside']}"
    page.screenshot(path=f"/tmp/header{width}.png", clip={"x": 0, "y": 0, "width": width, "height": 250})
    assert_accessible(page)
