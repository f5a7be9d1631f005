"""Where cases wait, the page (issue 18): who gets it (and the navigation's link), what it lists,
its totals and filters, bad filters, the read log, and the same fixed number of queries for 1 and 30
items a kind."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from casework.models import ChildListViewLog, Role
from tests.factories import UserFactory

URL = "/reports/waiting/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_url():
    assert reverse("reporting:waiting") == URL


@pytest.mark.parametrize(
    "persona", ["reader", "team_manager", "panel_chair", "panel_admin", "council_finance", "hants_admin"]
)
def test_the_people_who_chase_the_next_step_get_the_page_and_its_link(make_world, persona, request):
    make_world(1)
    person = request.getfixturevalue(persona)
    response = _client(person).get(reverse("children:list"))
    assert f'href="{URL}"' in response.content.decode()
    page = _client(person).get(URL)
    assert page.status_code == 200
    assert "Where cases wait" in page.content.decode()


@pytest.mark.parametrize("persona", ["social_worker", "clinician", "auditor"])
def test_anyone_else_gets_a_404_and_no_link(make_world, persona, request):
    make_world(1)
    person = request.getfixturevalue(persona)
    client = _client(person)
    assert f'href="{URL}"' not in client.get(reverse("children:list")).content.decode()
    for url in (URL, "/reports/waiting.csv", "/reports/waiting.xlsx"):
        assert client.get(url).status_code == 404, url
    assert client.post(URL).status_code == 404


def test_another_partnership_s_manager_sees_none_of_hampshire(make_world, outsider, leics_admin):
    """Olive (Leicester's managers' roles) and Leicester's partnership administrator get the page,
    with nothing of Hampshire in it, its totals or its files."""
    children = make_world(2)
    for person in (outsider, leics_admin):
        client = _client(person)
        body = client.get(URL).content.decode()
        assert "Nothing is waiting." in body
        for child in children:
            assert child.full_name not in body
        csv = b"".join(client.get("/reports/waiting.csv").streaming_content).decode("utf-8-sig")
        assert csv.count("\n") == 1  # the heading row alone


def test_a_service_account_has_no_page(make_world, hampshire):
    make_world(1)
    robot = UserFactory(agency=hampshire, roles=[Role.SERVICE_MANAGER], is_service_account=True)
    assert _client(robot).get(URL).status_code == 404


def test_the_page_lists_the_waits_longest_first_with_their_totals(
    make_world, panel_admin, hampshire, hiow_icb
):
    (child,) = make_world(1)
    body = _client(panel_admin).get(URL).content.decode()
    assert "8 items waiting, 1 overdue." in body
    assert body.index("Continuing Care decision within 6 weeks") < body.index("Papers due 7 working days")
    assert child.full_name in body and reverse("children:detail", args=[child.pk]) in body
    totals = body[body.index('id="totals"') : body.index('id="items"')]
    assert escape(hampshire.name) in totals and escape(hiow_icb.name) in totals
    assert "Overdue</strong>" in body  # the RSG's first meeting is late
    assert '<table class="govuk-table' in body and "<caption" in body


def test_filters_narrow_the_list_and_keep_the_download_links(make_world, panel_admin, hiow_icb):
    make_world(1)
    response = _client(panel_admin).get(URL, {"agency": hiow_icb.pk, "kind": "pathway"})
    body = response.content.decode()
    assert "2 items waiting, 0 overdue." in body
    assert f"/reports/waiting.csv?agency={hiow_icb.pk}&amp;kind=pathway" in body


def test_a_bad_filter_is_a_400_with_the_error_next_to_the_field(make_world, panel_admin, leicester):
    make_world(1)
    client = _client(panel_admin)
    for params in ({"agency": leicester.pk}, {"kind": "everything"}, {"panel": "abc"}):
        response = client.get(URL, params)
        assert response.status_code == 400, params
        assert "govuk-error-summary" in response.content.decode()


def test_empty(panel_admin, clock):
    body = _client(panel_admin).get(URL).content.decode()
    assert "Nothing is waiting." in body


def test_each_view_is_logged_with_the_children_shown(make_world, panel_admin):
    children = make_world(2)
    before = ChildListViewLog.objects.count()
    _client(panel_admin).get(URL, {"kind": "referral"})
    (row,) = ChildListViewLog.objects.order_by("-id")[: ChildListViewLog.objects.count() - before]
    assert sorted(row.child_ids) == sorted(c.pk for c in children)
    assert (row.channel, row.path, row.query) == ("page", URL, "kind=referral")


def test_a_page_at_a_time(make_world, panel_admin, settings, monkeypatch):
    monkeypatch.setattr("reporting.views.PAGE_SIZE", 5)
    make_world(1)
    client = _client(panel_admin)
    first = client.get(URL).content.decode()
    assert "Page 1 of 2" in first
    second = client.get(URL, {"page": 2}).content.decode()
    assert "Page 2 of 2" in second


def _queries(client, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_the_page_takes_the_same_queries_for_1_and_30_items_a_kind(
    make_world, panel_admin, django_assert_max_num_queries
):
    """The signed-in page's own (session, person, the header's counts), the filters' agencies and
    panels, the five kinds, the closure days and the two settings tables, and the read log's row."""
    make_world(1)
    client = _client(panel_admin)
    one = _queries(client, django_assert_max_num_queries, 25)
    make_world(29)
    assert _queries(client, django_assert_max_num_queries, 25) == one
