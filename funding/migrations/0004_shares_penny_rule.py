"""Stored shares written before the penny rule of docs/adr/0012-money.md (largest remainder, ties to
the line listed first) re-placed by it where they differ by penny placement alone, each audited as
a system change; splits that differ by more are left as stored and listed here (and by
`manage.py share_pennies`). funding/penny_rule.py says how."""

from django.db import migrations


def replace_pennies(apps, schema_editor):
    from funding.penny_rule import replace_pennies as run

    report = run(apps=apps, apply=True)
    if report.moved or report.left:
        print(f"\n  Re-placed {len(report.moved)} share(s) by the penny rule (audited)")  # noqa: T201
        for change in report.left:
            print(f"  Left as stored, differs by more: {change}")  # noqa: T201


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0012_cetr_safeguard"),
        ("funding", "0003_package_cetr_record"),
        ("panels", "0012_decision_weeks_per_year"),
    ]

    operations = [migrations.RunPython(replace_pennies, migrations.RunPython.noop)]
