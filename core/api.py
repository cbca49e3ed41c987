"""What every API module shares: the 400 (428, 409) for a refused write, and the request body as an object.

The services refuse bad input by raising Django's `ValidationError` (the same one the pages turn
into form errors). `exception_handler` (settings: REST_FRAMEWORK["EXCEPTION_HANDLER"]) turns it
into the API's 400, so the viewsets call the services without a try/except each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core import revisions


def validation_response(error: ValidationError) -> Response:
    """The API's 400 for a service's refusal: {"detail": {field: [messages]}} or {"detail": [messages]}.

    Two refusals of core.revisions answer otherwise: a replacing save that names no revision 428,
    one over someone else's newer save 409 with the current revision and what changed since."""
    if isinstance(error, revisions.StaleRevision):
        body = {"detail": error.summary, "current_revision": error.current_revision, "changes": error.changes}
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(error, revisions.RevisionRequired):
        return Response({"detail": error.messages[0]}, status=status.HTTP_428_PRECONDITION_REQUIRED)
    detail: Any = error.message_dict if hasattr(error, "error_dict") else error.messages
    return Response({"detail": detail}, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, and a Django ValidationError (a service refusing a write) answers 400."""
    if isinstance(exc, ValidationError):
        set_rollback()  # as DRF does for the errors it handles (matters with ATOMIC_REQUESTS)
        return validation_response(exc)
    return drf_exception_handler(exc, context)


def request_body(request: Request) -> Mapping[str, Any]:
    """The body as an object: a JSON list or scalar answers 400 (DRF's own message), not a 500."""
    data: Any = request.data
    if not isinstance(data, Mapping):
        message = serializers.Serializer.default_error_messages["invalid"].format(datatype=type(data).__name__)
        raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})
    return data
