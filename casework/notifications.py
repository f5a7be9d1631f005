"""In-app notices and their e-mails. E-mails carry no child's details beyond initials and a link
(the link goes through sign-in and the access check); they are sent after the commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from casework.models import Notification, User


def notify(*, users: Iterable[User], subject: str, body: str = "", url: str = "") -> list[Notification]:
    notices = Notification.objects.bulk_create(
        [
            Notification(user=user, subject=subject[:200], body=body, url=url)
            for user in {u.pk: u for u in users}.values()
        ]
    )
    for notice in notices:
        transaction.on_commit(lambda pk=notice.pk: _queue_email(pk))
    return notices


def _queue_email(notification_id: int) -> None:
    from casework.tasks import send_notification_email

    send_notification_email.delay(notification_id)
