"""The application's database role may add to the audit trail but never change or erase it (ADR 0006).

A uniquely named role is made for this run, granted by the same function `setup_db_roles` and the
post_migrate handler use, and dropped at the end. The statements are then tried on a second
connection logged in AS that role, with the ORM pointed at it, inside a transaction that is rolled
back, so nothing it writes outlives the test.
"""

from __future__ import annotations

import copy
import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.db.utils import ProgrammingError
from django.test import override_settings
from django.urls import reverse

from casework import db_roles
from casework.access_reviews import access_review_record
from casework.audit import record_event
from casework.models import AuditEvent, Child, ChildListViewLog, ChildViewLog, Role
from panels.models import ActionUpdate
from panels.services.actions import action_add_update
from referrals.models import StatusChange
from referrals.services import referral_create
from tests.factories import ActionFactory, AgencyFactory, ChildFactory, PanelFactory, UserFactory

# Each statement is refused on the privilege check, before any row or trigger is reached
# (`WHERE false`): what stops it is the role, not the append-only triggers.
FORBIDDEN_ON_APPEND_ONLY = {
    "update": "UPDATE {table} SET id = id WHERE false",
    "delete": "DELETE FROM {table} WHERE false",
    "truncate": "TRUNCATE {table}",
    "disable its trigger": "ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
    "disable all triggers": "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "alter": "ALTER TABLE {table} ADD COLUMN erased boolean",
    "drop": "DROP TABLE {table}",
}


@dataclass(frozen=True)
class AppRole:
    name: str
    password: str


def _owner_params() -> dict[str, object]:
    """psycopg arguments for the test database as the user the tests run as (its owner)."""
    settings_dict = connections["default"].settings_dict
    params = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict["USER"],
        "host": settings_dict["HOST"] or None,
        "port": settings_dict["PORT"] or None,
    }
    if settings_dict["PASSWORD"]:
        params["password"] = settings_dict["PASSWORD"]
    return params


@pytest.fixture(scope="module")
def app_role(django_db_setup, django_db_blocker) -> Iterator[AppRole]:
    role = AppRole(name=f"test_app_{secrets.token_hex(6)}", password=secrets.token_urlsafe(18))
    with django_db_blocker.unblock():
        params = _owner_params()
    with psycopg.connect(**params, autocommit=True) as owner:
        owner.execute(f"CREATE ROLE {role.name} LOGIN PASSWORD '{role.password}'")
        with owner.transaction(), owner.cursor() as cursor:
            db_roles.grant_app_privileges(cursor, app_role=role.name)
    yield role
    with psycopg.connect(**params, autocommit=True) as owner:
        # Its privileges and default privileges in this database, then the role itself.
        owner.execute(f"DROP OWNED BY {role.name}")
        owner.execute(f"DROP ROLE {role.name}")


@contextmanager
def connected_as(role: AppRole) -> Iterator[None]:
    """The ORM's default connection, for the block, logged in as `role`; everything is rolled back."""
    original = connections["default"]
    settings_dict = copy.deepcopy(original.settings_dict)
    settings_dict.update(USER=role.name, PASSWORD=role.password)
    as_role = original.__class__(settings_dict, alias="default")
    connections["default"] = as_role
    try:
        with transaction.atomic():
            with as_role.cursor() as cursor:
                cursor.execute("SELECT current_user")
                assert cursor.fetchone()[0] == role.name
            yield
            transaction.set_rollback(True)
    finally:
        as_role.close()
        connections["default"] = original


