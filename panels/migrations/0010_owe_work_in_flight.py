"""Work the old Celery tasks had in flight when the outbox arrived (casework/outbox.py): packs still
queued or being built, letters not yet stored or e-mailed to everyone, circulated minutes without
their PDF. Each is owed as a background job, which the relay runs; the handlers are idempotent, so
anything the old task had half done is finished, not repeated."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q


def owe_work_in_flight(apps, schema_editor):
    BackgroundJob = apps.get_model("casework", "BackgroundJob")
    MeetingPack = apps.get_model("panels", "MeetingPack")
    DecisionLetter = apps.get_model("panels", "DecisionLetter")
    LetterRecipient = apps.get_model("panels", "LetterRecipient")
    Minutes = apps.get_model("panels", "Minutes")

    jobs = [
        BackgroundJob(
            kind="pack.build",
            object_id=pk,
            partnership=partnership,
            summary=f"Pack version {version} (owed when background work moved to the outbox)",
        )
        for pk, partnership, version in MeetingPack.objects.filter(status__in=["queued", "building"])
        .values_list("pk", "meeting__panel__partnership", "version")
        .iterator()
    ]
    unsent = LetterRecipient.objects.filter(letter=OuterRef("pk"), sent_at__isnull=True)
    jobs += [
        BackgroundJob(
            kind="letter.send",
            object_id=pk,
            partnership=partnership,
            summary=f"Decision letter {pk} (owed when background work moved to the outbox)",
        )
        for pk, partnership in DecisionLetter.objects.filter(sent_at__isnull=False)
        .filter(Q(pdf_name="") | Exists(unsent))
        .values_list("pk", "decision__agenda_item__meeting__panel__partnership")
        .iterator()
    ]
    jobs += [
        BackgroundJob(
            kind="minutes.pdf",
            object_id=pk,
            partnership=partnership,
            summary=f"Minutes {pk} as a PDF (owed when background work moved to the outbox)",
        )
        for pk, partnership in Minutes.objects.filter(status="circulated", pdf_name="")
        .values_list("pk", "meeting__panel__partnership")
        .iterator()
    ]
    BackgroundJob.objects.bulk_create(jobs, ignore_conflicts=True, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0011_job_kind_object_index"),
        ("panels", "0009_declaration_corrections"),
    ]

    operations = [migrations.RunPython(owe_work_in_flight, migrations.RunPython.noop)]
