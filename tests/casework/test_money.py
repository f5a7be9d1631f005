"""The one money module (casework/money.py): split arithmetic (property tests), weekly and annual
equivalents, and financial-year commitments as a provider invoices, on the awkward cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from casework.money import (
    SplitLine,
    allocate,
    allocate_over_years,
    amount_in_financial_year,
    annual,
    cost_lines,
    days_in_financial_year,
    financial_year_label,
    financial_year_of,
    format_money,
    split_amounts,
    split_problems,
    weekly,
    weekly_from_hours,
    year_worth,
)

D = dt.date
pennies = st.integers(min_value=1, max_value=10**9).map(lambda n: Decimal(n) / 100)


@st.composite
def percentage_splits(draw):
    """2-6 percentages (to 2 dp) that add up to exactly 100."""
    n = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=10000), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 10000]
    return [Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(n)]


@settings(deadline=None)
@given(cost=pennies, percents=percentage_splits())
def test_percentage_split_accounts_for_the_whole_cost_to_the_penny(cost, percents):
    lines = [SplitLine(agency_id=i, basis="percentage", value=p) for i, p in enumerate(percents)]
    assert split_problems(cost, lines) == []
    parts = split_amounts(cost, lines)
    assert sum(parts) == cost
    # Largest remainder: every part is its exact share rounded down or up, never further off.
    for part, pct in zip(parts, percents, strict=True):
        assert part == part.quantize(Decimal("0.01"))
        assert abs(part - cost * pct / 100) < Decimal("0.01")
    # Deterministic: the same input gives the same split.
    assert split_amounts(cost, lines) == parts


@given(amounts=st.lists(pennies, min_size=1, max_size=5))
def test_amount_split_must_add_up_exactly(amounts):
    cost = sum(amounts)
    lines = [SplitLine(agency_id=i, basis="amount", value=a) for i, a in enumerate(amounts)]
    assert split_problems(cost, lines) == []
    assert split_amounts(cost, lines) == amounts
    assert split_problems(cost + Decimal("0.01"), lines) != []


@given(
    cost=pennies,
    period=st.sampled_from(["weekly", "four_weekly", "monthly", "annual"]),
    weeks=st.sampled_from([38, 52]),
)
def test_annual_and_weekly_are_pennies(cost, period, weeks):
    yearly = year_worth(cost, period, weeks)
    assert yearly == yearly.quantize(Decimal("0.01"))
    assert weekly(cost, period, weeks) == weekly(cost, period, weeks).quantize(Decimal("0.01"))


def test_split_problems_in_plain_english():
    line = SplitLine
    assert split_problems(Decimal("100"), []) == ["Say which agencies pay what share"]
    assert split_problems(
        Decimal("100"), [line(1, "percentage", Decimal("60")), line(2, "percentage", Decimal("30"))]
    ) == ["The percentages add up to 90%, not 100%"]
    assert (
        "not both"
        in split_problems(
            Decimal("100"), [line(1, "percentage", Decimal("50")), line(2, "amount", Decimal("50"))]
        )[0]
    )
    assert "less than zero" in split_problems(Decimal("100"), [line(1, "amount", Decimal("-1"))])[0]
    assert split_problems(
        Decimal("100"), [line(1, "amount", Decimal("60")), line(1, "amount", Decimal("40"))]
    ) == ["Give each agency one line only"]
    assert (
        "£90.00, not the cost of £100.00"
        in split_problems(Decimal("100"), [line(1, "amount", Decimal("90"))])[0]
    )


def test_weekly_cost_of_a_38_week_placement_counts_38_weeks():
    assert year_worth(Decimal("1000"), "weekly", 38) == Decimal("38000.00")
    assert year_worth(Decimal("1000"), "weekly", 52) == Decimal("52000.00")
    assert year_worth(Decimal("1000"), "four_weekly") == Decimal("13000.00")
    assert year_worth(Decimal("500"), "one_off") == Decimal("500.00")
    assert weekly(Decimal("500"), "one_off") is None


def test_financial_years_run_april_to_march():
    assert financial_year_of(D(2026, 3, 31)) == 2025
    assert financial_year_of(D(2026, 4, 1)) == 2026
    assert financial_year_label(2026) == "2026-27"
    assert financial_year_label(2099) == "2099-00"
    assert days_in_financial_year(2026) == 365
    assert days_in_financial_year(2027) == 366  # includes 29 February 2028
    assert days_in_financial_year(2023) == 366  # includes 29 February 2024


def test_a_52_week_price_is_invoiced_by_the_day_and_other_prices_pro_rated_by_the_year():
    price = Decimal("1000.00")
    whole = amount_in_financial_year(
        cost=price, period="weekly", weeks_per_year=52, starts_on=D(2026, 1, 1), ends_on=None, year=2026
    )
    # 365 days of a 52-week price: weekly x 365 / 7, a day more than 52 weeks.
    assert whole == Decimal("52142.86")
    # 1 October 2026 to 31 March 2027: 182 days, exactly 26 weeks.
    half = amount_in_financial_year(
        cost=price, period="weekly", weeks_per_year=52, starts_on=D(2026, 10, 1), ends_on=None, year=2026
    )
    assert half == Decimal("26000.00")
    # Leap year 2027-28: 1 March to 31 March 2028 is 31 days.
    leap = amount_in_financial_year(
        cost=price, period="weekly", weeks_per_year=52, starts_on=D(2028, 3, 1), ends_on=None, year=2027
    )
    assert leap == Decimal("4428.57")  # 1000 x 31 / 7
    # Ending on 30 April 2026: 30 days of the year.
    short = amount_in_financial_year(
        cost=Decimal("36500.00"),
        period="annual",
        weeks_per_year=52,
        starts_on=D(2026, 4, 1),
        ends_on=D(2026, 4, 30),
        year=2026,
    )
    assert short == Decimal("3000.00")
    assert amount_in_financial_year(
        cost=price, period="weekly", weeks_per_year=52, starts_on=D(2027, 4, 1), ends_on=None, year=2026
    ) == Decimal("0.00")


def test_one_off_costs_fall_in_the_year_they_start():
    kwargs = {"cost": Decimal("750.00"), "period": "one_off", "weeks_per_year": 52, "ends_on": None}
    assert amount_in_financial_year(starts_on=D(2027, 3, 31), year=2026, **kwargs) == Decimal("750.00")
    assert amount_in_financial_year(starts_on=D(2027, 4, 1), year=2026, **kwargs) == Decimal("0.00")


@settings(deadline=None)
@given(
    start=st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)),
    length=st.integers(min_value=0, max_value=3000),
    cost=pennies,
)
def test_years_add_up_to_the_days_run(start, length, cost):
    """Across every financial year, the pro-rated amounts come to the daily rate times the days run
    (within a penny a year of rounding)."""
    end = start + dt.timedelta(days=length)
    years = range(financial_year_of(start), financial_year_of(end) + 1)
    total = sum(
        amount_in_financial_year(
            cost=cost, period="annual", weeks_per_year=52, starts_on=start, ends_on=end, year=y
        )
        for y in years
    )
    exact = sum(
        cost
        * sum(1 for i in range(length + 1) if financial_year_of(start + dt.timedelta(days=i)) == y)
        / days_in_financial_year(y)
        for y in years
    )
    assert abs(total - exact) <= Decimal("0.005") * len(years) + Decimal("0.0000001")


# --- The awkward cases, pinned (DESIGN.md: one deterministic penny rule; a 52-week weekly price
# costs weekly x days / 7 in any period) ------------------------------------------------------------


def _fy(cost: str, period: str, start: dt.date, end: dt.date | None, year: int, weeks: int = 52) -> Decimal:
    return amount_in_financial_year(
        cost=Decimal(cost), period=period, weeks_per_year=weeks, starts_on=start, ends_on=end, year=year
    )


def test_a_52_week_price_over_a_leap_year_counts_the_extra_day():
    # 2027-28 holds 29 February 2028: 366 days, 52 weeks and 2 days.
    assert days_in_financial_year(2027) == 366
    assert _fy("700.00", "weekly", D(2027, 4, 1), None, 2027) == Decimal("36600.00")
    assert _fy("700.00", "weekly", D(2026, 4, 1), None, 2026) == Decimal("36500.00")
    # Its weekly and annual equivalents stay 52 weeks, leap year or not.
    assert (weekly(Decimal("700.00"), "weekly"), annual(Decimal("700.00"), "weekly")) == (
        Decimal("700.00"),
        Decimal("36400.00"),
    )
    # A term-time (38-week) price is spread over the year's days: a whole year is 38 weeks.
    assert _fy("700.00", "weekly", D(2027, 4, 1), None, 2027, weeks=38) == Decimal("26600.00")
    # A monthly price: a whole year is 12 months, leap year or not.
    assert _fy("1000.00", "monthly", D(2027, 4, 1), None, 2027) == Decimal("12000.00")


def test_a_monthly_price_is_charged_by_the_calendar_month_and_a_part_month_by_its_days():
    """Issue 15: "monthly and annual prices by days of the month/year" (docs/adr/0012-money.md): a
    whole calendar month is the month's price, February too, leap year or not; a part month is
    pro-rated by that month's days; a span across 31 March falls in each year by its months."""
    assert _fy("1000.00", "monthly", D(2027, 2, 1), D(2027, 2, 28), 2026) == Decimal("1000.00")
    assert _fy("1000.00", "monthly", D(2028, 2, 1), D(2028, 2, 29), 2027) == Decimal("1000.00")
    assert _fy("1000.00", "monthly", D(2026, 7, 1), D(2026, 7, 31), 2026) == Decimal("1000.00")
    # 10 days of April (30 days) and 14 days of February 2027 (28 days).
    assert _fy("900.00", "monthly", D(2026, 4, 1), D(2026, 4, 10), 2026) == Decimal("300.00")
    assert _fy("1000.00", "monthly", D(2027, 2, 1), D(2027, 2, 14), 2026) == Decimal("500.00")
    # 15 March to 14 April 2027: 17 of March's 31 days in 2026-27, 14 of April's 30 in 2027-28.
    kwargs = ("3100.00", "monthly", D(2027, 3, 15), D(2027, 4, 14))
    assert (_fy(*kwargs, 2026), _fy(*kwargs, 2027)) == (Decimal("1700.00"), Decimal("1446.67"))
    # An open-ended monthly price from mid-month: the part month, then whole months.
    assert _fy("620.00", "monthly", D(2026, 5, 17), None, 2026) == Decimal("300.00") + 10 * Decimal("620.00")


