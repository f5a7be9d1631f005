"""Celery adapters for panels: take ids, re-fetch, return quietly if the row is gone, call one
idempotent service. Queued only with transaction.on_commit.

PDF rendering (WeasyPrint) is slow and keeps memory: these tasks belong on the "pdf" queue
(CELERY_TASK_ROUTES), served by workers with worker_max_memory_per_child.
"""

from __future__ import annotations

from celery import shared_task

from panels.services import letters, minutes

PDF_LIMITS = {"soft_time_limit": 120, "time_limit": 180}


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, acks_late=True, **PDF_LIMITS)
def render_minutes_pdf(minutes_id: int) -> None:
    """Store the circulated minutes as a PDF (once: a second run finds it stored)."""
    minutes.minutes_store_pdf(minutes_id=minutes_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, acks_late=True, **PDF_LIMITS)
def send_decision_letter(letter_id: int) -> int:
    """Store a sent letter's PDF, then e-mail each recipient once (each row is claimed before its
    e-mail goes, so a retry or a redelivery never sends twice). Returns how many e-mails went."""
    letter = letters.letter_store_pdf(letter_id=letter_id)
    if letter is None:
        return 0
    return letters.letter_send_emails(letter_id=letter_id)
