"""A funding arrangement's form shows every problem at once, not in turns (issue 16, "Forms and
words"): when something typed cannot be read the service is not reached yet, so the form says the
split's problems too, by the service's own rule (casework.money.split_problems)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from funding.models import FundingPackage

pytestmark = pytest.mark.django_db


def test_an_empty_arrangement_names_every_missing_answer_and_the_split(client, council_finance, child):
    client.force_login(council_finance)
    # What a browser sends when nothing is typed or chosen.
    empty = {"pathway": "", "service_description": "", "cost": "", "starts_on": "", "agency_1": ""}
    response = client.post(reverse("funding:new", args=[child.pk]), empty)
    assert response.status_code == 200
    page = response.content.decode()
    for message in (
        "Choose the pathway",
        "Enter the service the package pays for",
        "Enter the cost in pounds",
        "Choose how often the cost is paid",
        "Enter the date the package starts",
        "Say which agencies pay what share",
    ):
        assert message in page, message
    assert not FundingPackage.objects.exists()


def test_a_split_that_does_not_add_up_is_said_with_a_mistyped_date(
    client, council_finance, child, hampshire, hiow_icb
):
    client.force_login(council_finance)
    response = client.post(
        reverse("funding:new", args=[child.pk]),
        {
            "pathway": "section_117",
            "new_provider_name": "Brook Farm",
            "new_provider_kind": "residential",
            "service_description": "Residential care",
            "weeks_per_year": 52,
            "cost": "5000",
            "cost_period": "weekly",
            "starts_on": "the first of April",
            "agency_1": hampshire.pk,
            "basis_1": "percentage",
            "value_1": "30",
            "agency_2": hiow_icb.pk,
            "basis_2": "percentage",
            "value_2": "60",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_starts_on-error"' in page
    assert "The percentages add up to 90%, not 100%" in page
    assert not FundingPackage.objects.exists()


def test_a_mistyped_share_is_said_next_to_it_without_a_misleading_total(
    client, council_finance, child, hampshire, hiow_icb
):
    client.force_login(council_finance)
    response = client.post(
        reverse("funding:new", args=[child.pk]),
        {
            "pathway": "section_117",
            "cost": "5000",
            "cost_period": "weekly",
            "agency_1": hampshire.pk,
            "basis_1": "percentage",
            "value_1": "thirty",
        },
    )
    page = response.content.decode()
    assert 'id="id_value_1-error"' in page
    assert "less than zero" not in page and "The percentages add up to" not in page
