from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse

from casework.audit import current_ip
from casework.context_processors import ERROR_PAGE

# Pages anyone may reach without signing in. Everything else needs a signed-in user.
PUBLIC_PREFIXES = ("/sign-in", "/static/", "/accessibility", "/healthz", "/api/")

# Answers that never carry a person's or a child's data, so a browser or proxy may keep them.
CACHEABLE_PREFIXES = (settings.STATIC_URL, "/accessibility/", "/healthz")
NO_STORE = "no-store, private"


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


class OneValueEachMiddleware:
    """An API query parameter given more than once is a 400 naming it, not the last value taken.

    No parameter of the API is a list (the schema declares each one a single value), and Django's
    QueryDict.get quietly answers with the last of several, so `?page=2&page=9` would be served as
    page 9. Saying so is the honest answer, and the same for every list, filter and search."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            repeated = {
                name: [f"Give {name} once: it was given {len(values)} times."]
                for name, values in request.GET.lists()
                if len(values) > 1
            }
            if repeated:
                return JsonResponse(repeated, status=400)
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
            return render(request, "409.html", {**ERROR_PAGE, "reason": str(exception)}, status=409)
        if isinstance(exception, NotAllowed):
            return render(request, "403.html", {**ERROR_PAGE, "reason": str(exception)}, status=403)
        return None


class NoStoreMiddleware:
    """Every answer to a signed-in person, and every API answer, says `Cache-Control: no-store`.

    Pages, JSON, PDFs, exports and evidence downloads all carry children's data, and a shared
    office computer or a proxy must not keep a copy. Done here, once, so a new view cannot forget
    it; a view's own weaker header (public, max-age) is overridden. Static files and the public
    pages are left cacheable. Must come after AuthenticationMiddleware, which sets request.user.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _may_be_cached(request):
            return response
        directives = [d.strip().lower() for d in response.get("Cache-Control", "").split(",")]
        if "no-store" not in directives or "private" not in directives:
            response["Cache-Control"] = NO_STORE
            # An Expires date would tell an HTTP/1.0 cache the opposite.
            del response["Expires"]
        return response


def _may_be_cached(request) -> bool:
    path = request.path
    if path.startswith("/api/"):
        return False
    if path.startswith(CACHEABLE_PREFIXES):
        return True
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)
