"""Every read of a child's personal data is logged: lists and searches too (issue 12)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from rest_framework.test import APIClient

from casework.models import ChildListViewLog, ChildViewLog
from casework.selectors import ChildReads
from referrals import services as referral_services
from tests.factories import ChildFactory, UserFactory


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def _seen_by(child) -> list[ChildListViewLog]:
    """Who saw this child in a list: the GIN-indexed containment query the history uses."""
    return list(ChildListViewLog.objects.filter(child_ids__contains=[child.pk]).order_by("id"))


@pytest.fixture
def referral(child, social_worker, panel):
    return referral_services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package"
    )


def test_list_view_log_cannot_be_changed_or_deleted(child, social_worker):
    log = ChildListViewLog.objects.create(user=social_worker, query="Ab", child_ids=[child.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChildListViewLog.objects.filter(pk=log.pk).update(query="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChildListViewLog.objects.filter(pk=log.pk).delete()
    assert ChildListViewLog.objects.get(pk=log.pk).query == "Ab"


# --- Lists and searches of children ---------------------------------------------------------------


def test_the_children_list_and_search_are_logged_with_the_children_shown(
    client, social_worker, hampshire, child, leicester_child
):
    other = ChildFactory(owning_agency=hampshire, created_by=social_worker, family_name="Zephyr")
    client.force_login(social_worker)

    client.get(reverse("children:list"))
    client.get(reverse("children:list"), {"q": "  Hart  "})

    listed, searched = ChildListViewLog.objects.order_by("id")
    assert (listed.user, listed.channel, listed.query) == (social_worker, "page", "")
    assert sorted(listed.child_ids) == sorted([child.pk, other.pk])
    assert listed.path == reverse("children:list")
    assert (searched.query, searched.child_ids) == ("Hart", [child.pk])
    assert leicester_child.pk not in listed.child_ids


def test_a_search_that_finds_nobody_is_still_logged(client, outsider, child):
    client.force_login(outsider)
    client.get(reverse("children:list"), {"q": child.nhs_number})
    log = ChildListViewLog.objects.get()
    assert (log.user, log.query, log.child_ids) == (outsider, child.nhs_number, [])


def test_the_search_terms_are_bounded(child, social_worker):
    from casework.audit import record_child_list_view

    record_child_list_view(user=social_worker, child_ids=[child.pk, child.pk], query="x" * 5000)
    log = ChildListViewLog.objects.get()
    assert len(log.query) == 200
    assert log.child_ids == [child.pk]


def test_only_the_page_shown_is_logged(client, social_worker, hampshire):
    made = ChildFactory.create_batch(30, owning_agency=hampshire, created_by=social_worker)
    client.force_login(social_worker)
    page_two = client.get(reverse("children:list"), {"page": 2})
    shown = [c.pk for c in page_two.context["page"].object_list]
    assert len(shown) == 5
    assert ChildListViewLog.objects.get().child_ids == shown
    assert set(shown) <= {c.pk for c in made}


def test_the_api_list_and_search_are_logged(social_worker, child, hampshire):
    api = _api(social_worker)
    api.get("/api/children/", {"q": "Hart"})
    log = ChildListViewLog.objects.get()
    assert (log.channel, log.query, log.child_ids, log.path) == ("api", "Hart", [child.pk], "/api/children/")


def test_a_list_page_is_one_insert_whatever_its_length(
    client, social_worker, hampshire, django_assert_max_num_queries
):
    ChildFactory.create_batch(30, owning_agency=hampshire, created_by=social_worker)
    client.force_login(social_worker)
    client.get(reverse("children:list"))  # warm the session
    # session, user, savepoint, count, the page of children, the one list-log insert, release,
    # session save (savepoint, update, release), the unread-notices count
    with django_assert_max_num_queries(11):
        client.get(reverse("children:list"))
    assert [len(log.child_ids) for log in ChildListViewLog.objects.order_by("id")] == [25, 25]


# --- Referral lists and pages name children -------------------------------------------------------


def test_referral_lists_log_the_children_they_name(client, social_worker, referral, child, panel):
    client.force_login(social_worker)
    client.get(reverse("referrals:mine"))
    client.get(reverse("referrals:all"), {"panel": panel.pk, "page": "1"})
    _api(social_worker).get("/api/referrals/", {"pathway": "joint_package"})

    mine, everything, api = _seen_by(child)
    assert (mine.channel, mine.path, mine.query) == ("page", reverse("referrals:mine"), "")
    assert everything.query == f"panel={panel.pk}"  # the filters, not the page number
    assert (api.channel, api.query) == ("api", "pathway=joint_package")


def test_the_referral_page_and_api_record_log_a_view_of_the_child(client, social_worker, referral, child):
    client.force_login(social_worker)
    client.get(reverse("referrals:detail", args=[referral.pk]))
    _api(social_worker).get(f"/api/referrals/{referral.pk}/")
    assert list(
        ChildViewLog.objects.filter(child=child).order_by("id").values_list("channel", flat=True)
    ) == [
        "page",
        "api",
    ]


def test_an_outsider_sees_no_referral_and_the_log_names_no_child(client, outsider, referral, child):
    client.force_login(outsider)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    client.get(reverse("referrals:all"))
    assert not ChildViewLog.objects.filter(child=child).exists()
    assert not _seen_by(child)


# --- The child's history shows the reads, grouped per person per day -----------------------------


def _read(child, user, *, at, views=0, searches=0, lists=0):
    with time_machine.travel(at, tick=False):
        for _ in range(views):
            ChildViewLog.objects.create(user=user, child=child)
        for _ in range(searches):
            ChildListViewLog.objects.create(user=user, query=child.family_name, child_ids=[child.pk])
        for _ in range(lists):
            ChildListViewLog.objects.create(user=user, child_ids=[child.pk, child.pk + 1000])


def test_history_groups_reads_per_person_per_day(client, team_manager, social_worker, child, clinician):
    london = timezone.get_current_timezone()
    fifth = dt.datetime(2025, 12, 5, 10, tzinfo=london)
    _read(child, social_worker, at=fifth, views=3, searches=2)
    _read(child, social_worker, at=fifth.replace(hour=23, minute=30), lists=1)  # still the 5th in London
    _read(child, clinician, at=fifth + dt.timedelta(days=1), views=1)
    _read(child, clinician, at=fifth, lists=2)
    ChildListViewLog.objects.create(user=team_manager, child_ids=[child.pk + 1000])  # another child

    client.force_login(team_manager)
    body = client.get(reverse("children:detail", args=[child.pk])).content.decode()

    agency = escape(social_worker.agency.name)
    sam = f'{social_worker.full_name} <span class="govuk-hint app-inline-hint">({agency})</span>'
    assert f"{sam} viewed the record 3 times and saw it in 2 searches and 1 list on 5 December 2025" in body
    assert "viewed the record once on 6 December 2025" in body
    assert "saw it in 2 lists on 5 December 2025" in body
    # The newest day first.
    assert body.index("6 December 2025") < body.index("5 December 2025")


def test_history_is_only_for_managers_and_auditors(client, social_worker, child):
    _read(child, social_worker, at=timezone.now(), views=2)
    client.force_login(social_worker)
    assert b"Who has read this record" not in client.get(reverse("children:detail", args=[child.pk])).content


def test_history_reads_are_paginated_with_a_fixed_number_of_queries(
    client, team_manager, hampshire, child, django_assert_max_num_queries
):
    readers = UserFactory.create_batch(25, agency=hampshire)
    start = timezone.now() - dt.timedelta(days=10)
    for n, reader in enumerate(readers):
        _read(child, reader, at=start + dt.timedelta(hours=n), views=2, searches=1)
    assert ChildReads(child=child).count() == 25
    client.force_login(team_manager)
    client.get(reverse("children:detail", args=[child.pk]))  # warm the session; adds today's visit

    # Without the page asked for: the reads cost two queries, their count and one page of them with
    # names and agencies, however many there are (the child's page asks for both in one: below).
    with django_assert_max_num_queries(2):
        first = ChildReads(child=child)[0:20]
    assert len(first) == 20

    second = client.get(reverse("children:detail", args=[child.pk]), {"reads": 2})
    reads = second.context["reads"]
    assert (reads.number, reads.paginator.num_pages, len(reads.object_list)) == (2, 2, 6)
    assert 'href="?reads=1#reads"' in second.content.decode()


def test_a_page_of_reads_and_their_count_are_one_query(
    team_manager, hampshire, child, django_assert_num_queries
):
    from django.core.paginator import Paginator

    readers = UserFactory.create_batch(25, agency=hampshire)
    start = timezone.now() - dt.timedelta(days=10)
    for n, reader in enumerate(readers):
        _read(child, reader, at=start + dt.timedelta(hours=n), views=1)
    # The page the request asks for (as the child's page pages them): count and rows together;
    # the last page is cut at the count by the Paginator and still served from that one query.
    for asked, rows in ((1, 20), (2, 5), ("x", 20)):
        with django_assert_num_queries(1):
            page = Paginator(ChildReads(child=child, page_size=20, page=asked), 20).get_page(asked)  # type: ignore[arg-type]
            assert len(page.object_list) == rows
    assert page.paginator.count == 25
    # Past the last page: the count alone, then the last page.
    with django_assert_num_queries(3):
        page = Paginator(ChildReads(child=child, page_size=20, page=9), 20).get_page(9)  # type: ignore[arg-type]
        assert (page.number, len(page.object_list)) == (2, 5)
    # A page number past any real page: counted first (no OFFSET beyond a bigint), as Django does.
    with django_assert_num_queries(2):
        page = Paginator(ChildReads(child=child, page_size=20, page="9" * 30), 20).get_page("9" * 30)  # type: ignore[arg-type]
        assert (page.number, len(page.object_list)) == (2, 5)
    # No reads: the empty page and then the count, nothing more.
    other = ChildFactory(owning_agency=hampshire)
    with django_assert_num_queries(2):
        page = Paginator(ChildReads(child=other, page_size=20, page=1), 20).get_page(1)  # type: ignore[arg-type]
        assert (page.paginator.count, list(page.object_list)) == (0, [])


def test_who_saw_a_child_is_answered_from_the_gin_index(child, social_worker):
    from django.db import connection

    ChildListViewLog.objects.create(user=social_worker, child_ids=[child.pk])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM casework_childlistviewlog WHERE child_ids @> ARRAY[%s]::bigint[]",
            [child.pk],
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "listviewlog_child_ids_gin" in plan
