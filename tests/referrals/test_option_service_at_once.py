"""The option service says every problem of an option in one answer (issue 16, "every field validated
at once, not in stages"): the cost or its hours and rate, dates the wrong way round, an agency named
twice and a split that does not add up, together, so the page and the API never tell a person the
rest in a second round. Nothing is saved until all is right."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from referrals import services
from referrals.models import Option

pytestmark = pytest.mark.django_db

BACKWARDS = {"starts_on": "2026-09-01", "ends_on": "2026-06-01"}


def _problems(draft, actor, shares, **fields) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        services.option_save(
            actor=actor,
            referral=draft,
            fields={"description": "Home support", "cost": Decimal("1000.00"), "period": "weekly", **fields},
            shares=shares,
        )
    assert not Option.objects.filter(referral=draft).exists()
    return raised.value.message_dict


def _dates(**fields):
    import datetime as dt

    return {name: dt.date.fromisoformat(value) for name, value in fields.items()}


def test_dates_the_wrong_way_round_and_a_split_short_of_the_cost(draft, social_worker, hampshire, hiow_icb):
    ninety = [(hampshire, "percentage", Decimal("50")), (hiow_icb, "percentage", Decimal("40"))]
    assert _problems(draft, social_worker, ninety, **_dates(**BACKWARDS)) == {
        "ends_on": ["The end date must be on or after the start date"],
        "shares": ["The percentages add up to 90%, not 100%"],
    }


def test_hours_without_a_rate_and_an_agency_named_twice(draft, social_worker, hampshire):
    twice = [(hampshire, "percentage", Decimal("50")), (hampshire, "percentage", Decimal("50"))]
    assert _problems(
        draft, social_worker, twice, cost=None, hours_per_week=Decimal("30"), **_dates(**BACKWARDS)
    ) == {
        "hourly_rate": ["Enter the hourly rate, or leave the hours a week blank"],
        "ends_on": ["The end date must be on or after the start date"],
        "shares": ["Name each agency once"],
    }


def test_no_total_against_a_cost_that_was_refused(draft, social_worker, hampshire, hiow_icb):
    amounts = [(hampshire, "amount", Decimal("400.00")), (hiow_icb, "amount", Decimal("500.00"))]
    problems = _problems(draft, social_worker, amounts, cost=None)
    assert problems == {"cost": ["Enter the cost, or the hours a week and the hourly rate"]}
    # With the cost known, the amounts are checked against it, beside the dates.
    problems = _problems(draft, social_worker, amounts, **_dates(**BACKWARDS))
    assert problems == {
        "ends_on": ["The end date must be on or after the start date"],
        "shares": ["The amounts add up to £900.00, not the cost of £1,000.00"],
    }


def test_a_right_option_is_saved(draft, social_worker, hampshire, hiow_icb):
    option = services.option_save(
        actor=social_worker,
        referral=draft,
        fields={"description": "Home support", "cost": Decimal("1000.00"), "period": "weekly"},
        shares=[(hampshire, "percentage", Decimal("60")), (hiow_icb, "percentage", Decimal("40"))],
    )
    assert option.pk and option.shares.count() == 2
