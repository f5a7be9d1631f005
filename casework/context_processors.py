from functools import cached_property

from django.conf import settings

from casework.models import Notification


class Notices:
    """The signed-in person's unread notices, counted only when a page shows the count."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self) -> int:
        return Notification.objects.filter(user=self.user, read_at__isnull=True).count()


def service(request):
    context: dict[str, object] = {
        "service_name": settings.SERVICE_NAME,
        "protective_marking": settings.PROTECTIVE_MARKING,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["notices"] = Notices(user)
    return context
