"""The escalation API: outsider 404 everywhere, 400 field errors, 403 for a reader, 409 for an
illegal or stale step, an RSG → JSP journey, and the list's pinned query count."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from pathways import services
from tests.pathways.conftest import D, at
from tests.pathways.test_escalation_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db

ACTIONS = ("escalate", "meetings", "cetr", "reports", "resolve")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_outsider_404_everywhere(outsider, amelia, rsg):
    c = api(outsider)
    assert c.get(f"/api/children/{amelia.pk}/escalations/").status_code == 404
    assert c.post(f"/api/children/{amelia.pk}/escalations/", {}, format="json").status_code == 404
    assert c.get(f"/api/escalations/{rsg.pk}/").status_code == 404
    for action in (*ACTIONS, "fly"):
        assert c.post(f"/api/escalations/{rsg.pk}/{action}/", {}, format="json").status_code == 404


def test_bad_ids_404(social_worker, rsg):
    c = api(social_worker)
    for bad in ("abc", "0", "99999999999999999999"):
        assert c.get(f"/api/escalations/{bad}/").status_code == 404
        assert c.get(f"/api/children/{bad}/escalations/").status_code == 404
    assert c.post(f"/api/escalations/{rsg.pk}/fly/", {}, format="json").status_code == 404


def test_reader_gets_403_on_writes(auditor, amelia, rsg):
    c = api(auditor)
    assert c.get(f"/api/escalations/{rsg.pk}/").status_code == 200
    assert c.post(f"/api/children/{amelia.pk}/escalations/", {}, format="json").status_code == 403
    assert c.post(f"/api/escalations/{rsg.pk}/resolve/", {"outcome": "x"}, format="json").status_code == 403


def test_open_400_then_201(social_worker, amelia, sgm, clinician, clock):
    c = api(social_worker)
    r = c.post(f"/api/children/{amelia.pk}/escalations/", {"route": "moon"}, format="json")
    assert r.status_code == 400 and {"route", "summary", "level", "authorised_by", "reason"} <= set(r.json())
    body = {
        "route": "place_of_safety",
        "summary": "In the PSAU",
        "level": "rsg",
        "authorised_by": sgm.pk,
        "reason": "No CAMHS bed",
    }
    r = c.post(f"/api/children/{amelia.pk}/escalations/", body, format="json")
    assert r.status_code == 400 and r.json() == {"chair": ["Choose who chairs"]}
    r = c.post(f"/api/children/{amelia.pk}/escalations/", {**body, "chair": clinician.pk}, format="json")
    assert r.status_code == 201, r.json()
    data = r.json()
    assert data["level"] == "rsg" and data["clock"]["first_meeting"] is True
    assert data["clock"]["next_meeting_due"].startswith("2026-03-03T09:30")
    assert data["steps"][0]["authorised_by"] == {"id": sgm.pk, "name": "Sunita Rao"}


def test_rsg_to_jsp_through_the_api(social_worker, rsg, sgm, jsp, clinician, hampshire, clock):
    c = api(social_worker)
    r = c.post(
        f"/api/escalations/{rsg.pk}/meetings/",
        {
            "held_at": "2026-03-02T09:30:00Z",
            "chair": clinician.pk,
            "agencies": [hampshire.pk],
            "attendees": "Nadia, Sam",
            "notes": "No beds",
        },
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert r.json()["clock"]["next_meeting_due"].startswith("2026-03-05T21:30")
    r = c.post(
        f"/api/escalations/{rsg.pk}/escalate/",
        {
            "to_level": "jsp",
            "authorised_by": sgm.pk,
            "reason": "Exhausted",
            "target_panel": jsp.pk,
            "referral": 999,
        },
        format="json",
    )
    assert r.status_code == 400 and r.json() == {
        "referral": ["There is no referral with this number for you"]
    }
    r = c.post(
        f"/api/escalations/{rsg.pk}/escalate/",
        {"to_level": "jsp", "authorised_by": sgm.pk, "reason": "Exhausted", "target_panel": jsp.pk},
        format="json",
    )
    assert r.status_code == 200, r.json()
    steps = r.json()["steps"]
    assert [s["level"] for s in steps] == ["rsg", "jsp"] and steps[0]["outcome"].startswith("Escalated to")
    assert steps[1]["target_panel"] == {"id": jsp.pk, "name": jsp.name}
    r = c.post(
        f"/api/escalations/{rsg.pk}/escalate/",
        {"to_level": "jsp", "authorised_by": sgm.pk, "reason": "Again", "target_panel": jsp.pk},
        format="json",
    )
    assert r.status_code == 409
    r = c.post(f"/api/escalations/{rsg.pk}/meetings/", {}, format="json")
    assert r.status_code == 400  # the body is checked before the state
    r = c.post(f"/api/escalations/{rsg.pk}/resolve/", {"outcome": "Placement found"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert c.post(f"/api/escalations/{rsg.pk}/resolve/", {"outcome": "x"}, format="json").status_code == 409


def test_erg_report_and_weekly_limit(social_worker, erg, director, hampshire, clock):
    c = api(social_worker)
    meeting = {
        "chair": director.pk,
        "agencies": [hampshire.pk],
        "attendees": "Diana",
        "notes": "Commissioning",
    }
    assert (
        c.post(
            f"/api/escalations/{erg.pk}/meetings/",
            {**meeting, "held_at": "2026-03-02T09:30:00Z"},
            format="json",
        ).status_code
        == 200
    )
    clock.move_to(at(D(2026, 3, 5)), tick=False)
    r = c.post(
        f"/api/escalations/{erg.pk}/meetings/", {**meeting, "held_at": "2026-03-05T09:00:00Z"}, format="json"
    )
    assert r.status_code == 400 and "at most once every 7 days" in r.json()["held_at"][0]
    r = c.post(
        f"/api/escalations/{erg.pk}/reports/",
        {"reported_on": "2026-03-05", "progress": "Provider found"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["clock"]["report_due"] == "2026-04-05"


def test_list_query_count_pinned(social_worker, amelia, sgm, clinician, django_assert_max_num_queries):
    for n in range(21):
        services.escalation_open(
            actor=social_worker,
            child=amelia,
            route="emergency",
            summary=f"Crisis {n}",
            level="rsg",
            authorised_by=sgm,
            reason="x",
            chair=clinician,
        )
    c = api(social_worker)
    # child (visibility), view log (insert in a savepoint: 3), escalations, steps with people and
    # panel, meetings, reports, settings rows, the child's owning agency: 10.
    with django_assert_max_num_queries(10):
        r = c.get(f"/api/children/{amelia.pk}/escalations/")
    assert len(r.json()["results"]) == 21
