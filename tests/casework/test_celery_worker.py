"""The task path for real: a Redis broker and a Celery worker process, not eager mode.

The broker and worker fixtures are tests/celery_worker.py (Redis database 15 on 127.0.0.1, or
TEST_REDIS_URL; skipped only when no Redis answers there).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from casework.models import Notification, ReminderSent
from casework.working_days import add_working_days, is_working_day
from config.celery import app
from panels.models import Membership
from tests.celery_worker import REDIS_URL, redis_broker_fixture, wait_for, worker_fixture  # noqa: F401
from tests.factories import MeetingFactory, PanelFactory


@pytest.mark.django_db(transaction=True)
def test_the_reminder_sweep_runs_on_a_real_worker(worker, redis_broker, hampshire, panel_chair):
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

    # An explicit connection: the app's own producer pool may already be bound to another broker.
    with app.connection(REDIS_URL) as broker:
        sweep_reminders.apply_async(connection=broker)
        sweep_reminders.apply_async(connection=broker)
    assert wait_for(lambda: redis_broker.llen("default") == 0 and Notification.objects.exists()), (
        "see TEST_WORKER_LOG"
    )
    time.sleep(1)  # the second sweep's transaction
    assert ReminderSent.objects.filter(user=panel_chair, kind="circulation_overdue").count() == 1
    notice = Notification.objects.get(user=panel_chair)
    assert "circulated" in notice.subject
    assert wait_for(lambda: Notification.objects.filter(pk=notice.pk, emailed_at__isnull=False).exists())
