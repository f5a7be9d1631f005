"""Issue 15: home support entered as hours a week at an hourly rate ("30 hours a week at £28.45 an
hour"); the service works out the weekly cost (casework.money.weekly_from_hours) and every page,
paper and API answer shows it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from referrals import services
from referrals.models import Option
from tests.referrals.test_api import an_option, api_as, url
from tests.referrals.test_views import _option_data


def _save(referral, actor, hampshire, hiow_icb, **fields):
    return services.option_save(
        actor=actor,
        referral=referral,
        fields={"description": "Home support", "cost": None, "period": "weekly", **fields},
        shares=[(hampshire, "percentage", Decimal("50")), (hiow_icb, "percentage", Decimal("50"))],
    )


def test_the_service_works_out_the_weekly_cost_from_hours_and_rate(draft, social_worker, hampshire, hiow_icb):
    option = _save(
        draft,
        social_worker,
        hampshire,
        hiow_icb,
        period="monthly",
        hours_per_week=Decimal("30"),
        hourly_rate=Decimal("28.45"),
    )
    option.refresh_from_db()
    assert (option.cost, option.period) == (Decimal("853.50"), "weekly")
    assert [line.per_period for line in option.cost_lines()] == [Decimal("426.75"), Decimal("426.75")]
    # Back to a plain cost: the hours go.
    option = services.option_save(
        actor=social_worker,
        referral=draft,
        option=option,
        fields={"cost": Decimal("900.00"), "period": "weekly", "hours_per_week": None, "hourly_rate": None},
        shares=[(hampshire, "percentage", Decimal("100"))],
    )
    option.refresh_from_db()
    assert (option.cost, option.hours_per_week, option.hourly_rate) == (Decimal("900.00"), None, None)


def test_hours_without_a_rate_or_no_cost_at_all_is_refused(draft, social_worker, hampshire, hiow_icb):
    with pytest.raises(ValidationError) as excinfo:
        _save(draft, social_worker, hampshire, hiow_icb, hours_per_week=Decimal("30"))
    assert excinfo.value.message_dict == {
        "hourly_rate": ["Enter the hourly rate, or leave the hours a week blank"]
    }
    with pytest.raises(ValidationError) as excinfo:
        _save(draft, social_worker, hampshire, hiow_icb)
    assert excinfo.value.message_dict == {"cost": ["Enter the cost, or the hours a week and the hourly rate"]}
    assert not Option.objects.filter(referral=draft).exists()


def test_the_option_page_takes_hours_and_rate_and_shows_the_weekly_cost(sam, draft, hampshire, hiow_icb):
    data = _option_data(hampshire, hiow_icb, cost="", hours_per_week="52.25", hourly_rate="£28.45")
    response = sam.post(reverse("referrals:option_add", args=[draft.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    option = draft.options.get()
    assert (option.cost, option.hours_per_week, option.hourly_rate) == (
        Decimal("1486.51"),
        Decimal("52.25"),
        Decimal("28.45"),
    )
    page = sam.get(reverse("referrals:options", args=[draft.pk])).content.decode()
    assert "£1,486.51 a week (52.25 hours a week at £28.45 an hour)" in page
    edit = sam.get(reverse("referrals:option_edit", args=[draft.pk, option.pk])).content.decode()
    assert "52.25 hours a week at £28.45 an hour is £1,486.51 a week." in edit


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"hours_per_week": "30"}, "hourly_rate", "Enter the hourly rate, or leave the hours a week blank"),
        (
            {"hourly_rate": "28.45"},
            "hours_per_week",
            "Enter the hours a week, or leave the hourly rate blank",
        ),
        (
            {"hours_per_week": "200", "hourly_rate": "28.45"},
            "hours_per_week",
            "The hours a week must be 168 or less",
        ),
        (
            {"hours_per_week": "lots", "hourly_rate": "28.45"},
            "hours_per_week",
            "Enter the hours a week as a number, like 30 or 37.5",
        ),
        ({}, "cost", "Enter the cost"),
    ],
)
def test_the_option_page_says_what_is_missing(sam, draft, hampshire, hiow_icb, fields, field, message):
    data = _option_data(hampshire, hiow_icb, cost="", **fields)
    response = sam.post(reverse("referrals:option_add", args=[draft.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]


def test_the_api_takes_hours_and_rate_and_answers_the_weekly_cost(social_worker, draft, hampshire, hiow_icb):
    client = api_as(social_worker)
    body = an_option(hampshire, hiow_icb, hours_per_week="30.00", hourly_rate="28.45")
    del body["cost"]
    response = client.post(url(draft, "options/"), body, format="json")
    assert response.status_code in (200, 201), response.json()
    [option] = response.json()["options"]
    assert (option["cost"], option["period"], option["weekly_cost"], option["annual_cost"]) == (
        "853.50",
        "weekly",
        "853.50",
        "44382.00",
    )
    assert (option["hours_per_week"], option["hourly_rate"]) == ("30.00", "28.45")
    body = an_option(hampshire, hiow_icb, hours_per_week="30.00")
    del body["cost"]
    response = client.post(url(draft, "options/"), body, format="json")
    assert response.status_code == 400
    assert "hourly_rate" in str(response.json())


def test_hours_and_rate_that_come_to_more_than_the_ceiling_are_refused(
    draft, social_worker, hampshire, hiow_icb
):
    with pytest.raises(ValidationError) as excinfo:
        _save(
            draft,
            social_worker,
            hampshire,
            hiow_icb,
            hours_per_week=Decimal("168"),
            hourly_rate=Decimal("2000.00"),
        )
    assert excinfo.value.message_dict == {
        "hourly_rate": ["That comes to £17,472,000.00 a year, more than £10,000,000: check the figure"]
    }
