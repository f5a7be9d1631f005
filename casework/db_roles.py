"""Two database roles, so the audit trail cannot be erased by the application (ADR 0006).

The owner (DATABASE_MIGRATE_URL) owns every table and runs `migrate` and `setup_db_roles`. The
application (DATABASE_URL: site, workers, beat) connects as a role that owns nothing: it may read
and write ordinary rows, but may only add to and read the append-only tables. Owning nothing, it
cannot ALTER, DROP or TRUNCATE a table or disable a trigger; not being a superuser, it cannot set
`session_replication_role` to skip the triggers either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dj_database_url
import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

# The tables whose rows are never changed or removed. Each has a trigger calling
# casework_refuse_change() (casework 0002 and 0017, referrals 0002, panels 0004); a test checks this list
# and the triggers agree. A new append-only table is added here and nowhere else.
APPEND_ONLY_TABLES = (
    "casework_auditevent",
    "casework_childviewlog",
    "casework_childlistviewlog",
    "referrals_statuschange",
    "panels_actionupdate",
    "casework_accessreview",
)

TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY_PRIVILEGES = "SELECT, INSERT"
SEQUENCE_PRIVILEGES = "USAGE, SELECT"

# Connection settings the owner's URL may change; the database itself stays the same.
_OWNER_KEYS = ("USER", "PASSWORD", "HOST", "PORT")
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def app_role_credentials() -> tuple[str, str]:
    """The application role's name and password, from DATABASE_URL."""
    parsed = dj_database_url.parse(settings.DATABASE_URL)
    name = parsed.get("USER") or ""
    if not _ROLE_NAME.match(name):
        raise ValueError(f"DATABASE_URL must name a database role (letters, digits, _), not {name!r}")
    return name, parsed.get("PASSWORD") or ""


def owner_settings() -> dict[str, Any] | None:
    """The owner's connection settings from DATABASE_MIGRATE_URL, or None when it is not set."""
    if not settings.DATABASE_MIGRATE_URL:
        return None
    parsed = dj_database_url.parse(settings.DATABASE_MIGRATE_URL)
    return {key: parsed.get(key) or "" for key in _OWNER_KEYS} | {"OPTIONS": parsed.get("OPTIONS") or {}}


@contextmanager
def connected_as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """For one command, connect `alias` as the owner (DATABASE_MIGRATE_URL), if that is set.

    The same database under another role, so every post_migrate handler (content types,
    permissions, our grants) runs as the owner too. Without DATABASE_MIGRATE_URL nothing changes:
    a single-role set-up (tests, a bare `manage.py migrate`) works as before.
    """
    owner = owner_settings()
    if owner is None or alias != DEFAULT_DB_ALIAS:
        yield
        return
    connection = connections[alias]
    saved = {key: connection.settings_dict.get(key) for key in _OWNER_KEYS}
    saved_options = dict(connection.settings_dict.get("OPTIONS") or {})
    connection.close()
    connection.settings_dict.update({key: owner[key] for key in _OWNER_KEYS})
    # Direct connections as the owner: the pool (DATABASE_POOL=django) holds the application's.
    owner_options = {key: value for key, value in (saved_options | owner["OPTIONS"]).items() if key != "pool"}
    connection.settings_dict["OPTIONS"] = owner_options
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
        connection.settings_dict["OPTIONS"] = saved_options


def _one(cursor, query: str, params: list[Any] | None = None) -> Any:
    cursor.execute(query, params)
    return cursor.fetchone()[0]


