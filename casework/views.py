"""People's pages for the core domain. Thin: parse input, check access, call a service, render."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render

from casework import selectors


def home(request):
    """My work: what this person needs to do, by role. Later capabilities add their panels."""
    return render(request, "casework/home.html", {"work": selectors.my_work(user=request.user)})


def accessibility(request):
    return render(request, "casework/accessibility.html")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def child_list(request):
    return render(request, "casework/child_list.html", {})
