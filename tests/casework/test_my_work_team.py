"""The team view of My work (/my-work/team/, issue 16): a team manager sees the work of the people
in their team, a service manager of everyone in their agency, overdue first and grouped by person;
and either gives a leaver's or an absent colleague's referrals (as referrer) or pathway cases (as
case worker) to someone else they manage. Another agency's person never appears and is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework.access import NotAllowed
from casework.models import AuditEvent, Notification, Role
from casework.team import managed_people
from pathways import services as pathways_services
from referrals import services as referral_services
from referrals.models import Referral
from tests.factories import ChildFactory, UserFactory, referral_row
from tests.panels.conftest import *  # noqa: F403  (IRAP, its meetings, the clock)

D = dt.date


def test_who_each_manager_looks_after(
    team_manager, service_manager, social_worker, colleague, elsewhere, outsider
):
    assert set(managed_people(user=team_manager)) == {social_worker, colleague}
    assert set(managed_people(user=service_manager)) >= {social_worker, colleague, elsewhere, team_manager}
    assert outsider not in managed_people(user=service_manager)
    assert not {social_worker, colleague, elsewhere} & set(managed_people(user=outsider))
    assert list(managed_people(user=social_worker)) == []


def test_team_page_lists_each_persons_work(
    client, irap, child, team_manager, service_manager, social_worker, outsider
):
    referral_row(child=child, panel=irap, referrer=social_worker)
    referral_row(child=child, panel=irap, referrer=social_worker, status="returned")
    client.force_login(team_manager)
    assert reverse("my_work_team") in client.get(reverse("my_work")).content.decode()
    page = client.get(reverse("my_work_team"))
    assert page.status_code == 200
    (row,) = page.context["with_work"]
    assert row.person == social_worker
    assert sorted(i.kind for i in row.items) == ["referral.draft", "referral.returned"]
    body = page.content.decode()
    assert "Sam Okafor" in body and "Amelia Hart" in body
    assert reverse("my_work_team_give", args=[social_worker.pk]) in body
    client.force_login(service_manager)
    assert social_worker in [r.person for r in client.get(reverse("my_work_team")).context["with_work"]]
    # Another agency's managers see none of Hampshire's people; a social worker has no team view.
    client.force_login(outsider)
    page = client.get(reverse("my_work_team"))
    assert "Sam Okafor" not in page.content.decode() and page.context["with_work"] == []
    client.force_login(social_worker)
    assert client.get(reverse("my_work_team")).status_code == 404
    assert reverse("my_work_team") not in client.get(reverse("my_work")).content.decode()


def test_give_a_leavers_referrals_to_a_colleague(client, irap, child, team_manager, social_worker, colleague):
    drafts = [referral_row(child=child, panel=irap, referrer=social_worker) for _ in range(2)]
    decided = referral_row(child=child, panel=irap, referrer=social_worker, status="decided")
    social_worker.is_active = False
    social_worker.save(update_fields=["is_active"])
    client.force_login(team_manager)
    (row,) = client.get(reverse("my_work_team")).context["with_work"]
    assert row.person == social_worker and row.items == [] and row.to_give[0][1] == 2
    url = reverse("my_work_team_give", args=[social_worker.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Cara Vale" in page.content.decode()
    response = client.post(url, {"what": "referrals", "to": colleague.pk})
    assert response.status_code == 302
    assert {r.referrer_id for r in Referral.objects.filter(pk__in=[d.pk for d in drafts])} == {colleague.pk}
    assert Referral.objects.get(pk=decided.pk).referrer == social_worker  # finished: left alone
    assert AuditEvent.objects.filter(action="referral.reassigned", actor=team_manager).count() == 2
    assert Notification.objects.filter(user=colleague, subject__contains="2 referrals").exists()
    assert sorted(i.kind for i in __import__("casework.my_work").my_work.my_work_items(user=colleague)) == [
        "referral.draft",
        "referral.draft",
    ]


def test_the_form_names_what_is_wrong(client, irap, child, team_manager, social_worker, elsewhere):
    referral_row(child=child, panel=irap, referrer=social_worker)
    client.force_login(team_manager)
    url = reverse("my_work_team_give", args=[social_worker.pk])
    page = client.post(url, {})
    assert page.status_code == 400
    body = page.content.decode()
    assert "Choose what to give" in body and "Choose who to give the work to" in body
    # Ned is not in Tara's team: not a choice.
    page = client.post(url, {"what": "referrals", "to": elsewhere.pk})
    assert page.status_code == 400 and "Choose who to give the work to from the list" in page.content.decode()


def test_another_agencys_person_is_a_404(
    client, irap, child, team_manager, outsider, social_worker, elsewhere
):
    referral_row(child=child, panel=irap, referrer=social_worker)
    client.force_login(outsider)
    url = reverse("my_work_team_give", args=[social_worker.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"what": "referrals", "to": outsider.pk}).status_code == 404
    client.force_login(team_manager)
    assert client.get(reverse("my_work_team_give", args=[elsewhere.pk])).status_code == 404
    assert Referral.objects.get(referrer=social_worker)


def test_services_refuse_people_outside_the_managers_scope(
    irap, child, team_manager, social_worker, colleague, elsewhere, outsider
):
    referral_row(child=child, panel=irap, referrer=social_worker)
    with pytest.raises(NotAllowed):
        referral_services.referrals_reassign(actor=team_manager, person=social_worker, receiver=elsewhere)
    with pytest.raises(NotAllowed):
        referral_services.referrals_reassign(actor=outsider, person=social_worker, receiver=colleague)
    with pytest.raises(ValidationError):
        referral_services.referrals_reassign(actor=team_manager, person=colleague, receiver=social_worker)


def test_give_pathway_cases_as_case_worker(clock, child, hiow_icb, team_manager, social_worker, colleague):
    case = pathways_services.cc_open(
        actor=social_worker,
        child=child,
        lead_agency=hiow_icb,
        case_worker=social_worker,
        referral_received_on=D(2026, 2, 16),
    )
    (moved,) = pathways_services.cases_reassign(actor=team_manager, person=social_worker, receiver=colleague)
    case.refresh_from_db()
    assert moved.pk == case.pk and case.case_worker == colleague
    assert case.events.filter(what="Case worker changed to Cara Vale").exists()
    assert AuditEvent.objects.filter(action="pathways.case_worker_changed").count() == 1


def test_query_count_does_not_grow_with_the_items(
    client, irap, team_manager, social_worker, hampshire, hiow_icb
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n):
        for _ in range(n):
            child = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
            referral_row(child=child, panel=irap, referrer=social_worker)

    make(1)
    client.force_login(team_manager)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("my_work_team"))
    make(20)
    # The people, each reassigner's counts, each active person's feeds (a fixed number a person),
    # the children the manager may see, the header's counts: the same for 21 drafts as for one.
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("my_work_team"))
    assert len(many) == len(few)
    (row,) = page.context["with_work"]
    assert len(row.items) == 21


def test_give_open_actions_as_owner(irap, team_manager, social_worker, colleague, panel_chair):
    from panels.services.action_owners import actions_reassign
    from tests.factories import ActionFactory

    mine = ActionFactory(panel=irap, owners=[social_worker, panel_chair], due_on=D(2026, 3, 20))
    done = ActionFactory(
        panel=irap, owners=[social_worker], due_on=D(2026, 3, 20), status="closed", completed_on=D(2026, 3, 1)
    )
    (moved,) = actions_reassign(actor=team_manager, person=social_worker, receiver=colleague)
    assert moved.pk == mine.pk
    assert set(mine.owners.all()) == {colleague, panel_chair}
    assert set(done.owners.all()) == {social_worker}
    assert AuditEvent.objects.filter(action="action.owner_changed", actor=team_manager).count() == 1
    assert "panels.action_owed" in {
        i.kind for i in __import__("casework.my_work").my_work.my_work_items(user=colleague)
    }


def test_team_view_reads_each_feed_once_for_the_whole_team(
    client, irap, team_manager, social_worker, hampshire, hampshire_team, hiow_icb
):
    """One person or ten: the same queries (each feed read once for everyone, UNION ALL), and each
    person's list is the one their own My work gives."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework.my_work import my_work_items

    def work_for(person):
        child = ChildFactory(owning_agency=hampshire, created_by=person, involved=[hiow_icb])
        referral_row(child=child, panel=irap, referrer=person)
        referral_row(child=child, panel=irap, referrer=person, status="returned")

    work_for(social_worker)
    client.force_login(team_manager)
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("my_work_team"))
    assert len(page.context["with_work"]) == 1
    for n in range(9):
        person = UserFactory(full_name=f"Worker {n}", agency=hampshire, roles=[Role.SOCIAL_WORKER])
        person.teams.add(hampshire_team)
        work_for(person)
    with CaptureQueriesContext(connection) as ten:
        page = client.get(reverse("my_work_team"))
    assert len(ten) == len(one), [q["sql"][:120] for q in ten.captured_queries]
    rows = page.context["with_work"]
    assert len(rows) == 10
    for row in rows:
        own = my_work_items(user=row.person)
        assert len(own) == 2
        assert [(i.kind, i.url, i.due_on) for i in row.items] == [(i.kind, i.url, i.due_on) for i in own]


