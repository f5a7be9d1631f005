"""Recording an existing funding arrangement through the API is told every problem in one 400
(issue 16, "every field validated at once, not in stages"): what DRF says of each field it cannot
read, the provider and child asked for, and the split's problems under `shares` by the service's
own rules (funding.services.own_agency_problem, casework.money.split_problems), as the page says
them (tests/funding/test_terms_all_at_once.py, test_own_agency_pays.py). Nothing is saved until all
is right."""

from __future__ import annotations

import pytest

from funding.models import FundingPackage, Provider

pytestmark = pytest.mark.django_db

PACKAGES = "/api/funding/packages/"
NINETY = "The percentages add up to 90%, not 100%"
OWN_AGENCY = "Your own agency must pay a share of a package you record"


def _body(child, provider, /, *shares, **overrides) -> dict:
    body = {
        "child": child.pk,
        "pathway": "joint_package",
        "provider": provider.pk,
        "service_description": "Carers",
        "cost": "1000.00",
        "cost_period": "weekly",
        "starts_on": "2026-04-01",
        "shares": list(shares),
    }
    return {**body, **overrides}


def _share(agency, value, basis="percentage") -> dict:
    return {"agency": agency.pk, "basis": basis, "value": value}


def _post(client, body):
    return client.post(PACKAGES, body, content_type="application/json")


def test_several_wrong_fields_and_a_bad_split_come_back_in_one_answer(
    client, clock, child, council_finance, hampshire, hiow_icb, provider
):
    client.force_login(council_finance)
    body = _body(
        child,
        provider,
        _share(hampshire, "50"),
        _share(hiow_icb, "40"),
        service_description="",
        cost_period="fortnightly",
        starts_on="the first of April",
    )
    response = _post(client, body)

    assert response.status_code == 400
    errors = response.json()
    assert errors["service_description"] == ["This field may not be blank."]
    assert errors["cost_period"] == ['"fortnightly" is not a valid choice.']
    assert errors["starts_on"][0].startswith("Date has wrong format.")
    assert errors["shares"] == [NINETY]
    assert set(errors) == {"service_description", "cost_period", "starts_on", "shares"}
    assert not FundingPackage.objects.exists()


def test_the_provider_the_child_and_the_split_are_said_with_the_fields(
    client, clock, child, council_finance, hampshire, hiow_icb, provider
):
    client.force_login(council_finance)
    # No provider named at all (the serializer's own rule, which DRF runs only once every field
    # reads), a child nobody can see, and amounts that do not make the cost.
    body = _body(
        child,
        provider,
        _share(hampshire, "400.00", "amount"),
        _share(hiow_icb, "500.00", "amount"),
        child=10**6,
        service_description="",
    )
    del body["provider"]
    errors = _post(client, body).json()
    assert errors == {
        "service_description": ["This field may not be blank."],
        "provider": ["Give a provider id, or provider_name and provider_kind"],
        "child": ["There is no child with that id that you can see"],
        "shares": ["The amounts add up to £900.00, not the cost of £1,000.00"],
    }

    # Every field reads: a provider that does not exist and the split, together.
    body = _body(child, provider, _share(hampshire, "50"), _share(hiow_icb, "40"), provider=10**6)
    assert _post(client, body).json() == {"provider": ["No provider with that id"], "shares": [NINETY]}
    assert not FundingPackage.objects.exists()


def test_own_agency_is_said_with_the_split_and_the_fields(
    client, clock, child, council_finance, hiow_icb, provider
):
    assert council_finance.agency_id != hiow_icb.pk
    client.force_login(council_finance)
    # The service would stop at its own-agency rule before the split; both are said.
    response = _post(client, _body(child, provider, _share(hiow_icb, "90")))
    assert response.status_code == 400
    assert response.json() == {"shares": [OWN_AGENCY, NINETY]}

    response = _post(client, _body(child, provider, _share(hiow_icb, "90"), starts_on="01/04/2026"))
    assert set(response.json()) == {"starts_on", "shares"}
    assert response.json()["shares"] == [OWN_AGENCY, NINETY]
    assert not FundingPackage.objects.exists()


