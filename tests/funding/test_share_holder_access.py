"""Issue 15: an agency given a share of a child's funding becomes involved with the child
(docs/adr/0013), so its finance approver, told of the share, can open the package and approve it.

The involvement is made through casework's involvement service at the moment the share is given:
a package from a signed decision, a variation that adds the agency, or an existing arrangement
recorded from the child's record. It is audited and says why on the child's list of agencies. An
agency with no share gains nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from casework.models import AgencyKind, AuditEvent, Involvement, InvolvementRole, Role
from casework.my_work import my_work_items
from funding import services
from funding.models import ShareStatus
from tests.factories import AgencyFactory, UserFactory
from tests.funding.conftest import terms

D = dt.date
pytestmark = pytest.mark.django_db
SEN = "Hampshire County Council SEN"


@pytest.fixture
def trust(db):
    """An agency of the same partnership that is given no share."""
    return AgencyFactory(
        name="Solent NHS Trust", kind=AgencyKind.NHS_TRUST, partnership="Hampshire and Isle of Wight"
    )


@pytest.fixture
def trust_finance(trust):
    return UserFactory(
        email="tara.till@solent.example.nhs.uk",
        full_name="Tara Till",
        agency=trust,
        roles=[Role.FINANCE_APPROVER],
        delegated_limit=Decimal("500000.00"),
    )


@pytest.fixture
def sen_decision(make_decision, hampshire, hampshire_sen, child):
    """A signed decision giving 40% of £1,000 a week to the SEN service, not involved with the child."""
    assert not Involvement.objects.filter(child=child, agency=hampshire_sen).exists()
    return make_decision(
        shares=[(hampshire, "percentage", Decimal("60")), (hampshire_sen, "percentage", Decimal("40"))],
        cost=Decimal("1000.00"),
    )


@pytest.fixture
def sen_package(sen_decision, panel_chair, sen_finance):
    """The package the chair's signed decision makes; the SEN share is routed to Sofia Penny."""
    return services.package_create_from_decision(actor=panel_chair, decision=sen_decision)


def _sen_share(package):
    package.refresh_from_db()
    return package.current_version.shares.get(agency__name=SEN)


def test_a_decision_share_involves_the_agency_with_its_reason_audited(
    sen_decision, sen_package, panel_chair, hampshire, hampshire_sen, child
):
    involvement = Involvement.objects.get(child=child, agency=hampshire_sen, ended_on=None)
    assert involvement.role == InvolvementRole.EDUCATION
    assert involvement.added_by == panel_chair
    assert involvement.started_on == D(2026, 3, 2)
    assert involvement.reason == (
        f"Funding share in package {sen_package.pk} (panel decision {sen_decision.pk})"
    )
    event = AuditEvent.objects.get(action="involvement.added", child=child)
    assert event.actor == panel_chair
    assert event.changes["agency"] == [None, SEN]
    assert event.changes["reason"] == [None, involvement.reason]
    assert event.changes["via"] == [None, "funding share"]
    # The agency already involved (the council) is left as it was: one involvement, no new event.
    assert Involvement.objects.filter(child=child, agency=hampshire).count() == 1
    assert AuditEvent.objects.filter(action="involvement.added").count() == 1


def test_the_share_holders_approver_sees_the_item_opens_the_package_and_approves(
    client, sen_package, sen_finance, child
):
    share = _sen_share(sen_package)
    assert share.routed_to == sen_finance
    (item,) = my_work_items(user=sen_finance)
    assert item.kind == "funding.share_to_approve"
    assert item.url == reverse("funding:approve", args=[share.pk])
    client.force_login(sen_finance)
    assert item.url in client.get(reverse("my_work")).content.decode()
    assert client.get(item.url).status_code == 200
    page = client.get(reverse("funding:detail", args=[sen_package.pk]))
    assert page.status_code == 200
    assert f"Approve {SEN} share" in page.content.decode()
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 200
    response = client.post(reverse("funding:approve", args=[share.pk]), {"version": 1, "status": "awaiting"})
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.status == ShareStatus.APPROVED and share.decided_by == sen_finance
    assert my_work_items(user=sen_finance) == []


