"""OpenAPI glue: document every error response an operation can give, and our authentication schemes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import force_instance, is_basic_serializer
from drf_spectacular.utils import PolymorphicProxySerializer
from drf_standardized_errors.openapi import AutoSchema as StandardizedAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from drf_standardized_errors.openapi_utils import (
    InputDataField,
    get_flat_serializer_fields,
    get_serializer_fields_with_error_codes,
)
from inflection import camelize
from rest_framework import serializers

from apps.core import exception_handler as our_handler
from apps.core.input_guard import REJECTED_INPUT_CODES

BODY_ERROR_CODES = [(code, code) for code in ("parse_error", *REJECTED_INPUT_CODES)]
PARAMETER_ERROR_CODES = [(code, code) for code in ("null_character", "too_many_parameters")]
_ERROR_WHERE = (
    "Dónde: el campo (`name`, `context.Nombre`, `customers.3.phone`), el parámetro de la URL o la cabecera "
    "(`Cookie`); null si es el cuerpo entero o una clave."
)


# The docstrings of these serializers are the descriptions of their OpenAPI components: written for the reader.


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ApplicationErrorResponseSerializer(serializers.Serializer):
    """Error 404, 409 o 422 de la operación: `errors[0].code` dice el motivo."""

    type = serializers.CharField(default="client_error")
    errors = ErrorItemSerializer(many=True)


def _error_response(response: str, item: str, codes, types, description: str, where: str = ""):
    """The envelope of one kind of refusal, its `errors[].code` limited to `codes`. The class names are the
    OpenAPI component names (`<response>Response`, `_<item>Error` and its `CodeEnum`)."""
    # DRF orders declared fields by when they were created: code, detail, attr.
    item_fields = {"code": serializers.ChoiceField(choices=codes), "detail": serializers.CharField()}
    item_fields["attr"] = serializers.CharField(allow_null=True, **({"help_text": where} if where else {}))
    error = type(f"_{item}ErrorSerializer", (serializers.Serializer,), {"__module__": __name__, **item_fields})
    fields = {"type": serializers.ChoiceField(choices=types), "errors": error(many=True)}
    return type(
        f"{response}ResponseSerializer",
        (serializers.Serializer,),
        {"__module__": __name__, "__doc__": description, **fields},
    )


UnreadableBodyResponseSerializer = _error_response(
    "UnreadableBody",
    "Body",
    BODY_ERROR_CODES,
    ClientErrorEnum.choices,
    """400 `client_error`: el cuerpo no es JSON (`parse_error`) o trae algo que ningún campo admite: el carácter
    NUL (`null_character`) o un sustituto UTF-16 suelto (`lone_surrogate`) en un texto o una clave, un número no
    finito (`non_finite_number`) o más de 32 niveles de anidación (`nesting_too_deep`).""",
    where=_ERROR_WHERE,
)

UnreadableParameterResponseSerializer = _error_response(
    "UnreadableParameter",
    "Parameter",
    PARAMETER_ERROR_CODES,
    ClientErrorEnum.choices,
    """400 `client_error`: un parámetro de la URL, un valor de la ruta, una cabecera o una cookie trae el carácter
    NUL (`null_character`), o la URL trae demasiados parámetros (`too_many_parameters`).""",
    where=_ERROR_WHERE,
)

RequestTooLargeResponseSerializer = _error_response(
    "RequestTooLarge",
    "TooLarge",
    [("request_too_large", "request_too_large")],
    ClientErrorEnum.choices,
    """413 `request_too_large`: el cuerpo supera DATA_UPLOAD_MAX_MEMORY_SIZE (2,5 MB salvo otra
    configuración).""",
)

DatabaseUnavailableResponseSerializer = _error_response(
    "DatabaseUnavailable",
    "DatabaseUnavailable",
    [("database_unavailable", "database_unavailable")],
    ServerErrorEnum.choices,
    """503 `database_unavailable`: PostgreSQL no responde (reinicio, conmutación); no se guardó nada y la misma
    petición puede repetirse (cabecera `Retry-After`).""",
)


class AutoSchema(StandardizedAutoSchema):
    """drf-standardized-errors documents 400/401/404… only for views using its own handler; ours wraps it
    (adding ApplicationError), so every view qualifies. On top of it: every operation may answer 400 (its query
    string and path pass apps.core.input_guard), one with a body may answer 413, any may answer 503 while the
    database is down, and the 400 lists the
    codes of query serializers, pagination and request bodies sent with DELETE."""

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code in responses:
            return False
        if status_code == "400":
            return True
        if status_code == "413":
            return self._has_request_body()
        if status_code == "503":
            return True  # every operation reads the database (the API key, at least)
        if self.view.get_exception_handler() is not our_handler.exception_handler:
            return super()._should_add_error_response(responses, status_code)
        original = self.view.get_exception_handler
        try:
            from drf_standardized_errors.handler import exception_handler as standardized

            self.view.get_exception_handler = lambda: standardized
            return super()._should_add_error_response(responses, status_code)
        finally:
            self.view.get_exception_handler = original

    def _get_error_response_serializer(self, status_code: str):
        if status_code == "413":
            return RequestTooLargeResponseSerializer
        if status_code == "503":
            return DatabaseUnavailableResponseSerializer
        return super()._get_error_response_serializer(status_code)

    def _get_http400_serializer(self):
        variants = {}
        if self._should_add_validation_error_response():
            variants["validation_error"] = self._get_serializer_for_validation_error_response()
        has_body = self._has_request_body()
        variants["client_error"] = (
            UnreadableBodyResponseSerializer if has_body else UnreadableParameterResponseSerializer
        )
        return PolymorphicProxySerializer(
            component_name=f"{camelize(self.get_operation_id())}ErrorResponse400",
            serializers=variants,
            resource_type_field_name="type",
        )

    def _has_request_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE") and self._get_request_body() is not None

    def _should_add_validation_error_response(self) -> bool:
        return super()._should_add_validation_error_response() or bool(self._extra_input_fields())

    def _determine_fields_with_error_codes(self) -> list[InputDataField]:
        return super()._determine_fields_with_error_codes() + self._extra_input_fields()

    def _extra_input_fields(self) -> list[InputDataField]:
        """Input drf-standardized-errors does not look at: a DELETE body, query serializers, `page`/`page_size`."""
        fields = []
        if self.method == "DELETE" and self._has_request_body():
            fields += get_flat_serializer_fields(self.get_request_serializer())
        if self.method == "GET":
            for parameter in self.get_override_parameters():
                if is_basic_serializer(parameter):
                    fields += get_flat_serializer_fields(list(force_instance(parameter).fields.values()))
            for parameter in self._get_pagination_parameters():
                codes = {"invalid", "min_value"}
                fields.append(InputDataField(parameter["name"], serializers.IntegerField(), codes))
        with_codes = [f for f in fields if f.error_codes]
        return with_codes + get_serializer_fields_with_error_codes([f for f in fields if not f.error_codes])


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Valor: `Api-Key <clave>` (cree una con `python manage.py create_api_key <nombre>`).",
        }


class InternalSecretScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.authentication.InternalSecretAuthentication"
    name = "InternalSecret"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Internal-Secret"}


class EvolutionWebhookScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.authentication.EvolutionWebhookAuthentication"
    name = "EvolutionWebhookToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Webhook-Token",
            "description": "El valor de EVOLUTION_WEBHOOK_TOKEN; también se acepta como parámetro `?token=`.",
        }
