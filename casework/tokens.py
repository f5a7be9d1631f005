"""API tokens: made once, stored as a digest, named, expiring, revocable, scoped.

The secret is shown once when made (services.api_token_create) and never stored: the database
holds its SHA-256 digest, so neither a page, an admin screen, a log line nor an audit row can show
it. Requests send it as `Authorization: Bearer <token>` (or `Token <token>`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from casework.audit import record_event
from casework.models import ApiToken, TokenScope

PREFIX = "cw_"
KEYWORDS = (b"bearer", b"token")
# last_used_at is written at most this often per token, so reads do not each cost a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenAuthentication(BaseAuthentication):
    """DRF authentication by hashed token, with the token's scope checked on every request."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as: Authorization: Bearer <token>")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token") from None
        token = (
            ApiToken.objects.select_related("user", "user__agency").filter(digest=digest_of(secret)).first()
        )
        if token is None or not token.is_live or not token.user.is_active:
            # Missing, expired and revoked answer the same.
            raise exceptions.AuthenticationFailed("Invalid or expired token")
        _check_scope(token, request)
        _note_use(token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def _check_scope(token: ApiToken, request) -> None:
    if token.scope == TokenScope.FULL:
        return
    if token.scope == TokenScope.READ_ONLY:
        if request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This token may only read")
        return
    match = getattr(request._request, "resolver_match", None)
    if match is None or match.url_name not in token.operations:
        raise exceptions.PermissionDenied("This token may not call this operation")


def _note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.first_used_at is None:
        claimed = ApiToken.objects.filter(pk=token.pk, first_used_at__isnull=True).update(
            first_used_at=now, last_used_at=now
        )
        if claimed:
            record_event(
                actor=token.user,
                action="api_token.first_used",
                obj=token,
                changes={"name": [None, token.name]},
            )
        return
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


@functools.cache
def api_operation_names() -> frozenset[str]:
    """Every named API operation (the URL names under /api/), for a token limited to some of them."""
    from importlib import import_module

    from django.conf import settings
    from django.urls import URLPattern, URLResolver

    api_urls = import_module(settings.API_URLCONF)  # the project's (config/api_urls.py), by name

    names: set[str] = set()

    def walk(patterns) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name and not pattern.name.endswith("api-root"):
                names.add(pattern.name)

    walk(api_urls.urlpatterns)
    return frozenset(names)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema: HTTP bearer authentication."""

    target_class = "casework.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token made on the “Your API tokens” page, sent as "
            "`Authorization: Bearer <token>`.",
        }
