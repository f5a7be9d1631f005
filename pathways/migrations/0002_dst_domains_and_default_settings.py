"""Reference data: the ten care domains of the children's Decision Support Tool and the levels of
need each allows, and the default pathway settings row.

Source: National Framework for Children and Young People's Continuing Care (Department of Health,
January 2016) and its Decision Support Tool (Section 2, care domains), found with the `search` tool
(studylib.net/doc/18455226 for the Framework; studylib.net/doc/7779925 "Decision Support Tool for NHS
Children's Continuing Care", whose challenging behaviour domain runs No additional needs → Low →
Moderate → High → Severe → Priority; the ten domains as listed by the Sheffield Hallam CHC guide).
The exact set of levels per domain could not be read whole from the sources found; what is loaded
follows the Framework's DST as best recalled and matches the project brief: priority only for
breathing, eating and drinking, drug therapies and medicines, psychological and emotional needs,
seizures and challenging behaviour; severe for those plus mobility and skin and tissue viability;
communication and continence or elimination stop at high. Correct a row here (new migration) if the
printed DST says otherwise: code reads the rows, never a list of its own.
"""

from django.db import migrations

ALL = ["none", "low", "moderate", "high", "severe", "priority"]
TO_SEVERE = ALL[:5]
TO_HIGH = ALL[:4]

DOMAINS = [
    ("breathing", "Breathing", ALL),
    ("eating-and-drinking", "Eating and drinking", ALL),
    ("mobility", "Mobility", TO_SEVERE),
    ("continence", "Continence or elimination", TO_HIGH),
    ("skin", "Skin and tissue viability", TO_SEVERE),
    ("communication", "Communication", TO_HIGH),
    ("drug-therapies", "Drug therapies and medicines", ALL),
    ("psychological", "Psychological and emotional needs", ALL),
    ("seizures", "Seizures", ALL),
    ("challenging-behaviour", "Challenging behaviour", ALL),
]


def load(apps, schema_editor):
    domain = apps.get_model("pathways", "DSTDomain")
    for position, (code, name, levels) in enumerate(DOMAINS, start=1):
        domain.objects.update_or_create(
            code=code, defaults={"name": name, "position": position, "allowed_levels": levels}
        )
    apps.get_model("pathways", "PathwaySettings").objects.get_or_create(partnership="")


def unload(apps, schema_editor):
    apps.get_model("pathways", "DSTDomain").objects.filter(code__in=[d[0] for d in DOMAINS]).delete()


class Migration(migrations.Migration):
    dependencies = [("pathways", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
