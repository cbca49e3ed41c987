"""core.api.exception_handler: a service's ValidationError is the API's 400, the rest is DRF's."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404

from core.api import exception_handler


def test_the_api_uses_it() -> None:
    assert settings.REST_FRAMEWORK["EXCEPTION_HANDLER"] == "core.api.exception_handler"


def test_a_refusal_by_field_answers_400_with_the_fields() -> None:
    response = exception_handler(ValidationError({"deadline": ["期限无效"]}), {})
    assert response is not None
    assert response.status_code == 400
    assert response.data == {"detail": {"deadline": ["期限无效"]}}


def test_a_refusal_without_a_field_answers_400_with_the_messages() -> None:
    response = exception_handler(ValidationError(["一", "二"]), {})
    assert response is not None
    assert response.status_code == 400
    assert response.data == {"detail": ["一", "二"]}


def test_other_errors_are_drf_s() -> None:
    response = exception_handler(Http404(), {})
    assert response is not None
    assert response.status_code == 404
    assert exception_handler(RuntimeError("a bug"), {}) is None  # a bug stays a 500
