"""Every API error in JSON, never an HTML page; problem details (RFC 9457) for a client that asks;
a database that is down as a 503, pages too.

Whoever made an error answer under /api/ (DRF's exception handler in casework/api_errors.py, a
view's own error answer, Django's not-found and method-not-allowed answers, an exception nobody
handled), the client gets JSON in the shape it asked for:

- By default, the API's long-standing shape, `application/json`, unchanged for existing clients:
  `{"detail": "Page not found"}`, and a 400's messages by field (`{"nhs_number": ["..."]}`).
- With `Accept: application/problem+json`, problem details (RFC 9457), `application/problem+json`:

      {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Page not found"}

  `type` is always "about:blank" (the status code says what kind of problem it is; `title` is its
  HTTP name) and `detail` is the plain-English explanation a person can act on. The default
  shape's members stay as extensions: a 400 keeps each field's messages at the top level and has
  them all in `errors` (the only place for a field called like a problem member, `title` or
  `status`); a stale edit's 409 keeps `current`.

Problem details are opt-in rather than the default because a client that reads a 400 as "every
member is a field" would show `type`, `title` and `status` as fields in error, and many tests pin
the default shape byte for byte. Making them the default is one line (`wants_problem`).

A database that cannot be reached (django.db.OperationalError or InterfaceError, however deep in
the exception's chain) is a 503 with Retry-After, for pages too (templates/503.html), not a 500:
nothing is wrong with the request, and it will work again when the database is back. Django's
`SessionInterrupted`, raised when saving the session fails in a database blip, is the same 503
rather than Django's 400.

The exception itself is logged by Django (the `django.request` logger, with its traceback) before
this middleware rewrites the answer; the answer never carries it.
"""

from __future__ import annotations

import json
import logging
import sys
from http import HTTPStatus
from typing import Any

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.cache import patch_vary_headers

from casework.access import NOT_FOUND_MESSAGE

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
JSON_CONTENT_TYPE = "application/json"
PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})
RETRY_AFTER_SECONDS = 60

INPUT_REFUSED = "The input was not accepted: `errors` lists what to fix, field by field."
SERVER_ERROR = (
    "Sorry, there is a problem with the service. Try again later. If you were changing something, "
    "check whether it was saved before trying again."
)
UNAVAILABLE = (
    "The service cannot reach its database for the moment. Try again in a few minutes. If you were "
    "changing something, check whether it was saved before trying again."
)
# What an error answer made outside DRF says, by status (DRF's own answers bring their detail).
_DETAILS = {
    400: "The request could not be read.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to do this.",
    404: NOT_FOUND_MESSAGE,
    409: "The record's state no longer allows this change.",
    413: "The request is too large.",
    500: SERVER_ERROR,
    503: UNAVAILABLE,
}


# --- The body ---------------------------------------------------------------------------------