def ensure_app_role(cursor, *, name: str, password: str) -> str:
    """Create the application role if it is missing; says what it did.

    When the URL carries a password, an existing role is given it too, so changing the password in
    one place (the environment) is enough, unless the owner may not alter roles (a role a DBA
    made): then the password is left as it is.
    """
    exists = _one(cursor, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", [name])
    password_sql = f" PASSWORD {quote_literal(password)}" if password else ""
    if not exists:
        cursor.execute(
            f"CREATE ROLE {quote_ident(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
            f"{password_sql}"
        )
        return "created"
    if not password:
        return "kept"
    cursor.execute("SAVEPOINT casework_app_password")
    try:
        cursor.execute(f"ALTER ROLE {quote_ident(name)}{password_sql}")
    except (DatabaseError, psycopg.Error):
        cursor.execute("ROLLBACK TO SAVEPOINT casework_app_password")
        return "kept (this owner may not change its password)"
    cursor.execute("RELEASE SAVEPOINT casework_app_password")
    return "kept (password set from DATABASE_URL)"


def app_role_problems(cursor, *, app_role: str) -> list[str]:
    """Why `app_role` could still change the append-only tables, if it could."""
    cursor.execute(
        """
        SELECT r.rolsuper,
               r.rolname = current_user,
               pg_has_role(r.rolname, current_user, 'USAGE'),
               (SELECT string_agg(c.relname, ', ' ORDER BY c.relname)
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relowner = r.oid)
          FROM pg_roles r WHERE r.rolname = %s
        """,
        [app_role],
    )
    row = cursor.fetchone()
    if row is None:
        return [f"the role {app_role} does not exist"]
    superuser, is_owner, inherits_owner, owned = row
    problems = []
    if is_owner:
        problems.append(
            f"{app_role} is the role running this command: set DATABASE_MIGRATE_URL to the owner's URL "
            "and DATABASE_URL to the application's"
        )
    elif inherits_owner:
        problems.append(f"{app_role} is a member of the owner role and so has its privileges")
    if superuser:
        problems.append(f"{app_role} is a superuser")
    if owned:
        problems.append(f"{app_role} owns tables: {owned}")
    return problems


def grant_app_privileges(cursor, *, app_role: str) -> None:
    """Grant `app_role` exactly what the application needs, on every table now and later.

    Run by the owner, inside a transaction (revoking and granting again is then one change).
    Idempotent. Later tables get the ordinary privileges from the owner's default privileges;
    after each migrate, post_migrate calls this again to take UPDATE and DELETE off any new
    append-only table.
    """
    role = quote_ident(app_role)
    cursor.execute("SELECT current_database(), current_schema()")
    database, schema = cursor.fetchone()
    schema_sql = quote_ident(schema)
    statements = [
        f"GRANT CONNECT ON DATABASE {quote_ident(database)} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema_sql} TO {role}",
        f"REVOKE CREATE ON SCHEMA {schema_sql} FROM {role}",
        # REVOKE ALL first, so TRUNCATE, REFERENCES, TRIGGER (and MAINTAIN on PostgreSQL 17+)
        # granted by hand at some point do not survive.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema_sql} FROM {role}",
        f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema_sql} TO {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema_sql} FROM {role}",
        f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA {schema_sql} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_sql} GRANT {TABLE_PRIVILEGES} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_sql} GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {role}",
    ]
    for statement in statements:
        cursor.execute(statement)
    cursor.execute(
        "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = ANY(%s)",
        [schema, list(APPEND_ONLY_TABLES)],
    )
    for (table,) in cursor.fetchall():
        cursor.execute(f"REVOKE ALL ON TABLE {schema_sql}.{quote_ident(table)} FROM {role}")
        cursor.execute(f"GRANT {APPEND_ONLY_PRIVILEGES} ON TABLE {schema_sql}.{quote_ident(table)} TO {role}")


def regrant_after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, **kwargs) -> None:
    """post_migrate: grant the application role on the tables this migrate made.

    Only when the migrating connection owns the schema and is not itself the application role (a
    single-role set-up has nobody to grant to), and only once the role exists (`setup_db_roles`
    creates it).
    """
    try:
        app_role, _password = app_role_credentials()
    except ValueError:
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s), "
            "(SELECT pg_has_role(current_user, nspowner, 'USAGE') FROM pg_namespace "
            "WHERE nspname = current_schema())",
            [app_role],
        )
        current, role_exists, owns_schema = cursor.fetchone()
    if current == app_role or not role_exists or not owns_schema:
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        grant_app_privileges(cursor, app_role=app_role)
    if verbosity >= 2:
        print(f"Granted the application role {app_role} its privileges on the tables.")
