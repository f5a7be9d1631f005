"""The task path for real: a Redis broker and a Celery worker process, not eager mode.

Uses the Redis on 127.0.0.1:6379 (database 15, emptied first) that the machine and CI provide; set
TEST_REDIS_URL to point elsewhere. Skipped only when no Redis answers there. The worker is the same
`celery worker` command production runs, pointed at the test database.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone

from casework.celery import app
from casework.models import Notification, ReminderSent
from panels.models import Membership
from panels.working_days import add_working_days, is_working_day
from tests.factories import MeetingFactory, PanelFactory

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_broker():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"No Redis at {REDIS_URL}")
    client.flushdb()
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield client
    app.conf.task_always_eager = saved
    client.flushdb()


@pytest.fixture
def worker(redis_broker):
    db = connection.settings_dict
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=REDIS_URL,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "casework", "worker", "--pool", "solo", "-Q", "default"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("TEST_WORKER_LOG", os.devnull), "w"),  # noqa: SIM115
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(condition, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


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
