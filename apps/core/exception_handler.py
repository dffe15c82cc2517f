"""The one exception handler: every API error is
{"type": "validation_error"|"client_error"|"server_error", "errors": [{"code", "detail", "attr"}]}.

drf-standardized-errors produces that shape for DRF exceptions; this adds ApplicationError
(valid input we cannot serve), RejectedInput (input no field can take, apps.core.input_guard), a body over
DATA_UPLOAD_MAX_MEMORY_SIZE (413) and Django's ValidationError raised by model validation.
"""

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from apps.core.exceptions import ApplicationError
from apps.core.input_guard import RejectedInput
from apps.core.logging import request_id_var

_JSON_POSITION = re.compile(r"line (\d+) column (\d+)")


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


def request_too_large(limit: int | None = None, setting: str = "DATA_UPLOAD_MAX_MEMORY_SIZE") -> ApplicationError:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
    return ApplicationError(
        "request_too_large",
        f"El cuerpo de la petición supera el máximo de {limit} bytes ({setting}).",
        status_code=413,
    )


# What a caller without credentials is told, by the credential the endpoint asks for (its WWW-Authenticate).
_MISSING_CREDENTIALS = {
    "Api-Key": "Falta la clave de API: envíe la cabecera Authorization: Api-Key <clave>.",
    "X-Internal-Secret": "Falta la cabecera X-Internal-Secret.",
    "X-Webhook-Token": "Falta el token del webhook (cabecera X-Webhook-Token o parámetro ?token=).",
}


class _Handler(ExceptionHandler):
    def convert_known_exceptions(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated):
            view, request = self.context.get("view"), self.context.get("request")
            wanted = view.get_authenticate_header(request) if view is not None and request is not None else None
            if wanted in _MISSING_CREDENTIALS:
                hinted = exceptions.NotAuthenticated(_MISSING_CREDENTIALS[wanted])
                hinted.auth_header = getattr(exc, "auth_header", None)  # DRF's WWW-Authenticate, kept
                return hinted
        if isinstance(exc, DjangoValidationError):
            return exceptions.ValidationError(detail=as_serializer_error(exc))
        if isinstance(exc, exceptions.ParseError) and str(exc.detail).startswith("JSON parse error"):
            # DRF's text is English and quotes the parser; a person reads Spanish and the position.
            where = _JSON_POSITION.search(str(exc.detail))
            at = f" (línea {where[1]}, columna {where[2]})" if where else ""
            return exceptions.ParseError(f"El cuerpo no es un JSON válido{at}.")
        return super().convert_known_exceptions(exc)

    def convert_unhandled_exceptions(self, exc):
        if not isinstance(exc, exceptions.APIException):
            # Nothing about the failure reaches the client; the id finds its log line (with the traceback).
            return exceptions.APIException(
                detail=f"Error interno del servidor. Quedó registrado con el ID de petición {request_id_var.get()}."
            )
        return exc


NON_FIELD = "non_field_errors"


def error_attr(attr: str | None) -> str | None:
    """An error about a whole object names that object (`subscription`), or nothing for the body: never DRF's
    `non_field_errors`, which is not a field a client sent."""
    if attr == NON_FIELD:
        return None
    if attr and attr.endswith(f".{NON_FIELD}"):
        return attr.removesuffix(f".{NON_FIELD}")
    return attr


def database_unavailable_response() -> Response:
    """PostgreSQL cannot be reached (restarting, failing over) or gave up on the statement: nothing was stored,
    and the same request may be sent again in a moment."""
    body = error_body(
        "server_error",
        [
            {
                "code": "database_unavailable",
                "detail": "La base de datos no está disponible en este momento; reintente en unos segundos.",
                "attr": None,
            }
        ],
    )
    return Response(body, status=503, headers={"Retry-After": "5"})


def exception_handler(exc, context):
    if isinstance(exc, RejectedInput):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses to read the body; without this it would surface as a 500.
        exc = request_too_large()
    if isinstance(exc, ApplicationError):
        set_rollback()
        return application_error_response(exc)
    if isinstance(exc, OperationalError | InterfaceError):
        return database_unavailable_response()
    response = _Handler(exc, context).run()
    if response is not None and isinstance(response.data, dict):
        for error in response.data.get("errors", []):
            error["attr"] = error_attr(error.get("attr"))
    return response