def test_a_period_starting_mid_week_is_charged_by_the_day():
    # Wednesday 7 October 2026 to Sunday 11 October 2026: 5 days of a £700 week, £100 a day.
    assert D(2026, 10, 7).strftime("%A") == "Wednesday"
    assert _fy("700.00", "weekly", D(2026, 10, 7), D(2026, 10, 11), 2026) == Decimal("500.00")
    # A four-weekly price is invoiced by the day too: 5 days of £2,800 every 4 weeks.
    assert _fy("2800.00", "four_weekly", D(2026, 10, 7), D(2026, 10, 11), 2026) == Decimal("500.00")
    # Rounded half up to the penny: 1 day of £100.01 a week is £14.287...
    assert _fy("100.01", "weekly", D(2026, 10, 7), D(2026, 10, 7), 2026) == Decimal("14.29")


def test_a_hundred_pounds_split_three_ways_puts_the_odd_penny_on_the_first_line():
    # Largest remainder, ties to the line listed first (docs/adr/0012-money.md).
    third = Decimal(100) / 3
    assert allocate(Decimal("100.00"), [third, third, third]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert allocate(Decimal("100.00"), [Decimal(1)] * 3) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    # An exact share is never moved: 33.34% of £100.00 is £33.34 whatever its place.
    lines = [SplitLine(agency_id=i, basis="percentage", value=Decimal("33.33")) for i in range(2)]
    lines.append(SplitLine(agency_id=2, basis="percentage", value=Decimal("33.34")))
    assert split_amounts(Decimal("100.00"), lines) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    # Every column of a cost shown per agency adds up to its own total, and each agency's annual
    # figure is its amount a week times 52 (the funding matrix's figure for the same share).
    rows = cost_lines(
        cost=Decimal("100.00"), period="weekly", shares=[("A", third), ("B", third), ("C", third)]
    )
    assert [r.per_period for r in rows] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert [r.annual for r in rows] == [Decimal("1733.68"), Decimal("1733.16"), Decimal("1733.16")]
    assert sum(r.weekly for r in rows) == Decimal("100.00")
    assert sum(r.annual for r in rows) == Decimal("5200.00")


def test_a_13_week_quarter_across_31_march_is_exactly_13_weeks():
    # 91 days from 15 February 2027: 45 in 2026-27 (£642.921.. rounds to £642.92), 46 in 2027-28,
    # and the two years add up to 13 weeks of £100.01 exactly (rounded cumulatively).
    start = D(2027, 2, 15)
    end = start + dt.timedelta(days=91 - 1)
    years = [_fy("100.01", "weekly", start, end, year) for year in (2026, 2027)]
    assert sum(years) == Decimal("100.01") * 13
    assert years == [Decimal("642.92"), Decimal("657.21")]


def test_the_largest_remainder_takes_the_odd_penny_not_the_position():
    # £0.05 split 10% / 50% / 40%: exact 0.005, 0.025, 0.02; floors 0.00, 0.02, 0.02; one penny left,
    # to the largest remainder (0.005 and 0.005 tie: the first line).
    parts = allocate(Decimal("0.05"), [Decimal(10), Decimal(50), Decimal(40)])
    assert parts == [Decimal("0.01"), Decimal("0.02"), Decimal("0.02")]
    # £1.00 split 1 : 2 : 3 — exact 0.1666.., 0.3333.., 0.5; the penny goes to the largest remainder.
    assert allocate(Decimal("1.00"), [Decimal(1), Decimal(2), Decimal(3)]) == [
        Decimal("0.17"),
        Decimal("0.33"),
        Decimal("0.50"),
    ]


def test_a_monthly_cost_per_agency_derives_weekly_and_annual_from_its_split():
    rows = cost_lines(
        cost=Decimal("1000.00"), period="monthly", shares=[("A", Decimal(1)), ("B", Decimal(2))]
    )
    assert [r.per_period for r in rows] == [Decimal("333.33"), Decimal("666.67")]
    assert [r.annual for r in rows] == [Decimal("3999.96"), Decimal("8000.04")]
    assert [r.weekly for r in rows] == [Decimal("76.92"), Decimal("153.85")]
    assert sum(r.weekly for r in rows) == weekly(Decimal("1000.00"), "monthly")


def test_years_split_cumulatively_add_up_both_ways():
    years = [Decimal("100.00"), Decimal("100.00"), Decimal("100.00")]
    split = allocate_over_years(years, [Decimal(1)] * 3)
    assert [sum(y, Decimal(0)) for y in split] == years
    by_agency = [sum(col, Decimal(0)) for col in zip(*split, strict=True)]
    assert by_agency == allocate(Decimal("300.00"), [Decimal(1)] * 3) == [Decimal("100.00")] * 3
    assert split[0] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert split[1] == [Decimal("33.33"), Decimal("33.34"), Decimal("33.33")]


def test_hours_times_rate_and_money_with_its_period():
    assert weekly_from_hours(Decimal("30"), Decimal("28.45")) == Decimal("853.50")
    assert weekly_from_hours(Decimal("52.25"), Decimal("28.45")) == Decimal("1486.51")
    assert format_money(Decimal("1486.4"), "weekly") == "£1,486.40 a week"
    assert format_money(Decimal("1234567.891")) == "£1,234,567.89"
    assert format_money(Decimal("750"), "one_off") == "£750.00 one-off"
    assert format_money(None) == ""


def test_the_financial_year_turns_between_31_march_and_1_april():
    assert (financial_year_of(D(2027, 3, 31)), financial_year_of(D(2027, 4, 1))) == (2026, 2027)
    # A week from Monday 29 March 2027 to Sunday 4 April 2027: 3 days in 2026-27, 4 in 2027-28.
    start, end = D(2027, 3, 29), D(2027, 4, 4)
    before = _fy("700.00", "weekly", start, end, 2026)
    after = _fy("700.00", "weekly", start, end, 2027)
    assert (before, after) == (Decimal("300.00"), Decimal("400.00"))
    assert before + after == Decimal("700.00")
    # A one-off cost falls wholly in the year it starts.
    assert _fy("750.00", "one_off", D(2027, 3, 31), None, 2026) == Decimal("750.00")
    assert _fy("750.00", "one_off", D(2027, 4, 1), None, 2026) == Decimal("0.00")
    assert _fy("750.00", "one_off", D(2027, 4, 1), None, 2027) == Decimal("750.00")


def test_a_one_off_cost_has_no_weekly_or_annual_equivalent_but_counts_whole_against_a_limit():
    assert (weekly(Decimal("500"), "one_off"), annual(Decimal("500"), "one_off")) == (None, None)
    assert year_worth(Decimal("500"), "one_off") == Decimal("500.00")
