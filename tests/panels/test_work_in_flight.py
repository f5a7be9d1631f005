"""The migration that owes, as background jobs, the work the old Celery tasks had in flight."""

from __future__ import annotations

import importlib

from django.apps import apps

from casework.models import BackgroundJob
from panels.models import MeetingPack


def test_a_pack_still_queued_when_the_outbox_arrived_is_owed_once(irap_meeting):
    queued = MeetingPack.objects.create(meeting=irap_meeting, version=1, fingerprint="a" * 64)
    MeetingPack.objects.create(meeting=irap_meeting, version=2, fingerprint="b" * 64, status="ready")
    migration = importlib.import_module("panels.migrations.0010_owe_work_in_flight")
    migration.owe_work_in_flight(apps, None)
    migration.owe_work_in_flight(apps, None)  # run twice: still one open job
    jobs = BackgroundJob.objects.filter(kind="pack.build")
    assert list(jobs.values_list("object_id", "partnership")) == [(queued.pk, irap_meeting.panel.partnership)]
