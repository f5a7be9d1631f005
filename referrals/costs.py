"""Costs shown side by side: weekly and annual, per agency. Money is Decimal, to the penny.

An option's cost is given per period; weekly and annual equivalents use 52 weeks a year (a
four-weekly cost is 13 times a year, monthly 12). Each agency's share is rounded to the penny and
the last agency takes the remainder, so the shares add up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from referrals.models import CostPeriod, Option, OptionShare

PENNY = Decimal("0.01")
PER_YEAR = {
    CostPeriod.WEEKLY: Decimal(52),
    CostPeriod.FOUR_WEEKLY: Decimal(13),
    CostPeriod.MONTHLY: Decimal(12),
    CostPeriod.ANNUAL: Decimal(1),
}


def annual(cost: Decimal, period: str) -> Decimal | None:
    """The cost a year, or None for a one-off cost."""
    if period == CostPeriod.ONE_OFF:
        return None
    return (cost * PER_YEAR[period]).quantize(PENNY, ROUND_HALF_UP)


def weekly(cost: Decimal, period: str) -> Decimal | None:
    yearly = annual(cost, period)
    return None if yearly is None else (yearly / 52).quantize(PENNY, ROUND_HALF_UP)


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights`, to the penny: every part but the last is rounded
    half up and the last takes the remainder, so the parts always add up to `total` exactly."""
    if not weights:
        return []
    whole = sum(weights, Decimal("0"))
    if whole == 0:
        return [Decimal("0.00")] * (len(weights) - 1) + [total]
    parts = [(total * w / whole).quantize(PENNY, ROUND_HALF_UP) for w in weights[:-1]]
    parts.append(total - sum(parts, Decimal("0")))
    return parts


@dataclass(frozen=True)
class AgencyCostLine:
    agency_name: str
    per_period: Decimal
    weekly: Decimal | None
    annual: Decimal | None


def option_cost_lines(option: Option) -> list[AgencyCostLine]:
    """The option's cost per agency, with weekly and annual side by side (seeds 001: "costs are not
    clearly presented"). Each column is split from the option's own total, so every column adds up."""
    shares: list[OptionShare] = list(option.shares.all())
    weights = [s.value for s in shares]
    per_period = allocate(option.cost, weights)
    total_weekly, total_annual = weekly(option.cost, option.period), annual(option.cost, option.period)
    weeklies = allocate(total_weekly, weights) if total_weekly is not None else [None] * len(shares)
    annuals = allocate(total_annual, weights) if total_annual is not None else [None] * len(shares)
    return [
        AgencyCostLine(agency_name=s.agency.name, per_period=p, weekly=w, annual=a)
        for s, p, w, a in zip(shares, per_period, weeklies, annuals, strict=True)
    ]
