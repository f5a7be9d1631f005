"""A decision records its weeks a year (issue 15, docs/adr/0012-money.md): a decision already made
takes its agreed option's weeks, so a 38-week residential decision is no longer counted as 52 weeks
by the tracker; a decision without an option keeps 52."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_weeks_from_option(apps, schema_editor):
    Decision = apps.get_model("panels", "Decision")
    Option = apps.get_model("referrals", "Option")
    weeks = Option.objects.filter(pk=OuterRef("option_id")).values("weeks_per_year")[:1]
    Decision.objects.filter(option__isnull=False).update(weeks_per_year=Subquery(weeks))


class Migration(migrations.Migration):
    dependencies = [
        ("panels", "0011_whole_meeting_inquorate"),
        ("referrals", "0006_cetr_safeguard"),
    ]

    operations = [
        migrations.AddField(
            model_name="decision",
            name="weeks_per_year",
            field=models.PositiveSmallIntegerField(
                choices=[(38, "38 weeks"), (52, "52 weeks")], default=52, verbose_name="weeks a year"
            ),
        ),
        migrations.RunPython(copy_weeks_from_option, migrations.RunPython.noop),
    ]
