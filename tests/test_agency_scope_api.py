"""Issue 12: a split or an involvement never names an agency outside the child's partnership, nor,
where the page offers only the child's agencies, one not involved with the child. The rule lives in
the services, so the API answers 400 with a field message and the pages show it by the field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from casework import services as casework_services
from casework.models import Involvement
from funding.models import FundingPackage
from panels.models import Decision
from referrals import services as referral_services
from referrals.models import OptionShare
from tests.factories import agenda_item_for, attendance_for
from tests.funding.conftest import *  # noqa: F403  (the IRAP panel, Hampshire SEN, packages)
from tests.panels.conftest import MEETING_DAY, at


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _shares(*pairs):
    return [{"agency": agency.pk, "basis": "percentage", "value": value} for agency, value in pairs]


# --- Referral options --------------------------------------------------------------------------------


@pytest.fixture
def draft(clock, irap, child, social_worker):
    return referral_services.referral_create(
        actor=social_worker, child=child, panel=irap, pathway="joint_package", urgency="routine"
    )


def _option(*pairs):
    return {
        "description": "Residential short breaks",
        "provider": "Oak House",
        "cost": "1000.00",
        "period": "weekly",
        "shares": _shares(*pairs),
    }


@pytest.mark.parametrize("who", ["leicester", "hampshire_sen"])
def test_an_option_share_for_another_partnership_or_an_agency_not_involved_is_a_400(
    who, request, draft, social_worker, hampshire
):
    stranger = request.getfixturevalue(who)
    response = api_as(social_worker).post(
        reverse("referral-options", args=[draft.pk]),
        _option((hampshire, "50"), (stranger, "50")),
        format="json",
    )
    assert response.status_code == 400, response.content
    if who == "leicester":
        # Another partnership's agency is not in the caller's directory at all: the same answer as an
        # agency id that does not exist, on the share row's agency field.
        assert list(response.json()["shares"]["1"]) == ["agency"]
        assert stranger.name not in response.content.decode()
    else:
        assert response.json()["shares"] == [
            f"{stranger.name} cannot share this cost: choose agencies involved with the child or the "
            "panel's host agency"
        ]
    assert not OptionShare.objects.filter(agency=stranger).exists()


def test_an_option_split_between_the_childs_agencies_is_saved(draft, social_worker, hampshire, hiow_icb):
    response = api_as(social_worker).post(
        reverse("referral-options", args=[draft.pk]),
        _option((hampshire, "60"), (hiow_icb, "40")),
        format="json",
    )
    assert response.status_code == 201, response.content


def test_an_agency_the_option_names_stays_when_its_involvement_ends(
    draft, social_worker, hampshire, hiow_icb, clock
):
    """Editing an older option does not fail because an agency has since stopped being involved."""
    client = api_as(social_worker)
    url = reverse("referral-options", args=[draft.pk])
    assert client.post(url, _option((hampshire, "60"), (hiow_icb, "40")), format="json").status_code == 201
    option = draft.options.get()
    Involvement.objects.filter(child=draft.child, agency=hiow_icb).update(ended_on=draft.created_at.date())
    response = client.put(
        reverse("referral-option", args=[draft.pk, option.pk]),
        _option((hampshire, "50"), (hiow_icb, "50")),
        format="json",
    )
    assert response.status_code == 200, response.content
    # A new option cannot name the ICB any more.
    refused = client.post(url, _option((hampshire, "50"), (hiow_icb, "50")), format="json")
    assert refused.status_code == 400 and "shares" in refused.json()


def test_the_options_page_shows_the_refusal_by_the_field(client, draft, social_worker, hampshire, leicester):
    """The page offers only the child's agencies: a forged row for another area is refused there too."""
    client.force_login(social_worker)
    url = reverse("referrals:option_add", args=[draft.pk])
    page = client.get(url).content.decode()
    assert leicester.name not in page
    with pytest.raises(ValidationError) as refused:
        referral_services.option_save(
            actor=social_worker,
            referral=draft,
            fields={"description": "Short breaks", "cost": "100.00", "period": "weekly"},
            shares=[(hampshire, "percentage", "50"), (leicester, "percentage", "50")],
        )
    assert "shares" in refused.value.message_dict


