"""Money has one home (DESIGN.md, issue 14): the bounds on every amount, the period vocabulary,
splits with one deterministic penny rule, weekly and annual equivalents, and financial-year
commitments. Every page, paper, letter, export and API field uses these functions; no app computes
money on its own.

The rules, pinned by tests/casework/test_money.py:
- Everything is Decimal, to the penny, rounded half up.
- Splits (docs/adr/0012-money.md): each agency's amount is split once from the total by the largest
  remainder: every part is rounded down to the penny and the pennies left over go one each to the
  largest remainders, ties to the line listed first, so the parts always add up to the total exactly
  (a split of £100.00 three ways is £33.34, £33.33, £33.33).
- Every figure derived for an agency comes from its split amount: its annual amount is its amount a
  period times the periods a year (exact, so the annual column adds up); a weekly equivalent of a
  monthly or four-weekly amount is the total's weekly equivalent split by the same rule; its
  financial-year amounts are split from each year's total by the same rule, cumulatively, so each
  agency's years add up to its share of the whole.
- Weekly and annual equivalents use 52 weeks a year (a four-weekly cost is 13 times a year, monthly
  12); a weekly cost for a term-time placement counts the placement's weeks (38).
- Financial years run 1 April to 31 March. A commitment in any period is what a provider invoices:
  a 52-week weekly price costs weekly x days / 7, a four-weekly price four-weekly x days / 28; a
  monthly price is the month's price for each calendar month, pro-rated by the days of that month
  for a part month (10 days of April are 10/30 of a month); an annual or term-time (38-week) price
  is its year's worth x days / the year's days (365 or 366). The years of a cost are rounded cumulatively, so they add up to the whole of it to the
  penny (a 13-week quarter across 31 March is exactly 13 weeks). A one-off cost falls wholly in the
  year it starts.

Bounds (issue 12).

One ceiling, £10,000,000, for any cost, share or amount, in whatever period it is paid, and the
same ceiling for a year's worth of an option, decision or package. Why that figure: no care package
for one child comes near it (the most expensive residential placements cost well under £1,000,000
a year), so anything bigger is a typing mistake; and it keeps every figure worked out from a stored
amount inside its column: a weekly cost at the ceiling is £520,000,000 a year, 11 digits, which
still fits the 12-digit money columns, the API's money fields and the exports, so no page, PDF,
export or API answer can fail on a stored value. The same bounds are checked by the form, the
serializer, the model and a database constraint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from rest_framework import serializers

MAX_COST = Decimal("10000000.00")
MAX_COST_TEXT = "£10,000,000"
# A year of a cost at the ceiling paid weekly: the largest annual figure a stored amount can produce.
MAX_DERIVED_ANNUAL = MAX_COST * 52


@deconstructible
class NoMinusZero:
    """Refuses "-0", which passes a minimum of 0 yet would show as "£-0.00". (Other negative
    amounts are refused by the field's minimum, with its own message.)"""

    message = "Enter an amount of £0.00 or more"
    code = "min_value"

    def __call__(self, value: Decimal | None) -> None:
        if value is not None and value.is_zero() and value.is_signed():
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoMinusZero)

    def __hash__(self) -> int:
        return hash(self.code)


def money_validators() -> list:
    """For a model's or form's money field (beside its minimum): no "-0", and at most the ceiling."""
    return [NoMinusZero(), MaxValueValidator(MAX_COST, message=f"Enter {MAX_COST_TEXT} or less")]


def money_input(**kwargs) -> serializers.DecimalField:
    """An API money field that takes pounds and pence ("1234.56" or 1234.56) and answers 400 with a
    field message for anything else: NaN, Infinity, "-0", more than 2 decimal places, "£1,000",
    more than the ceiling."""
    kwargs.setdefault("min_value", Decimal("0.00"))
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        max_value=MAX_COST,
        validators=[NoMinusZero()],
        error_messages={
            "invalid": 'Enter an amount in pounds and pence as a number, like "1234.56"',
            "max_value": f"Enter {MAX_COST_TEXT} or less",
            "min_value": "Enter an amount of £{min_value} or more",
            "max_digits": f"Enter {MAX_COST_TEXT} or less",
            "max_whole_digits": f"Enter {MAX_COST_TEXT} or less",
            "max_decimal_places": 'Enter pounds and pence, with no more than 2 decimal places, like "1234.56"',
        },
        **kwargs,
    )


def within_bounds(field: str, *, most: Decimal = MAX_COST):
    """The database's own check of the same bounds (a NULL passes, as it does in any CHECK)."""
    from django.db.models import Q

    return Q(**{f"{field}__gte": 0, f"{field}__lte": most})


