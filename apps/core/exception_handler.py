"""The one exception handler: every API error is
{"type": "validation_error"|"client_error"|"server_error", "errors": [{"code", "detail", "attr"}]}.

drf-standardized-errors produces that shape for DRF exceptions; this adds ApplicationError
(valid input we cannot serve) and Django's ValidationError raised by model validation.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from apps.core.exceptions import ApplicationError


def error_body(error_type: str, errors: list[dict]) -> dict:
    return {
        "type": error_type,
        "errors": [{"code": e["code"], "detail": e["detail"], "attr": e.get("attr")} for e in errors],
    }


def application_error_response(exc: ApplicationError) -> Response:
    errors = [{"code": exc.code, "detail": exc.detail, "attr": exc.attr}]
    errors += exc.extra.get("errors", [])
    kind = "validation_error" if exc.status_code == 400 else "client_error"
    body = error_body(kind, errors)
    for key, value in exc.extra.items():
        if key != "errors":
            body[key] = value
    return Response(body, status=exc.status_code)


class _Handler(ExceptionHandler):
    def convert_known_exceptions(self, exc):
        if isinstance(exc, DjangoValidationError):
            return exceptions.ValidationError(detail=as_serializer_error(exc))
        return super().convert_known_exceptions(exc)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        set_rollback()
        return application_error_response(exc)
    return _Handler(exc, context).run()
