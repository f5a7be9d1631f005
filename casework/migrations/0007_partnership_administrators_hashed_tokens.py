"""Close the administrator's door (issue 12).

- The role "system administrator" becomes "partnership administrator": it administers one
  partnership in the service's own pages, and nobody who signs in to the service is a Django
  superuser or staff (only a platform operator without an agency may be).
- DRF's plain-text tokens are carried over as hashed ApiTokens (named "Carried over", 90 days from
  today, full scope) and the plain table is dropped, so no raw token is left in the database.
"""

import datetime as dt
import hashlib

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    User = apps.get_model("casework", "User")
    ApiToken = apps.get_model("casework", "ApiToken")
    for user in User.objects.filter(roles__contains=["system_administrator"]):
        user.roles = [
            "partnership_administrator" if role == "system_administrator" else role for role in user.roles
        ]
        user.save(update_fields=["roles"])
    User.objects.filter(agency__isnull=False).update(is_superuser=False, is_staff=False)

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        rows = cursor.fetchall()
        expires = timezone.now() + dt.timedelta(days=90)
        ApiToken.objects.bulk_create(
            ApiToken(
                user_id=user_id,
                name="Carried over",
                digest=hashlib.sha256(key.encode()).hexdigest(),
                scope="full",
                expires_at=expires,
            )
            for key, user_id in rows
        )
        cursor.execute("DROP TABLE authtoken_token")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("casework", "0006_api_tokens_service_accounts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