def refused(statement: str) -> str:
    """Run `statement` on the default connection, expecting PostgreSQL to refuse it; the message."""
    with pytest.raises(ProgrammingError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    return str(error.value)


def _row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in db_roles.APPEND_ONLY_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        return counts


@pytest.mark.django_db
def test_the_application_works_as_the_app_role_and_adds_to_every_append_only_table(app_role, client):
    with connected_as(app_role):
        before = _row_counts()
        council = AgencyFactory(name="Role Test County Council Children's Services")
        worker = UserFactory(agency=council, roles=[Role.SOCIAL_WORKER])
        child = ChildFactory(owning_agency=council, created_by=worker)
        panel = PanelFactory(host_agency=council)

        # A service writes a row and its status history and audit event (INSERT as the app role).
        referral = referral_create(actor=worker, child=child, panel=panel, pathway="joint_package")
        action = ActionFactory(panel=panel, created_by=worker, owners=[worker])
        update = action_add_update(actor=worker, action=action, text="Placement visit booked")
        record_event(actor=worker, action="test.app_role", obj=child, child=child)
        manager = UserFactory(agency=council, roles=[Role.SERVICE_MANAGER])
        access_review_record(actor=manager, person=worker, decision="keep")
        # A page view, through the middleware and ATOMIC_REQUESTS, logs the view.
        client.force_login(worker)
        page = client.get(reverse("children:detail", args=[child.pk]))
        ChildListViewLog.objects.create(user=worker, query=child.family_name[:2], child_ids=[child.pk])

        assert page.status_code == 200
        # Every table on the list took a row from the app role (a new one needs a line above).
        after = _row_counts()
        assert [table for table in db_roles.APPEND_ONLY_TABLES if after[table] <= before[table]] == []
        # ... and each append-only table can be read back (SELECT as the app role).
        assert StatusChange.objects.filter(referral=referral, new_status="draft").exists()
        assert ActionUpdate.objects.filter(pk=update.pk, text="Placement visit booked").exists()
        assert AuditEvent.objects.filter(action="test.app_role", child_id=child.pk).exists()
        assert AuditEvent.objects.filter(action="referral.created", object_id=str(referral.pk)).exists()
        assert ChildViewLog.objects.filter(child_id=child.pk, user=worker).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("what", FORBIDDEN_ON_APPEND_ONLY)
def test_the_app_role_cannot_change_or_erase_an_append_only_table(app_role, what):
    with connected_as(app_role):
        for table in db_roles.APPEND_ONLY_TABLES:
            message = refused(FORBIDDEN_ON_APPEND_ONLY[what].format(table=table))

            assert "permission denied" in message or "must be owner" in message, (table, message)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "SET session_replication_role = replica",
        "SET LOCAL session_replication_role = replica",
        "SELECT set_config('session_replication_role', 'replica', false)",
    ],
)
def test_the_app_role_cannot_switch_the_triggers_off_for_its_session(app_role, statement):
    with connected_as(app_role):
        assert "permission denied" in refused(statement)


@pytest.mark.django_db
def test_the_app_role_changes_ordinary_rows_but_cannot_alter_truncate_or_create_tables(app_role):
    with connected_as(app_role):
        child = ChildFactory(given_name="Alex")

        assert Child.objects.filter(pk=child.pk).update(given_name="Alexandra") == 1
        assert Child.objects.get(pk=child.pk).given_name == "Alexandra"
        assert "permission denied" in refused("TRUNCATE casework_child CASCADE")
        assert "must be owner" in refused("ALTER TABLE casework_child ADD COLUMN note text")
        assert "must be owner" in refused("DROP TABLE casework_child CASCADE")
        assert "permission denied" in refused("CREATE TABLE casework_sneaky (id int)")


@pytest.mark.django_db
def test_a_table_the_owner_makes_later_is_granted_and_a_new_append_only_one_is_locked_on_regrant(
    app_role, monkeypatch
):
    table = f"casework_later_{secrets.token_hex(4)}"
    params = _owner_params()
    with psycopg.connect(**params, autocommit=True) as owner:
        owner.execute(
            f"CREATE TABLE {table} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text)"
        )
    try:
        # Granted by the owner's default privileges alone, nothing run since.
        with connected_as(app_role), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (note) VALUES ('first') RETURNING id")
            row_id = cursor.fetchone()[0]
            cursor.execute(f"UPDATE {table} SET note = 'second' WHERE id = %s", [row_id])
            cursor.execute(f"SELECT note FROM {table} WHERE id = %s", [row_id])
            assert cursor.fetchone()[0] == "second"
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row_id])
            assert "permission denied" in refused(f"TRUNCATE {table}")

        # Listed as append-only, the next grant (after a migrate, say) takes UPDATE and DELETE off it.
        monkeypatch.setattr(db_roles, "APPEND_ONLY_TABLES", (*db_roles.APPEND_ONLY_TABLES, table))
        with (
            psycopg.connect(**params, autocommit=True) as owner,
            owner.transaction(),
            owner.cursor() as cursor,
        ):
            db_roles.grant_app_privileges(cursor, app_role=app_role.name)
        with connected_as(app_role), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (note) VALUES ('kept') RETURNING id")
            assert "permission denied" in refused(f"UPDATE {table} SET note = 'changed' WHERE false")
            assert "permission denied" in refused(f"DELETE FROM {table} WHERE false")
    finally:
        with psycopg.connect(**params, autocommit=True) as owner:
            owner.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.mark.django_db
