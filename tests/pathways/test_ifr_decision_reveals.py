"""The IFR panel's decision asks its reasons under the answer that needs them (issue 16, GOV.UK
conditional reveals): "Declined" asks why, "More information needed" asks what, "Approved" may say
why. All are in the page without JavaScript; each is required only when its answer is chosen
(pathways.services.IFR_REASONS_NEEDED), and what was typed under another answer is not kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pathways.models import PathwayCase, Status

pytestmark = pytest.mark.django_db


def _block(page: str, option_id: str) -> str:
    start = page.index(f'id="conditional-{option_id}"')
    return page[page.rindex("<div", 0, start) : page.index("\n      </div>", start)]


@pytest.fixture
def admin_client(client, icb_panel_admin):
    client.force_login(icb_panel_admin)
    return client


def test_each_decision_asks_its_own_reasons_under_it(admin_client, ifr_case):
    page = admin_client.get(reverse("pathways:ifr_decision", args=[ifr_case.pk])).content.decode()

    for option_id, name, label in (
        ("id_decision_0", "approved_reasons", "Reasons for the approval (optional)"),
        ("id_decision_1", "reasons", "Reasons the request was declined</label>"),
        ("id_decision_2", "information_needed", "The information the panel needs</label>"),
    ):
        assert f'data-aria-controls="conditional-{option_id}"' in page
        block = _block(page, option_id)
        # Hidden only by GOV.UK Frontend's script: without it every follow-up is shown.
        assert "govuk-radios__conditional--hidden" in block
        assert f'name="{name}"' in block and label in block
        assert page.count(f'name="{name}"') == 1  # under its answer, and not again below
    assert 'data-module="govuk-radios"' in page


def test_a_decline_without_reasons_says_so_under_declined_and_keeps_the_answer(admin_client, ifr_case):
    response = admin_client.post(
        reverse("pathways:ifr_decision", args=[ifr_case.pk]),
        {"decision": "declined", "reasons": "", "approved_reasons": "Typed before changing my mind"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    block = _block(page, "id_decision_1")
    assert 'class="govuk-radios__conditional" id="conditional-id_decision_1"' in page  # open
    assert 'id="id_reasons-error"' in block and "Give the reasons the request was declined" in block
    assert 'value="declined" checked' in page
    assert response.context["form"].errors == {"reasons": ["Give the reasons the request was declined"]}
    assert PathwayCase.objects.get(pk=ifr_case.pk).status == Status.SUBMITTED


def test_more_information_needs_what_is_needed(admin_client, ifr_case):
    url = reverse("pathways:ifr_decision", args=[ifr_case.pk])
    refused = admin_client.post(url, {"decision": "more_information"})
    assert refused.context["form"].errors == {
        "information_needed": ["Say what more information the panel needs"]
    }

    done = admin_client.post(
        url, {"decision": "more_information", "information_needed": "The latest scan", "reasons": "Old"}
    )
    assert done.status_code == 302
    ifr_case.refresh_from_db()
    assert ifr_case.status == Status.MORE_INFORMATION
    assert ifr_case.ifr.decision_reasons == "The latest scan"  # what was under "Declined" is not kept


def test_an_approval_needs_no_reasons_and_drops_the_hidden_ones(admin_client, ifr_case):
    url = reverse("pathways:ifr_decision", args=[ifr_case.pk])
    done = admin_client.post(url, {"decision": "approved", "reasons": "Typed under Declined"})
    assert done.status_code == 302
    ifr_case.refresh_from_db()
    assert ifr_case.status == Status.APPROVED
    assert ifr_case.ifr.decision_reasons == ""


def test_an_approval_keeps_its_own_reasons(admin_client, ifr_case):
    url = reverse("pathways:ifr_decision", args=[ifr_case.pk])
    admin_client.post(url, {"decision": "approved", "approved_reasons": "Meets the exceptionality test"})
    ifr_case.refresh_from_db()
    assert ifr_case.ifr.decision_reasons == "Meets the exceptionality test"


def test_no_decision_is_the_only_error(admin_client, ifr_case):
    response = admin_client.post(
        reverse("pathways:ifr_decision", args=[ifr_case.pk]), {"reasons": "", "information_needed": ""}
    )
    assert response.context["form"].errors == {"decision": ["Choose the IFR panel's decision"]}
