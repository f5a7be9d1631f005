"""Celery adapters: take ids, re-fetch, return quietly if the row is gone, call one idempotent step."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError


@shared_task(
    bind=True,
    # The database unreachable (before the claim, or while recording the outcome): try again later.
    # A claim that was taken stays leased until it expires, and the relay is the backstop.
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=10,
    # Idempotent at the job level (a lease decides who runs), so a message lost with its worker is
    # redelivered rather than dropped.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=600,
    time_limit=660,
)
def run_job(self, job_id: int) -> str:
    """Run one background job from the outbox (casework/outbox.py)."""
    from casework.outbox import run_job as run

    return run(job_id=job_id)


@shared_task(soft_time_limit=50, time_limit=60, expires=55)
def relay_background_jobs() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): queue again the background work that did not go."""
    from casework.outbox import relay

    return relay()


@shared_task(soft_time_limit=240, time_limit=300)
def sweep_reminders() -> int:
    """Every few minutes (CELERY_BEAT_SCHEDULE): send the deadline reminders that are due, once."""
    from casework.reminders import run_sweeps

    return run_sweeps()


@shared_task(soft_time_limit=240, time_limit=300)
def close_dormant_accounts() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): close the accounts nobody has signed in to for
    ACCOUNT_CLOSE_AFTER_DAYS (casework.leavers)."""
    from casework.leavers import close_dormant_accounts as close

    return len(close())


@shared_task(soft_time_limit=240, time_limit=300)
def remind_access_reviews() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): remind managers of the quarter's access review, once
    (casework.access_reviews)."""
    from casework.access_reviews import remind_access_reviews as remind

    return remind()