def test_the_list_of_append_only_tables_matches_the_tables_with_the_refusing_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'casework_refuse_change'"
        )
        with_trigger = {row[0] for row in cursor.fetchall()}

    assert with_trigger == set(db_roles.APPEND_ONLY_TABLES)


def _privileges(role: str, table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p "
            "WHERE has_table_privilege(%s, %s, p)",
            [role, table],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_migrate_grants_the_app_role_again_when_run_as_the_owner(app_role):
    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE ALL ON casework_child, casework_auditevent FROM {app_role.name}")
        cursor.execute(f"GRANT ALL ON casework_auditevent TO {app_role.name}")
    app_url = f"postgres://{app_role.name}:{app_role.password}@127.0.0.1:5432/casework"

    with override_settings(DATABASE_URL=app_url):
        call_command("migrate", verbosity=0, interactive=False)

    assert _privileges(app_role.name, "casework_child") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert _privileges(app_role.name, "casework_auditevent") == {"SELECT", "INSERT"}


@pytest.mark.django_db
def test_migrate_grants_nothing_when_the_application_and_the_owner_are_one_role(app_role):
    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE ALL ON casework_child FROM {app_role.name}")

    call_command("migrate", verbosity=0, interactive=False)  # DATABASE_URL names the test runner's role

    assert _privileges(app_role.name, "casework_child") == set()


@pytest.mark.django_db
def test_setup_db_roles_creates_the_app_role_with_exactly_its_privileges():
    name = f"test_setup_{secrets.token_hex(6)}"  # made inside the test's transaction, so rolled back

    with override_settings(DATABASE_URL=f"postgres://{name}:s3cret-{name}@127.0.0.1:5432/casework"):
        call_command("setup_db_roles", stdout=io.StringIO())

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolpassword IS NOT NULL "
            "FROM pg_authid WHERE rolname = %s",
            [name],
        )
        assert cursor.fetchone() == (True, False, False, False, True)
    assert _privileges(name, "casework_child") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    for table in db_roles.APPEND_ONLY_TABLES:
        assert _privileges(name, table) == {"SELECT", "INSERT"}, table


@pytest.mark.django_db
def test_setup_db_roles_refuses_to_make_the_owner_or_a_superuser_the_app_role():
    with pytest.raises(CommandError, match="DATABASE_MIGRATE_URL"):
        call_command("setup_db_roles")  # DATABASE_URL names the role running the command

    name = f"test_super_{secrets.token_hex(6)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN SUPERUSER")
    with (
        override_settings(DATABASE_URL=f"postgres://{name}@127.0.0.1:5432/casework"),
        pytest.raises(CommandError, match="is a superuser"),
    ):
        call_command("setup_db_roles")


def test_migrate_and_setup_connect_as_the_owner_of_the_same_database(app_role, django_db_blocker):
    # Here the "owner" URL is the app role's, to see the switch; the database is always DATABASE_URL's.
    owner_url = f"postgres://{app_role.name}:{app_role.password}@127.0.0.1:5432/any_name"
    with django_db_blocker.unblock():
        test_database = connection.settings_dict["NAME"]
        runner = connection.settings_dict["USER"]
        with override_settings(DATABASE_MIGRATE_URL=owner_url), db_roles.connected_as_owner():
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_user, current_database()")
                assert cursor.fetchone() == (app_role.name, test_database)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == runner
        connection.close()
