"""A Continuing Care package and a Section 117 aftercare plan name their funding package by choosing
it among the child's packages the person can see, never by typing a database number (issue 16,
"Forms and words": today's "Funding package reference"). The API keeps taking the id, but only of
such a package."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import Role
from casework.money import SplitLine
from funding import services as funding_services
from funding.models import Provider, ProviderKind
from pathways import services
from tests.factories import UserFactory
from tests.pathways.conftest import D, complete_assessment

pytestmark = pytest.mark.django_db


def _package(*, actor, child, agencies, provider, description="Residential placement", starts_on=None):
    share = Decimal(100) / len(agencies)
    return funding_services.package_create_existing(
        actor=actor,
        child=child,
        pathway="joint_package",
        terms=funding_services.PackageTerms(
            provider=provider,
            service_description=description,
            cost=Decimal("1000.00"),
            cost_period="weekly",
            starts_on=starts_on or D(2026, 5, 1),
            lines=[SplitLine(agency_id=a.pk, basis="percentage", value=share) for a in agencies],
        ),
    )


@pytest.fixture
def oak_house(db):
    return Provider.objects.create(name="Oak House", kind=ProviderKind.RESIDENTIAL)


@pytest.fixture
def amelias_package(amelia, council_finance, hampshire, hiow_icb, oak_house):
    """Shared by the council: the social worker sees it."""
    return _package(actor=council_finance, child=amelia, agencies=[hampshire, hiow_icb], provider=oak_house)


@pytest.fixture
def icb_only_package(amelia, icb_finance, hiow_icb, oak_house):
    """Only the ICB pays: the council's social worker cannot see it."""
    return _package(
        actor=icb_finance, child=amelia, agencies=[hiow_icb], provider=oak_house, description="Nursing care"
    )


@pytest.fixture
def other_childs_package(leicester_child, leicester, oak_house):
    finance = UserFactory(agency=leicester, roles=[Role.FINANCE_APPROVER])
    return _package(actor=finance, child=leicester_child, agencies=[leicester], provider=oak_house)


@pytest.fixture
def decided(cc_assessing, clinician, social_worker):
    complete_assessment(cc_assessing, clinician, level="high")
    services.cc_recommend(actor=clinician, case=cc_assessing, recommendation="needs", reasons="High needs")
    services.cc_record_decision(
        actor=social_worker, case=cc_assessing, decision="needs", decided_on=D(2026, 3, 1)
    )
    return cc_assessing


LABEL = "Residential placement, Oak House — awaiting approval, from 1 May 2026"


def test_the_package_is_chosen_from_the_childs_visible_packages(
    client, social_worker, decided, amelias_package, icb_only_package, other_childs_package
):
    client.force_login(social_worker)
    page = html.unescape(client.get(reverse("pathways:cc_package", args=[decided.pk])).content.decode())
    assert "Funding package reference" not in page
    assert "No funding package" in page
    assert f'<option value="{amelias_package.pk}">{LABEL}</option>' in page
    assert f'value="{icb_only_package.pk}"' not in page
    assert "Nursing care" not in page
    assert f'value="{other_childs_package.pk}"' not in page


def test_another_childs_package_is_refused_next_to_the_field(
    client, social_worker, decided, other_childs_package, icb_only_package
):
    client.force_login(social_worker)
    url = reverse("pathways:cc_package", args=[decided.pk])
    for package in (other_childs_package, icb_only_package):
        response = client.post(
            url, {"started_on": "2/3/2026", "phb_offered": "no", "funding_package_ref": package.pk}
        )
        assert response.status_code == 200
        page = html.unescape(response.content.decode())
        assert "Choose one of the child's funding packages" in page
        assert response.context["form"].errors["funding_package_ref"] == [
            "Choose one of the child's funding packages"
        ]
    decided.refresh_from_db()
    assert decided.status == "decided"
    assert decided.continuing_care.funding_package_ref is None


def test_the_case_page_links_the_chosen_package(client, social_worker, decided, amelias_package):
    client.force_login(social_worker)
    response = client.post(
        reverse("pathways:cc_package", args=[decided.pk]),
        {"started_on": "2/3/2026", "phb_offered": "no", "funding_package_ref": amelias_package.pk},
    )
    assert response.status_code == 302
    decided.continuing_care.refresh_from_db()
    assert decided.continuing_care.funding_package_ref == amelias_package.pk
    page = html.unescape(client.get(reverse("pathways:case", args=[decided.pk])).content.decode())
    link = reverse("funding:detail", args=[amelias_package.pk])
    assert f'<a class="govuk-link" href="{link}">{LABEL}</a>' in page


def test_a_package_the_person_cannot_open_is_named_without_a_link(
    client, social_worker, decided, icb_only_package
):
    services.cc_record_package(
        actor=social_worker,
        case=decided,
        started_on=D(2026, 3, 2),
        phb_offered=False,
        funding_package_ref=icb_only_package.pk,
    )
    client.force_login(social_worker)
    page = html.unescape(client.get(reverse("pathways:case", args=[decided.pk])).content.decode())
    assert "Nursing care, Oak House" in page
    assert reverse("funding:detail", args=[icb_only_package.pk]) not in page


