"""Each agency holding a share of a package's current version (packages not ended) while not
involved with the child becomes involved, as it would have been had the package been made after
docs/adr/0013; each audited as a system change. What it leaves (another partnership's agency, an
involvement a person ended after the share was given) is listed here and by
`manage.py involve_paying_agencies`. funding/paying_agencies.py says how."""

from django.db import migrations


def involve_paying_agencies(apps, schema_editor):
    from funding.paying_agencies import involve_paying_agencies as run

    report = run(apps=apps, apply=True)
    if report.involved or report.other_partnership or report.ended_since:
        print(f"\n  Involved {len(report.involved)} paying agency(ies) with the child (audited)")  # noqa: T201
        for payer in report.other_partnership + report.ended_since:
            print(f"  Left: {payer}")  # noqa: T201


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0015_involvement_reason"),
        ("funding", "0004_shares_penny_rule"),
    ]

    operations = [migrations.RunPython(involve_paying_agencies, migrations.RunPython.noop)]
