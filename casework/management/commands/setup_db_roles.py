"""`manage.py setup_db_roles`: the application's database role, made and granted by the owner.

Run as the owner (DATABASE_MIGRATE_URL), after `migrate`. Creates the role DATABASE_URL names if
it is missing (with the URL's password), and grants it exactly what the application needs: rows of
ordinary tables, only SELECT and INSERT on the append-only ones, sequences, and the same for tables
later migrations make. Safe to run again. See casework/db_roles.py and ADR 0006.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from casework import db_roles


class Command(BaseCommand):
    help = (
        "As the owner (DATABASE_MIGRATE_URL): create the application's role (DATABASE_URL) if missing "
        "and grant it exactly the privileges it needs. Idempotent."
    )
    # The checks would connect before we switch to the owner, as a role that may not exist yet.
    requires_system_checks = []

    def handle(self, *args, **options):
        try:
            app_role, password = db_roles.app_role_credentials()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with db_roles.connected_as_owner(), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            owner = cursor.fetchone()[0]
            if owner == app_role:
                raise CommandError(
                    f"DATABASE_URL names the role this command connects as ({owner}): the application "
                    "would own the tables. Set DATABASE_MIGRATE_URL to the owner's URL."
                )
            outcome = db_roles.ensure_app_role(cursor, name=app_role, password=password)
            problems = db_roles.app_role_problems(cursor, app_role=app_role)
            if problems:
                raise CommandError(f"The application role {app_role} is not safe: " + "; ".join(problems))
            db_roles.grant_app_privileges(cursor, app_role=app_role)
        self.stdout.write(
            self.style.SUCCESS(
                f"Application role {app_role}: {outcome}. Granted it the rows of every table, only SELECT "
                f"and INSERT on {', '.join(db_roles.APPEND_ONLY_TABLES)}, and the same on tables {owner} "
                "makes later."
            )
        )
