"""The team view of My work in the API (casework/my_work_api.py, issue 16): GET /api/my-work/team/
lists the same people and items as /my-work/team/ for team and service managers (404 for anyone
else, as the page); POST /api/my-work/team/<person>/give/ gives one kind of a person's work to
someone else the manager looks after, with the page's messages (400), 409 when the work is no
longer the person's, 404 for someone the caller does not manage."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.models import AuditEvent, Notification, Role
from referrals.models import Referral
from tests.factories import ChildFactory, UserFactory, referral_row
from tests.panels.conftest import *  # noqa: F403  (IRAP, its meetings, the clock)

TEAM = "/api/my-work/team/"


def _give(person) -> str:
    return f"/api/my-work/team/{person.pk}/give/"


def test_the_same_people_and_items_as_the_page(client, irap, child, team_manager, social_worker, colleague):
    referral_row(child=child, panel=irap, referrer=social_worker)
    referral_row(child=child, panel=irap, referrer=social_worker, status="returned")
    client.force_login(team_manager)
    page = client.get(reverse("my_work_team")).context
    body = client.get(TEAM).json()
    assert reverse("api-my-work-team") == TEAM
    assert [r["person"]["id"] for r in body["results"]] == [
        *(r.person.pk for r in page["with_work"]),
        *(p.pk for p in page["without_work"]),
    ]
    assert body["count"] == 2
    sam, cara = body["results"]
    assert sam["person"] == {"id": social_worker.pk, "name": "Sam Okafor", "job_title": "", "active": True}
    assert sorted(i["kind"] for i in sam["results"]) == ["referral.draft", "referral.returned"]
    assert sam["count"] == 2 and sam["overdue"] == page["with_work"][0].overdue
    assert {i["child"]["name"] for i in sam["results"]} == {"Amelia Hart"}
    assert sam["to_give"] == [
        {
            "what": "referrals",
            "description": "Unfinished referrals (drafts, returned, in sign-off, ready to submit), as referrer",
            "count": 2,
        }
    ]
    assert sam["give"] == _give(social_worker)
    assert cara["person"]["name"] == "Cara Vale" and cara["results"] == [] and cara["to_give"] == []


def test_only_managers_have_a_team_view(client, irap, child, social_worker, outsider):
    referral_row(child=child, panel=irap, referrer=social_worker)
    client.force_login(social_worker)
    assert client.get(TEAM).status_code == 404
    assert client.get(reverse("my_work_team")).status_code == 404
    # Another agency's manager sees none of Hampshire's people, as on the page.
    client.force_login(outsider)
    body = client.get(TEAM).json()
    assert "Sam Okafor" not in str(body) and "Amelia" not in str(body)
    client.logout()
    assert client.get(TEAM).status_code == 401


def test_give_a_leavers_referrals(client, irap, child, team_manager, social_worker, colleague):
    drafts = [referral_row(child=child, panel=irap, referrer=social_worker) for _ in range(2)]
    social_worker.is_active = False
    social_worker.save(update_fields=["is_active"])
    client.force_login(team_manager)
    (sam,) = [r for r in client.get(TEAM).json()["results"] if r["person"]["id"] == social_worker.pk]
    assert sam["person"]["active"] is False and sam["results"] == [] and sam["to_give"][0]["count"] == 2
    response = client.post(
        _give(social_worker), {"what": "referrals", "to": colleague.pk}, "application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "what": "referrals",
        "count": 2,
        "person": {"id": social_worker.pk, "name": "Sam Okafor", "job_title": "", "active": False},
        "to": {"id": colleague.pk, "name": "Cara Vale", "job_title": "", "active": True},
    }
    assert {r.referrer_id for r in Referral.objects.filter(pk__in=[d.pk for d in drafts])} == {colleague.pk}
    assert AuditEvent.objects.filter(action="referral.reassigned", actor=team_manager).count() == 2
    assert Notification.objects.filter(user=colleague, subject__contains="2 referrals").exists()


def test_a_stale_give_is_a_conflict(client, irap, child, team_manager, social_worker, colleague):
    referral_row(child=child, panel=irap, referrer=social_worker)
    client.force_login(team_manager)
    body = {"what": "referrals", "to": colleague.pk}
    assert client.post(_give(social_worker), body, "application/json").status_code == 200
    again = client.post(_give(social_worker), body, "application/json")
    assert again.status_code == 409
    assert again.json()["detail"].startswith("Sam Okafor no longer has any of this work to give")
    # Work of a kind the person never had is no longer theirs either.
    other = client.post(_give(social_worker), {"what": "actions", "to": colleague.pk}, "application/json")
    assert other.status_code == 409
    assert AuditEvent.objects.filter(action="referral.reassigned").count() == 1


def test_the_pages_messages_for_each_field(client, irap, child, team_manager, social_worker, elsewhere):
    referral_row(child=child, panel=irap, referrer=social_worker)
    client.force_login(team_manager)
    empty = client.post(_give(social_worker), {}, "application/json")
    assert empty.status_code == 400
    assert empty.json() == {"what": ["Choose what to give"], "to": ["Choose who to give the work to"]}
    page = client.post(reverse("my_work_team_give", args=[social_worker.pk]), {}).content.decode()
    assert "Choose what to give" in page and "Choose who to give the work to" in page
    # Ned is not in Tara's team; Sam cannot be given his own work; an unknown kind of work.
    for to in (elsewhere.pk, social_worker.pk, "Ned", True):
        answer = client.post(_give(social_worker), {"what": "referrals", "to": to}, "application/json")
        assert answer.status_code == 400
        assert answer.json() == {"to": ["Choose who to give the work to from the list"]}
    unknown = client.post(_give(social_worker), {"what": "cake", "to": elsewhere.pk}, "application/json")
    assert unknown.status_code == 400 and unknown.json()["what"] == ["Choose what to give"]
    assert Referral.objects.get().referrer == social_worker


def test_the_receivers_role_is_checked(
    client, irap, child, team_manager, social_worker, hampshire, hampshire_team
):
    referral_row(child=child, panel=irap, referrer=social_worker)
    clerk = UserFactory(full_name="Cleo Desk", agency=hampshire, roles=[Role.AUDITOR])
    clerk.teams.add(hampshire_team)
    client.force_login(team_manager)
    answer = client.post(_give(social_worker), {"what": "referrals", "to": clerk.pk}, "application/json")
    assert answer.status_code == 400
    assert answer.json() == {"to": ["Cleo Desk's role does not allow writing referrals"]}


def test_another_agencys_person_is_a_404(
    client, irap, child, team_manager, outsider, social_worker, elsewhere
):
    referral_row(child=child, panel=irap, referrer=social_worker)
    client.force_login(outsider)
    answer = client.post(_give(social_worker), {"what": "referrals", "to": outsider.pk}, "application/json")
    assert answer.status_code == 404
    client.force_login(team_manager)
    assert client.post(_give(elsewhere), {}, "application/json").status_code == 404
    assert client.post("/api/my-work/team/no-one/give/", {}, "application/json").status_code == 404
    assert Referral.objects.get().referrer == social_worker
    assert not AuditEvent.objects.filter(action="referral.reassigned").exists()


def test_query_count_does_not_grow_with_the_items(
    client, irap, team_manager, social_worker, hampshire, hiow_icb
):
    def make(n):
        for _ in range(n):
            child = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
            referral_row(child=child, panel=irap, referrer=social_worker)

    make(1)
    client.force_login(team_manager)
    with CaptureQueriesContext(connection) as few:
        client.get(TEAM)
    make(20)
    # The session and user, the people, each reassigner's counts, each active person's feeds (a
    # fixed number a person) and the children the manager may see: the same for 21 drafts as for 1.
    with CaptureQueriesContext(connection) as many:
        body = client.get(TEAM).json()
    assert len(many) == len(few)
    (sam,) = [r for r in body["results"] if r["person"]["id"] == social_worker.pk]
    assert sam["count"] == 21
