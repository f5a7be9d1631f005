"""Celery adapter of an import: takes the batch id, re-fetches, and runs the idempotent service."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    # Each row is written with its outcome in one transaction, so a redelivered message (its
    # worker lost) goes on where the last one stopped.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=1800,
    time_limit=1860,
)
def import_batch(batch_id: int) -> str:
    """Import the confirmed rows of one batch (moving_in.services.batch_run)."""
    from moving_in.services import batch_run

    return batch_run(batch_id=batch_id)
