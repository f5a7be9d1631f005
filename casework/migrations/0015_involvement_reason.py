# Issue 15: an agency given a funding share is involved with the child, and the involvement says why
# (docs/adr/0013-a-paying-agency-is-involved-with-the-child.md).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0014_cetr_report_file"),
    ]

    operations = [
        migrations.AddField(
            model_name="involvement",
            name="reason",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
    ]
