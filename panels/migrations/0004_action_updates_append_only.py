"""Action-log updates are a timeline: the database refuses to change or remove one (seeds 003)."""

from django.db import migrations

TABLE = "panels_actionupdate"


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0002_append_only_audit"),
        ("panels", "0003_agenda_decisions_minutes_actions"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION casework_refuse_change();",
            reverse_sql=f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
        ),
    ]
