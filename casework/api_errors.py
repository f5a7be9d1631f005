"""One mapping from domain errors to API responses (STYLE.md: one place for DRF)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from casework import api_kit
from casework.access import NOT_FOUND_MESSAGE, NotAllowed
from casework.api_problem import JSON_CONTENT_TYPE, PROBLEM_CONTENT_TYPE, problem_from, wants_problem
from casework.services import InvalidTransition


def exception_handler(exc, context):
    """Domain errors as HTTP answers; as problem details for a client that asks for them
    (casework/api_problem.py)."""
    response = _answer(exc, context)
    if response is not None and wants_problem(context["request"]):
        response.data = problem_from(response.status_code, response.data)
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _answer(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = DRFValidationError(detail=detail)
    elif isinstance(exc, Http404):
        return Response({"detail": NOT_FOUND_MESSAGE}, status=status.HTTP_404_NOT_FOUND)
    elif isinstance(exc, InvalidTransition):
        body = {"detail": str(exc)}
        current = getattr(exc, "current", None)
        if current:  # a stale edit (casework.stale.StaleEdit): the saved version
            body["current"] = current
        return Response(body, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, NotAllowed):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)


# --- The same answers, in the published schema -----------------------------------------------------

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus the error answers every operation can give.

    The mapping above applies to every API view, so every operation documents its answers: 401
    without a valid token or session, 403 for a token scoped away from it or a role that may not,
    404 for an id (or a page number) that does not resolve, 400 for input that is refused and 409
    for a change the record's state no longer allows; and, for any of them, 500 for a fault and 503
    (with Retry-After) while the database cannot be reached. An operation's own declaration of a
    code, with its examples, wins. Every error answer is documented in both its shapes: the
    declared body as `application/json`, and problem details (RFC 9457, the declared body with the
    problem members added) as `application/problem+json`, for a client that asks for them.
    """

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        params = operation.get("parameters", [])
        writes = self.method not in _SAFE_METHODS
        wanted = {"403": api_kit.NOT_ALLOWED}
        if operation.get("security") and {} not in operation["security"]:
            wanted["401"] = api_kit.NOT_SIGNED_IN
        if writes or "requestBody" in operation or any(p["in"] == "query" for p in params):
            wanted["400"] = _INPUT_REFUSED
        if any(p["in"] == "path" for p in params) or any(p["name"] == "page" for p in params):
            wanted["404"] = api_kit.NOT_FOUND
        if writes:
            wanted["409"] = _CONFLICT
        if "requestBody" in operation:
            wanted["415"] = _NOT_JSON
        responses = operation["responses"]
        for code, answer in wanted.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(answer, code, direction="response")
        # The same two answers for every operation, written once in components/responses.
        for code, name, description, headers in _SHARED:
            if code not in responses:
                responses[code] = self._shared_response(name, description, headers)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if str(status_code)[0] not in "45":
            return response
        # Every error comes in two shapes (casework/api_problem.py): the declared one, as
        # application/json, and, for a client that asks, the same with the problem details members
        # added, as application/problem+json.
        code = int(status_code)
        declared = list(response.get("content", {}).values())
        plain = declared[0] if declared else {"schema": _DETAIL_SCHEMA}
        problem = {**plain, "schema": self._as_problem_schema(plain["schema"])}
        if "examples" in plain:
            problem["examples"] = {
                name: {**example, "value": problem_from(code, example["value"])}
                if "value" in example
                else example
                for name, example in plain["examples"].items()
            }
        response["content"] = {JSON_CONTENT_TYPE: plain, PROBLEM_CONTENT_TYPE: problem}
        if code == 400:
            response["description"] = f"{response.get('description', '')} {_IN_ERRORS}".strip()
        return response

    def _shared_response(self, name: str, description: str, headers: dict) -> dict:
        content = {
            JSON_CONTENT_TYPE: {"schema": _DETAIL_SCHEMA},
            PROBLEM_CONTENT_TYPE: {"schema": self._problem_ref()},
        }
        schema = {"description": description, "content": content, **({"headers": headers} if headers else {})}
        component = ResolvedComponent(name=name, type=ResolvedComponent.RESPONSE, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref

    def _problem_ref(self) -> dict:
        component = ResolvedComponent(
            name="Problem", type=ResolvedComponent.SCHEMA, object="Problem", schema=_PROBLEM_SCHEMA
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _as_problem_schema(self, schema: dict) -> dict:
        ref = self._problem_ref()
        if schema in (ref, _DETAIL_SCHEMA):
            return ref
        messages = schema.get("additionalProperties")
        if schema.get("type") == "object" and messages is not None and not schema.get("properties"):
            # Field -> messages (a 400, or an operation's own refusal): the messages stay at the top
            # level, and are all in `errors` too. One component for the usual shape.
            refused = {
                "type": "object",
                "description": "Problem details for input that was not accepted: each field's "
                "messages, at the top level and in `errors`.",
                "properties": {
                    **_PROBLEM_SCHEMA["properties"],
                    "errors": {
                        "type": "object",
                        "additionalProperties": messages,
                        "description": "Every field's messages (`non_field_errors` for the request as a whole).",
                    },
                },
                "required": _PROBLEM_SCHEMA["required"],
                "additionalProperties": messages,
            }
            if messages != _FIELD_MESSAGES:
                return refused
            component = ResolvedComponent(
                name="InputRefused", type=ResolvedComponent.SCHEMA, object="InputRefused", schema=refused
            )
            self.registry.register_on_missing(component)
            return component.ref
        return {"allOf": [ref, schema]}

    def get_summary(self):
        # A view serving one documented route per step (pathways) is given each route's own words.
        return getattr(self.view, "operation_summary", "") or super().get_summary()

    # drf-spectacular's AutoSchema takes no arguments here; the DRF stubs describe DRF's own
    # get_description(path, method), which spectacular replaces.
    def get_description(self):  # type: ignore[override]
        described = getattr(self.view, "operation_description", None)
        return described if described is not None else super().get_description()

    def map_parsers(self):
        # The API speaks JSON. The form parsers stay for the few HTML-ish callers, but a form cannot
        # carry the nested bodies (shares, options) faithfully, so only an upload documents them.
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def _get_request_for_media_type(self, serializer, direction="request"):
        # drf-spectacular documents every PATCH body as partial (nothing required). A view that reads
        # its PATCH body whole (the whole text and the version you read) says so on its serializer
        # with `whole_on_patch = True`, and then its required fields are documented as required.
        if self.method == "PATCH" and getattr(serializer, "whole_on_patch", False):
            self.method = "PUT"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # A body whose view refuses any field it does not take (a referral's sections) says so.
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        # A body that needs one of several sets of fields (a provider's id, or its name and kind) says
        # which: `required_one_of = [("provider",), ("provider_name", "provider_kind")]`.
        if direction == "request" and (choices := getattr(serializer, "required_one_of", None)):
            schema["anyOf"] = [{"required": list(names)} for names in choices]
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and isinstance(schema, dict) and (money := _money_in(field)):
            extra = {"nullable": True} if field.allow_null else {}
            return {**money, **_docs_of(schema), **extra}
        if (
            direction == "request"
            and isinstance(schema, dict)
            and getattr(field, "allow_empty", True) is False
        ):
            # DRF refuses an empty list or dictionary here ("This list may not be empty"): say so.
            if schema.get("type") == "array":
                schema = {**schema, "minItems": max(1, schema.get("minItems", 0))}
            elif schema.get("type") == "object":
                schema = {**schema, "minProperties": max(1, schema.get("minProperties", 0))}
        if field.read_only and _blank_allowed_by_model(field) and isinstance(schema, dict):
            # DRF drops allow_blank from read-only model fields, but a blank stored value is still
            # answered: say so, or the schema promises a choice or an e-mail address that is not there.
            if "enum" in schema and "" not in schema["enum"]:
                schema = {**schema, "enum": [*schema["enum"], ""]}
            elif "format" in schema:
                schema = {"oneOf": [schema, {"type": "string", "maxLength": 0}], **_docs_of(schema)}
        return schema


def _money_in(field) -> dict | None:
    """An amount of money a client sends (casework.money.money_input): pounds and pence as a string
    ("1234.56") or a JSON number (1234.56), within the field's bounds, to the penny. Only the bounds
    money fields use (a minimum of 0 or 0.01, a ceiling that is a power of ten) are described."""
    if not isinstance(field, drf_serializers.DecimalField) or field.read_only or field.decimal_places != 2:
        return None
    # A lower bound the service checks (with its other rules, so all come at once) is named on the
    # serializer, for the schema: `documented_min_values = {"cost": Decimal("0.01")}`.
    low = getattr(field.parent, "documented_min_values", {}).get(field.field_name, field.min_value)
    high = field.max_value
    if low is None or high is None or Decimal(low) not in (Decimal("0"), Decimal("0.01")):
        return None
    digits = len(str(int(high))) - 1
    if Decimal(high) != Decimal(10) ** digits or digits < 1:
        return None
    below = rf"[1-9]\d{{0,{digits - 1}}}(?:\.\d{{1,2}})?"
    ceiling = rf"{int(high)}(?:\.0{{1,2}})?"
    small = r"0?\.(?:0[1-9]|[1-9]\d?)" if low else r"0(?:\.\d{1,2})?"
    return {
        "anyOf": [
            {"type": "string", "format": "decimal", "pattern": rf"^(?:{below}|{small}|{ceiling})$"},
            {"type": "number", "minimum": float(low), "maximum": float(high), "multipleOf": 0.01},
        ]
    }


def _blank_allowed_by_model(field) -> bool:
    meta = getattr(getattr(field, "parent", None), "Meta", None)
    model = getattr(meta, "model", None)
    if model is None or not isinstance(getattr(field, "source", None), str) or "." in field.source:
        return False
    try:
        return bool(getattr(model._meta.get_field(field.source), "blank", False))
    except FieldDoesNotExist:
        return False


def _docs_of(schema: dict) -> dict:
    return {key: schema[key] for key in ("title", "description", "readOnly") if key in schema}


# A field's messages, as the operations declare them (casework.api_kit.field_errors): a list of them,
# a nested body's (a list or object of the same), or one.
_FIELD_MESSAGES = {"anyOf": [{"type": "array"}, {"type": "object"}, {"type": "string"}]}
_INPUT_REFUSED = OpenApiResponse(
    response={"type": "object", "additionalProperties": {}},
    description="The input was not accepted: messages for each field that needs fixing "
    "(`non_field_errors` for the request as a whole, `detail` for a body that could not be read).",
)
_NOT_JSON = OpenApiResponse(
    inline_serializer("UnsupportedMediaType", fields={"detail": drf_serializers.CharField()}),
    description="The body was not sent as one of the documented media types.",
)
_CONFLICT = OpenApiResponse(
    inline_serializer("Conflict", fields={"detail": drf_serializers.CharField()}),
    description="The record's state no longer allows this change (someone else changed it first, or "
    "it has moved on): `detail` says why.",
)

_DETAIL_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Problem details (RFC 9457): every error answer, to a request that says "
    "`Accept: application/problem+json` (without it, the same answer is `application/json` with the "
    "other members only). Other members (a 400's field messages and `errors`, a stale edit's "
    "`current`) are as each operation documents.",
    "properties": {
        "type": {
            "type": "string",
            "description": "Always `about:blank`: the status code says what kind of problem it is.",
        },
        "title": {"type": "string", "description": "The status code's name, such as `Not Found`."},
        "status": {"type": "integer", "description": "The HTTP status code of this answer."},
        "detail": {"type": "string", "description": "What went wrong, in plain English."},
    },
    "required": ["type", "title", "status", "detail"],
}
_IN_ERRORS = (
    "As problem details (`Accept: application/problem+json`), the messages are also all in `errors` "
    "(a field called `title` or `status` is only there)."
)
_SERVER_ERROR = (
    "Something went wrong in the service (it is logged there). Nothing about the fault is in the "
    "answer. If you were changing something, check whether it was saved before trying again."
)
_UNAVAILABLE = (
    "The service cannot reach its database for the moment: try again after the `Retry-After` "
    "seconds. If you were changing something, check whether it was saved first."
)
_RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 1},
    "description": "Seconds to wait before trying again.",
}
_SHARED = [
    ("500", "ServerError", _SERVER_ERROR, {}),
    ("503", "Unavailable", _UNAVAILABLE, {"Retry-After": _RETRY_AFTER}),
]
