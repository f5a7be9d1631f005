"""GET /api/reports/waiting/ (issue 18): the page's rows for systems, paginated, with the totals;
a 400 naming the field for a bad filter; 404 for anyone who may not see the report; the read log;
documented in the OpenAPI schema; a fixed number of queries whatever the rows."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from casework.models import ChildListViewLog
from reporting.selectors import waiting

URL = "/api/reports/waiting/"


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_the_shape(make_world, panel_admin, hampshire):
    (child,) = make_world(1)
    body = _api(panel_admin).get(URL).json()
    assert set(body) == {"count", "next", "previous", "results", "totals", "overdue"}
    assert (body["count"], body["overdue"], body["next"], body["previous"]) == (8, 1, None, None)
    rsg = next(r for r in body["results"] if r["kind"] == "escalation")
    assert rsg == {
        "kind": "escalation",
        "item": rsg["item"],
        "stage": "Escalated to the Rapid Solutions Group",
        "child": {"id": child.pk, "name": child.full_name, "url": f"/children/{child.pk}/"},
        "url": rsg["url"],
        "agency": {"id": hampshire.pk, "name": hampshire.name},
        "person": "Peter Hale",
        "since": "2026-03-01",
        "waited_working_days": 1,
        "clock": "Rapid Solutions Group meets within 24 hours",
        "due_on": "2026-03-02",
        "overdue": True,
        "panel": None,
    }
    assert [r["item"] for r in body["results"]] == [i.ref for i in waiting(user=panel_admin).items]
    assert sum(t["items"] for t in body["totals"]) == 8
    assert body["totals"][0]["agency"] == {"id": hampshire.pk, "name": hampshire.name}


def test_a_page_at_a_time_with_totals_over_every_row(make_world, panel_admin):
    make_world(4)  # 32 items: 25 and 7
    api = _api(panel_admin)
    first = api.get(URL).json()
    assert (first["count"], len(first["results"])) == (32, 25)
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 7 and second["next"] is None
    assert sum(t["items"] for t in second["totals"]) == 32
    assert api.get(URL, {"page": 3}).status_code == 404


def test_filters_and_bad_filters(make_world, panel_admin, irap, hiow_icb, leicester):
    make_world(1)
    api = _api(panel_admin)
    assert {r["kind"] for r in api.get(URL, {"panel": irap.pk}).json()["results"]} == {
        "referral",
        "recommendation",
    }
    assert api.get(URL, {"agency": hiow_icb.pk, "kind": "pathway"}).json()["count"] == 2
    assert api.get(URL, {"kind": ""}).json()["count"] == 8  # an empty filter is no filter
    for params, field in (
        ({"agency": leicester.pk}, "agency"),  # another partnership's agency is not one to filter by
        ({"kind": "everything"}, "kind"),
        ({"panel": "abc"}, "panel"),
    ):
        response = api.get(URL, params)
        assert response.status_code == 400, params
        assert field in response.json(), response.json()


@pytest.mark.parametrize("persona", ["social_worker", "clinician", "auditor"])
def test_anyone_else_gets_404(make_world, persona, request):
    make_world(1)
    assert _api(request.getfixturevalue(persona)).get(URL).status_code == 404


def test_signed_out_is_401(db):
    assert APIClient().get(URL).status_code == 401


def test_another_partnership_gets_nothing(make_world, outsider, leics_admin):
    make_world(2)
    for person in (outsider, leics_admin):
        body = _api(person).get(URL).json()
        assert (body["count"], body["results"], body["totals"]) == (0, [], [])


def test_each_page_read_is_logged(make_world, panel_admin):
    children = make_world(1)
    before = ChildListViewLog.objects.count()
    _api(panel_admin).get(URL, {"kind": "funding"})
    (row,) = ChildListViewLog.objects.order_by("id")[before:]
    assert (row.channel, row.child_ids, row.path, row.query) == ("api", [children[0].pk], URL, "kind=funding")


def test_documented_in_the_schema(panel_admin):
    schema = _api(panel_admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"agency", "kind", "panel", "page"}
    assert {"200", "400", "401", "404"} <= set(operation["responses"])
    assert "WaitingItem" in schema["components"]["schemas"]


def test_the_same_queries_for_1_and_30_items_a_kind(make_world, panel_admin, django_assert_max_num_queries):
    """The session and person, the filters' agencies and panels, the five kinds, the closure days,
    the two settings tables and the read log's row: the same statements whatever the rows."""
    make_world(1)
    api = _api(panel_admin)

    def queries() -> int:
        with django_assert_max_num_queries(20) as captured:
            assert api.get(URL).status_code == 200
        return len(captured)

    one = queries()
    make_world(29)
    assert queries() == one