def test_the_share_holder_approves_through_the_api(client, sen_package, sen_finance):
    share = _sen_share(sen_package)
    client.force_login(sen_finance)
    assert client.get(f"/api/funding/packages/{sen_package.pk}/").status_code == 200
    response = client.post(
        f"/api/funding/shares/{share.pk}/approve/",
        {"version": 1, "status": "awaiting"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    share.refresh_from_db()
    assert share.status == ShareStatus.APPROVED


def test_an_agency_with_no_share_gains_nothing(client, sen_package, trust, trust_finance, child):
    assert not Involvement.objects.filter(agency=trust).exists()
    assert my_work_items(user=trust_finance) == []
    client.force_login(trust_finance)
    share = _sen_share(sen_package)
    for url in (
        reverse("funding:detail", args=[sen_package.pk]),
        reverse("funding:approve", args=[share.pk]),
        reverse("children:detail", args=[child.pk]),
        f"/api/funding/packages/{sen_package.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"/api/funding/shares/{share.pk}/approve/",
        {"version": 1, "status": "awaiting"},
        content_type="application/json",
    )
    assert response.status_code == 404
    share.refresh_from_db()
    assert share.status == ShareStatus.AWAITING


def test_the_childs_page_and_api_say_why_the_agency_is_involved(
    client, sen_package, sen_decision, service_manager, child
):
    reason = f"Funding share in package {sen_package.pk} (panel decision {sen_decision.pk})"
    client.force_login(service_manager)  # reads the record's history
    body = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert SEN in body and reason in body
    assert "involvement.added" in body
    data = client.get(f"/api/children/{child.pk}/").json()
    (sen,) = [i for i in data["involvements"] if i["agency"]["name"] == SEN]
    assert sen["reason"] == reason and sen["role"] == InvolvementRole.EDUCATION
    council = [i for i in data["involvements"] if i["agency"]["name"] != SEN]
    assert council and all(i["reason"] == "" for i in council)


def test_an_existing_arrangement_involves_its_paying_agencies(
    clock, child, council_finance, hampshire, hampshire_sen, sen_finance, provider, client
):
    package = services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(provider, (hampshire, "percentage", "70"), (hampshire_sen, "percentage", "30")),
    )
    involvement = Involvement.objects.get(child=child, agency=hampshire_sen, ended_on=None)
    assert involvement.reason == f"Funding share in package {package.pk} (existing arrangement)"
    assert involvement.added_by == council_finance
    client.force_login(sen_finance)
    assert client.get(reverse("funding:detail", args=[package.pk])).status_code == 200


def test_a_variation_adding_an_agency_involves_it_and_only_it(
    client,
    existing_package,
    council_finance,
    hampshire,
    hiow_icb,
    hampshire_sen,
    sen_finance,
    provider,
    child,
):
    client.force_login(sen_finance)
    assert client.get(reverse("funding:detail", args=[existing_package.pk])).status_code == 404
    before = Involvement.objects.filter(child=child).count()
    services.package_vary(
        actor=council_finance,
        package=existing_package,
        expected_version=1,
        effective_from=D(2026, 6, 1),
        change_reason="Education now pays a part",
        terms=terms(
            provider,
            (hampshire, "percentage", "40"),
            (hiow_icb, "percentage", "40"),
            (hampshire_sen, "percentage", "20"),
        ),
    )
    assert Involvement.objects.filter(child=child).count() == before + 1
    involvement = Involvement.objects.get(child=child, agency=hampshire_sen)
    assert involvement.reason == f"Funding share in package {existing_package.pk} (variation, version 2)"
    assert client.get(reverse("funding:detail", args=[existing_package.pk])).status_code == 200
    (item,) = my_work_items(user=sen_finance)
    assert item.kind == "funding.share_to_approve"


def test_an_agency_whose_involvement_ended_is_involved_again_by_a_new_share(
    clock, child, council_finance, hampshire, hiow_icb, hampshire_sen, provider, social_worker
):
    """An ended involvement is history; a new share starts a new one, so the list shows both."""
    Involvement.objects.create(
        child=child,
        agency=hampshire_sen,
        role=InvolvementRole.EDUCATION,
        started_on=D(2025, 1, 6),
        ended_on=D(2026, 1, 30),
        added_by=social_worker,
    )
    services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(provider, (hampshire, "percentage", "50"), (hampshire_sen, "percentage", "50")),
    )
    assert Involvement.objects.filter(child=child, agency=hampshire_sen).count() == 2
    assert Involvement.objects.filter(child=child, agency=hampshire_sen, ended_on=None).count() == 1
