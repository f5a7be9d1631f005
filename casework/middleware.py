from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

from casework.audit import current_ip

# Pages anyone may reach without signing in. Everything else needs a signed-in user.
PUBLIC_PREFIXES = ("/sign-in", "/static/", "/accessibility", "/healthz", "/api/")


class AuditContextMiddleware:
    """Makes the client's IP address available to the audit trail for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(_client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


def _client_ip(request) -> str | None:
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class LoginRequiredMiddleware:
    """Fail closed: every page needs a signed-in user unless it is listed as public.

    The API authenticates itself (session or token) and answers 401/403 in JSON.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class DomainErrorMiddleware:
    """The one mapping from domain errors to HTML responses (the API has casework/api_errors.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from casework.access import NotAllowed
        from casework.services import InvalidTransition

        if isinstance(exception, InvalidTransition):
            return render(request, "409.html", {"reason": str(exception)}, status=409)
        if isinstance(exception, NotAllowed):
            return render(request, "403.html", {"reason": str(exception)}, status=403)
        return None