def test_a_person_with_nothing_to_give_is_said_so_in_plain_words(client, team_manager, colleague):
    """The give page names every kind of work it can move (key worker and funding packages too), and a
    person holding none of them is sent back to the team page with a plain message."""
    client.force_login(team_manager)
    response = client.get(reverse("my_work_team_give", args=[colleague.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("my_work_team")
    assert f"{colleague.full_name} has no work to give" in response.content.decode()


def test_team_page_shows_five_items_a_person_and_links_to_all_of_them(
    client, irap, child, team_manager, social_worker, colleague, elsewhere, outsider
):
    """The team page lists each person's number, overdue number and first five items, with "See all
    N"; the person's page lists everything, 25 a page; anyone the manager does not look after is a
    404, as the give page."""
    for _ in range(8):
        referral_row(child=child, panel=irap, referrer=social_worker)
    client.force_login(team_manager)
    page = client.get(reverse("my_work_team"))
    body = page.content.decode()
    (row,) = page.context["with_work"]
    assert len(row.items) == 8 and len(row.shown) == 5
    section = body.split(f'data-person="{social_worker.pk}"')[1].split("</section>")[0]
    assert section.count('data-kind="referral.draft"') == 5
    assert "8 things waiting" in section
    url = reverse("my_work_team_person", args=[social_worker.pk])
    assert f'href="{url}"' in section and f"See all 8 of {social_worker.full_name}'s work" in section
    person_page = client.get(url)
    assert person_page.status_code == 200
    assert person_page.content.decode().count('data-kind="referral.draft"') == 8
    # Junk and huge page numbers answer a page.
    assert client.get(url, {"page": "junk"}).status_code == 200
    assert client.get(url, {"page": "99999"}).status_code == 200
    # Not Tara's: Ned (not in her team), another agency's person; a social worker has no team view.
    assert client.get(reverse("my_work_team_person", args=[elsewhere.pk])).status_code == 404
    assert client.get(reverse("my_work_team_person", args=[outsider.pk])).status_code == 404
    assert client.get(reverse("my_work_team_person", args=["junk"])).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(social_worker)
    assert client.get(url).status_code == 404


def test_person_page_is_paginated_25_a_page(client, irap, child, team_manager, social_worker):
    for _ in range(27):
        referral_row(child=child, panel=irap, referrer=social_worker)
    client.force_login(team_manager)
    url = reverse("my_work_team_person", args=[social_worker.pk])
    first = client.get(url).content.decode()
    assert first.count('data-kind="referral.draft"') == 25
    assert "Showing 1 to 25" in first and 'href="?page=2"' in first
    second = client.get(url, {"page": 2}).content.decode()
    assert second.count('data-kind="referral.draft"') == 2 and "Showing 26 to 27" in second


def test_person_page_query_count_does_not_grow_with_the_items(
    client, irap, team_manager, social_worker, hampshire, hiow_icb
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n):
        for _ in range(n):
            child = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
            referral_row(child=child, panel=irap, referrer=social_worker)

    make(1)
    client.force_login(team_manager)
    url = reverse("my_work_team_person", args=[social_worker.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    make(30)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(many) == len(few)
    assert len(page.context["page"].object_list) == 25


def test_team_view_statements_are_pinned_whatever_the_items_and_the_team(
    client,
    irap,
    team_manager,
    social_worker,
    hampshire,
    hampshire_team,
    hiow_icb,
    django_assert_max_num_queries,
):
    """The page, the API and a person's page at 1 and 31 items, then with 10 people: session, user,
    savepoint; the people; each reassigner's counts; everyone's panel seats, who works any pathway
    case, sits in any escalation group, owns an open action or is in any dispute, one query each (so
    the feeds no one can have are not built); each shape of feed read once for the whole team (UNION ALL)
    and its bulk look-ups; the children the manager may see; the header's counts; release and the
    session's update (the API: no header)."""

    def make(person, n):
        for _ in range(n):
            child = ChildFactory(owning_agency=hampshire, created_by=person, involved=[hiow_icb])
            referral_row(child=child, panel=irap, referrer=person)

    client.force_login(team_manager)
    pages = {
        reverse("my_work_team"): 32,
        "/api/my-work/team/": 30,
        reverse("my_work_team_person", args=[social_worker.pk]): 27,
    }
    for n in (1, 30):
        make(social_worker, n)
        for url, most in pages.items():
            with django_assert_max_num_queries(most):
                assert client.get(url).status_code == 200
    for k in range(9):
        person = UserFactory(full_name=f"Worker {k}", agency=hampshire, roles=[Role.SOCIAL_WORKER])
        person.teams.add(hampshire_team)
        make(person, 2)
    for url in list(pages)[:2]:
        with django_assert_max_num_queries(pages[url]):
            assert client.get(url).status_code == 200
