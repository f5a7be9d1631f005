"""Point the Celery app at another broker for one block of a test: an unreachable one (Redis down
while a page queues work) or the test's own Redis (tests/celery_worker.py), then put it back.

The app keeps its connection and producer pools once made, so both are forgotten on the way in and
on the way out: a later test must not find the app's pool bound to a broker that is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from config.celery import app

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def _drop_pools() -> None:
    # Forgotten, not closed: kombu's registry hands the same pool back for the same broker later
    # (even in-process runs acquire a producer), and a closed one refuses.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Queue to `url` for real (not in-process) inside the block."""
    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, url
    _drop_pools()
    try:
        yield
    finally:
        _drop_pools()
        app.conf.task_always_eager, app.conf.broker_url = saved


def broker_unreachable():
    """Inside the block, queueing fails as it does with Redis down (after the short retry policy)."""
    return broker_at(UNREACHABLE)
