"""Bounds on every amount of money a person or a system can give the service (issue 12).

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

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
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
