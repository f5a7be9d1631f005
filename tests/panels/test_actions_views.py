"""The action log's pages and API: who sees and does what, form errors, stale edits (409), query
counts on a long log, and the outsider's 404 on every URL."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from panels import services
from panels.models import Action
from tests.factories import ActionFactory, UserFactory
from tests.panels.conftest import at

D = dt.date


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _urls(irap, action):
    return [
        reverse("panels:actions", args=[irap.pk]),
        reverse("panels:action_new", args=[irap.pk]),
        reverse("panels:action", args=[action.pk]),
        reverse("panels:action_add_update", args=[action.pk]),
        reverse("panels:action_edit", args=[action.pk]),
        reverse("panels:action_close", args=[action.pk]),
        reverse("panels:action_reopen", args=[action.pk]),
        reverse("panels:tracker", args=[irap.pk]),
        reverse("panels:tracker_csv", args=[irap.pk]),
        reverse("panels:tracker_xlsx", args=[irap.pk]),
    ]


def test_the_outsider_gets_404_on_every_page_and_endpoint(irap, action, outsider):
    client = client_for(outsider)
    for url in _urls(irap, action):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"text": "x", "version": 1}).status_code == 404, url
    api = api_for(outsider)
    for url in [
        reverse("api-panel-actions", args=[irap.pk]),
        reverse("api-panel-tracker", args=[irap.pk]),
        reverse("api-action", args=[action.pk]),
        reverse("api-action-updates", args=[action.pk]),
    ]:
        assert api.get(url).status_code == 404, url
    assert api.post(reverse("api-panel-actions", args=[irap.pk]), {"action": "x"}).status_code == 404
    assert api.patch(reverse("api-action", args=[action.pk]), {"version": 1}).status_code == 404
    for name in ("api-action-close", "api-action-reopen", "api-action-updates"):
        assert api.post(reverse(name, args=[action.pk]), {"version": 1}).status_code == 404, name


def test_odd_ids_are_404_not_errors(irap, panel_admin):
    client = client_for(panel_admin)
    for bad in ("abc", "0", "99999999999999999999", "1.5"):
        assert client.get(reverse("panels:action", args=[bad])).status_code == 404
        assert client.get(reverse("panels:actions", args=[bad])).status_code == 404
        assert api_for(panel_admin).get(reverse("api-action", args=[bad])).status_code == 404


def test_a_partnership_colleague_who_is_not_a_member_sees_no_action(irap, action, social_worker):
    client = client_for(social_worker)
    response = client.get(reverse("panels:actions", args=[irap.pk]))
    assert response.status_code == 200 and response.context["page"].paginator.count == 0
    assert client.get(reverse("panels:action", args=[action.pk])).status_code == 404
    assert api_for(social_worker).get(reverse("api-action", args=[action.pk])).status_code == 404


def test_members_see_the_log_but_only_administrators_change_it(irap, action, icb_member):
    client = client_for(icb_member)
    response = client.get(reverse("panels:actions", args=[irap.pk]))
    assert response.status_code == 200
    assert b"Children and young people attend the board" in response.content
    assert b"Add an action" not in response.content
    detail = client.get(reverse("panels:action", args=[action.pk]))
    assert detail.status_code == 200 and detail.context["update_form"] is None
    for name in ("panels:action_edit", "panels:action_close"):
        assert client.get(reverse(name, args=[action.pk])).status_code == 403
    assert client.get(reverse("panels:action_new", args=[irap.pk])).status_code == 403
    assert (
        client.post(reverse("panels:action_add_update", args=[action.pk]), {"text": "x"}).status_code == 403
    )
    assert (
        api_for(icb_member).post(reverse("api-panel-actions", args=[irap.pk]), {"action": "x"}).status_code
        == 403
    )


def test_administrator_adds_an_action_from_a_meeting(irap, irap_meeting, panel_admin, icb_member, hiow_icb):
    client = client_for(panel_admin)
    url = reverse("panels:action_new", args=[irap.pk]) + f"?meeting={irap_meeting.pk}"
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["meeting"] == irap_meeting.pk
    response = client.post(
        url,
        {
            "action": "Letter from the chair to partners",
            "desired_outcome": "Partners engage",
            "owners": [icb_member.pk],
            "owner_agencies": [hiow_icb.pk],
            "due_on": "8/11/2026",
            "meeting": irap_meeting.pk,
        },
    )
    made = Action.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("panels:action", args=[made.pk])
    assert (made.number, made.meeting, made.due_on) == (1, irap_meeting, D(2026, 11, 8))
    assert list(made.owners.all()) == [icb_member]


def test_form_errors_keep_what_was_typed(irap, panel_admin):
    response = client_for(panel_admin).post(
        reverse("panels:action_new", args=[irap.pk]),
        {"action": "", "desired_outcome": "Kept", "due_on": "31/02/2026"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "action": ["Enter the action"],
        "due_on": ["Enter a real date, like 27/03/2015"],
    }
    assert b"Kept" in response.content and b"There is a problem" in response.content
    assert not Action.objects.exists()


def test_owner_adds_an_update_and_an_empty_one_is_an_error(action, council_member):
    client = client_for(council_member)
    url = reverse("panels:action_add_update", args=[action.pk])
    bad = client.post(url, {"text": " "})
    assert bad.status_code == 400 and b"Enter the update" in bad.content
    response = client.post(url, {"text": "Workshop booked for 16 September"})
    assert response.status_code == 302
    page = client.get(reverse("panels:action", args=[action.pk]))
    assert b"Workshop booked for 16 September" in page.content


def test_edit_close_and_reopen_pages(action, panel_admin):
    client = client_for(panel_admin)
    edit = reverse("panels:action_edit", args=[action.pk])
    assert client.get(edit).context["form"].initial["version"] == 1
    response = client.post(
        edit, {"version": 1, "action": "Attend the board twice a year", "due_on": "1/6/2026"}
    )
    assert response.status_code == 302
    stale = client.post(edit, {"version": 1, "action": "From an old page"})
    assert stale.status_code == 409 and b"Someone else changed this action" in stale.content
    close = reverse("panels:action_close", args=[action.pk])
    missing = client.post(close, {"version": 2, "completed_on": "", "actual_impact": ""})
    assert missing.context["form"].errors == {
        "completed_on": ["Enter the date the action was completed"],
        "actual_impact": ["Enter the actual impact"],
    }
    done = client.post(
        close, {"version": 2, "completed_on": "2/3/2026", "actual_impact": "Two young people attend"}
    )
    assert done.status_code == 302
    assert client.get(edit).status_code == 409  # closed: reopen first
    reopen = reverse("panels:action_reopen", args=[action.pk])
    assert client.post(reopen, {"version": 3, "reason": "They stopped coming"}).status_code == 302
    action.refresh_from_db()
    assert action.status == "open" and action.updates.get().text == "Reopened: They stopped coming"
    assert client.get(reopen).status_code == 409


def test_the_log_filters_and_marks_overdue(irap, panel_admin, council_member, hiow_icb, clock):
    ActionFactory(panel=irap, created_by=panel_admin, due_on=D(2026, 3, 5), owner_agencies=[hiow_icb])
    ActionFactory(panel=irap, created_by=panel_admin, due_on=D(2026, 4, 5))
    ActionFactory(
        panel=irap, created_by=panel_admin, status="closed", completed_on=D(2026, 3, 2), actual_impact="Done"
    )
    clock.move_to(at(D(2026, 3, 9)), tick=False)
    client = client_for(council_member)
    url = reverse("panels:actions", args=[irap.pk])

    def numbers(query):
        return [a.number for a in client.get(url, query).context["page"]]

    assert numbers({}) == [1, 2, 3]
    assert numbers({"status": "open"}) == [1, 2]
    assert numbers({"status": "overdue"}) == [1]
    assert numbers({"status": "closed"}) == [3]
    assert numbers({"owner_agency": hiow_icb.pk}) == [1]
    assert numbers({"status": "lost", "owner_agency": "abc"}) == [
        1,
        2,
        3,
    ]  # a bad filter is ignored, not a 500
    content = client.get(url).content.decode()
    assert content.count('govuk-tag--red">Overdue') == 1


def test_the_log_page_query_count_is_flat(
    irap, panel_admin, council_member, hampshire, django_assert_max_num_queries
):
    for n in range(30):
        made = ActionFactory(
            panel=irap, created_by=panel_admin, owners=[council_member], owner_agencies=[hampshire]
        )
        if n % 3 == 0:
            services.action_add_update(actor=panel_admin, action=made, text=f"Update {n}")
    client = client_for(panel_admin)
    # session, user, savepoint, panel (access), count, the header's unread-notices count, one page
    # of actions with partner agency, meeting, overdue flag and latest update (subqueries), owners
    # (one query for the page), owner agencies (one), the agencies for the filter, release, session
    # save (savepoint, update, release): 14, none per action
    with django_assert_max_num_queries(14):
        response = client.get(reverse("panels:actions", args=[irap.pk]))
    assert len(response.context["page"].object_list) == 25
    assert response.content.count(b"Paula Member") == 25


def test_the_detail_page_query_count_is_flat(action, panel_admin, django_assert_max_num_queries):
    for n in range(25):
        services.action_add_update(actor=panel_admin, action=action, text=f"Update {n}")
    client = client_for(panel_admin)
    # session, user, the action with panel, meeting, item and partner (access), owners, owner
    # agencies, updates with their authors, can_update/can_administer (no query for the host's
    # administrator), unread notices, session bookkeeping
    with django_assert_max_num_queries(12):
        response = client.get(reverse("panels:action", args=[action.pk]))
    assert response.content.count(b"Update ") >= 25


# --- API ---------------------------------------------------------------------------------------


def test_api_log_create_change_close_reopen_and_updates(irap, panel_admin, council_member, hiow_icb):
    api = api_for(panel_admin)
    created = api.post(
        reverse("api-panel-actions", args=[irap.pk]),
        {
            "action": "Stats for comparator councils",
            "owners": [council_member.pk],
            "owner_agencies": [hiow_icb.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["number"] == 1 and body["version"] == 1 and body["owners"][0]["name"] == "Paula Member"
    pk = body["id"]
    listed = api.get(reverse("api-panel-actions", args=[irap.pk]), {"status": "open"}).json()
    assert listed["count"] == 1 and listed["results"][0]["is_overdue"] is False
    bad = api.get(reverse("api-panel-actions", args=[irap.pk]), {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()
    assert api.patch(reverse("api-action", args=[pk]), {"action": "x"}, format="json").json() == {
        "version": ["Send the version of the action you are changing"]
    }
    changed = api.patch(
        reverse("api-action", args=[pk]), {"version": 1, "due_on": "2026-06-01"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = api.patch(reverse("api-action", args=[pk]), {"version": 1, "action": "Old"}, format="json")
    assert stale.status_code == 409 and "Someone else changed" in stale.json()["detail"]
    owner = api_for(council_member)
    update = owner.post(
        reverse("api-action-updates", args=[pk]), {"text": "Presenting in November"}, format="json"
    )
    assert update.status_code == 201 and update.json()["author"]["name"] == "Paula Member"
    assert (
        owner.post(reverse("api-action-updates", args=[pk]), {"text": ""}, format="json").status_code == 400
    )
    close = reverse("api-action-close", args=[pk])
    missing = api.post(close, {"version": 2}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {
        "completed_on": ["Enter the date the action was completed"],
        "actual_impact": ["Enter the actual impact"],
    }
    assert owner.post(close, {"version": 2}, format="json").status_code == 403
    closed = api.post(
        close, {"version": 2, "completed_on": "2026-03-02", "actual_impact": "Done"}, format="json"
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert (
        owner.post(reverse("api-action-updates", args=[pk]), {"text": "Late"}, format="json").status_code
        == 409
    )
    reopened = api.post(
        reverse("api-action-reopen", args=[pk]), {"version": 3, "reason": "More to do"}, format="json"
    )
    assert reopened.status_code == 200
    assert [u["text"] for u in reopened.json()["updates"]] == [
        "Presenting in November",
        "Reopened: More to do",
    ]
    timeline = owner.get(reverse("api-action-updates", args=[pk])).json()
    assert timeline["count"] == 2


def test_api_refuses_people_and_meetings_from_elsewhere(irap, panel_admin, outsider):
    response = api_for(panel_admin).post(
        reverse("api-panel-actions", args=[irap.pk]),
        {"action": "x", "owners": [outsider.pk], "meeting": 999999},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"owners", "meeting"}


def test_api_log_query_count_is_flat(
    irap, panel_admin, council_member, hampshire, django_assert_max_num_queries
):
    for _ in range(30):
        ActionFactory(panel=irap, created_by=panel_admin, owners=[council_member], owner_agencies=[hampshire])
    api = api_for(UserFactory(agency=hampshire, roles=["panel_administrator"]))
    # savepoint, panel (access), count, one page of actions (with partner, meeting, overdue flag,
    # latest update), owners, owner agencies, release: 7, none per action
    with django_assert_max_num_queries(7):
        response = api.get(reverse("api-panel-actions", args=[irap.pk]))
    assert response.json()["count"] == 30 and len(response.json()["results"]) == 25
