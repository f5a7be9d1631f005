"""Where the costs fall, on the chair's decision form (issue 16, "Forms and words"): one GOV.UK
fieldset with a legend, the basis and then one row per agency of the partnership, each input
labelled with the agency's name (and " share" for screen readers), each row's error next to it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from panels.models import Decision
from referrals.models import Option
from tests.panels.conftest import client_for, run_item_url

pytestmark = pytest.mark.django_db


def _fieldset(page: str) -> str:
    """From the fieldset's opening tag to the form's button (the rows are the form's last fields)."""
    start = page.index("Where the costs fall</legend>")
    start = page.rindex('<fieldset class="govuk-fieldset"', 0, start)
    return page[start : page.index("Save draft decision", start)]


def _post(item, **extra):
    prefix = f"item-{item.pk}"
    option = Option.objects.get(referral=item.referral)
    data = {
        f"{prefix}-outcome": "agreed_as_recommended",
        f"{prefix}-option": option.pk,
        f"{prefix}-rationale": "Meets her needs.",
        f"{prefix}-lead_agency": item.referral.referrer_agency_id,
        f"{prefix}-cost": "1234.56",
        f"{prefix}-cost_period": "weekly",
        f"{prefix}-review_date": "9/10/2026",
        f"{prefix}-share_basis": "percentage",
    }
    data.update({f"{prefix}-{key}": value for key, value in extra.items()})
    return data


def test_one_row_per_agency_in_one_fieldset(quorate, item, panel_admin, hampshire, hiow_icb):
    page = client_for(panel_admin).get(run_item_url(item)).content.decode()
    fieldset = _fieldset(page)

    assert (
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Where the costs fall</legend>'
        in fieldset
    )
    assert "Shares given as" in fieldset and 'name="item-' in fieldset
    for agency in (hampshire, hiow_icb):
        field_id = f"id_item-{item.pk}-share_{agency.pk}"
        label = (
            f'<label class="govuk-label" for="{field_id}">{escape(agency.name)}'
            '<span class="govuk-visually-hidden"> share</span></label>'
        )
        assert label in fieldset
        assert f'id="{field_id}"' in fieldset
        # Drawn once: in its row, not again where the loop over the form reaches it.
        assert page.count(f'id="{field_id}"') == 1
    assert "(optional)" not in fieldset
    # The hint is said once for the fieldset, not on every row.
    assert fieldset.count("Leave an agency blank if it pays nothing") == 1
    assert page.count("Where the costs fall</legend>") == 1


def test_each_rows_error_is_next_to_it(quorate, item, panel_admin, hampshire, hiow_icb):
    response = client_for(panel_admin).post(
        reverse("panels:run_decision", args=[quorate.pk, item.pk]),
        _post(item, **{f"share_{hampshire.pk}": "half", f"share_{hiow_icb.pk}": "50"}),
    )
    assert response.status_code == 200
    fieldset = _fieldset(response.content.decode())
    field_id = f"id_item-{item.pk}-share_{hampshire.pk}"
    row = re.search(
        rf'<div class="govuk-form-group govuk-form-group--error">\s*<label[^>]*for="{field_id}".*?</div>',
        fieldset,
        re.S,
    )
    assert row, "the Hampshire row is marked in error"
    assert f'<p id="{field_id}-error" class="govuk-error-message">' in row.group(0)
    assert f"{escape(hampshire.name)} share must be a number" in row.group(0)
    assert 'value="half"' in row.group(0)  # the typing is kept
    assert f'aria-describedby="{field_id}-error"' in row.group(0)
    # The other row is not in error, and the summary links to the row in error.
    other = f"id_item-{item.pk}-share_{hiow_icb.pk}"
    assert f'<p id="{other}-error"' not in fieldset
    assert (
        f'<a href="#{field_id}">{escape(hampshire.name)} share must be a number' in response.content.decode()
    )
    assert not Decision.objects.exists()


def test_the_shares_are_saved_from_the_rows(quorate, item, panel_admin, hampshire, hiow_icb):
    response = client_for(panel_admin).post(
        reverse("panels:run_decision", args=[quorate.pk, item.pk]),
        _post(item, **{f"share_{hampshire.pk}": "60", f"share_{hiow_icb.pk}": "40"}),
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert {share.agency_id: share.value for share in decision.shares.all()} == {
        hampshire.pk: 60,
        hiow_icb.pk: 40,
    }
