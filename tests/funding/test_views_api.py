"""Pages and API: the access matrix (outsider 404 everywhere), approving through the page and the
API, stale versions (409), bad input (never a 500), query counts, commitments and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from casework.models import Involvement
from funding import services
from funding.exports import COLUMNS
from funding.models import FundingPackage, ShareStatus
from tests.factories import ChildFactory
from tests.funding.conftest import terms
from tests.panels.conftest import at

D = dt.date
pytestmark = pytest.mark.django_db
COUNCIL = "Hampshire County Council Children's Services"
ICB = "NHS Hampshire and Isle of Wight ICB"


def share(package, name):
    package.refresh_from_db()
    return package.current_version.shares.get(agency__name=name)


def pages_for(package):
    s = package.current_version.shares.first()
    return [
        reverse("funding:detail", args=[package.pk]),
        reverse("funding:vary", args=[package.pk]),
        reverse("funding:end", args=[package.pk]),
        reverse("funding:cetr", args=[package.pk]),
        reverse("funding:compare", args=[package.pk]),
        reverse("funding:approve", args=[s.pk]),
        reverse("funding:query", args=[s.pk]),
        reverse("funding:dispute", args=[s.pk]),
        reverse("funding:answer", args=[s.pk]),
        f"/api/funding/packages/{package.pk}/",
    ]


def test_the_outsider_gets_404_everywhere(client, existing_package, outsider):
    client.force_login(outsider)
    for url in pages_for(existing_package):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"version": 1}).status_code in (404, 405), url
    for url in (
        "/api/funding/shares/%d/approve/",
        "/api/funding/shares/%d/dispute/",
        "/api/funding/shares/%d/query/",
    ):
        s = existing_package.current_version.shares.first()
        assert client.post(url % s.pk, {"version": 1}).status_code == 404
    for url in ("/api/funding/packages/%d/vary/", "/api/funding/packages/%d/end/"):
        assert client.post(url % existing_package.pk, {}).status_code == 404
    assert client.get(reverse("funding:detail", args=["abc"])).status_code == 404
    assert client.get(reverse("funding:detail", args=["99999999999999999999"])).status_code == 404
    body = client.get(reverse("funding:list")).content.decode()
    assert f"Package {existing_package.pk}" not in body
    assert client.get("/api/funding/packages/").json()["count"] == 0
    assert client.get(reverse("funding:tray")).status_code == 200


def test_who_sees_a_package(
    client, existing_package, council_finance, icb_finance, social_worker, sen_finance
):
    for person, code in (
        (council_finance, 200),
        (icb_finance, 200),
        (social_worker, 200),
        (sen_finance, 404),
    ):
        client.force_login(person)
        assert client.get(reverse("funding:detail", args=[existing_package.pk])).status_code == code, person


def test_an_agency_without_sight_of_the_child_sees_nothing(
    client, clock, existing_package, icb_finance, hiow_icb
):
    Involvement.objects.filter(agency=hiow_icb).update(ended_on=D(2026, 3, 2))
    client.force_login(icb_finance)
    assert client.get(reverse("funding:detail", args=[existing_package.pk])).status_code == 404


def test_panel_administrators_of_the_deciding_panel_see_it(client, three_way, panel_admin):
    package = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    client.force_login(panel_admin)
    assert client.get(reverse("funding:detail", args=[package.pk])).status_code == 200


def test_other_agencies_approvals_are_status_only(client, existing_package, council_finance, icb_finance):
    services.share_approve(actor=council_finance, share=share(existing_package, COUNCIL), expected_version=1)
    client.force_login(icb_finance)
    body = client.get(reverse("funding:detail", args=[existing_package.pk])).content.decode()
    assert "Approved" in body
    assert "Fiona Cash" not in body
    data = client.get(f"/api/funding/packages/{existing_package.pk}/").json()
    council = next(s for s in data["shares"] if s["agency"]["name"] == COUNCIL)
    assert council["status"] == "approved" and "decided_by" not in council
    client.force_login(council_finance)
    assert "Fiona Cash" in client.get(reverse("funding:detail", args=[existing_package.pk])).content.decode()


def test_approve_through_the_page(client, existing_package, council_finance):
    client.force_login(council_finance)
    s = share(existing_package, COUNCIL)
    page = client.get(reverse("funding:detail", args=[existing_package.pk])).content.decode()
    assert "Approve Hampshire County Council Children&#x27;s Services share" in page
    response = client.post(reverse("funding:approve", args=[s.pk]), {"version": 1, "status": "awaiting"})
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.status == ShareStatus.APPROVED
    # Twice: a clear 409, not a 500.
    assert (
        client.post(reverse("funding:approve", args=[s.pk]), {"version": 1, "status": "awaiting"}).status_code
        == 409
    )


def test_a_stale_version_is_409_on_the_page_and_in_the_api(
    client, existing_package, council_finance, icb_finance, hampshire, hiow_icb, provider
):
    s = share(existing_package, ICB)
    services.package_vary(
        actor=council_finance,
        package=existing_package,
        expected_version=1,
        effective_from=D(2026, 6, 1),
        change_reason="Fee uplift",
        terms=terms(
            provider, (hampshire, "percentage", "50"), (hiow_icb, "percentage", "50"), cost="1050.00"
        ),
    )
    client.force_login(icb_finance)
    response = client.post(reverse("funding:approve", args=[s.pk]), {"version": 1, "status": "awaiting"})
    assert response.status_code == 409
    assert "changed to version 2" in response.content.decode()
    response = client.post(
        f"/api/funding/shares/{s.pk}/approve/",
        {"version": 1, "status": "awaiting"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "changed to version 2" in response.json()["detail"]


def test_above_the_limit_is_a_clear_error(
    client, clock, hampshire, hiow_icb, child, council_finance, provider
):
    package = services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(
            provider, (hampshire, "percentage", "90"), (hiow_icb, "percentage", "10"), cost="3000.00"
        ),
    )
    s = share(package, COUNCIL)
    client.force_login(council_finance)
    response = client.post(reverse("funding:approve", args=[s.pk]), {"version": 1, "status": "awaiting"})
    assert response.status_code == 200
    assert "above your delegated limit" in response.content.decode()
    response = client.post(
        f"/api/funding/shares/{s.pk}/approve/",
        {"version": 1, "status": "awaiting"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "above your delegated limit" in response.json()["share"][0]


def test_bad_input_through_the_api_is_400_with_field_messages(
    client, clock, child, council_finance, hampshire, hiow_icb, provider
):
    client.force_login(council_finance)
    base = {
        "child": child.pk,
        "pathway": "joint_package",
        "provider": provider.pk,
        "service_description": "Carers",
        "cost": "1000.00",
        "cost_period": "weekly",
        "starts_on": "2026-04-01",
        "shares": [
            {"agency": hampshire.pk, "basis": "percentage", "value": "50"},
            {"agency": hiow_icb.pk, "basis": "percentage", "value": "40"},
        ],
    }
    response = client.post("/api/funding/packages/", base, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["shares"] == ["The percentages add up to 90%, not 100%"]
    bad = {
        **base,
        "cost": "-3",
        "ends_on": "2026-01-01",
        "shares": [{"agency": hampshire.pk, "basis": "percentage", "value": "100"}],
    }
    response = client.post("/api/funding/packages/", bad, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) >= {"cost", "ends_on"}
    absurd = {**base, "cost": "9999999999.99"}
    assert client.post("/api/funding/packages/", absurd, content_type="application/json").status_code == 400
    assert (
        client.post(
            "/api/funding/packages/", {**base, "child": 10**30}, content_type="application/json"
        ).status_code
        == 400
    )
    assert FundingPackage.objects.count() == 0
    good = {
        **base,
        "shares": [
            {"agency": hampshire.pk, "basis": "amount", "value": "400.00"},
            {"agency": hiow_icb.pk, "basis": "amount", "value": "600.00"},
        ],
    }
    response = client.post("/api/funding/packages/", good, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["still_to_approve"] == [COUNCIL, ICB]


def test_the_vary_page_keeps_typing_and_shows_errors(client, existing_package, council_finance):
    client.force_login(council_finance)
    url = reverse("funding:vary", args=[existing_package.pk])
    assert client.get(url).status_code == 200
    form = {
        "version": 1,
        "effective_from": "01/06/2026",
        "change_reason": "Uplift",
        "provider": existing_package.current_version.provider_id,
        "service_description": "Carers",
        "weeks_per_year": 52,
        "cost": "1234.56",
        "cost_period": "weekly",
        "starts_on": "01/04/2026",
        "ends_on": "01/01/2026",
        "agency_1": share(existing_package, COUNCIL).agency_id,
        "basis_1": "percentage",
        "value_1": "70",
    }
    response = client.post(url, form)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The end date must be on or after the start date" in body
    assert "The percentages add up to 70%, not 100%" in body
    assert 'value="1234.56"' in body
    form.update({"ends_on": "", "value_1": "100"})
    assert client.post(url, form).status_code == 302
    existing_package.refresh_from_db()
    assert existing_package.version_number == 2
    assert client.get(reverse("funding:compare", args=[existing_package.pk]) + "?a=1&b=2").status_code == 200


def test_recording_an_existing_arrangement_page(
    client, clock, child, leicester_child, council_finance, social_worker, hampshire, hiow_icb
):
    """Issue 16 (nothing asks for a database number): recorded from the child's record, whose page
    offers the link to those who record packages; the page names the child; a child the person
    cannot see answers 404 and one with a made-up number too."""
    client.force_login(council_finance)
    url = reverse("funding:new", args=[child.pk])
    assert url in client.get(reverse("children:detail", args=[child.pk])).content.decode()
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Record an existing funding arrangement for {child.full_name}" in html
    assert "record number" not in html
    form = {
        "pathway": "section_117",
        "new_provider_name": "Brook Farm",
        "new_provider_kind": "residential",
        "service_description": "Residential care",
        "weeks_per_year": 52,
        "cost": "5000",
        "cost_period": "weekly",
        "starts_on": "01/04/2026",
        "agency_1": hampshire.pk,
        "basis_1": "percentage",
        "value_1": "30",
        "agency_2": hiow_icb.pk,
        "basis_2": "percentage",
        "value_2": "70",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    package = FundingPackage.objects.get()
    assert package.child_id == child.pk and package.current_version.needs_cetr
    for elsewhere in (leicester_child.pk, 10**12, "abc"):
        assert client.get(reverse("funding:new", args=[elsewhere])).status_code == 404
        assert client.post(reverse("funding:new", args=[elsewhere]), form).status_code == 404
    assert FundingPackage.objects.count() == 1
    # A social worker sees the child but does not record packages: no link, and the page refuses.
    client.force_login(social_worker)
    assert url not in client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert client.get(url).status_code == 403


def _many_packages(n, *, hampshire, hiow_icb, council_finance, provider, social_worker):
    for i in range(n):
        kid = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
        services.package_create_existing(
            actor=council_finance,
            child=kid,
            pathway="joint_package",
            terms=terms(
                provider,
                (hampshire, "percentage", "50"),
                (hiow_icb, "percentage", "50"),
                cost=f"{500 + i}.00",
            ),
        )


def test_list_tray_and_commitments_query_counts(
    client,
    clock,
    django_assert_max_num_queries,
    hampshire,
    hiow_icb,
    council_finance,
    provider,
    social_worker,
):
    _many_packages(
        22,
        hampshire=hampshire,
        hiow_icb=hiow_icb,
        council_finance=council_finance,
        provider=provider,
        social_worker=social_worker,
    )
    client.force_login(council_finance)
    # Every page: session, user, ATOMIC_REQUESTS savepoint + release, unread notifications count,
    # the navigation's count of shares awaiting this approver, session save (savepoint, update,
    # release) = 9. Then the list: count, one page of packages
    # (child, current version, provider, panel joined), one prefetch of the shares = 11; and on
    # each list below, the one read-log insert of the children it shows (issue 12).
    with django_assert_max_num_queries(13):
        response = client.get(reverse("funding:list"))
    assert response.status_code == 200 and response.context["page"].paginator.count == 22
    # the 9 of every page + count + one page of shares with package, child, provider joined + the
    # read-log insert
    with django_assert_max_num_queries(12):
        response = client.get(reverse("funding:tray"))
    assert response.context["page"].paginator.count == 22
    # the 9 of every page + packages (child, panel, current version joined), versions, shares (all
    # awaiting approval: no agreed line, so no read-log insert)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("funding:commitments"))
    assert response.status_code == 200
    # API: session, user, savepoint pair, count, page, shares prefetch, read-log insert, session
    # save (3)
    with django_assert_max_num_queries(11):
        assert client.get("/api/funding/packages/").json()["count"] == 22
    # API: session, user, savepoint pair, count, page of shares, read-log insert, session save (3)
    with django_assert_max_num_queries(10):
        assert client.get("/api/funding/approvals/").json()["count"] == 22


def test_detail_page_query_count(client, existing_package, council_finance, django_assert_max_num_queries):
    client.force_login(council_finance)
    # the 9 of every page + package (child, panel, decision, referral, version joined), versions,
    # their shares, events, disputes, the child view log insert = 15
    with django_assert_max_num_queries(15):
        assert client.get(reverse("funding:detail", args=[existing_package.pk])).status_code == 200


def test_commitments_and_exports(client, clock, existing_package, council_finance, icb_finance):
    for name, person in ((COUNCIL, council_finance), (ICB, icb_finance)):
        services.share_approve(actor=person, share=share(existing_package, name), expected_version=1)
    clock.move_to(at(D(2026, 5, 1)), tick=False)
    client.force_login(council_finance)
    response = client.get(reverse("funding:commitments") + "?year=2026")
    c = response.context["c"]
    # £500 a week for the council, a 52-week price, the whole of 2026-27: invoiced by the day,
    # 500 x 365 / 7 (casework.money); to date, 1 April to 1 May: 500 x 31 / 7.
    assert c.total == Decimal("26071.43")
    assert c.to_date == Decimal("2214.29")
    assert c.by_pathway == [("Joint package or placement", Decimal("26071.43"))]
    assert "<svg" in response.content.decode() and "<table" in response.content.decode()
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("funding:export_csv") + "?year=2026").getvalue().decode()))
    )
    assert rows[0] == COLUMNS
    assert rows[1][0] == "2026-27" and rows[1][COLUMNS.index("year_amount")] == "26071.43"
    book = load_workbook(io.BytesIO(client.get(reverse("funding:export_xlsx") + "?year=2026").getvalue()))
    assert [cell.value for cell in book.active[1]] == COLUMNS
    api = client.get("/api/funding/commitments/?year=2026").json()
    assert api["total"] == "26071.43"
    assert client.get("/api/funding/commitments/?year=abc").status_code == 400


def test_commitments_are_not_for_everyone(client, social_worker, outsider, existing_package):
    client.force_login(social_worker)
    assert client.get(reverse("funding:commitments")).status_code == 403
    client.force_login(outsider)  # outsider is a service manager: sees an empty year, nothing of Hampshire's
    response = client.get(reverse("funding:commitments"))
    assert response.status_code == 200 and response.context["c"].lines == []
    assert client.get("/api/funding/commitments/").json()["awaiting_total"] == "0.00"
    assert (
        len(list(csv.reader(io.StringIO(client.get(reverse("funding:export_csv")).getvalue().decode())))) == 1
    )


def test_context_processor_counts_my_tray(rf, existing_package, council_finance, social_worker):
    from funding.context_processors import awaiting_approval_count

    request = rf.get("/")
    request.user = council_finance
    assert awaiting_approval_count(request)["funding_awaiting_count"] == 1
    request.user = social_worker
    assert awaiting_approval_count(request)["funding_awaiting_count"] == 0
