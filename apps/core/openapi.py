"""OpenAPI glue: document our error responses and our authentication schemes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_standardized_errors.openapi import AutoSchema as StandardizedAutoSchema
from rest_framework import serializers

from apps.core import exception_handler as our_handler


class AutoSchema(StandardizedAutoSchema):
    """drf-standardized-errors documents 400/401/404… only for views using its own handler;
    ours wraps it (adding ApplicationError), so every view qualifies."""

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if self.view.get_exception_handler() is not our_handler.exception_handler:
            return super()._should_add_error_response(responses, status_code)
        original = self.view.get_exception_handler
        try:
            from drf_standardized_errors.handler import exception_handler as standardized

            self.view.get_exception_handler = lambda: standardized
            return super()._should_add_error_response(responses, status_code)
        finally:
            self.view.get_exception_handler = original


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ApplicationErrorResponseSerializer(serializers.Serializer):
    """404/409/422 raised by a service (ApplicationError): `errors[0].code` says why."""

    type = serializers.CharField(default="client_error")
    errors = ErrorItemSerializer(many=True)


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


def document_error_attrs(result, generator, request, public):
    """Postprocessing hook: the schema says what exception_handler sends. An error about a nested object is
    named after the object, one about the whole body has `attr: null` (never DRF's `non_field_errors`)."""
    from apps.core.exception_handler import error_attr

    for component in result.get("components", {}).get("schemas", {}).values():
        mapping = component.get("discriminator", {}).get("mapping")
        if component.get("discriminator", {}).get("propertyName") == "attr" and mapping:
            renamed = {error_attr(key): ref for key, ref in mapping.items()}
            renamed.pop(None, None)  # a null attr cannot select a variant; the oneOf still lists it
            component["discriminator"]["mapping"] = renamed
        attr = component.get("properties", {}).get("attr")
        if not isinstance(attr, dict) or "enum" not in attr:
            continue
        values = list(dict.fromkeys(error_attr(value) for value in attr["enum"]))
        if values == attr["enum"]:
            continue
        attr["enum"] = values
        attr["description"] = "\n".join(f"* `{value}` - {value}" for value in values if value is not None)
        if None in values:
            attr["nullable"] = True
    return result
