"""The audit trail and the child view log are append-only: PostgreSQL refuses UPDATE and DELETE.

TRUNCATE is left to the database owner (the test runner empties tables with it between browser
tests); the application's own role should not own the tables in production.
"""

from django.db import migrations

TABLES = ["casework_auditevent", "casework_childviewlog"]

FUNCTION = """
CREATE OR REPLACE FUNCTION casework_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION casework_refuse_change();"
    )


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [
        migrations.RunSQL(
            FUNCTION + "\n".join(_trigger(t) for t in TABLES),
            reverse_sql="\n".join(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t};" for t in TABLES)
            + "DROP FUNCTION IF EXISTS casework_refuse_change();",
        ),
    ]