def test_no_misleading_total_when_the_cost_or_a_share_cannot_be_read(
    client, clock, child, council_finance, hampshire, hiow_icb, provider
):
    client.force_login(council_finance)
    amounts = (_share(hampshire, "6.00", "amount"), _share(hiow_icb, "6.00", "amount"))
    for cost in ("twelve", "-3"):
        errors = _post(client, _body(child, provider, *amounts, cost=cost, service_description="")).json()
        assert "shares" not in errors, errors
        assert "service_description" in errors

    errors = _post(
        client,
        _body(child, provider, _share(hampshire, "half"), _share(hiow_icb, "40"), service_description=""),
    ).json()
    assert errors["service_description"] == ["This field may not be blank."]
    # DRF's own message for the share it cannot read, by its place in the list, and no total.
    assert errors["shares"] == {
        "0": {"value": ['Enter an amount in pounds and pence as a number, like "1234.56"']}
    }


def test_once_every_field_reads_the_service_says_the_terms_all_at_once(
    client, clock, child, council_finance, hampshire, hiow_icb, provider
):
    client.force_login(council_finance)
    body = _body(child, provider, _share(hampshire, "50"), _share(hiow_icb, "40"), ends_on="2026-01-01")
    assert _post(client, body).json() == {
        "ends_on": ["The end date must be on or after the start date"],
        "shares": [NINETY],
    }


def test_a_good_body_is_still_recorded(client, clock, child, council_finance, hampshire, hiow_icb, provider):
    client.force_login(council_finance)
    response = _post(client, _body(child, provider, _share(hampshire, "60"), _share(hiow_icb, "40")))
    assert response.status_code == 201, response.json()
    assert response.json()["current"]["provider"]["id"] == provider.pk

    new_provider = _body(
        child,
        provider,
        _share(hampshire, "400.00", "amount"),
        _share(hiow_icb, "600.00", "amount"),
        provider_name="Brook Farm",
        provider_kind="residential",
    )
    del new_provider["provider"]
    response = _post(client, new_provider)
    assert response.status_code == 201, response.json()
    assert Provider.objects.filter(name="Brook Farm").exists()
    assert FundingPackage.objects.filter(child=child).count() == 2


# --- Varying a package: the same, for POST /api/funding/packages/<id>/vary/ ------------------------


def _vary(client, package, **overrides):
    body = {
        "version": package.version_number,
        "effective_from": "2026-06-01",
        "change_reason": "Two more hours a week",
        "provider": package.current_version.provider_id,
        "service_description": "Carers",
        "cost": "1100.00",
        "cost_period": "weekly",
        "starts_on": "2026-04-01",
        "shares": [],
        **overrides,
    }
    return client.post(f"{PACKAGES}{package.pk}/vary/", body, content_type="application/json")


def test_a_variation_hears_of_its_split_and_date_with_the_fields_it_cannot_read(
    client, existing_package, council_finance, hampshire, hiow_icb
):
    client.force_login(council_finance)
    shares = [_share(hampshire, "50"), _share(hiow_icb, "40")]
    # The fields DRF cannot read, the split and a date before the current version's, in one answer.
    response = _vary(
        client, existing_package, shares=shares, cost_period="fortnightly", effective_from="2026-03-01"
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["cost_period"] == ['"fortnightly" is not a valid choice.']
    assert errors["shares"] == [NINETY]
    assert errors["effective_from"] == [
        "The change must take effect after the current version's date (01/04/2026)"
    ]
    assert set(errors) == {"cost_period", "shares", "effective_from"}

    # An agency named twice is said beside a missing reason.
    twice = [_share(hampshire, "50"), _share(hampshire, "50")]
    errors = _vary(client, existing_package, shares=twice, change_reason="").json()
    assert errors["shares"] == ["Give each agency one line only"]
    assert set(errors) == {"change_reason", "shares"}
    existing_package.refresh_from_db()
    assert existing_package.version_number == 1


def test_a_variation_that_reads_is_still_checked_by_the_service_and_saved_when_right(
    client, existing_package, council_finance, hampshire, hiow_icb
):
    client.force_login(council_finance)
    right = [_share(hampshire, "60"), _share(hiow_icb, "40")]
    errors = _vary(client, existing_package, shares=right, effective_from="2026-03-01").json()
    assert errors == {
        "effective_from": ["The change must take effect after the current version's date (01/04/2026)"]
    }

    response = _vary(client, existing_package, shares=right)
    assert response.status_code == 200, response.json()
    existing_package.refresh_from_db()
    assert existing_package.version_number == 2
