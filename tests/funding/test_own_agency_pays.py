"""Recording an existing funding arrangement: "Your own agency must pay a share of a package you
record" is the service's rule (funding.services.own_agency_problem), and the page says it next to
the "Who pays what" fieldset in the same answer as every other problem (issue 16, "every field
validated at once, not in stages"), with what was typed kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from funding.models import FundingPackage
from funding.services import own_agency_problem

pytestmark = pytest.mark.django_db

MESSAGE = "Your own agency must pay a share of a package you record"


def _arrangement(**overrides) -> dict:
    data = {
        "pathway": "section_117",
        "new_provider_name": "Brook Farm",
        "new_provider_kind": "residential",
        "service_description": "Residential care",
        "weeks_per_year": 52,
        "cost": "5000",
        "cost_period": "weekly",
        "starts_on": "01/04/2026",
    }
    data.update(overrides)
    return data


def _fieldset(page: str) -> str:
    start = page.index('id="shares"')
    return page[page.rindex("<div", 0, start) : page.index("</fieldset>", start)]


def test_the_rule_is_said_next_to_the_split_with_a_field_error(client, council_finance, child, hiow_icb):
    assert council_finance.agency_id != hiow_icb.pk
    client.force_login(council_finance)
    response = client.post(
        reverse("funding:new", args=[child.pk]),
        _arrangement(
            starts_on="the first of April", agency_1=hiow_icb.pk, basis_1="percentage", value_1="90"
        ),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_starts_on-error"' in page
    fieldset = _fieldset(page)
    assert "govuk-form-group--error" in fieldset and 'id="shares-error"' in fieldset
    assert MESSAGE in fieldset and "The percentages add up to 90%, not 100%" in fieldset
    assert 'aria-describedby="shares-hint shares-error"' in fieldset
    summary = page[page.index("govuk-error-summary") : page.index("</ul>", page.index("govuk-error-summary"))]
    assert MESSAGE in summary and "Enter a real date" in summary
    assert 'value="the first of April"' in page and 'value="90"' in page
    assert not FundingPackage.objects.exists()


def test_the_rule_alone_is_said_by_the_form_before_the_service(client, council_finance, child, hiow_icb):
    client.force_login(council_finance)
    response = client.post(
        reverse("funding:new", args=[child.pk]),
        _arrangement(agency_1=hiow_icb.pk, basis_1="percentage", value_1="100"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": [MESSAGE]}
    assert MESSAGE in _fieldset(response.content.decode())
    assert not FundingPackage.objects.exists()


def test_with_their_own_agency_paying_it_is_recorded(client, council_finance, child, hampshire, hiow_icb):
    assert council_finance.agency_id == hampshire.pk
    client.force_login(council_finance)
    response = client.post(
        reverse("funding:new", args=[child.pk]),
        _arrangement(
            agency_1=hiow_icb.pk,
            basis_1="percentage",
            value_1="60",
            agency_2=hampshire.pk,
            basis_2="percentage",
            value_2="40",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    assert FundingPackage.objects.filter(child=child).exists()


def test_the_page_and_the_service_use_one_rule(council_finance, hampshire, hiow_icb):
    assert own_agency_problem(actor=council_finance, agency_ids=[hiow_icb.pk]) == MESSAGE
    assert own_agency_problem(actor=council_finance, agency_ids=[hiow_icb.pk, hampshire.pk]) is None
