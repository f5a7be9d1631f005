"""Money for funding packages: the split of a cost between agencies, weekly and annual amounts for
a placement of 38 or 52 weeks, and financial years (1 April to 31 March) pro-rated by days.

Everything is Decimal to the penny. Splits reuse referrals.costs.allocate (each part rounded half
up, the last line takes the remainder), so the lines always add up to the cost exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from referrals.costs import PENNY, PER_YEAR, allocate
from referrals.models import CostPeriod, ShareBasis

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# No single package costs more than this a year; a bigger figure is a typing mistake.
MAX_ANNUAL = Decimal("10000000.00")


@dataclass(frozen=True)
class SplitLine:
    agency_id: int
    basis: str
    value: Decimal


def annual_cost(cost: Decimal, period: str, weeks_per_year: int = 52) -> Decimal:
    """A year's worth of `cost`; a weekly cost counts the placement's weeks (38 or 52). A one-off
    cost is its own amount (it is what an approver's limit is tested against)."""
    if period == CostPeriod.ONE_OFF:
        return cost.quantize(PENNY)
    if period == CostPeriod.WEEKLY:
        return (cost * weeks_per_year).quantize(PENNY, ROUND_HALF_UP)
    return (cost * PER_YEAR[period]).quantize(PENNY, ROUND_HALF_UP)


def weekly_cost(cost: Decimal, period: str, weeks_per_year: int = 52) -> Decimal | None:
    """The cost per placement week, or None for a one-off cost."""
    if period == CostPeriod.ONE_OFF:
        return None
    if period == CostPeriod.WEEKLY:
        return cost.quantize(PENNY)
    return (annual_cost(cost, period, weeks_per_year) / weeks_per_year).quantize(PENNY, ROUND_HALF_UP)


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
    """Each line's amount per period, to the penny, adding up to `cost` exactly. The remainder of
    rounding goes to the last line (the order lines were given in), so the result is deterministic."""
    if lines and lines[0].basis == ShareBasis.AMOUNT:
        return [line.value.quantize(PENNY) for line in lines]
    return allocate(cost, [line.value for line in lines])


def parse_money(value: object) -> Decimal | None:
    """A typed amount like "£1,234.50" as Decimal, or None when it is not one."""
    text = str(value).strip().replace(",", "").removeprefix("£").strip()
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


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
    the annual cost times the share of that year's days it runs (365 or 366). A one-off cost falls
    wholly in the year of its start."""
    lo, hi = financial_year_bounds(year)
    if period == CostPeriod.ONE_OFF:
        return cost.quantize(PENNY) if lo <= starts_on <= hi else ZERO
    days = overlap_days(starts_on, ends_on, lo, hi)
    if days == 0:
        return ZERO
    yearly = annual_cost(cost, period, weeks_per_year)
    return (yearly * days / days_in_financial_year(year)).quantize(PENNY, ROUND_HALF_UP)
