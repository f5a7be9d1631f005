"""An option sent through the API is told every problem in one 400 (issue 16, "every field validated
at once, not in stages"): what DRF says of each field it cannot read, and the split's problem under
`shares` in the service's own words (referrals.services.split_problem), as the option's page says
it (tests/referrals/test_option_errors_at_once.py). Nothing is saved until all is right."""

from __future__ import annotations

import pytest

from referrals.models import Option
from tests.referrals.test_api import an_option, api_as, url

pytestmark = pytest.mark.django_db


def _ninety(hampshire, hiow_icb) -> list[dict]:
    return [
        {"agency": hampshire.pk, "basis": "percentage", "value": "50.00"},
        {"agency": hiow_icb.pk, "basis": "percentage", "value": "40.00"},
    ]


def test_several_wrong_fields_and_a_bad_split_come_back_in_one_answer(
    social_worker, draft, hampshire, hiow_icb
):
    body = an_option(
        hampshire,
        hiow_icb,
        description="",
        period="fortnightly",
        ends_on="31/02/2028",
        shares=_ninety(hampshire, hiow_icb),
    )
    response = api_as(social_worker).post(url(draft, "options/"), body, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert errors["description"] == ["This field may not be blank."]
    assert errors["period"] == ['"fortnightly" is not a valid choice.']
    assert errors["ends_on"][0].startswith("Date has wrong format.")
    assert errors["shares"] == ["The percentages add up to 90%, not 100%"]
    assert not Option.objects.exists()


def test_a_replaced_option_is_told_everything_at_once_too(social_worker, draft, hampshire, hiow_icb):
    client = api_as(social_worker)
    assert (
        client.post(url(draft, "options/"), an_option(hampshire, hiow_icb), format="json").status_code == 201
    )
    option = Option.objects.get(referral=draft)
    body = an_option(
        hampshire, hiow_icb, cost="lots", description="Changed", shares=_ninety(hampshire, hiow_icb)
    )
    response = client.put(url(draft, f"options/{option.pk}/"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"cost", "shares"}
    assert response.json()["shares"] == ["The percentages add up to 90%, not 100%"]
    option.refresh_from_db()
    assert option.description == "Residential short breaks"


def test_amounts_are_checked_against_the_cost_or_the_hours_at_the_rate(
    social_worker, draft, hampshire, hiow_icb
):
    client = api_as(social_worker)
    amounts = [
        {"agency": hampshire.pk, "basis": "amount", "value": "60.00"},
        {"agency": hiow_icb.pk, "basis": "amount", "value": "39.99"},
    ]
    response = client.post(
        url(draft, "options/"),
        an_option(hampshire, hiow_icb, cost="100", period="", shares=amounts),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["period"] == ['"" is not a valid choice.']
    assert response.json()["shares"] == ["The amounts add up to £99.99, not the cost of £100.00"]

    by_the_hour = an_option(
        hampshire, hiow_icb, description="", hours_per_week="30", hourly_rate="28.45", shares=amounts
    )
    del by_the_hour["cost"]
    response = client.post(url(draft, "options/"), by_the_hour, format="json")
    assert response.status_code == 400
    assert response.json()["shares"] == ["The amounts add up to £99.99, not the cost of £853.50"]


def test_no_misleading_total_when_the_cost_or_a_share_cannot_be_read(
    social_worker, draft, hampshire, hiow_icb
):
    client = api_as(social_worker)
    amounts = [{"agency": hampshire.pk, "basis": "amount", "value": "6.00"}]
    response = client.post(
        url(draft, "options/"), an_option(hampshire, hiow_icb, cost="twelve", shares=amounts), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"cost"}

    unreadable = [
        {"agency": hampshire.pk, "basis": "percentage", "value": "half"},
        {"agency": hiow_icb.pk, "basis": "percentage", "value": "40.00"},
    ]
    response = client.post(
        url(draft, "options/"),
        an_option(hampshire, hiow_icb, description="", shares=unreadable),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["description"] == ["This field may not be blank."]
    # DRF's own message for the share it cannot read, by its place in the list, and no total.
    assert errors["shares"] == {
        "0": {"value": ['Enter an amount in pounds and pence as a number, like "1234.56"']}
    }


def test_the_split_is_said_with_a_problem_only_the_service_finds(social_worker, draft, hampshire, hiow_icb):
    client = api_as(social_worker)
    # Every field reads; the service finds the yearly cost too big before it checks the split.
    body = an_option(
        hampshire, hiow_icb, hours_per_week="168", hourly_rate="9999", shares=_ninety(hampshire, hiow_icb)
    )
    del body["cost"]
    response = client.post(url(draft, "options/"), body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert errors["hourly_rate"][0].startswith("That comes to £")
    assert errors["shares"] == ["The percentages add up to 90%, not 100%"]

    # The end before the start (the service's check) and the split, together.
    body = an_option(
        hampshire, hiow_icb, starts_on="2026-06-01", ends_on="2026-01-01", shares=_ninety(hampshire, hiow_icb)
    )
    errors = client.post(url(draft, "options/"), body, format="json").json()
    assert errors == {
        "ends_on": ["The end date must be on or after the start date"],
        "shares": ["The percentages add up to 90%, not 100%"],
    }
    assert not Option.objects.exists()


def test_only_the_split_wrong_is_said_once(social_worker, draft, hampshire, hiow_icb):
    body = an_option(hampshire, hiow_icb, shares=_ninety(hampshire, hiow_icb))
    response = api_as(social_worker).post(url(draft, "options/"), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"shares": ["The percentages add up to 90%, not 100%"]}


def test_a_split_that_adds_up_says_nothing_more(social_worker, draft, hampshire, hiow_icb):
    client = api_as(social_worker)
    response = client.post(
        url(draft, "options/"), an_option(hampshire, hiow_icb, description=""), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"description": ["This field may not be blank."]}


def test_a_good_body_is_still_saved(social_worker, draft, hampshire, hiow_icb):
    client = api_as(social_worker)
    response = client.post(url(draft, "options/"), an_option(hampshire, hiow_icb), format="json")
    assert response.status_code == 201, response.json()
    option = Option.objects.get(referral=draft)
    changed = an_option(hampshire, hiow_icb, description="Changed", cost="2000.00")
    response = client.put(url(draft, f"options/{option.pk}/"), changed, format="json")
    assert response.status_code == 200, response.json()
    [row] = response.json()["options"]
    assert (row["description"], row["cost"]) == ("Changed", "2000.00")
