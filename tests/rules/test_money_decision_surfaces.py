"""Issue 15, "Money: one computation, the same figure everywhere" (docs/adr/0012-money.md), at the
panel's table, read back as the chair and a client see them: for a random recommended option (cost,
period, weeks a year, a split of two or three agencies by percentages or amounts, in any order) and
a decision that takes the option's terms or agrees its own cost, period and split, every amount is
casework.money's and every column adds up to its total, to the penny:

- the chair's page for the item (Run the meeting, /meetings/<id>/run/items/<item>/): the option's
  "Who pays what" table (per period, weekly, annual and the totals), the decision's agreed cost, and
  its "Where the costs fall" table (each agency's share and amount per period);
- the decision API (each share's amount per period, weekly and annual, and the agreed cost).

The expected figures are worked out here from casework.money alone (split_amounts,
share_equivalents, weekly, annual, format_money), never from the code under test. The decision is
recorded through the decision API (decision_record), on the afternoon of the meeting with every
member present (tests/panels/conftest.py); each example runs in a transaction rolled back at its end.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from casework import money
from casework.models import Involvement
from casework.money import CostPeriod, SplitLine
from referrals.models import Option, OptionShare
from tests.factories import attendance_for
from tests.panels.conftest import *  # noqa: F403  (the panel, its meeting, Amelia's item, the people, the clock)
from tests.panels.conftest import MEETING_DAY, at

ZERO = money.ZERO
SURFACES = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DASH = "–"

costs = st.integers(min_value=1, max_value=5 * 10**6).map(lambda n: Decimal(n) / 100)


@st.composite
def terms(draw) -> dict:
    """A cost, its period and a split: the order of the agencies 0, 1, 2 on the lines (two or three
    of them), the basis, and each line's value (percentages to 2 dp adding up to 100, or amounts
    adding up to the cost)."""
    cost = draw(costs)
    n = draw(st.integers(min_value=2, max_value=3))
    order = draw(st.permutations([0, 1, 2]))[:n]
    basis = draw(st.sampled_from(["percentage", "amount"]))
    whole = 10000 if basis == "percentage" else int(cost * 100)
    cuts = sorted(draw(st.lists(st.integers(0, whole), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, whole]
    return {
        "cost": cost,
        "period": draw(st.sampled_from(CostPeriod.values)),
        "order": order,
        "basis": basis,
        "values": [Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(n)],
    }


@st.composite
def tables(draw) -> dict:
    """The recommended option's terms and weeks a year, and the decision's own terms or None (the
    decision takes the option's)."""
    return {
        "option": draw(terms()),
        "weeks": draw(st.sampled_from([38, 52])),
        "decision": draw(st.none() | terms()),
    }


def _rows(table_html: str) -> list[list[str]]:
    """Each body row of a table as the text of its cells."""
    body = table_html.split("<tbody", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells])
    return rows


def _table(page: str, caption: str) -> str:
    """The table with this caption (its scroll region's label comes before it, and may be shorter)."""
    start = page.index(f"{caption}</caption>")
    return page[page.rindex("<table", 0, start) : page.index("</table>", start)]


def _summary(page: str, key: str) -> str:
    """The text of a summary list's value by its key."""
    found = re.search(
        rf'<dt class="govuk-summary-list__key">{re.escape(key)}</dt>\s*<dd[^>]*>(.*?)</dd>', page, flags=re.S
    )
    assert found, key
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def _figure(amount: Decimal | None, period: str | None = None) -> str:
    return DASH if amount is None else money.format_money(amount, period)


def _share_text(basis: str, value: Decimal) -> str:
    """A line's share as the tables write it: "33.33%" (a whole percentage without decimals), or the
    amount."""
    if basis == "amount":
        return money.format_money(value)
    return f"{value:.0f}%" if value == value.to_integral_value() else f"{value:.2f}%"


def _amounts(made: dict) -> list[Decimal]:
    lines = [SplitLine(agency_id=i, basis=made["basis"], value=v) for i, v in enumerate(made["values"])]
    return money.split_amounts(made["cost"], lines)


def _adds_up(made: dict, weeks: int) -> tuple[list[Decimal], list[tuple[Decimal | None, Decimal | None]]]:
    """casework.money's amounts and (weekly, annual) equivalents for the terms, checked to add up to
    the cost's, to the penny."""
    amounts = _amounts(made)
    equivalents = money.share_equivalents(amounts, made["period"], weeks)
    assert sum(amounts, ZERO) == made["cost"]
    if made["period"] != CostPeriod.ONE_OFF:
        assert sum((w for w, _ in equivalents), ZERO) == money.weekly(made["cost"], made["period"], weeks)
        assert sum((y for _, y in equivalents), ZERO) == money.annual(made["cost"], made["period"], weeks)
    return amounts, equivalents