def test_the_aftercare_plan_chooses_its_joint_package_and_keeps_one_it_cannot_show(
    client, social_worker, s117_case, amelias_package, icb_only_package, other_childs_package
):
    client.force_login(social_worker)
    url = reverse("pathways:s117_plan", args=[s117_case.pk])
    page = html.unescape(client.get(url).content.decode())
    assert "Joint funding package reference" not in page
    assert f'<option value="{amelias_package.pk}">{LABEL}</option>' in page
    assert f'value="{icb_only_package.pk}"' not in page

    form = client.get(url).context["form"]
    seen = form.initial["seen"]
    refused = client.post(url, {"seen": seen, "funding_package_ref": other_childs_package.pk})
    assert "Choose one of the child's funding packages" in html.unescape(refused.content.decode())

    # Recorded (through the API's id) as a package this person cannot open: their form keeps it.
    s117 = s117_case.section_117
    s117.funding_package_ref = icb_only_package.pk
    s117.save(update_fields=["funding_package_ref"])
    form = client.get(url).context["form"]
    assert (icb_only_package.pk, "Keep the package already recorded") in form.fields[
        "funding_package_ref"
    ].choices
    page = html.unescape(client.get(reverse("pathways:case", args=[s117_case.pk])).content.decode())
    assert "Nursing care, Oak House" in page


@pytest.mark.parametrize("how_many", [1, 5])
def test_the_form_page_queries_do_not_grow_with_packages(
    client,
    social_worker,
    decided,
    council_finance,
    hampshire,
    oak_house,
    how_many,
    django_assert_max_num_queries,
):
    for n in range(how_many):
        _package(
            actor=council_finance,
            child=decided.child,
            agencies=[hampshire],
            provider=oak_house,
            description=f"Short breaks {n}",
        )
    client.force_login(social_worker)
    with django_assert_max_num_queries(QUERIES):
        response = client.get(reverse("pathways:cc_package", args=[decided.pk]))
    assert html.unescape(response.content.decode()).count("Short breaks") == how_many


# The page's queries with its one for the packages (current versions and providers joined).
QUERIES = 12


def test_the_api_takes_the_id_of_a_childs_visible_package_only(
    social_worker, decided, amelias_package, icb_only_package, other_childs_package
):
    api = APIClient()
    api.force_authenticate(social_worker)
    url = f"/api/pathway-cases/{decided.pk}/package/"
    assert (
        api.get(f"/api/pathway-cases/{decided.pk}/").json()["continuing_care"]["funding_package_url"] is None
    )
    for package in (other_childs_package, icb_only_package):
        response = api.post(
            url,
            {"started_on": "2026-03-02", "phb_offered": False, "funding_package_ref": package.pk},
            format="json",
        )
        assert response.status_code == 400, response.content
        assert response.json()["funding_package_ref"] == [
            "Choose one of the child's funding packages that you can see"
        ]
    missing = api.post(
        url, {"started_on": "2026-03-02", "phb_offered": False, "funding_package_ref": 999999}, format="json"
    )
    assert missing.status_code == 400
    assert missing.json() == response.json()  # the same words whether it exists or not

    ok = api.post(
        url,
        {"started_on": "2026-03-02", "phb_offered": False, "funding_package_ref": amelias_package.pk},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["continuing_care"]["funding_package_ref"] == amelias_package.pk
    # The package is named as the funding API names it: its resource there, which opens.
    package_url = ok.json()["continuing_care"]["funding_package_url"]
    assert package_url == f"/api/funding/packages/{amelias_package.pk}/"
    assert api.get(package_url).json()["id"] == amelias_package.pk


def test_the_aftercare_plan_api_refuses_another_package_and_keeps_the_saved_one(
    social_worker, s117_case, amelias_package, icb_only_package, other_childs_package
):
    api = APIClient()
    api.force_authenticate(social_worker)
    url = f"/api/pathway-cases/{s117_case.pk}/aftercare-plan/"

    def fingerprint():
        return api.get(f"/api/pathway-cases/{s117_case.pk}/").json()["section_117"]["plan_fingerprint"]

    refused = api.post(
        url, {"fingerprint": fingerprint(), "funding_package_ref": other_childs_package.pk}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "funding_package_ref": ["Choose one of the child's funding packages that you can see"]
    }

    # One recorded that this person cannot see may be sent back unchanged with the rest of the plan.
    s117 = s117_case.section_117
    s117.funding_package_ref = icb_only_package.pk
    s117.save(update_fields=["funding_package_ref"])
    kept = api.post(
        url,
        {
            "fingerprint": fingerprint(),
            "plan_needs": "Daily support",
            "funding_package_ref": icb_only_package.pk,
        },
        format="json",
    )
    assert kept.status_code == 200, kept.content
    assert kept.json()["section_117"]["funding_package_ref"] == icb_only_package.pk
    # Its resource is named, but opens only for those who may see it: the same 404 as a missing one.
    hidden_url = kept.json()["section_117"]["funding_package_url"]
    assert hidden_url == f"/api/funding/packages/{icb_only_package.pk}/"
    assert api.get(hidden_url).status_code == 404

    chosen = api.post(
        url, {"fingerprint": fingerprint(), "funding_package_ref": amelias_package.pk}, format="json"
    )
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["section_117"]["funding_package_ref"] == amelias_package.pk
