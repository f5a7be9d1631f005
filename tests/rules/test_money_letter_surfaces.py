"""Issue 15, "Money: one computation, the same figure everywhere" (docs/adr/0012-money.md), in what
the panel writes after a decision, read back as the referrer and the members get it: for random
agreed costs, periods, weeks a year and splits (either agency first), the decision letter's body,
the letter's PDF (read back with pypdf) and the minutes say each agency's part and the agreed cost
with casework.money's figures, each with its period and thousands separators, and each agency's
year adds up to the cost's year, to the penny.

The expected words are built here from casework.money alone (allocate, share_equivalents, annual,
format_money), never from the code under test. Each example runs in a transaction rolled back at
its end; each submits on 2 March 2026 and is decided on the afternoon of the meeting
(tests/panels/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from casework import money, pdf
from casework.money import CostPeriod
from panels import services
from panels.services.minutes import minutes_build_text
from tests.factories import agenda_item_for, signed_decision_for
from tests.panels.conftest import *  # noqa: F403  (the panel, its meeting, the people, the clock)
from tests.panels.conftest import MEETING_DAY, at

SUBMITTED_ON = dt.date(2026, 3, 2)  # the clock fixture's day, before the papers are due

ZERO = money.ZERO
SURFACES = settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

costs = st.integers(min_value=1, max_value=5 * 10**6).map(lambda n: Decimal(n) / 100)


@st.composite
def decisions(draw) -> dict:
    """An agreed cost, its period and weeks a year, and a two-way split in percentages to 2 dp."""
    cut = draw(st.integers(0, 10000))
    return {
        "cost": draw(costs),
        "period": draw(st.sampled_from(CostPeriod.values)),
        "weeks": draw(st.sampled_from([38, 52])),
        "council_first": draw(st.booleans()),
        "percentages": [Decimal(cut) / 100, Decimal(10000 - cut) / 100],
    }


def _squeezed(text: str) -> str:
    """Text without whitespace: a PDF's lines wrap wherever the page ends."""
    return "".join(text.split())


@SURFACES
@example(
    made={
        "cost": Decimal("1486.40"),
        "period": "weekly",
        "weeks": 38,
        "council_first": True,
        "percentages": [Decimal("33.33"), Decimal("66.67")],
    }
)
@given(made=decisions())
def test_the_letter_its_pdf_and_the_minutes_write_the_modules_figures_with_their_period(
    made, irap_meeting, make_submitted, panel_admin, panel_chair, hampshire, hiow_icb, clock
):
    agencies = [hampshire, hiow_icb] if made["council_first"] else [hiow_icb, hampshire]
    cost, period, weeks = made["cost"], made["period"], made["weeks"]
    amounts = money.allocate(cost, made["percentages"])
    equivalents = money.share_equivalents(amounts, period, weeks)
    yearly = money.annual(cost, period, weeks)
    weeks_words = f" ({weeks} weeks)" if period == CostPeriod.WEEKLY else ""
    if yearly is not None:  # each agency's year adds up to the cost's year
        assert sum((y for _, y in equivalents), ZERO) == yearly
    expected = [
        f"{agency.name}: {money.format_money(amount, period)} ({share.normalize():f}%)"
        + ("" if year is None else f", {money.format_money(year)} a year{weeks_words}")
        for agency, share, amount, (_, year) in zip(
            agencies, made["percentages"], amounts, equivalents, strict=True
        )
    ]
    agreed = money.format_money(cost, period) + (
        "" if yearly is None else f", {money.format_money(yearly)} a year{weeks_words}"
    )
    assert "£" in agreed and (cost < 1000 or "," in agreed)

    with transaction.atomic():
        clock.move_to(at(SUBMITTED_ON), tick=False)  # each example submits on time, then decides
        item = agenda_item_for(referral=make_submitted(), meeting=irap_meeting, actor=panel_admin)
        clock.move_to(at(MEETING_DAY, 16), tick=False)
        decision = signed_decision_for(
            item,
            chair=panel_chair,
            cost=cost,
            cost_period=period,
            weeks_per_year=weeks,
            shares=[
                (a, str(p), str(amount))
                for a, p, amount in zip(agencies, made["percentages"], amounts, strict=True)
            ],
            lead_agency=hampshire,
        )

        # The letter's body, as edited and sent.
        letter = services.letter_prepare(actor=panel_admin, decision=decision)
        for line in expected:
            assert f"\n- {line}\n" in letter.body
        # The letter's PDF, as the referrer downloads it.
        data = pdf.render_pdf(
            template="pdf/letter.html",
            context={"letter": letter, "panel": irap_meeting.panel, "sent_on": timezone.localdate()},
            title=letter.subject,
        )
        printed = _squeezed("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))
        for line in expected:
            assert _squeezed(line) in printed

        # The minutes.
        minutes = minutes_build_text(irap_meeting)
        assert f"Agreed cost: {agreed}" in minutes
        for line in expected:
            assert line in minutes
        transaction.set_rollback(True)
