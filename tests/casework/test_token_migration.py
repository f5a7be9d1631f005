"""Migration casework 0007 (issue 12): plain DRF tokens become hashed ApiTokens and the plain table
goes; "system administrators" become partnership administrators and lose superuser and staff."""

from __future__ import annotations

import hashlib
import importlib

from django.apps import apps
from django.db import connection

from casework.models import ApiToken, Role, User
from tests.factories import UserFactory

migration = importlib.import_module("casework.migrations.0007_partnership_administrators_hashed_tokens")


def test_plain_tokens_are_hashed_and_the_plain_table_dropped(hampshire):
    person = UserFactory(agency=hampshire)
    old_admin = UserFactory(
        agency=hampshire, roles=["system_administrator"], is_superuser=True, is_staff=True
    )
    plain = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz, user_id bigint)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [plain, person.pk])
    with connection.schema_editor() as editor:
        migration.forwards(apps, editor)

    token = ApiToken.objects.get(user=person)
    assert token.digest == hashlib.sha256(plain.encode()).hexdigest()
    assert token.is_live and token.name == "Carried over"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token')")
        assert cursor.fetchone()[0] is None

    old_admin = User.objects.get(pk=old_admin.pk)
    assert old_admin.roles == [Role.PARTNERSHIP_ADMINISTRATOR]
    assert not old_admin.is_superuser and not old_admin.is_staff


def test_running_it_without_the_plain_table_changes_nothing(hampshire):
    UserFactory(agency=hampshire)
    with connection.schema_editor() as editor:
        migration.forwards(apps, editor)
    assert not ApiToken.objects.exists()
