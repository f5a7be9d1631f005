"""Celery adapters for the reports' summaries (reporting.summaries): each calls one idempotent refresh.

Declared in the beat schedule (config/settings.py, CELERY_BEAT_SCHEDULE) and routed to the "reports"
queue (CELERY_TASK_ROUTES):
- every minute, `refresh_decision_times_changed`: the rows of the children named by audit events
  since the last run (the change feed);
- every night, `refresh_decision_times_everywhere`: one `refresh_decision_times` per partnership,
  each rewriting every row of that partnership (a change of closure days, or anything the feed
  missed, is taken then).
"""

from __future__ import annotations

from celery import shared_task

from panels.models import Panel


@shared_task(soft_time_limit=50, time_limit=60, expires=55)
def refresh_decision_times_changed() -> int:
    from reporting.summaries import decision_times_refresh_changed

    return decision_times_refresh_changed()


@shared_task(soft_time_limit=240, time_limit=300, acks_late=True, reject_on_worker_lost=True)
def refresh_decision_times(partnership: str) -> int:
    """Rewrite one partnership's rows (safe to run twice, or alongside the change feed)."""
    from reporting.summaries import decision_times_refresh

    return decision_times_refresh(partnership=partnership)


@shared_task(soft_time_limit=50, time_limit=60)
def refresh_decision_times_everywhere() -> int:
    """Queue one refresh per partnership that has a panel; returns how many were queued."""
    partnerships = list(Panel.objects.order_by().values_list("partnership", flat=True).distinct())
    for partnership in partnerships:
        refresh_decision_times.apply_async(args=[partnership], queue="reports")
    return len(partnerships)
