"""In-app notices and their e-mails. E-mails carry no child's details beyond initials and a link
(the link goes through sign-in and the access check). Each e-mail is a background job written with
the notice (casework/outbox.py), so it goes even if the queue is down when the notice is made."""

from __future__ import annotations

from collections.abc import Iterable

from casework.models import Agency, Notification, User


def notify(*, users: Iterable[User], subject: str, body: str = "", url: str = "") -> list[Notification]:
    from casework import outbox
    from casework.jobs import NOTICE_EMAIL

    people = list({u.pk: u for u in users}.values())
    notices = Notification.objects.bulk_create(
        [Notification(user=user, subject=subject[:200], body=body, url=url) for user in people]
    )
    partnerships: dict[int | None, str] = dict(
        Agency.objects.filter(pk__in={u.agency_id for u in people if u.agency_id}).values_list(
            "pk", "partnership"
        )
    )
    outbox.defer_many(
        kind=NOTICE_EMAIL,
        items=[
            (
                notice.pk,
                partnerships.get(notice.user.agency_id, ""),
                f"E-mail to {notice.user.email}: {notice.subject}",
            )
            for notice in notices
        ],
    )
    return notices
