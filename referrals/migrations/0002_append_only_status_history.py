"""A referral's status history is append-only, like the audit trail (casework migration 0002)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial"), ("casework", "0002_append_only_audit")]

    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER referrals_statuschange_append_only BEFORE UPDATE OR DELETE ON referrals_statuschange "
            "FOR EACH ROW EXECUTE FUNCTION casework_refuse_change();",
            reverse_sql="DROP TRIGGER IF EXISTS referrals_statuschange_append_only ON referrals_statuschange;",
        ),
    ]
