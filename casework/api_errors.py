"""One mapping from domain errors to API responses (STYLE.md: one place for DRF)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
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
