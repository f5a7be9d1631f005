"""Celery adapters: take ids, re-fetch, return quietly if the row is gone, call one idempotent step."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from casework.models import Notification


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, acks_late=True)
def send_notification_email(notification_id: int) -> None:
    """E-mail one notice, once: the row is claimed before sending (emailed_at set atomically)."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if claimed != 1:
        return
    notice = Notification.objects.select_related("user").get(pk=notification_id)
    link = f"{settings.SITE_URL.rstrip('/')}{notice.url}" if notice.url else settings.SITE_URL
    body = f"{notice.body}\n\n{link}\n\nSign in to see the details.\n".lstrip()
    try:
        send_mail(notice.subject, body, None, [notice.user.email])
    except Exception:
        # Give the claim back so a retry can send it.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise


@shared_task(soft_time_limit=240, time_limit=300)
def sweep_reminders() -> int:
    """Every few minutes (CELERY_BEAT_SCHEDULE): send the deadline reminders that are due, once."""
    from casework.reminders import run_sweeps

    return run_sweeps()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(user_id: int) -> None:
    """E-mail a new person their link to set a password (casework.administration)."""
    from casework.administration.services import invitation_send

    invitation_send(user_id=user_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def raise_access_request(event_id: int) -> None:
    """After an ask by NHS number: raise the request to the owning agency, if there is a record."""
    from casework.services import access_request_from_ask

    access_request_from_ask(event_id=event_id)
