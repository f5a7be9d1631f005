"""One mapping from domain errors to API responses (STYLE.md: one place for DRF)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from casework.access import NOT_FOUND_MESSAGE, NotAllowed
from casework.services import InvalidTransition


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = DRFValidationError(detail=detail)
    elif isinstance(exc, Http404):
        return Response({"detail": NOT_FOUND_MESSAGE}, status=status.HTTP_404_NOT_FOUND)
    elif isinstance(exc, InvalidTransition):
        body = {"detail": str(exc)}
        if getattr(exc, "current", None):  # a stale edit (casework.stale.StaleEdit): the saved version
            body["current"] = exc.current
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
    for a change the record's state no longer allows. An operation's own declaration of a code,
    with its examples, wins.
    """

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        from casework import api  # the shared answer shapes; casework.api is loaded by then

        params = operation.get("parameters", [])
        writes = self.method not in _SAFE_METHODS
        wanted = {"403": api._NOT_ALLOWED}
        if operation.get("security") and {} not in operation["security"]:
            wanted["401"] = api._NOT_SIGNED_IN
        if writes or "requestBody" in operation or any(p["in"] == "query" for p in params):
            wanted["400"] = _INPUT_REFUSED
        if any(p["in"] == "path" for p in params) or any(p["name"] == "page" for p in params):
            wanted["404"] = api._NOT_FOUND
        if writes:
            wanted["409"] = _CONFLICT
        if "requestBody" in operation:
            wanted["415"] = _NOT_JSON
        responses = operation["responses"]
        for code, answer in wanted.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(answer, code, direction="response")
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def get_summary(self):
        # A view serving one documented route per step (pathways) is given each route's own words.
        return getattr(self.view, "operation_summary", "") or super().get_summary()

    def get_description(self):
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
