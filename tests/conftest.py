"""Named personas (healthchecks' Alice/Bob/Charlie, here in Hampshire and Leicester).

Hampshire County Council children's services and the Hampshire and Isle of Wight ICB work together;
Leicester City Council is in another partnership and must see nothing of Hampshire's children.
Shared kit besides the people: each test's own folder for stored files (`private_storage`), and
Hampshire IRAP with its chair (`panel`) and a meeting of it far enough ahead (`meeting`).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

if sys.dont_write_bytecode and not sys.pycache_prefix:
    # PYTHONDONTWRITEBYTECODE (the Dockerfile sets it, and so does many a shell) stops pytest keeping
    # the test modules it rewrites for `assert`: every run, and every xdist worker, rewrote all of
    # them again, 20-30 s of CPU each before the first test. Kept outside the tree instead (the
    # variable's point): a later run reads them (8 s to collect instead of 21-29 s).
    sys.pycache_prefix = str(Path(tempfile.gettempdir()) / "casework-tests-pycache")
    sys.dont_write_bytecode = False

import pytest
from django.test import Client
from django.utils import timezone

from casework.models import AgencyKind, Role
from panels.models import Membership
from tests.factories import (
    AgencyFactory,
    ChildFactory,
    MeetingFactory,
    PanelFactory,
    TeamFactory,
    UserFactory,
)
from tests.mfa_helpers import needs_second_step, verify_session


@pytest.fixture(autouse=True)
def _force_login_finishes_two_step_verification(monkeypatch):
    """`client.force_login(person)` stands for a finished sign-in, so for a person whose sign-in
    needs a code (casework/mfa.py) it also marks the session verified, as entering the code does.
    The code step itself is tested through the forms (tests/casework/test_mfa.py), which use
    `client.login` or the sign-in page for sessions that have not finished it."""
    plain_force_login = Client.force_login

    def force_login(self, user, backend=None):
        plain_force_login(self, user, backend)
        if needs_second_step(user):
            verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


def _flushes(item: pytest.Item) -> bool:
    """A transactional test ends by flushing every table: asked for by fixture (transactional_db,
    live_server) or by marker (django_db(transaction=True))."""
    if {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())):
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


def _superuser(connection) -> bool:
    if not hasattr(connection, "_tests_superuser"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            connection._tests_superuser = cursor.fetchone()[0]
    return connection._tests_superuser


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    """The flush that ends a transactional test empties the tables with DELETE, not TRUNCATE: the
    same empty tables, in 0.15 s instead of 3-5 s (PostgreSQL's TRUNCATE makes each of the ~95 tables
    new files; DELETE of a test's few rows does not). `session_replication_role = replica` stops the
    append-only triggers (casework 0002, referrals 0002, panels 0004), which TRUNCATE does not fire
    either, and the deferred foreign keys from mattering mid-way; it is set back before the flush's
    transaction ends, in case a test flushes inside one of its own. Needs a superuser (the test
    server's postgres is one); otherwise, and for a flush that resets sequences or cascades,
    Django's own TRUNCATE."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables or not _superuser(self.connection):
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [
            "SET LOCAL session_replication_role = replica",
            *(f"DELETE FROM {self.quote_name(table)}" for table in tables),
            "SET LOCAL session_replication_role = origin",
        ]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """The flush at the end of a transactional test empties the tables data migrations load too: the
    DST care domains and the default pathway settings (pathways migration 0002). Load them again
    once the test's teardown (and so the flush, which pytest-django's own autouse fixture does last)
    is over, so a later test or module fixture on the same worker finds the database as migrations
    left it, whatever order the tests ran in."""
    yield
    if nextitem is None or not _flushes(item):
        return  # after the last test the test database itself is gone
    import importlib

    from django.apps import apps
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        importlib.import_module("pathways.migrations.0002_dst_domains_and_default_settings").load(apps, None)


# The longest modules, longest first (from `--durations` of the whole suite): they run before
# everything else (tests/test_slow_first.py checks each still exists). pytest-django orders the
# tests as Django does (database tests, then transactional ones, then those without a database),
# which left the heaviest (the API contract, the sweeps, the link crawl, the demo's history, the
# `make run` smoke test) near the end of the run, all in the second worker's share: at the end one
# worker sat idle while the other finished a minute-long test, and work stealing could cut a module
# that loads its world once in two. First in the queue, each module stays together, in its own
# order (xdist steals from the end of a queue), and only short tests are left for the end. The four
# longest are split into items of a few seconds each (one per person who asks, part of the API or
# persona; tests/test_slow_first.py), so at the end of the run no single item holds a worker long.
SLOW_FIRST = (
    "tests/test_api_contract.py",
    "tests/test_access_sweep.py",
    "tests/test_link_crawl.py",
    "tests/test_bad_input.py",
    "tests/test_make_run.py",
    "tests/faults/test_notice_emails.py",
    "tests/test_demo_history.py",
    "tests/casework/test_no_store.py",
    "tests/panels/test_pack_worker.py",
    "tests/funding/test_my_work_disputes.py",
    "tests/casework/test_operator_admin.py",
    "tests/rules/test_panel_month.py",
    "tests/casework/test_demo.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """After pytest-django's own ordering: SLOW_FIRST's modules to the front (a stable sort, so
    everything else keeps pytest-django's order)."""
    rank = {name: position for position, name in enumerate(SLOW_FIRST)}
    root = config.rootpath

    def place(item: pytest.Item) -> int:
        try:
            name = item.path.relative_to(root).as_posix()
        except ValueError:
            return len(SLOW_FIRST)
        return rank.get(name, len(SLOW_FIRST))

    items.sort(key=place)


@pytest.fixture
def private_storage(settings, tmp_path):
    """Stored files (evidence, PDFs) go to this test's own folder. Not automatic here: a module
    that loads its data once (tests/url_sweep.py) keeps its own folder for the whole module; the
    panels and referrals tests, and modules that ask for it, use this one for every test."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def hampshire(db):
    return AgencyFactory(
        name="Hampshire County Council Children's Services",
        kind=AgencyKind.CHILDRENS_SERVICES,
        partnership="Hampshire and Isle of Wight",
    )


@pytest.fixture
def hiow_icb(db):
    return AgencyFactory(
        name="NHS Hampshire and Isle of Wight ICB",
        kind=AgencyKind.ICB,
        ods_code="QRL",
        partnership="Hampshire and Isle of Wight",
    )


@pytest.fixture
def leicester(db):
    return AgencyFactory(
        name="Leicester City Council Children's Services",
        kind=AgencyKind.CHILDRENS_SERVICES,
        partnership="Leicester, Leicestershire and Rutland",
    )


@pytest.fixture
def hampshire_team(hampshire):
    return TeamFactory(agency=hampshire, name="Children with Disabilities Team (North)")


@pytest.fixture
def social_worker(hampshire, hampshire_team):
    """Sam Okafor, a council social worker."""
    user = UserFactory(
        email="sam.okafor@hants.example.gov.uk",
        full_name="Sam Okafor",
        agency=hampshire,
        roles=[Role.SOCIAL_WORKER],
    )
    user.teams.add(hampshire_team)
    return user


@pytest.fixture
def team_manager(hampshire, hampshire_team):
    """Tara Bell, Sam's team manager."""
    user = UserFactory(
        email="tara.bell@hants.example.gov.uk",
        full_name="Tara Bell",
        agency=hampshire,
        roles=[Role.TEAM_MANAGER],
    )
    user.teams.add(hampshire_team)
    return user


@pytest.fixture
def colleague(hampshire, hampshire_team):
    """Cara Vale, a social worker in Sam's team."""
    user = UserFactory(full_name="Cara Vale", agency=hampshire, roles=[Role.SOCIAL_WORKER])
    user.teams.add(hampshire_team)
    return user


@pytest.fixture
def elsewhere(hampshire):
    """Ned Far, a social worker of the council in no team of Tara's."""
    return UserFactory(full_name="Ned Far", agency=hampshire, roles=[Role.SOCIAL_WORKER])


@pytest.fixture
def service_manager(hampshire):
    return UserFactory(
        email="sunita.rao@hants.example.gov.uk",
        full_name="Sunita Rao",
        agency=hampshire,
        roles=[Role.SERVICE_MANAGER],
    )


@pytest.fixture
def panel_chair(hampshire):
    return UserFactory(
        email="peter.chair@hants.example.gov.uk",
        full_name="Peter Hale",
        agency=hampshire,
        roles=[Role.PANEL_CHAIR, Role.PANEL_MEMBER],
    )


@pytest.fixture
def auditor(hampshire):
    return UserFactory(
        email="audrey.check@hants.example.gov.uk",
        full_name="Audrey Check",
        agency=hampshire,
        roles=[Role.AUDITOR],
    )


@pytest.fixture
def council_finance(hampshire):
    return UserFactory(
        email="fiona.cash@hants.example.gov.uk",
        full_name="Fiona Cash",
        agency=hampshire,
        roles=[Role.FINANCE_APPROVER],
        delegated_limit=Decimal("100000.00"),
    )


@pytest.fixture
def icb_finance(hiow_icb):
    return UserFactory(
        email="ian.ledger@hiow.example.nhs.uk",
        full_name="Ian Ledger",
        agency=hiow_icb,
        roles=[Role.FINANCE_APPROVER],
        delegated_limit=Decimal("250000.00"),
    )


@pytest.fixture
def clinician(hiow_icb):
    return UserFactory(
        email="nadia.nurse@hiow.example.nhs.uk",
        full_name="Nadia Khan",
        agency=hiow_icb,
        roles=[Role.HEALTH_ASSESSOR],
    )


@pytest.fixture
def hants_admin(hampshire):
    """Alex Admin, the Hampshire and Isle of Wight partnership administrator."""
    return UserFactory(
        email="admin@hants.example.gov.uk",
        full_name="Alex Admin",
        agency=hampshire,
        roles=[Role.PARTNERSHIP_ADMINISTRATOR],
    )


@pytest.fixture
def leics_admin(leicester):
    """Kim Admin, the Leicester, Leicestershire and Rutland partnership administrator."""
    return UserFactory(
        email="admin@leics.example.gov.uk",
        full_name="Kim Admin",
        agency=leicester,
        roles=[Role.PARTNERSHIP_ADMINISTRATOR],
    )


@pytest.fixture
def sam(social_worker):
    """Sam Okafor, signed in to the pages."""
    client = Client()
    client.force_login(social_worker)
    return client


@pytest.fixture
def outsider(leicester):
    """Olive Stranger, a Leicester social worker: must never see a Hampshire child."""
    return UserFactory(
        email="olive.stranger@leicester.example.gov.uk",
        full_name="Olive Stranger",
        agency=leicester,
        roles=[Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.AUDITOR],
    )


@pytest.fixture
def child(hampshire, social_worker, hiow_icb):
    """Amelia Hart: a Hampshire child, with the ICB involved too."""
    return ChildFactory(
        given_name="Amelia",
        family_name="Hart",
        owning_agency=hampshire,
        created_by=social_worker,
        allocated_social_worker=social_worker,
        involved=[hiow_icb],
    )


@pytest.fixture
def leicester_child(leicester, outsider):
    return ChildFactory(given_name="Leo", family_name="Marsh", owning_agency=leicester, created_by=outsider)


@pytest.fixture
def panel(hampshire, panel_chair):
    """Hampshire IRAP, chaired by Peter Hale (a module may have its own `panel`)."""
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    Membership.objects.create(panel=panel, person=panel_chair, agency=hampshire, role="chair")
    return panel


@pytest.fixture
def meeting(panel):
    """A meeting of `panel` far enough ahead that its papers deadline has not passed: no late paper."""
    return MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=40))
