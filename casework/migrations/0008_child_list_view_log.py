"""Every list or search that shows children is logged (issue 12): who, the terms, which children.

The table is append-only like the audit trail and the child view log (migration 0002's trigger).
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0007_partnership_administrators_hashed_tokens"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChildListViewLog",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("channel", models.CharField(default="page", max_length=20)),
                ("path", models.CharField(blank=True, max_length=300)),
                (
                    "query",
                    models.CharField(
                        blank=True, help_text="The search terms, cut to 200 characters", max_length=200
                    ),
                ),
                (
                    "child_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), blank=True, default=list, size=None
                    ),
                ),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-id"],
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["child_ids"], name="listviewlog_child_ids_gin"
                    ),
                    models.Index(fields=["user", "-at"], name="listviewlog_user_at"),
                ],
            },
        ),
        migrations.RunSQL(
            "CREATE TRIGGER casework_childlistviewlog_append_only BEFORE UPDATE OR DELETE "
            "ON casework_childlistviewlog FOR EACH ROW EXECUTE FUNCTION casework_refuse_change();",
            reverse_sql="DROP TRIGGER IF EXISTS casework_childlistviewlog_append_only ON casework_childlistviewlog;",
        ),
    ]
