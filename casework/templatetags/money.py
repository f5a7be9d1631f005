"""The money filter for pages, letters, e-mails and PDFs: `{{ amount|gbp }}` is "£1,486.40",
`{{ amount|gbp:"weekly" }}` (or a cost's period field) is "£1,486.40 a week". The words come from
casework.money.format_money, so a template and a service's text say an amount the same way."""

from __future__ import annotations

from decimal import Decimal

from django import template

from casework.money import CostPeriod, format_money, parse_money

register = template.Library()


@register.filter
def gbp(amount: Decimal | str | None, period: str | None = None) -> str:
    """Pounds with thousands separators and pence, and the period when given; empty for None or
    for anything that is not an amount."""
    if amount is None or amount == "":
        return ""
    value = amount if isinstance(amount, Decimal) else parse_money(amount)
    if value is None:
        return ""
    return format_money(value, period or None)


@register.filter
def period_words(period: str | None) -> str:
    """A cost period's words for a heading: "weekly" is "a week"; empty for anything else."""
    return CostPeriod(period).label if period in CostPeriod.values else ""
