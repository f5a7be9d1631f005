"""A real Redis broker and a real `celery worker` process, for the tests that check the task path
for real rather than in eager mode (tests/casework/test_celery_worker.py,
tests/panels/test_pack_worker.py).

Uses the Redis on 127.0.0.1:6379 (database 15, emptied first) that the machine and CI provide; set
TEST_REDIS_URL to point elsewhere. The tests are skipped only when no Redis answers there. The worker
is the same `celery worker` command production runs (solo pool, the "default" and "pdf" queues),
pointed at the test database and at the test's private storage; its log goes to TEST_WORKER_LOG.

Import the fixtures into a test module (`from tests.celery_worker import redis_broker_fixture,
worker_fixture`; they are named `redis_broker` and `worker`) and mark the tests
`django_db(transaction=True)`: the worker reads and writes through its own connection, so the
test's data must be committed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from casework.celery import app

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
QUEUES = "default,pdf"


@pytest.fixture(name="redis_broker")
def redis_broker_fixture():
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


@pytest.fixture(name="worker")
def worker_fixture(redis_broker):
    db = connection.settings_dict
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=REDIS_URL,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        # The test's storage (tests/panels/conftest.py points it at tmp_path), so files the test
        # stores are the worker's and the other way round.
        PRIVATE_STORAGE_ROOT=str(settings.PRIVATE_STORAGE_ROOT),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "casework", "worker", "--pool", "solo", "-Q", QUEUES],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("TEST_WORKER_LOG", os.devnull), "w"),  # noqa: SIM115
    )
    yield process
    process.terminate()  # warm shutdown: a task under way finishes first
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition: Callable[[], bool], timeout: float = 120.0, *, worker=None) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False); give up early if
    the worker process has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if worker is not None and worker.poll() is not None:
            return condition()
        time.sleep(0.2)
    return False


def enqueue(task, *args) -> None:
    """Queue `task` on the Redis broker through an explicit connection: the app's own producer pool
    may already be bound to another broker (the one in the settings). Routing (CELERY_TASK_ROUTES)
    still picks the queue."""
    with app.connection(REDIS_URL) as broker:
        task.apply_async(args=args, connection=broker)
