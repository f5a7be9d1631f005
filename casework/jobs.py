"""The core's background work (casework/outbox.py): notices e-mailed, invitations, access requests.

Each handler is idempotent: it may run again after its worker died, or after a failure part-way.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from casework.models import Notification
from casework.outbox import Lease, handler

NOTICE_EMAIL = "notice.email"
INVITATION_EMAIL = "invitation.email"
ACCESS_REQUEST = "access_request.raise"


def message_id(kind: str, *parts: int) -> str:
    """A stable Message-ID for one e-mail: a retry after an ambiguous failure (the mail server took
    it, then the worker died before recording it) carries the same id, so it is recognisable."""
    host = urlsplit(settings.SITE_URL).hostname or "casework.localhost"
    return f"<{kind}.{'.'.join(str(p) for p in parts)}@{host}>"


@handler(NOTICE_EMAIL, label="E-mail of a notice", lease_seconds=60, max_attempts=8)
def send_notice_email(notification_id: int, *, job: Lease) -> None:
    """E-mail one notice unless it has been: sent, then recorded (casework/outbox.py says why the
    order is this way round)."""
    notice = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notice is None or notice.emailed_at is not None:
        return
    link = f"{settings.SITE_URL.rstrip('/')}{notice.url}" if notice.url else settings.SITE_URL
    body = f"{notice.body}\n\n{link}\n\nSign in to see the details.\n".lstrip()
    EmailMessage(
        notice.subject,
        body,
        None,
        [notice.user.email],
        headers={"Message-ID": message_id("notice", notice.pk)},
    ).send()
    Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=timezone.now())


@handler(INVITATION_EMAIL, label="Invitation e-mail", lease_seconds=60, max_attempts=8)
def send_invitation(user_id: int, *, job: Lease) -> None:
    from casework.administration.services import invitation_send

    invitation_send(user_id=user_id)


@handler(ACCESS_REQUEST, label="Access request", lease_seconds=60, max_attempts=5)
def raise_access_request(event_id: int, *, job: Lease) -> None:
    """After an ask by NHS number: raise the request to the owning agency, if there is a record
    (once: access_request_create finds a pending request and makes no second)."""
    from casework.services import access_request_from_ask

    access_request_from_ask(event_id=event_id)
