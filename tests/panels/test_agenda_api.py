"""The agenda API: same services and access as the pages; 400 with field messages, 409 when stale,
404 for the outsider, 403 for a member who may not change it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from panels import services
from panels.models import AgendaItem, Meeting
from tests.panels.conftest import CIRCULATION_DAY, at, seat

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def version(meeting: Meeting) -> int:
    return Meeting.objects.values_list("version", flat=True).get(pk=meeting.pk)


def base(meeting) -> str:
    return f"/api/meetings/{meeting.pk}"


def test_administrator_builds_the_agenda_through_the_api(
    irap, irap_meeting, submitted_referral, panel_admin, icb_member
):
    api = api_as(panel_admin)
    listed = api.get(f"{base(irap_meeting)}/agenda/")
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    v = listed.json()["version"]

    added = api.post(
        f"{base(irap_meeting)}/agenda/referrals/",
        {"referral": submitted_referral.pk, "version": v, "lead_member": seat(irap, icb_member).pk},
        format="json",
    )
    assert added.status_code == 201, added.json()
    body = added.json()
    assert body["items"][0]["referral"] == submitted_referral.pk
    assert body["items"][0]["lead_member"]["name"] == "Irene Grant"

    other = api.post(
        f"{base(irap_meeting)}/agenda/other-business/",
        {"title": "Budget", "version": body["version"]},
        format="json",
    )
    assert other.status_code == 201
    item_id = other.json()["items"][1]["id"]

    moved = api.post(
        f"{base(irap_meeting)}/agenda/items/{item_id}/move/",
        {"direction": "up", "version": other.json()["version"]},
        format="json",
    )
    assert moved.status_code == 200
    assert [i["title"] for i in moved.json()["items"]][0] == "Budget"

    lead = api.post(
        f"{base(irap_meeting)}/agenda/items/{item_id}/lead/",
        {"lead_member": None, "version": moved.json()["version"]},
        format="json",
    )
    assert lead.status_code == 200

    circulated = api.post(
        f"{base(irap_meeting)}/circulate/", {"version": lead.json()["version"]}, format="json"
    )
    assert circulated.status_code == 200
    assert circulated.json()["circulated_at"]

    withdrawn = api.post(
        f"{base(irap_meeting)}/agenda/items/{item_id}/withdraw/",
        {"reason": "Covered elsewhere", "version": circulated.json()["version"]},
        format="json",
    )
    assert withdrawn.status_code == 200
    assert len(withdrawn.json()["items"]) == 1


def test_bad_input_is_400_with_field_messages(irap, irap_meeting, panel_admin, outsider):
    api = api_as(panel_admin)
    v = version(irap_meeting)
    response = api.post(f"{base(irap_meeting)}/agenda/other-business/", {"version": v}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()
    response = api.post(
        f"{base(irap_meeting)}/agenda/other-business/", {"version": "x", "title": "A"}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()
    response = api.post(f"{base(irap_meeting)}/circulate/", {"version": v}, format="json")
    assert response.status_code == 400
    assert "agenda" in response.json()
    item = services.agenda_item_add_other(actor=panel_admin, meeting=irap_meeting, version=v, title="A")
    response = api.post(
        f"{base(irap_meeting)}/agenda/items/{item.pk}/lead/",
        {"lead_member": 999999, "version": version(irap_meeting)},
        format="json",
    )
    assert response.status_code == 400
    assert "lead_member" in response.json()
    response = api.post(
        f"{base(irap_meeting)}/agenda/items/{item.pk}/move/",
        {"direction": "sideways", "version": version(irap_meeting)},
        format="json",
    )
    assert response.status_code == 400
    assert "direction" in response.json()


def test_stale_version_is_409(irap_meeting, panel_admin):
    api = api_as(panel_admin)
    v = version(irap_meeting)
    assert (
        api.post(f"{base(irap_meeting)}/agenda/other-business/", {"title": "A", "version": v}).status_code
        == 201
    )
    response = api.post(f"{base(irap_meeting)}/agenda/other-business/", {"title": "B", "version": v})
    assert response.status_code == 409
    assert "Someone else changed this agenda" in response.json()["detail"]


def test_late_paper_is_409_until_accepted(clock, irap_meeting, make_submitted, panel_admin):
    clock.move_to(at(CIRCULATION_DAY), tick=False)
    late = make_submitted()
    response = api_as(panel_admin).post(
        f"{base(irap_meeting)}/agenda/referrals/", {"referral": late.pk, "version": version(irap_meeting)}
    )
    assert response.status_code == 409
    assert "late paper" in response.json()["detail"]


def test_access_matrix(irap_meeting, panel_admin, council_member, outsider):
    item = services.agenda_item_add_other(
        actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting), title="A"
    )
    writes = [
        ("agenda/referrals/", {"referral": 1}),
        ("agenda/other-business/", {"title": "B"}),
        (f"agenda/items/{item.pk}/move/", {"direction": "up"}),
        (f"agenda/items/{item.pk}/withdraw/", {"reason": "x"}),
        (f"agenda/items/{item.pk}/lead/", {"lead_member": None}),
        ("circulate/", {}),
    ]
    outsider_api, member_api = api_as(outsider), api_as(council_member)
    assert outsider_api.get(f"{base(irap_meeting)}/agenda/").status_code == 404
    assert member_api.get(f"{base(irap_meeting)}/agenda/").status_code == 403  # not circulated yet
    for path, data in writes:
        payload = {**data, "version": version(irap_meeting)}
        assert outsider_api.post(f"{base(irap_meeting)}/{path}", payload, format="json").status_code == 404, (
            path
        )
        assert member_api.post(f"{base(irap_meeting)}/{path}", payload, format="json").status_code == 403, (
            path
        )
    assert api_as(panel_admin).get("/api/meetings/abc/agenda/").status_code == 404
    assert api_as(panel_admin).post(f"{base(irap_meeting)}/agenda/items/abc/move/", {}).status_code == 404
    assert APIClient().get(f"{base(irap_meeting)}/agenda/").status_code in {401, 403}


def test_member_reads_after_circulation(clock, irap_meeting, panel_admin, council_member):
    services.agenda_item_add_other(
        actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting), title="A"
    )
    clock.move_to(at(CIRCULATION_DAY), tick=False)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    assert api_as(council_member).get(f"{base(irap_meeting)}/agenda/").status_code == 200


def test_list_query_count(irap, irap_meeting, panel_admin, icb_member, django_assert_max_num_queries):
    for n in range(22):
        item = services.agenda_item_add_other(
            actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting), title=f"Item {n}"
        )
        AgendaItem.objects.filter(pk=item.pk).update(lead_member=seat(irap, icb_member))
    api = api_as(panel_admin)
    # savepoint, meeting+panel, the caller's grants, can_administer (from the role: no query),
    # the meeting's version, the items with referral/child/lead member/person/agency, release.
    # No query per item.
    with django_assert_max_num_queries(6):
        response = api.get(f"{base(irap_meeting)}/agenda/")
    assert len(response.json()["items"]) == 22
