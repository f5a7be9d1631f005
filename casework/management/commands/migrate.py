"""`manage.py migrate`, as the owner role when DATABASE_MIGRATE_URL is set (ADR 0006).

Django's own command, run with the default connection pointed at the owner for its whole run:
the system checks, the migrations and every post_migrate handler (including the one that grants
the application role its privileges on new tables). Without DATABASE_MIGRATE_URL it is Django's
command unchanged.
"""

from __future__ import annotations

from django.core.management.commands.migrate import Command as DjangoMigrateCommand

from casework.db_roles import connected_as_owner


class Command(DjangoMigrateCommand):
    help = DjangoMigrateCommand.help + " Connects as the owner (DATABASE_MIGRATE_URL) when that is set."

    def execute(self, *args, **options):
        with connected_as_owner(options.get("database") or "default"):
            return super().execute(*args, **options)