# --- Funding package split lines ------------------------------------------------------------------


def _package_body(child, provider, *pairs):
    return {
        "child": child.pk,
        "pathway": "joint_package",
        "provider": provider.pk,
        "service_description": "Two carers, 20 hours a week",
        "cost": "1000.00",
        "cost_period": "weekly",
        "starts_on": "2026-04-01",
        "shares": _shares(*pairs),
    }


def test_a_package_line_for_another_partnership_is_a_400(
    clock, child, council_finance, hampshire, leicester, provider
):
    response = api_as(council_finance).post(
        "/api/funding/packages/",
        _package_body(child, provider, (hampshire, "50"), (leicester, "50")),
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["shares"] == [
        f"{leicester.name} is not in this child's partnership: choose an agency of it"
    ]
    assert not FundingPackage.objects.exists()


def test_a_package_line_within_the_partnership_is_recorded(
    clock, child, council_finance, hampshire, hiow_icb, provider
):
    response = api_as(council_finance).post(
        "/api/funding/packages/",
        _package_body(child, provider, (hampshire, "50"), (hiow_icb, "50")),
        format="json",
    )
    assert response.status_code == 201, response.content


def test_a_variation_naming_another_partnership_is_a_400(
    existing_package, council_finance, hampshire, leicester
):
    version = existing_package.current_version
    body = {
        "version": existing_package.version_number,
        "effective_from": "2026-06-01",
        "change_reason": "Uplift",
        "provider": version.provider_id,
        "service_description": "Carers",
        "cost": "1200.00",
        "cost_period": "weekly",
        "starts_on": "2026-04-01",
        "shares": _shares((hampshire, "50"), (leicester, "50")),
    }
    response = api_as(council_finance).post(
        reverse("api-funding-package-vary", args=[existing_package.pk]), body, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["shares"] == [
        f"{leicester.name} is not in this child's partnership: choose an agency of it"
    ]
    existing_package.refresh_from_db()
    assert existing_package.version_number == 1


# --- Decision cost splits -------------------------------------------------------------------------


def test_a_decision_share_for_another_partnership_is_a_400(
    submitted_referral,
    irap_meeting,
    panel_admin,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
    hampshire,
    leicester,
    clock,
):
    item = agenda_item_for(referral=submitted_referral, meeting=irap_meeting, actor=panel_admin)
    clock.move_to(at(MEETING_DAY, 14, 5), tick=False)
    attendance_for(irap_meeting, panel_chair, council_member, icb_member, second_icb_member)
    body = {
        "outcome": "agreed_as_recommended",
        "rationale": "Meets her needs.",
        "lead_agency": hampshire.pk,
        "review_date": "2026-10-09",
        "cost": "1000.00",
        "cost_period": "weekly",
        "shares": _shares((hampshire, "50"), (leicester, "50")),
    }
    response = api_as(panel_admin).post(reverse("api-item-decision", args=[item.pk]), body, format="json")
    assert response.status_code == 400, response.content
    assert "shares" in response.json()
    assert not Decision.objects.exists()


# --- Involvements ---------------------------------------------------------------------------------


def test_an_involvement_of_another_partnership_is_refused_by_the_service(
    clock, child, social_worker, leicester
):
    """There is no API to add an involvement; the service refuses, so the page does too."""
    with pytest.raises(ValidationError) as refused:
        casework_services.involvement_add(actor=social_worker, child=child, agency=leicester, role="other")
    assert refused.value.message_dict == {"agency": ["Choose an agency of this child's partnership"]}
    assert not Involvement.objects.filter(child=child, agency=leicester).exists()


def test_the_involvement_page_offers_and_takes_only_the_partnerships_agencies(
    client, child, social_worker, leicester, hampshire_sen
):
    client.force_login(social_worker)
    url = reverse("children:involvement_add", args=[child.pk])
    page = client.get(url).content.decode()
    assert hampshire_sen.name in page and leicester.name not in page
    response = client.post(url, {"agency": leicester.pk, "role": "other"})
    assert response.status_code == 200
    assert not Involvement.objects.filter(child=child, agency=leicester).exists()
    assert client.post(url, {"agency": hampshire_sen.pk, "role": "other"}).status_code == 302
