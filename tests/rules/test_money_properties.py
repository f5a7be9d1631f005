"""Issue 15, "Money: one computation, the same figure everywhere", as properties (Hypothesis): for
random splits, periods and dates across leap years and financial years, every surface's figure is
casework.money's, and every total adds up (docs/adr/0012-money.md). No database: the surfaces'
functions are given plain objects shaped like their models."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.template import Context, Template
from hypothesis import given, settings
from hypothesis import strategies as st

from casework import money
from casework.money import CostPeriod
from funding.selectors import _fy_amounts_by_agency
from panels.selectors.actions import budget_lines
from panels.services.minutes import describe_cost, describe_shares

BOUNDED = settings(max_examples=60, deadline=None)
D = dt.date
ZERO = Decimal("0.00")

amounts = st.integers(min_value=0, max_value=10**8).map(lambda n: Decimal(n) / 100)
positive = st.integers(min_value=1, max_value=10**8).map(lambda n: Decimal(n) / 100)
periods = st.sampled_from(CostPeriod.values)
recurring = st.sampled_from([p for p in CostPeriod.values if p != CostPeriod.ONE_OFF])
weeks = st.sampled_from([38, 52])
# 2023-24 to 2031-32: leap days in 2024, 2028 and 2032 fall inside.
days = st.dates(min_value=D(2023, 4, 1), max_value=D(2031, 3, 31))


@st.composite
def percentages(draw, most: int = 6, least: int = 1):
    """1-6 percentages to 2 dp that add up to exactly 100."""
    n = draw(st.integers(min_value=least, max_value=most))
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 10000]
    return [Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(n)]


def _split(cost: Decimal, weights: list[Decimal]) -> list[Decimal]:
    lines = [money.SplitLine(agency_id=i, basis="percentage", value=w) for i, w in enumerate(weights)]
    return money.split_amounts(cost, lines)


# --- Splits ---------------------------------------------------------------------------------------


@BOUNDED
@given(total=amounts, weights=percentages())
def test_a_split_adds_up_and_no_part_is_a_penny_off_its_exact_share(total, weights):
    parts = money.allocate(total, weights)
    assert sum(parts, ZERO) == total
    for part, weight in zip(parts, weights, strict=True):
        assert part == part.quantize(money.PENNY)
        assert abs(part - total * weight / 100) < money.PENNY
    # Deterministic, and the odd pennies go to the largest remainders, ties to the line listed first.
    assert money.allocate(total, weights) == parts
    exact = [total * w / 100 for w in weights]
    floors = [e.quantize(money.PENNY, ROUND_FLOOR) for e in exact]
    up = [i for i, (p, f) in enumerate(zip(parts, floors, strict=True)) if p > f]
    down = [i for i, (p, f) in enumerate(zip(parts, floors, strict=True)) if p == f]
    for u in up:
        for d in down:
            fraction_up, fraction_down = exact[u] - floors[u], exact[d] - floors[d]
            assert fraction_up > fraction_down or (fraction_up == fraction_down and u < d)


# --- The same annual amount for the same share on every surface ------------------------------------


@BOUNDED
@given(cost=amounts, period=periods, weeks_per_year=weeks, weights=percentages())
def test_the_referral_paper_the_tracker_and_the_funding_matrix_show_the_same_figures(
    cost, period, weeks_per_year, weights
):
    names = [f"Agency {i}" for i in range(len(weights))]
    # The referral paper, the options page and the chair's page (Option.cost_lines).
    paper = money.cost_lines(
        cost=cost, period=period, shares=list(zip(names, weights, strict=True)), weeks_per_year=weeks_per_year
    )
    # The funding package: each share's amount (funding.services.packages) and its stored annual
    # amount, year_worth() of that amount, which the matrix, the tray and approval limits show.
    split = _split(cost, weights)
    stored_annual = [money.year_worth(a, period, weeks_per_year) for a in split]
    matrix = money.share_equivalents(split, period, weeks_per_year)
    assert [line.per_period for line in paper] == split
    if period == CostPeriod.ONE_OFF:
        assert all(line.annual is None and line.weekly is None for line in paper)
        assert stored_annual == split
    else:
        assert [line.annual for line in paper] == stored_annual == [a for _, a in matrix]
        assert [line.weekly for line in paper] == [w for w, _ in matrix]
        # Every column adds up to its own total.
        assert sum((line.annual for line in paper), ZERO) == money.annual(cost, period, weeks_per_year)
        assert sum((line.weekly for line in paper), ZERO) == money.weekly(cost, period, weeks_per_year)
    assert sum((line.per_period for line in paper), ZERO) == cost
    # The decision tracker, with the decision's weeks a year (copied from the agreed option).
    tracker = budget_lines(
        [(i, n, a) for i, (n, a) in enumerate(zip(names, split, strict=True))], period, weeks_per_year
    )
    assert [(b.weekly, b.annual) for b in tracker] == matrix


@BOUNDED
@given(cost=positive, period=periods, weeks_per_year=weeks, weights=percentages(4))
def test_minutes_and_letters_write_the_modules_figures_with_their_period(
    cost, period, weeks_per_year, weights
):
    split = _split(cost, weights)
    decision = SimpleNamespace(
        cost=cost,
        cost_period=period,
        weeks_per_year=weeks_per_year,
        starts_on=None,
        ends_on=None,
        shares=SimpleNamespace(
            all=lambda: [
                SimpleNamespace(
                    agency=SimpleNamespace(name=f"Agency {i}"), basis="percentage", value=w, amount=a
                )
                for i, (w, a) in enumerate(zip(weights, split, strict=True))
            ]
        ),
    )
    # The year's worth beside each amount, with the decision's weeks for a weekly cost.
    weeks_words = f" ({weeks_per_year} weeks)" if period == CostPeriod.WEEKLY else ""
    yearly = money.annual(cost, period, weeks_per_year)
    assert describe_cost(decision) == money.format_money(cost, period) + (
        "" if yearly is None else f", {money.format_money(yearly)} a year{weeks_words}"
    )
    equivalents = money.share_equivalents(split, period, weeks_per_year)
    for line, amount, (_, share_year) in zip(describe_shares(decision), split, equivalents, strict=True):
        assert money.format_money(amount, period) in line
        if share_year is not None:
            assert line.endswith(f", {money.format_money(share_year)} a year{weeks_words}")


@BOUNDED
@given(amount=amounts, period=st.none() | periods)
def test_amounts_are_written_with_separators_pence_and_period(amount, period):
    text = money.format_money(amount, period)
    figure = text.split(" ", 1)[0]
    assert money.parse_money(figure) == amount
    assert figure == f"£{amount:,.2f}"
    if amount >= 1000:
        assert "," in figure
    if period:
        assert text.endswith(CostPeriod(period).label)
    rendered = Template("{% load money %}{{ a|gbp:p }}").render(Context({"a": amount, "p": period}))
    assert rendered == text
    # A heading's period words, as a decision (whose period has no choices) shows them.
    words = Template("{% load money %}{{ p|period_words }}").render(Context({"p": period}))
    assert words == (CostPeriod(period).label if period else "")


@BOUNDED
@given(hours=st.integers(0, 16800).map(lambda n: Decimal(n) / 100), rate=positive)
def test_hours_times_rate_is_a_weekly_cost_to_the_penny(hours, rate):
    assert money.weekly_from_hours(hours, rate) == (hours * rate).quantize(money.PENNY, ROUND_HALF_UP)


# --- Commitments ----------------------------------------------------------------------------------


@BOUNDED
@given(cost=positive, start=days, whole_weeks=st.integers(1, 200))
def test_whole_weeks_of_a_52_week_price_cost_exactly_those_weeks_across_financial_years(
    cost, start, whole_weeks
):
    end = start + dt.timedelta(days=7 * whole_weeks - 1)
    years = range(money.financial_year_of(start), money.financial_year_of(end) + 1)
    by_year = [
        money.amount_in_financial_year(
            cost=cost, period="weekly", weeks_per_year=52, starts_on=start, ends_on=end, year=y
        )
        for y in years
    ]
    assert sum(by_year, ZERO) == cost * whole_weeks
    assert all(a >= 0 for a in by_year)


@BOUNDED
@given(cost=positive, start_month=st.integers(0, 12 * 8 - 1), months=st.integers(1, 40))
def test_whole_calendar_months_of_a_monthly_price_cost_exactly_those_months_across_financial_years(
    cost, start_month, months
):
    """Issue 15: "monthly ... prices by days of the month": whole calendar months, from any month
    of 2023 to 2030 (leap Februaries included), cost the monthly price times the months, however
    they fall across financial years."""
    start = D(2023 + start_month // 12, start_month % 12 + 1, 1)
    end_month = start_month + months
    end = D(2023 + end_month // 12, end_month % 12 + 1, 1) - dt.timedelta(days=1)
    years = range(money.financial_year_of(start), money.financial_year_of(end) + 1)
    by_year = [
        money.amount_in_financial_year(
            cost=cost, period="monthly", weeks_per_year=52, starts_on=start, ends_on=end, year=y
        )
        for y in years
    ]
    assert sum(by_year, ZERO) == cost * months
    assert all(a >= 0 for a in by_year)


@BOUNDED
@given(cost=positive, period=recurring, weeks_per_year=weeks, year=st.integers(2023, 2030))
def test_a_whole_financial_year_is_a_years_worth_leap_year_or_not(cost, period, weeks_per_year, year):
    lo, hi = money.financial_year_bounds(year)
    whole = money.amount_in_financial_year(
        cost=cost, period=period, weeks_per_year=weeks_per_year, starts_on=lo, ends_on=hi, year=year
    )
    if period == CostPeriod.WEEKLY and weeks_per_year == 52:
        # 52-week prices follow the days: 365 days are 52 weeks and a day, 366 two days.
        assert whole == money.pennies(cost * money.days_in_financial_year(year) / 7)
    elif period == CostPeriod.FOUR_WEEKLY:
        assert whole == money.pennies(cost * money.days_in_financial_year(year) / 28)
    else:
        # Monthly, annual and term-time (38-week) prices: exactly a year's worth.
        assert whole == money.annual(cost, period, weeks_per_year)


def _package(*versions, ended_on=None):
    return SimpleNamespace(ended_on=ended_on), [
        SimpleNamespace(
            number=n,
            effective_from=v["starts_on"] if n == 1 else v["effective_from"],
            starts_on=v["starts_on"],
            ends_on=v["ends_on"],
            cost=v["cost"],
            cost_period=v["period"],
            weeks_per_year=v["weeks"],
            shares=SimpleNamespace(
                all=lambda v=v: [SimpleNamespace(agency_id=i, amount=a) for i, a in enumerate(v["split"])]
            ),
        )
        for n, v in enumerate(versions, start=1)
    ]


@BOUNDED
@given(
    cost=positive,
    period=periods,
    weeks_per_year=weeks,
    weights=percentages(4),
    start=days,
    length=st.integers(1, 4 * 366),
)
def test_each_agencys_commitments_add_up_to_its_share_of_the_whole_to_the_penny(
    cost, period, weeks_per_year, weights, start, length
):
    end = start + dt.timedelta(days=length - 1)
    split = _split(cost, weights)
    package, versions = _package(
        {
            "starts_on": start,
            "ends_on": end,
            "cost": cost,
            "period": period,
            "weeks": weeks_per_year,
            "split": split,
        }
    )
    years = list(range(money.financial_year_of(start), money.financial_year_of(end) + 1))
    totals = [
        money.amount_in_financial_year(
            cost=cost, period=period, weeks_per_year=weeks_per_year, starts_on=start, ends_on=end, year=y
        )
        for y in years
    ]
    # The funding matrix and the commitments page (funding.selectors._fy_amounts_by_agency).
    by_year = [_fy_amounts_by_agency(package, versions, y) for y in years]
    for total, figures in zip(totals, by_year, strict=True):
        assert sum(figures.values(), ZERO) == total
    whole = sum(totals, ZERO)
    shares = money.allocate(whole, split)
    for agency, share in enumerate(shares):
        assert sum((figures.get(agency, ZERO) for figures in by_year), ZERO) == share
    if period == CostPeriod.WEEKLY and weeks_per_year == 52:
        assert whole == money.pennies(cost * length / 7)


@BOUNDED
@given(
    first=st.tuples(positive, percentages(3, least=3)),
    second=st.tuples(positive, percentages(3, least=3)),
    start=days,
    change_after=st.integers(1, 500),
    length=st.integers(501, 3 * 366),
)
def test_a_varied_package_adds_up_version_by_version(first, second, start, change_after, length):
    end = start + dt.timedelta(days=length - 1)
    change = start + dt.timedelta(days=change_after)
    (cost_a, weights_a), (cost_b, weights_b) = first, second
    common = {"ends_on": end, "period": "weekly", "weeks": 52}
    package, versions = _package(
        {"starts_on": start, "cost": cost_a, "split": _split(cost_a, weights_a), **common},
        {
            "starts_on": start,
            "effective_from": change,
            "cost": cost_b,
            "split": _split(cost_b, weights_b),
            **common,
        },
    )
    years = list(range(money.financial_year_of(start), money.financial_year_of(end) + 1))
    by_year = [_fy_amounts_by_agency(package, versions, y) for y in years]
    whole_a = money.pennies(cost_a * change_after / 7)
    whole_b = money.pennies(cost_b * (length - change_after) / 7)
    assert sum((sum(f.values(), ZERO) for f in by_year), ZERO) == whole_a + whole_b
    expected = [
        a + b
        for a, b in zip(
            money.allocate(whole_a, _split(cost_a, weights_a)),
            money.allocate(whole_b, _split(cost_b, weights_b)),
            strict=True,
        )
    ]
    assert [sum((f.get(i, ZERO) for f in by_year), ZERO) for i in range(3)] == expected
