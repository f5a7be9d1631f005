"""Issue 15, "Money: one computation, the same figure everywhere" (docs/adr/0012-money.md), on the
referral's own surfaces, read back as a person or a client sees them: for random costs, periods,
weeks a year and splits (percentages or amounts, either agency first), every figure of an option's
costs is casework.money's and every column adds up to its total, to the penny:

- the referral's options page (the "Who pays what" table, read from the HTML);
- the referral paper the panel reads (its "Where the cost would fall" table, rendered from the
  paper's template, the HTML the PDF engine prints);
- the referral API (each option's weekly and annual cost and each share's per period, weekly and
  annual cost).

The expected figures are worked out here from casework.money alone (split_amounts,
share_equivalents, weekly, annual, format_money), never from the code under test. Each example runs
in a transaction rolled back at its end.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casework import money
from casework.money import CostPeriod, SplitLine
from referrals import services
from referrals.papers import paper_context
from tests.referrals.conftest import *  # noqa: F403  (Amelia's draft referral, its agencies, the people)
from tests.referrals.test_api import api_as, url

ZERO = money.ZERO
SURFACES = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DASH = "–"

costs = st.integers(min_value=1, max_value=5 * 10**6).map(lambda n: Decimal(n) / 100)


@st.composite
def options(draw) -> dict:
    """An option's cost, period, weeks a year and a two-way split: which agency is listed first,
    the basis, and each line's value (percentages to 2 dp adding up to 100, or amounts adding up
    to the cost)."""
    cost = draw(costs)
    basis = draw(st.sampled_from(["percentage", "amount"]))
    whole = 10000 if basis == "percentage" else int(cost * 100)
    cut = draw(st.integers(0, whole))
    return {
        "cost": cost,
        "period": draw(st.sampled_from(CostPeriod.values)),
        "weeks": draw(st.sampled_from([38, 52])),
        "council_first": draw(st.booleans()),
        "basis": basis,
        "values": [Decimal(cut) / 100, Decimal(whole - cut) / 100],
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
    start = page.index(caption)
    return page[page.rindex("<table", 0, start) : page.index("</table>", start)]


def _figure(amount: Decimal | None, period: str | None = None, *, none: str = DASH) -> str:
    return none if amount is None else money.format_money(amount, period)


@SURFACES
@example(
    made={
        "cost": Decimal("1000.00"),
        "period": "monthly",
        "weeks": 52,
        "council_first": True,
        "basis": "percentage",
        "values": [Decimal("33.33"), Decimal("66.67")],
    }
)
@example(
    made={
        "cost": Decimal("100.00"),
        "period": "weekly",
        "weeks": 38,
        "council_first": False,
        "basis": "percentage",
        "values": [Decimal("33.33"), Decimal("66.67")],
    }
)
@given(made=options())
def test_the_options_page_the_paper_and_the_api_show_the_modules_figures_and_add_up(
    made, draft, social_worker, sam, hampshire, hiow_icb
):
    agencies = [hampshire, hiow_icb] if made["council_first"] else [hiow_icb, hampshire]
    cost, period, weeks = made["cost"], made["period"], made["weeks"]
    amounts = money.split_amounts(
        cost,
        [
            SplitLine(agency_id=a.pk, basis=made["basis"], value=v)
            for a, v in zip(agencies, made["values"], strict=True)
        ],
    )
    equivalents = money.share_equivalents(amounts, period, weeks)
    total_weekly, total_annual = money.weekly(cost, period, weeks), money.annual(cost, period, weeks)
    # Every column adds up to its total, to the penny.
    assert sum(amounts, ZERO) == cost
    if period != CostPeriod.ONE_OFF:
        assert sum((w for w, _ in equivalents), ZERO) == total_weekly
        assert sum((y for _, y in equivalents), ZERO) == total_annual

    with transaction.atomic():
        option = services.option_save(
            actor=social_worker,
            referral=draft,
            fields={
                "description": "Residential short breaks",
                "cost": cost,
                "period": period,
                "provider_kind": "fostering",
                "weeks_per_year": weeks,
            },
            shares=[(a, made["basis"], v) for a, v in zip(agencies, made["values"], strict=True)],
        )

        # The options page.
        page = sam.get(reverse("referrals:options", args=[draft.pk])).content.decode()
        shown = _rows(_table(page, f"Who pays what for option {option.position}"))
        assert [[row[0], *row[2:]] for row in shown] == [
            *(
                [agency.name, _figure(amount), _figure(w), _figure(y)]
                for agency, amount, (w, y) in zip(agencies, amounts, equivalents, strict=True)
            ),
            ["Total", _figure(cost), _figure(total_weekly), _figure(total_annual)],
        ]

        # The paper (the HTML the PDF engine prints).
        paper = render_to_string("referrals/pdf/paper.html", paper_context(draft))
        printed = _rows(_table(paper, "Where the cost would fall"))
        assert printed == [
            *(
                [
                    agency.name,
                    _figure(amount, period),
                    _figure(w, "weekly", none="one-off"),
                    _figure(y, "annual", none="one-off"),
                ]
                for agency, amount, (w, y) in zip(agencies, amounts, equivalents, strict=True)
            ),
            [
                "Total",
                _figure(cost, period),
                _figure(total_weekly, "weekly", none="one-off"),
                _figure(total_annual, "annual", none="one-off"),
            ],
        ]

        # The API.
        [answered] = api_as(social_worker).get(url(draft)).json()["options"]

        def text(amount: Decimal | None) -> str | None:
            return None if amount is None else f"{amount:.2f}"

        assert (answered["weekly_cost"], answered["annual_cost"]) == (text(total_weekly), text(total_annual))
        assert [
            (s["agency"]["id"], s["cost_per_period"], s["weekly_cost"], s["annual_cost"])
            for s in answered["shares"]
        ] == [
            (agency.pk, text(amount), text(w), text(y))
            for agency, amount, (w, y) in zip(agencies, amounts, equivalents, strict=True)
        ]
        transaction.set_rollback(True)
