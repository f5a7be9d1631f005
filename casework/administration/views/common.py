"""What the partnership administrator's pages share (who may use them, the read-only check, a
person's page address), and the start page."""

from __future__ import annotations

from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse

from casework import access
from casework.models import User

PAGE_SIZE = 25


def _admin(request) -> User:
    access.require_partnership_administrator(request.user)
    return request.user


def _read_only(request) -> HttpResponseNotAllowed | None:
    """Pages that only show: access is checked first (by the caller), so another partnership's POST
    is the same 404 as its GET rather than a 405 that would confirm the page exists."""
    if request.method in ("GET", "HEAD"):
        return None
    return HttpResponseNotAllowed(["GET", "HEAD"])


def _person_url(person: User) -> str:
    return reverse("administration:person", args=[person.pk])


def index(request):
    user = _admin(request)
    if refused := _read_only(request):
        return refused
    return render(
        request, "casework/administration/index.html", {"partnership": access.agency_of(user).partnership}
    )
