"""The header's My work count keeps each person's SQL for the minute (casework/my_work.py count_sql).

That is safe only while every source builds its SQL from the person and the clock alone, never from
other rows read while building: this holds each demo persona's sources to it, and checks that the
count still follows the data, the person's roles and the settings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.demo import email_for
from casework.models import Role, User
from casework.my_work import count_sql, forget_count_sql, my_work_count, my_work_items
from tests.demo_clock import load_demo_for_sweeps
from tests.test_link_crawl import PERSONAS

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[None]:
    """The demo, loaded once for the module and rolled back after it; each test runs in its own
    savepoint inside it, so a test's changes are gone for the next."""
    files = override_settings(PRIVATE_STORAGE_ROOT=tmp_path_factory.mktemp("private"))
    with files, django_db_blocker.unblock(), transaction.atomic():
        load_demo_for_sweeps()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_people(demo):
    forget_count_sql()
    return [User.objects.get(email=email_for(local, agency)) for local, agency in PERSONAS]


def test_every_persona_s_count_sql_is_built_from_the_person_and_the_clock_alone(demo_people):
    for person in demo_people:
        person = User.objects.get(pk=person.pk)  # nothing cached on the object
        with CaptureQueriesContext(connection) as building:
            count_sql(user=person)
        # Reading the person's own agency is the one query allowed: it is part of the person.
        read = [q["sql"] for q in building.captured_queries if '"casework_agency"' not in q["sql"]]
        assert read == [], f"{person.email} builds its count from other rows: {read}"


def test_the_kept_sql_is_reused_and_still_counts_the_list(demo_people):
    for person in demo_people:
        with time_machine.travel(timezone.now().replace(second=1), tick=False):
            first = count_sql(user=person)
            with CaptureQueriesContext(connection) as again:
                assert count_sql(user=person) == first
        assert again.captured_queries == []
        assert my_work_count(user=person) == len(my_work_items(user=person))


def test_a_change_of_roles_builds_the_sql_again(demo_people):
    person = next(p for p in demo_people if p.email == email_for("social.worker", "hants"))
    before = count_sql(user=person)
    person.roles = sorted({*person.roles, Role.PANEL_CHAIR})
    person.save(update_fields=["roles"])
    assert count_sql(user=person)[0] != before[0]
    assert my_work_count(user=person) == len(my_work_items(user=person))


def test_a_changed_setting_forgets_the_kept_sql(demo_people, settings):
    person = demo_people[0]
    count_sql(user=person)
    settings.SERVICE_NAME = "Another name"
    from casework import my_work

    assert my_work._COUNT_SQL == {}


def test_the_sql_is_shared_through_the_cache(demo_people, monkeypatch):
    """Another process (its own kept SQL empty) reads the SQL the first built from the Django cache
    (Redis in production) instead of building it again."""
    from casework import my_work

    person = demo_people[0]
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        first = count_sql(user=person)
        my_work._COUNT_SQL.clear()  # as a process that has not built it

        def build(user):
            raise AssertionError("built again")

        monkeypatch.setattr(my_work, "_build_count_sql", build)
        assert count_sql(user=person) == first


def test_a_cache_that_does_not_answer_costs_the_build_not_the_page(demo_people, monkeypatch):
    from django.core.cache import cache

    from casework import my_work

    def down(*args, **kwargs):
        raise ConnectionError("no cache")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    person = demo_people[0]
    my_work._COUNT_SQL.clear()
    assert my_work_count(user=person) == len(my_work_items(user=person))