def problem(status: int, detail: str | None = None, **extensions: Any) -> dict[str, Any]:
    """A problem details object: the standard members first, then any extension members (which
    never replace a standard one)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _title(status),
        "status": status,
        "detail": detail or _default_detail(status),
    }
    body.update((name, value) for name, value in extensions.items() if name not in body)
    return body


def problem_from(status: int, data: Any) -> dict[str, Any]:
    """Today's error body (DRF's `{"detail": ...}`, or a 400's field -> messages) as problem details,
    keeping its members. Already problem details (a `status` equal to the answer's): unchanged."""
    if isinstance(data, dict) and data.get("status") == status and isinstance(data.get("title"), str):
        return data
    if isinstance(data, list):
        data = {"non_field_errors": data} if status == 400 else {"detail": data}
    elif not isinstance(data, dict):
        data = {"detail": data}
    detail = data.get("detail")
    if status == 400:
        errors = {
            name: value for name, value in data.items() if not (name == "detail" and isinstance(value, str))
        }
        if errors:
            messages = _messages(errors)
            summary = messages[0] if len(messages) == 1 else INPUT_REFUSED
            return problem(
                400,
                detail if isinstance(detail, str) else summary,
                errors=errors,
                **{name: value for name, value in errors.items() if name not in PROBLEM_MEMBERS},
            )
    rest = {name: value for name, value in data.items() if name != "detail"}
    return problem(status, _text(detail), **rest)


def wants_problem(request) -> bool:
    """The client asked for problem details (`Accept: application/problem+json`, any quality but 0)."""
    request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    return any(
        accepted.main_type == "application" and accepted.sub_type == "problem+json"
        for accepted in request.accepted_types
    )


def error_body(request, status: int, data: Any = None) -> tuple[dict[str, Any], str]:
    """An error answer's body and content type, in the shape the client asked for. `data`: the body
    a view or DRF made (None: only the status is known, and its plain-English detail is used)."""
    if wants_problem(request):
        return (problem(status) if data is None else problem_from(status, data)), PROBLEM_CONTENT_TYPE
    if data is None:
        return {"detail": _default_detail(status)}, JSON_CONTENT_TYPE
    return data, JSON_CONTENT_TYPE


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def database_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached (or the connection broke): this exception, or one it was
    raised from or while handling (a SessionInterrupted raised from an update that failed)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def unavailable(request) -> HttpResponse:
    """503 with Retry-After: JSON for the API, a plain page for people. The page is standalone (like
    500.html): the database, and so any context processor, may be down."""
    if is_api(request):
        body, content_type = error_body(request, 503)
        response = HttpResponse(_json(body), status=503, content_type=content_type)
        patch_vary_headers(response, ["Accept"])
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store, private"
    return response


def _json(body: dict[str, Any]) -> bytes:
    # As DRF's renderer writes it (compact, UTF-8), so every error answer reads the same.
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _default_detail(status: int) -> str:
    return _DETAILS.get(status) or (SERVER_ERROR if status >= 500 else _title(status))


def _text(detail: Any) -> str | None:
    if detail is None or isinstance(detail, str):
        return detail
    return " ".join(_messages(detail)) or None


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [m for item in value.values() for m in _messages(item)]
    if isinstance(value, list):
        return [m for item in value for m in _messages(item)]
    return [] if value is None else [str(value)]


# --- The middleware ---------------------------------------------------------------------------


def _remember_exception(sender, request=None, **kwargs):
    # Django sends this for an exception nobody handled, just before it makes its 500 answer; the
    # middleware below then knows what the 500 was for (a database that is down is a 503).
    if request is not None:
        request._unhandled_exception = sys.exc_info()[1]


got_request_exception.connect(_remember_exception, dispatch_uid="casework.api_problem")


class ProblemDetailsMiddleware:
    """Turns any error answer under /api/ that is not JSON in the shape asked for (an HTML 404 or
    500, an empty 405, a view's own JSON error to a client asking for problem details) into it, and
    a 500 caused by a database that cannot be reached into a 503 with Retry-After (pages too).

    Just inside SessionMiddleware, so it sees the answer every other middleware made (each turns
    an exception into an answer on the way out), and a 503 stops the session being saved (Django
    does not save it on a 5xx). Rewrites the answer in place, keeping the headers others set
    (Cache-Control, Allow, WWW-Authenticate, Retry-After, Content-Security-Policy).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if status == 500 and database_unavailable(getattr(request, "_unhandled_exception", None)):
            fresh = unavailable(request)
            return _rewrite(response, fresh.status_code, fresh.content, fresh["Content-Type"], fresh)
        if status < 400 or not is_api(request):
            return response
        content_type = response.get("Content-Type", "")
        is_json = content_type.startswith((JSON_CONTENT_TYPE, PROBLEM_CONTENT_TYPE))
        if is_json and content_type.startswith(PROBLEM_CONTENT_TYPE) == wants_problem(request):
            return response  # already in the shape asked for (DRF's answers, through api_errors.py)
        data = getattr(response, "data", None)
        if data is None and is_json and not response.streaming:
            try:
                data = json.loads(response.content or b"null")
            except ValueError:
                data = None
        if data is None and status == 405:
            data = {"detail": f'Method "{request.method}" not allowed.'}
        body, content_type = error_body(request, status, data)
        if hasattr(response, "data"):
            response.data = body
        patch_vary_headers(response, ["Accept"])
        return _rewrite(response, status, _json(body), content_type)


def _rewrite(response, status: int, content: bytes, content_type: str, extra=None) -> HttpResponse:
    """The answer with a new status and body, keeping the headers the other middleware set."""
    if response.streaming:  # no error answer streams today; keep its headers all the same
        answer = HttpResponse()
        for name, value in response.items():
            if name.lower() not in {"content-disposition", "content-length"}:
                answer[name] = value
        response = answer
    response.status_code = status
    response.content = content
    response["Content-Type"] = content_type
    if "Content-Length" in response:
        response["Content-Length"] = str(len(content))
    for name, value in extra.items() if extra is not None else ():
        if name.lower() not in {"content-type", "content-length"}:
            response[name] = value
    return response


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, except that a database that cannot be reached while saving the
    session is a 503 (try again) rather than Django's 400 "session interrupted" or a 500.

    Django turns any database error during an update of the session into SessionInterrupted, which
    it answers 400, as if the request were at fault. A session that really was deleted meanwhile
    (signed out in another tab) is answered the same 503: trying again then finds the person signed
    out, which is the truth.
    """

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted as exc:
            why = "the database could not be reached" if database_unavailable(exc) else "it was deleted"
            logger.warning("Session not saved (%s): answered 503", why, exc_info=True)
            return unavailable(request)
        except (OperationalError, InterfaceError):
            logger.warning("Session not saved: the database could not be reached", exc_info=True)
            return unavailable(request)
