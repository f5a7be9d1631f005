"""In-app notices and their e-mails. E-mails carry no child's details beyond initials and a link
(the link goes through sign-in and the access check). Each e-mail is a background job written with
the notice (casework/outbox.py), so it goes even if the queue is down when the notice is made."""

from __future__ import annotations

from collections.abc import Iterable

from casework.models import Agency, Notification, User


def notify(*, users: Iterable[User], subject: str, body: str = "", url: str = "") -> list[Notification]:
    return notify_many([(users, subject, body, url)])


def notify_many(notices: Iterable[tuple[Iterable[User], str, str, str]]) -> list[Notification]:
    """`notify` for many notices at once, each (users, subject, body, url): one insert of the notices,
    one read of the people's partnerships and one insert of their e-mail jobs, however many."""
    from casework import outbox
    from casework.jobs import NOTICE_EMAIL

    rows = []
    for users, subject, body, url in notices:
        people = list({u.pk: u for u in users}.values())
        rows += [Notification(user=user, subject=subject[:200], body=body, url=url) for user in people]
    if not rows:
        return []
    made = Notification.objects.bulk_create(rows)
    partnerships: dict[int | None, str] = dict(
        Agency.objects.filter(pk__in={n.user.agency_id for n in made if n.user.agency_id}).values_list(
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
            for notice in made
        ],
    )
    return made
