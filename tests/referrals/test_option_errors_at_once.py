"""An option's page says every problem at once (issue 16, "every field validated at once, not in
stages"): a field that cannot be read and a split that does not add up are both said in the same
answer, the split's next to the basis question in the service's own words
(referrals.services.split_problem), and everything typed is kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from referrals.models import Option
from tests.referrals.test_views import _option_data

pytestmark = pytest.mark.django_db


def test_a_field_error_and_the_split_are_said_together(sam, draft, hampshire, hiow_icb):
    data = _option_data(
        hampshire, hiow_icb, description="", ends_on="31/02/2028", **{f"share_{hiow_icb.pk}": "40"}
    )
    response = sam.post(reverse("referrals:option_add", args=[draft.pk]), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["description"] == ["Describe the option"]
    assert errors["ends_on"] == ["Enter a real date, like 27/03/2015"]
    assert errors["basis"] == ["The percentages add up to 90%, not 100%"]
    page = response.content.decode()
    summary = page[page.index("govuk-error-summary") : page.index("</ul>", page.index("govuk-error-summary"))]
    assert "Describe the option" in summary and "The percentages add up to 90%, not 100%" in summary
    assert 'value="40"' in page and 'value="£1,234.56"' in page and 'value="31/02/2028"' in page
    assert not Option.objects.exists()


def test_amounts_are_checked_against_the_cost_typed(sam, draft, hampshire, hiow_icb):
    data = _option_data(
        hampshire,
        hiow_icb,
        cost="100",
        basis="amount",
        period="",
        **{f"share_{hampshire.pk}": "60", f"share_{hiow_icb.pk}": "39.99"},
    )
    errors = sam.post(reverse("referrals:option_add", args=[draft.pk]), data).context["form"].errors
    assert errors["period"] == ["Choose how often the cost is paid"]
    assert errors["basis"] == ["The amounts add up to £99.99, not the cost of £100.00"]


def test_amounts_are_checked_against_hours_at_a_rate(sam, draft, hampshire, hiow_icb):
    data = _option_data(
        hampshire,
        hiow_icb,
        description="",
        cost="",
        hours_per_week="30",
        hourly_rate="28.45",
        basis="amount",
        **{f"share_{hampshire.pk}": "400", f"share_{hiow_icb.pk}": "400"},
    )
    errors = sam.post(reverse("referrals:option_add", args=[draft.pk]), data).context["form"].errors
    assert errors["basis"] == ["The amounts add up to £800.00, not the cost of £853.50"]


def test_no_misleading_total_when_the_cost_or_a_share_cannot_be_read(sam, draft, hampshire, hiow_icb):
    unreadable_cost = _option_data(
        hampshire,
        hiow_icb,
        cost="twelve",
        basis="amount",
        **{f"share_{hampshire.pk}": "6", f"share_{hiow_icb.pk}": "6"},
    )
    errors = (
        sam.post(reverse("referrals:option_add", args=[draft.pk]), unreadable_cost).context["form"].errors
    )
    assert "cost" in errors and "basis" not in errors

    unreadable_share = _option_data(hampshire, hiow_icb, description="", **{f"share_{hiow_icb.pk}": "half"})
    errors = (
        sam.post(reverse("referrals:option_add", args=[draft.pk]), unreadable_share).context["form"].errors
    )
    assert f"share_{hiow_icb.pk}" in errors and "basis" not in errors


def test_a_split_that_adds_up_says_nothing_more(sam, draft, hampshire, hiow_icb):
    data = _option_data(hampshire, hiow_icb, description="")
    errors = sam.post(reverse("referrals:option_add", args=[draft.pk]), data).context["form"].errors
    assert errors == {"description": ["Describe the option"]}


def test_the_split_is_said_with_a_problem_only_the_service_finds(sam, draft, hampshire, hiow_icb):
    # The form reads every box; the service finds the yearly cost too big before it checks the split.
    data = _option_data(
        hampshire,
        hiow_icb,
        cost="",
        hours_per_week="168",
        hourly_rate="9999",
        **{f"share_{hiow_icb.pk}": "40"},
    )
    errors = sam.post(reverse("referrals:option_add", args=[draft.pk]), data).context["form"].errors
    assert errors["hourly_rate"][0].startswith("That comes to £")
    assert errors["basis"] == ["The percentages add up to 90%, not 100%"]
    assert not Option.objects.exists()
