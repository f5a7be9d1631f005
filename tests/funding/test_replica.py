"""The read replica (config/db_router.py, casework/replica.py): with DATABASE_REPLICA_URL set, the
reports (the tracker, commitments, their exports and API lists) read from the alias "replica";
writes, everything else, and a report that has written read from "default"; without it, all on
"default".

The replica here is a second connection to the test database itself (Django's TEST MIRROR), so the
tests are transactional: what a fixture makes is committed, as on a real primary the replica has
caught up with.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve, reverse

from casework.models import ChildListViewLog
from casework.replica import REPLICA, REPORT_VIEWS, ReportReadsMiddleware
from config.db_router import ReplicaRouter
from funding import services
from funding.models import FundingPackage
from tests.factories import tracker_referral_for
from tests.panels.conftest import at

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker):
    """The alias "replica", as settings make it from DATABASE_REPLICA_URL, on the test database (made
    before each test's database set-up, which must know it)."""
    with django_db_blocker.unblock():
        django_settings.DATABASES[REPLICA] = {
            **connections["default"].settings_dict,
            "ATOMIC_REQUESTS": False,
            "TEST": {"MIRROR": "default"},
        }
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del django_settings.DATABASES[REPLICA]


@pytest.fixture
def replica(settings):
    settings.DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
    return connections[REPLICA]


class Queries:
    """The SQL each alias ran, captured at the connection (execute_wrapper)."""

    def __init__(self, aliases):
        self.sql = {alias: [] for alias in aliases}
        self._stack = contextlib.ExitStack()

    def __enter__(self):
        for alias, seen in self.sql.items():

            def wrapper(execute, sql, params, many, context, seen=seen):
                seen.append(sql)
                return execute(sql, params, many, context)

            self._stack.enter_context(connections[alias].execute_wrapper(wrapper))
        return self

    def __exit__(self, *exc):
        self._stack.close()

    def touching(self, alias, table):
        """The statements on `alias` that read `table`, less the page header's My work count (one
        statement of its own, run on "default" on every page: not part of the report)."""
        return [sql for sql in self.sql[alias] if f'"{table}"' in sql and " AS my_work_" not in sql]


@pytest.fixture
def agreed_package(clock, existing_package, council_finance, icb_finance):
    for person in (council_finance, icb_finance):
        existing_package.refresh_from_db()
        line = existing_package.current_version.shares.get(agency=person.agency)
        services.share_approve(actor=person, share=line, expected_version=1)
    clock.move_to(at(dt.date(2026, 5, 1)), tick=False)
    return existing_package


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_reports_are_named_by_real_urls():
    for name in REPORT_VIEWS:
        args = [1] if "tracker" in name else []
        assert reverse(name, args=args)


def test_commitments_and_their_exports_read_from_the_replica(replica, agreed_package, council_finance):
    client = signed_in(council_finance)
    for name in ("funding:commitments", "funding:export_csv", "funding:export_xlsx"):
        with Queries(["default", REPLICA]) as queries:
            response = client.get(reverse(name) + "?year=2026")
        assert response.status_code == 200
        assert b"".join(response) if response.streaming else response.content
        assert queries.touching(REPLICA, "funding_fundingpackage"), name
        assert not queries.touching("default", "funding_fundingpackage"), name
        # Who is asking and the read log: on "default".
        assert not queries.touching(REPLICA, "django_session")
        assert queries.touching("default", "casework_childlistviewlog")
        assert not queries.touching(REPLICA, "casework_childlistviewlog")
    assert ChildListViewLog.objects.filter(user=council_finance).count() == 3


def test_the_commitments_api_reads_from_the_replica(replica, agreed_package, council_finance):
    client = signed_in(council_finance)
    with Queries(["default", REPLICA]) as queries:
        answer = client.get("/api/funding/commitments/?year=2026").json()
    assert answer["total"] == "26071.43"
    assert queries.touching(REPLICA, "funding_fundingpackage")
    assert not queries.touching("default", "funding_fundingpackage")


def test_the_tracker_and_its_exports_read_from_the_replica(
    replica, irap, irap_meeting, child, social_worker, panel_admin, hampshire, hiow_icb
):
    tracker_referral_for(
        child=child,
        meeting=irap_meeting,
        referrer=social_worker,
        outcome="agreed_with_conditions",
        shares=[(hampshire, "743.20"), (hiow_icb, "743.20")],
    )
    client = signed_in(panel_admin)
    for name in ("panels:tracker", "panels:tracker_csv", "panels:tracker_xlsx"):
        with Queries(["default", REPLICA]) as queries:
            response = client.get(reverse(name, args=[irap.pk]))
            body = b"".join(response) if response.streaming else response.content
        assert response.status_code == 200 and body
        assert queries.touching(REPLICA, "panels_decision"), name
        assert not queries.touching("default", "panels_decision"), name
        assert not queries.touching("default", "referrals_referral"), name


def test_other_pages_and_every_write_stay_on_default(replica, agreed_package, council_finance):
    client = signed_in(council_finance)
    with Queries(["default", REPLICA]) as queries:
        assert client.get(reverse("funding:detail", args=[agreed_package.pk])).status_code == 200
        assert client.get(reverse("funding:list")).status_code == 200
        # A form post is never a report, even to a report's address.
        client.post(reverse("funding:commitments"))
    assert queries.sql[REPLICA] == []
    assert queries.touching("default", "funding_fundingpackage")


def test_a_report_that_writes_reads_its_own_writes_from_default(replica, agreed_package, council_finance):
    """Read your own writes: after a write to anything a report shows, the rest of the request
    reads from "default"."""
    seen = {}

    def view(request):
        seen["before"] = FundingPackage.objects.filter(pk=agreed_package.pk).db
        FundingPackage.objects.filter(pk=agreed_package.pk).update(cetr_completed_on=dt.date(2026, 4, 1))
        seen["after"] = FundingPackage.objects.filter(pk=agreed_package.pk).db
        seen["row"] = FundingPackage.objects.get(pk=agreed_package.pk).cetr_completed_on
        return HttpResponse()

    def get_response(request):
        middleware.process_view(request, view, (), {})
        return view(request)

    middleware = ReportReadsMiddleware(get_response)
    request = RequestFactory().get("/")
    request.resolver_match = resolve(reverse("funding:commitments"))
    middleware(request)
    assert (seen["before"], seen["after"]) == (REPLICA, "default")
    assert seen["row"] == dt.date(2026, 4, 1)
    # The mark ends with the request.
    assert FundingPackage.objects.all().db == "default"


def test_writes_never_go_to_the_replica(replica, agreed_package):
    router = ReplicaRouter()
    row = FundingPackage.objects.using(REPLICA).get(pk=agreed_package.pk)
    assert row._state.db == REPLICA
    assert router.db_for_write(FundingPackage, instance=row) == "default"
    assert router.allow_migrate(REPLICA, "funding") is False
    assert router.allow_migrate("default", "funding") is True
    # Outside a report, a row read from the replica finds its relations on "default".
    assert router.db_for_read(FundingPackage, instance=row) == "default"