# --- The vocabulary -------------------------------------------------------------------------------


class CostPeriod(models.TextChoices):
    WEEKLY = "weekly", "a week"
    FOUR_WEEKLY = "four_weekly", "every 4 weeks"
    MONTHLY = "monthly", "a month"
    ANNUAL = "annual", "a year"
    ONE_OFF = "one_off", "one-off"


class ShareBasis(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage"
    AMOUNT = "amount", "Fixed amount"


PENNY = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
WEEKS_A_YEAR = 52
PER_YEAR: dict[str, Decimal] = {
    CostPeriod.WEEKLY: Decimal(52),
    CostPeriod.FOUR_WEEKLY: Decimal(13),
    CostPeriod.MONTHLY: Decimal(12),
    CostPeriod.ANNUAL: Decimal(1),
}


def pennies(amount: Decimal) -> Decimal:
    """`amount` rounded half up to the penny."""
    return amount.quantize(PENNY, ROUND_HALF_UP)


def parse_money(value: object) -> Decimal | None:
    """A typed amount like "£1,234.50" as Decimal, or None when it is not one."""
    text = str(value).strip().replace(",", "").removeprefix("£").strip()
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


# --- Weekly and annual equivalents ----------------------------------------------------------------


def annual(cost: Decimal, period: str, weeks_per_year: int = WEEKS_A_YEAR) -> Decimal | None:
    """The cost a year, or None for a one-off cost. A weekly cost counts the placement's weeks."""
    if period == CostPeriod.ONE_OFF:
        return None
    return _recurring_annual(cost, period, weeks_per_year)


def _recurring_annual(cost: Decimal, period: str, weeks_per_year: int) -> Decimal:
    """annual() of a cost that recurs (any period but one-off)."""
    if period == CostPeriod.WEEKLY:
        return pennies(cost * weeks_per_year)
    return pennies(cost * PER_YEAR[period])


def weekly(cost: Decimal, period: str, weeks_per_year: int = WEEKS_A_YEAR) -> Decimal | None:
    """The cost per (placement) week, or None for a one-off cost."""
    if period == CostPeriod.ONE_OFF:
        return None
    if period == CostPeriod.WEEKLY:
        return pennies(cost)
    return pennies(_recurring_annual(cost, period, weeks_per_year) / weeks_per_year)


def year_worth(cost: Decimal, period: str, weeks_per_year: int = WEEKS_A_YEAR) -> Decimal:
    """What a year of the cost comes to for a limit (an approver's delegated limit, the ceiling): the
    annual cost, or a one-off cost's own amount."""
    yearly = annual(cost, period, weeks_per_year)
    return pennies(cost) if yearly is None else yearly


# --- Splits ---------------------------------------------------------------------------------------


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights`, to the penny, by the largest remainder: every part
    is rounded down to the penny, then the pennies left over go one each to the parts with the
    largest remainders, ties to the earlier part (the line listed first). The parts always add up
    to `total` exactly, and a part that divides exactly is never moved (docs/adr/0012-money.md)."""
    if not weights:
        return []
    whole = sum(weights, Decimal("0"))
    if whole == 0:
        return [ZERO] * (len(weights) - 1) + [total]
    exact = [total * w / whole for w in weights]
    parts = [e.quantize(PENNY, ROUND_FLOOR) for e in exact]
    left = int((total - sum(parts, Decimal("0"))) / PENNY)
    by_remainder = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[:left]:
        parts[i] += PENNY
    # A total given to more than the penny keeps its fraction on the last part, as it always has.
    parts[-1] += total - sum(parts, Decimal("0"))
    return parts


def allocate_over_years(year_totals: Sequence[Decimal], weights: Sequence[Decimal]) -> list[list[Decimal]]:
    """Each year's total split between the weights so that every year's parts add up to that year's
    total and every part's years add up to its allocate() of the years' sum: the split is made
    cumulatively (a part's amount in a year is its share of the running total to the end of that
    year less its share to the end of the year before). Years are listed from the first, so a
    year's figures never depend on how many later years are shown."""
    out = []
    running = ZERO
    before = [ZERO] * len(weights)
    for total in year_totals:
        running += total
        now = allocate(running, weights)
        out.append([a - b for a, b in zip(now, before, strict=True)])
        before = now
    return out


def share_equivalents(
    amounts: Sequence[Decimal], period: str, weeks_per_year: int = WEEKS_A_YEAR
) -> list[tuple[Decimal | None, Decimal | None]]:
    """Each agency's (weekly, annual) equivalents of its split amount a period, both None for a
    one-off cost. The annual amount is the amount times the periods a year, exact, so the column adds
    up to the total's annual(); the weekly amount of a weekly cost is the amount itself, and of any
    other period the total's weekly() split by allocate() with the amounts as weights."""
    if period == CostPeriod.ONE_OFF or not amounts:
        return [(None, None)] * len(amounts)
    annuals = [_recurring_annual(a, period, weeks_per_year) for a in amounts]
    if period == CostPeriod.WEEKLY:
        weeklies = [pennies(a) for a in amounts]
    else:
        total = _recurring_annual(sum(amounts, ZERO), period, weeks_per_year)
        weeklies = allocate(pennies(total / weeks_per_year), amounts)
    return list(zip(weeklies, annuals, strict=True))


HOURS_IN_A_WEEK = Decimal("168")


def weekly_from_hours(hours_per_week: Decimal, hourly_rate: Decimal) -> Decimal:
    """A home support option's weekly cost from its hours a week and hourly rate, rounded half up to
    the penny (30 hours at £28.45 an hour is £853.50 a week)."""
    return pennies(hours_per_week * hourly_rate)


def format_money(amount: Decimal | None, period: str | None = None) -> str:
    """ "£1,486.40 a week": pounds with thousands separators and pence, and the period's words when
    given ("one-off" for a one-off cost). Empty for None. Pages, letters, e-mails and PDFs use this
    (the template filter `gbp` in casework/templatetags/money.py)."""
    if amount is None:
        return ""
    text = f"£{pennies(Decimal(amount)):,.2f}"
    if period:
        label = CostPeriod(period).label if period in CostPeriod.values else str(period)
        text = f"{text} {label}"
    return text


@dataclass(frozen=True)
class SplitLine:
    agency_id: int
    basis: str
    value: Decimal


def split_problems(cost: Decimal | None, lines: list[SplitLine]) -> list[str]:
    """Why the split does not account for the whole cost exactly (empty when it does)."""
    if not lines:
        return ["Say which agencies pay what share"]
    problems = []
    agencies = [line.agency_id for line in lines]
    if len(set(agencies)) != len(agencies):
        problems.append("Give each agency one line only")
    if any(line.value is None or line.value < 0 for line in lines):
        return [*problems, "No agency's share can be less than zero"]
    bases = {line.basis for line in lines}
    if not bases <= set(ShareBasis.values):
        return [*problems, "Choose percentage or fixed amount for every line"]
    if len(bases) > 1:
        return [*problems, "Use either percentages or amounts for every agency, not both"]
    total = sum((line.value for line in lines), Decimal("0"))
    if bases == {ShareBasis.PERCENTAGE}:
        if any(line.value > HUNDRED for line in lines):
            problems.append("No percentage can be more than 100%")
        elif total != HUNDRED:
            problems.append(f"The percentages add up to {total.normalize():f}%, not 100%")
    elif cost is not None and total != cost:
        problems.append(f"The amounts add up to £{total:,.2f}, not the cost of £{cost:,.2f}")
    return problems


def split_amounts(cost: Decimal, lines: list[SplitLine]) -> list[Decimal]:
    """Each line's amount per period, to the penny, adding up to `cost` exactly: allocate()'s largest
    remainder, ties to the line given first, so the result is deterministic."""
    if lines and lines[0].basis == ShareBasis.AMOUNT:
        return [line.value.quantize(PENNY) for line in lines]
    return allocate(cost, [line.value for line in lines])


@dataclass(frozen=True)
class AgencyCostLine:
    agency_name: str
    per_period: Decimal
    weekly: Decimal | None
    annual: Decimal | None


def cost_lines(
    *, cost: Decimal, period: str, shares: Sequence[tuple[str, Decimal]], weeks_per_year: int = WEEKS_A_YEAR
) -> list[AgencyCostLine]:
    """A cost per agency (name, weight), with weekly and annual side by side (seeds 001: "costs are
    not clearly presented"). Each agency's amount is split once from the cost (allocate) and its
    weekly and annual figures are derived from it (share_equivalents), so every column adds up and
    the annual figure is the one the funding matrix shows for the same share."""
    per_period = allocate(cost, [weight for _, weight in shares])
    return [
        AgencyCostLine(agency_name=name, per_period=p, weekly=w, annual=a)
        for (name, _), p, (w, a) in zip(
            shares, per_period, share_equivalents(per_period, period, weeks_per_year), strict=True
        )
    ]


# --- Financial years ------------------------------------------------------------------------------


def financial_year_of(day: dt.date) -> int:
    """The financial year a day falls in, named by the calendar year it starts (2026 = 2026-27)."""
    return day.year if day >= dt.date(day.year, 4, 1) else day.year - 1


def financial_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def financial_year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def days_in_financial_year(year: int) -> int:
    """365, or 366 when the year includes 29 February."""
    start, end = financial_year_bounds(year)
    return (end - start).days + 1


def overlap_days(start: dt.date, end: dt.date | None, lo: dt.date, hi: dt.date) -> int:
    """Days from `start` to `end` (inclusive, None = open) that fall between lo and hi inclusive."""
    first = max(start, lo)
    last = hi if end is None else min(end, hi)
    return max(0, (last - first).days + 1)


def _exact_for_days(*, cost: Decimal, period: str, weeks_per_year: int, days: int, year_days: int) -> Decimal:
    """amount_for_days() before rounding."""
    if period == CostPeriod.WEEKLY and weeks_per_year == WEEKS_A_YEAR:
        return cost * days / 7
    if period == CostPeriod.FOUR_WEEKLY:
        return cost * days / 28
    return _recurring_annual(cost, period, weeks_per_year) * days / year_days


def amount_for_days(*, cost: Decimal, period: str, weeks_per_year: int, days: int, year_days: int) -> Decimal:
    """What `days` days of a recurring cost come to, for a count of days with no dates: a 52-week
    weekly price is weekly x days / 7, a four-weekly price four-weekly x days / 28; an annual or
    term-time price is its year's worth x days / the year's days (`year_days`, 365 or 366), and so is
    a monthly price, whose months are not known here. Commitments between dates charge a monthly
    price by the days of each calendar month (amount_in_financial_year)."""
    return pennies(
        _exact_for_days(
            cost=cost, period=period, weeks_per_year=weeks_per_year, days=days, year_days=year_days
        )
    )


def _days_in_month(day: dt.date) -> int:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (following - dt.timedelta(days=1)).day


def _monthly_exact(cost: Decimal, first: dt.date, last: dt.date) -> Decimal:
    """A monthly price from `first` to `last` (inclusive), before rounding: the month's price for
    each calendar month, times the days it runs in that month over the month's days (28 to 31)."""
    total = ZERO
    day = first
    while day <= last:
        in_month = _days_in_month(day)
        stop = min(day.replace(day=in_month), last)
        total += cost * ((stop - day).days + 1) / in_month
        day = stop + dt.timedelta(days=1)
    return total


def _exact_in_window(
    *, cost: Decimal, period: str, weeks_per_year: int, starts_on: dt.date, ends_on: dt.date | None, year: int
) -> Decimal:
    """What a cost running from starts_on to ends_on comes to in financial year `year`, before
    rounding: by calendar month for a monthly price, by days otherwise (_exact_for_days)."""
    lo, hi = financial_year_bounds(year)
    if period == CostPeriod.MONTHLY:
        first, last = max(starts_on, lo), hi if ends_on is None else min(ends_on, hi)
        return _monthly_exact(cost, first, last) if first <= last else ZERO
    return _exact_for_days(
        cost=cost,
        period=period,
        weeks_per_year=weeks_per_year,
        days=overlap_days(starts_on, ends_on, lo, hi),
        year_days=days_in_financial_year(year),
    )


def amount_in_financial_year(
    *,
    cost: Decimal,
    period: str,
    weeks_per_year: int,
    starts_on: dt.date,
    ends_on: dt.date | None,
    year: int,
) -> Decimal:
    """What a cost running from starts_on to ends_on (inclusive) comes to in one financial year:
    by the days it runs in that year (amount_for_days), or for a monthly price, the month's price for
    each calendar month, pro-rated by the month's days for a part month. The years are rounded cumulatively from
    the start: a year's amount is the running total to its end, rounded, less the running total to
    the end of the year before, rounded; so the years of a cost add up to the whole of it, to the
    penny (a 13-week quarter across 31 March is exactly 13 weeks). A one-off cost falls wholly in the
    year of its start."""
    lo, hi = financial_year_bounds(year)
    if period == CostPeriod.ONE_OFF:
        return cost.quantize(PENNY) if lo <= starts_on <= hi else ZERO
    if overlap_days(starts_on, ends_on, lo, hi) == 0:
        return ZERO

    def exact(in_year: int) -> Decimal:
        return _exact_in_window(
            cost=cost,
            period=period,
            weeks_per_year=weeks_per_year,
            starts_on=starts_on,
            ends_on=ends_on,
            year=in_year,
        )

    before = sum((exact(earlier) for earlier in range(financial_year_of(starts_on), year)), ZERO)
    return pennies(before + exact(year)) - pennies(before)
