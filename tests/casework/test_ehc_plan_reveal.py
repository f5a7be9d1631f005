"""The child's EHC plan date is asked under the box that says the child has one (issue 16, a GOV.UK
conditional reveal on a single checkbox): in the page without JavaScript, open when the box is
ticked, and a date left under an unticked box is not kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.models import Child

pytestmark = pytest.mark.django_db


def _register(**overrides):
    data = {
        "given_name": "Ruby",
        "family_name": "Stone",
        "date_of_birth": "02/03/2015",
        "gender": "female",
        "legal_status": "none",
        "sharing_basis": "statutory",
    }
    data.update(overrides)
    return data


def _block(page: str) -> str:
    start = page.index('id="conditional-id_has_ehc_plan"')
    return page[page.rindex("<div", 0, start) : page.index("\n    </div>", start)]


@pytest.fixture
def sam(client, social_worker):
    client.force_login(social_worker)
    return client


def test_the_date_is_drawn_under_the_box(sam):
    page = sam.get(reverse("children:register")).content.decode()

    assert 'data-aria-controls="conditional-id_has_ehc_plan"' in page
    block = _block(page)
    # Hidden only by GOV.UK Frontend's script (.govuk-frontend-supported): shown without it.
    assert 'class="govuk-checkboxes__conditional govuk-checkboxes__conditional--hidden"' in block
    assert 'name="ehc_plan_date"' in block and "EHC plan date (optional)" in block
    assert page.count('name="ehc_plan_date"') == 1
    assert page.index('name="has_ehc_plan"') < page.index('name="ehc_plan_date"')
    assert 'data-module="govuk-checkboxes"' in page[: page.index('name="has_ehc_plan"')]


def test_a_wrong_date_under_a_ticked_box_is_said_there_with_the_typing_kept(sam):
    response = sam.post(
        reverse("children:register"), _register(has_ehc_plan="on", ehc_plan_date="01/01/2099")
    )
    assert response.status_code == 200
    page = response.content.decode()
    block = _block(page)
    assert 'class="govuk-checkboxes__conditional" id="conditional-id_has_ehc_plan"' in page  # open
    assert 'id="id_ehc_plan_date-error"' in block and "EHC plan date must be today or in the past" in block
    assert 'value="01/01/2099"' in block
    assert not Child.objects.filter(family_name="Stone").exists()


def test_the_date_is_kept_under_a_ticked_box(sam):
    response = sam.post(
        reverse("children:register"), _register(has_ehc_plan="on", ehc_plan_date="01/09/2024")
    )
    assert response.status_code == 302
    child = Child.objects.get(family_name="Stone")
    assert child.has_ehc_plan and child.ehc_plan_date.isoformat() == "2024-09-01"


def test_a_date_under_an_unticked_box_is_not_kept_nor_an_error(sam):
    response = sam.post(reverse("children:register"), _register(ehc_plan_date="01/09/2024"))
    assert response.status_code == 302
    child = Child.objects.get(family_name="Stone")
    assert not child.has_ehc_plan and child.ehc_plan_date is None

    # Nor a date that cannot be read: it was hidden, so it is not asked.
    again = sam.post(reverse("children:register"), _register(family_name="Moss", ehc_plan_date="31/02/2024"))
    assert again.status_code == 302
