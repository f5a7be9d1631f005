"""The API kit every app's API is built from (issue 14): the documented error answers, the ids
every route accepts, the 428 for a save without what the client read, and one way to read a
request body through a serializer.

Public on purpose: apps import these names rather than casework/api.py's internals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotAuthenticated
from rest_framework.request import Request

if TYPE_CHECKING:
    from casework.models import User

# --- Shapes of the error answers, for the schema -------------------------------------------------

ERROR = inline_serializer("Error", fields={"detail": serializers.CharField()})


def field_errors(example_name: str, example: dict[str, list[str]]) -> OpenApiResponse:
    return OpenApiResponse(
        # A field's messages, or a nested body's (a list or object of the same), or `detail` alone
        # for a body that could not be read at all.
        response={
            "type": "object",
            "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}, {"type": "string"}]},
        },
        description="The input was not accepted: a list of messages for each field that needs fixing "
        "(`non_field_errors` for the request as a whole, `detail` for a body that could not be read).",
        examples=[OpenApiExample(example_name, value=example, response_only=True)],
    )


FIELD_ERRORS = field_errors(
    "Invalid NHS number", {"nhs_number": ["Enter a valid NHS number: the check digit does not match"]}
)
NOT_SIGNED_IN = OpenApiResponse(ERROR, description="Not signed in (no session and no valid token).")
NOT_FOUND = OpenApiResponse(
    ERROR, description="No such record, or a record your agency cannot see: both answer the same."
)
NOT_ALLOWED = OpenApiResponse(
    ERROR, description="You can see this record, but your role does not allow this change."
)


class PreconditionRequired(APIException):
    """A save over a record others edit too came without what the client read (a draft's
    fingerprint or version): 428, naming the field to send, instead of overwriting whatever is
    saved now (issue 13: every race has one winner). DRF's own handler answers it."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"

    def __init__(self, field: str, what: str):
        super().__init__(
            {
                "detail": f"Send `{field}`, {what}, so that a save made since by someone else is not "
                "overwritten. Nothing was saved.",
                "required": [field],
            }
        )


def require_precondition(data: object, field: str, what: str) -> None:
    """Raise PreconditionRequired when a JSON object body lacks `field` (or sends it empty). Any
    other body is left to the serializer's 400."""
    if isinstance(data, dict) and data.get(field) in (None, ""):
        raise PreconditionRequired(field, what)


PRECONDITION_REQUIRED = OpenApiResponse(
    inline_serializer(
        "PreconditionRequired",
        fields={
            "detail": serializers.CharField(),
            "required": serializers.ListField(child=serializers.CharField(), help_text="The field to send"),
        },
    ),
    description="The body did not say which version of the record you read (the field named in "
    "`required`): nothing was saved. Read the record, then send the field with your change.",
    examples=[
        OpenApiExample(
            "No fingerprint",
            value={
                "detail": "Send `fingerprint`, the draft's fingerprint as you read it, so that a save "
                "made since by someone else is not overwritten. Nothing was saved.",
                "required": ["fingerprint"],
            },
            response_only=True,
        )
    ],
)


# Any text up to the next slash reaches the view, so an odd id ("1.5", "abc", "%00") answers the
# same JSON 404 as a missing record rather than falling through to the HTML not-found page.
ANY_ID = "[^/]+"

# The answers most operations share: a reader may be signed out or ask for what it cannot see; a
# writer may also hold a role that does not allow the change.
READ_ERRORS = {401: NOT_SIGNED_IN, 404: NOT_FOUND}
ERRORS = {401: NOT_SIGNED_IN, 403: NOT_ALLOWED, 404: NOT_FOUND}


def caller(request: Request) -> User:
    """The person or service account making the request. Every route requires one (IsAuthenticated
    is the default permission), so a view never meets an anonymous caller; a route that lifted the
    rule would answer 401 here rather than act for nobody."""
    from casework.models import User

    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


def parsed(
    serializer_class: type[serializers.Serializer],
    data: Any,
    *,
    context: dict | None = None,
    partial: bool = False,
    **kwargs: Any,
) -> dict:
    """The request body (or query) read through `serializer_class`: its validated data, or a 400
    with a message under each field that needs fixing (raised, and answered by api_errors.py)."""
    serializer = serializer_class(data=data, context=context or {}, partial=partial, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
