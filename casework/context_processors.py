from functools import cached_property

from django.conf import settings

from casework.models import Notification


class Notices:
    """The header's two counts: the signed-in person's unread notices and the length of their My
    work list, both counted only when a page shows them, in one query (casework/my_work.py: the
    list's feeds counted in SQL; a page that has read the feeds, My work, gives their numbers)."""

    def __init__(self, user, request=None):
        self.user = user
        self.request = request

    @cached_property
    def _counts(self) -> tuple[int, int]:
        from django.db import connection

        from casework.my_work import count_sql

        unread = Notification.objects.filter(user=self.user, read_at__isnull=True).order_by()
        listed = getattr(self.request, "_my_work_count", None)
        if listed is not None:
            return unread.count(), listed
        unread_sql, unread_params = unread.values("pk").query.sql_with_params()
        work_sql, work_params = count_sql(user=self.user)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT COUNT(*) FROM ({unread_sql}) AS unread), {work_sql}",  # noqa: S608 - our querysets' SQL
                [*unread_params, *work_params],
            )
            row = cursor.fetchone()
        return int(row[0]), int(row[1])

    @property
    def unread(self) -> int:
        return self._counts[0]

    @property
    def my_work(self) -> int:
        return self._counts[1]


# An error page's context: the header without its counts. A 404, 403 or 409 stays one light page
# (a probe for ids, or a page its role refuses, must not cost the whole My work count), and it keeps
# answering when the feeds' tables cannot be read.
ERROR_PAGE: dict[str, object] = {"notices": None}


def service(request):
    context: dict[str, object] = {
        "service_name": settings.SERVICE_NAME,
        "protective_marking": settings.PROTECTIVE_MARKING,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["notices"] = Notices(user, request)
    return context
