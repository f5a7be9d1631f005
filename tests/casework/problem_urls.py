"""Test-only routes for tests/casework/test_api_problem_details.py: the project's URLs, plus views
that fail as a real one might (an exception nobody handled, a method a plain Django view does not
take, the database going away after the work is done). Used with `@pytest.mark.urls(__name__)`."""

from __future__ import annotations

import socket

from django.db import connections, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import handler404
from config.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "unreachable_database", "urlpatterns"]

FAULT = "unhandled fault: the secret is 7f3a"


def unreachable_database():
    """A connection to the project's database, but at a port nothing listens on: connecting fails
    for real (psycopg, connection refused), as it does while PostgreSQL is down."""
    real = connections["default"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings_dict = {**real.settings_dict, "HOST": "127.0.0.1", "PORT": str(port)}
    return real.__class__(settings_dict, alias="default")


def fault(request):
    raise RuntimeError(FAULT)


@require_GET
def only_get(request):
    return JsonResponse({"ok": True})


@transaction.non_atomic_requests
def database_goes_after_the_work(request):
    """The work is done (a change to the session, saved on every request anyway), then the database
    goes away before the session is saved: Django's SessionMiddleware raises SessionInterrupted.
    The test puts the real connection back."""
    request.session["seen"] = request.session.get("seen", 0) + 1
    connections["default"] = unreachable_database()
    return JsonResponse({"ok": True})


urlpatterns = [
    path("api/test-problems/fault/", fault),
    path("test-problems/fault/", fault),
    path("api/test-problems/only-get/", only_get),
    path("api/test-problems/database-goes/", database_goes_after_the_work),
    path("test-problems/database-goes/", database_goes_after_the_work),
    *project_urlpatterns,
]