@pytest.fixture
def on_the_day(item, clock, panel_chair, council_member, icb_member, second_icb_member, sen, social_worker):
    """Amelia's item on the afternoon of the meeting, every member present; the SEN service (which
    may pay a share) is involved with her too."""
    Involvement.objects.create(child=item.referral.child, agency=sen, role="other", added_by=social_worker)
    clock.move_to(at(MEETING_DAY, 14, 5), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    return item


P = Decimal
# Always tried: a monthly option split three ways by percentages whose pennies do not divide, and a
# decision agreeing its own 38-week weekly cost split by amounts, the council listed last.
THIRDS = {
    "option": {
        "cost": P("1000.00"),
        "period": "monthly",
        "order": [0, 1, 2],
        "basis": "percentage",
        "values": [P("33.33"), P("33.33"), P("33.34")],
    },
    "weeks": 52,
    "decision": None,
}
OWN_TERMS = {
    "option": THIRDS["option"],
    "weeks": 38,
    "decision": {
        "cost": P("1486.40"),
        "period": "weekly",
        "order": [1, 0],
        "basis": "amount",
        "values": [P("743.21"), P("743.19")],
    },
}


@SURFACES
@example(made=THIRDS)
@example(made=OWN_TERMS)
@given(made=tables())
def test_the_chairs_item_page_and_the_decision_api_show_the_modules_figures_and_add_up(
    made, on_the_day, panel_admin, panel_chair, hampshire, hiow_icb, sen
):
    item = on_the_day
    payers = [hampshire, hiow_icb, sen]
    weeks = made["weeks"]
    offered = made["option"]
    agreed = made["decision"] or offered
    option_amounts, option_equivalents = _adds_up(offered, weeks)
    amounts, equivalents = _adds_up(agreed, weeks)

    with transaction.atomic():
        # The recommended option as the referrer typed it: its cost, period, weeks and split.
        option = Option.objects.get(referral=item.referral, is_recommended=True)
        Option.objects.filter(pk=option.pk).update(
            cost=offered["cost"], period=offered["period"], weeks_per_year=weeks
        )
        OptionShare.objects.filter(option=option).delete()
        for a, value in zip(offered["order"], offered["values"], strict=True):
            OptionShare.objects.create(option=option, agency=payers[a], basis=offered["basis"], value=value)

        # The decision, through the API: the option's terms, or its own.
        api = APIClient()
        api.force_login(panel_admin)
        body = {
            "outcome": "agreed_as_recommended",
            "rationale": "Meets her needs at home and at school.",
            "lead_agency": hampshire.pk,
            "review_date": "2026-10-09",
        }
        if made["decision"] is not None:
            body |= {
                "cost": f"{agreed['cost']:.2f}",
                "cost_period": agreed["period"],
                "shares": [
                    {"agency": payers[a].pk, "basis": agreed["basis"], "value": f"{value:.2f}"}
                    for a, value in zip(agreed["order"], agreed["values"], strict=True)
                ],
            }
        recorded = api.post(reverse("api-item-decision", args=[item.pk]), body, format="json")
        assert recorded.status_code == 201, recorded.json()

        # The decision API.
        answered = api.get(reverse("api-decision", args=[recorded.json()["id"]])).json()

        def text(amount: Decimal | None) -> str | None:
            return None if amount is None else f"{amount:.2f}"

        assert (answered["cost"], answered["cost_period"], answered["weeks_per_year"]) == (
            text(agreed["cost"]),
            agreed["period"],
            weeks,
        )
        assert [
            (s["agency"], s["basis"], s["value"], s["amount"], s["weekly"], s["annual"])
            for s in answered["shares"]
        ] == [
            (payers[a].pk, agreed["basis"], text(value), text(amount), text(w), text(y))
            for a, value, amount, (w, y) in zip(
                agreed["order"], agreed["values"], amounts, equivalents, strict=True
            )
        ]

        # The chair's page for the item.
        chair = Client()
        chair.force_login(panel_chair)
        page = chair.get(reverse("panels:run_item", args=[item.meeting_id, item.pk])).content.decode()
        shown = _rows(_table(page, f"Who pays what for option {option.position}"))
        assert [[row[0], *row[2:]] for row in shown] == [
            *(
                [payers[a].name, _figure(amount), _figure(w), _figure(y)]
                for a, amount, (w, y) in zip(
                    offered["order"], option_amounts, option_equivalents, strict=True
                )
            ),
            [
                "Total",
                _figure(offered["cost"]),
                _figure(money.weekly(offered["cost"], offered["period"], weeks)),
                _figure(money.annual(offered["cost"], offered["period"], weeks)),
            ],
        ]
        assert _summary(page, "Agreed cost").startswith(money.format_money(agreed["cost"], agreed["period"]))
        falls = _rows(_table(page, "Where the costs fall"))
        assert [row[:3] for row in falls] == [
            [payers[a].name, _share_text(agreed["basis"], value), _figure(amount)]
            for a, value, amount in zip(agreed["order"], agreed["values"], amounts, strict=True)
        ]
        transaction.set_rollback(True)
