# ruff: noqa: F811 - the worker fixtures are imported from tests.celery_worker
"""The task path for real: a Redis broker and a Celery worker process, not eager mode.

The broker and the worker are tests/celery_worker.py's kit: a Redis of the test's own (no other
test run on the machine can take its messages) and a `celery worker` process e-mailing to an SMTP
sink.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from casework.models import Notification, ReminderSent
from casework.working_days import add_working_days, is_working_day
from panels.models import Membership
from tests.celery_worker import private_redis, smtp_sink, start_worker, wait_for  # noqa: F401
from tests.factories import MeetingFactory, PanelFactory


@pytest.mark.django_db(transaction=True)
def test_the_reminder_sweep_runs_on_a_real_worker(
    private_redis, smtp_sink, start_worker, hampshire, panel_chair
):
    """Beat's task, queued twice on Redis and run by a worker process: the overdue-circulation
    reminder reaches the chair once."""
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    Membership.objects.create(
        panel=panel, person=panel_chair, agency=hampshire, role="chair", starts_on=dt.date(2026, 1, 1)
    )
    today = timezone.localdate()
    last_working_day = today if is_working_day(today) else add_working_days(today, -1)
    # Papers were due to be circulated 5 working days before: three working days ago.
    MeetingFactory(panel=panel, date=add_working_days(last_working_day, 2))

    from casework.tasks import sweep_reminders

    start_worker()
    sweep_reminders.apply_async()
    sweep_reminders.apply_async()
    broker = private_redis.client()
    assert wait_for(lambda: broker.llen("default") == 0 and Notification.objects.exists()), (
        "see TEST_WORKER_LOG"
    )
    time.sleep(1)  # the second sweep's transaction
    assert ReminderSent.objects.filter(user=panel_chair, kind="circulation_overdue").count() == 1
    notice = Notification.objects.get(user=panel_chair)
    assert "circulated" in notice.subject
    assert wait_for(lambda: Notification.objects.filter(pk=notice.pk, emailed_at__isnull=False).exists())
    assert smtp_sink.count() == 1
