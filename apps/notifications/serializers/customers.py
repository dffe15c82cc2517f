"""Serializers of customers and their channel preferences (plus the error schemas of the directory API)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from drf_standardized_errors.openapi_serializers import (
    ErrorResponse401Serializer,
    ErrorResponse404Serializer,
)
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from apps.core.constants import Channel
from apps.core.openapi import ApplicationErrorResponseSerializer, ErrorItemSerializer
from apps.core.phones import InvalidPhoneNumber, phone_to_e164
from apps.core.serializers import JSONTypesMixin
from apps.notifications.models import CustomerContactInfo

# External ids travel in URLs: letters, digits, '-', '_' and '.', starting with a letter or digit.
EXTERNAL_ID_REGEX = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
EXTERNAL_ID_HELP = "Letras, dígitos, '-', '_' y '.'; empieza por letra o dígito; máximo 100 caracteres."


# --- error schemas (OpenAPI) ------------------------------------------------------------------------
# 400/401/404/413 are documented automatically (apps.core.openapi.AutoSchema) wherever the schema generator
# can see them; these cover the rest: state conflicts, missing configuration.
# Also used by apps.analytics: keep the names and codes stable.


class ServiceUnavailableErrorSerializer(serializers.Serializer):
    """503: el servidor no tiene la configuración que la operación necesita."""

    type = serializers.ChoiceField(choices=["server_error"])
    errors = ErrorItemSerializer(many=True)


_ERROR_RESPONSES = {
    401: OpenApiResponse(ErrorResponse401Serializer, description="Falta la clave de API o no es válida."),
    404: OpenApiResponse(ErrorResponse404Serializer, description="No existe el recurso indicado."),
    409: OpenApiResponse(ApplicationErrorResponseSerializer, description="El estado actual no permite la operación."),
    422: OpenApiResponse(
        ApplicationErrorResponseSerializer, description="Los datos son válidos pero la operación no puede hacerse."
    ),
    503: OpenApiResponse(ServiceUnavailableErrorSerializer, description="Función no configurada en el servidor."),
}


def error_responses(*status_codes: int) -> dict[int, OpenApiResponse]:
    """Error responses the automatic schema cannot infer, for `extend_schema(responses=...)`."""
    return {code: _ERROR_RESPONSES[code] for code in status_codes}


def validation_error_example(code: str, detail: str, attr: str) -> dict:
    """The body of a 400, for OpenAPI examples."""
    return {"type": "validation_error", "errors": [{"code": code, "detail": detail, "attr": attr}]}


# --- customers --------------------------------------------------------------------------------------


def normalize_phone(value: str | None) -> str:
    """Blank stays blank; anything else becomes E.164 or a Spanish validation error."""
    if not value or not value.strip():
        return ""
    try:
        return phone_to_e164(value)
    except InvalidPhoneNumber as exc:
        raise serializers.ValidationError(str(exc), code="invalid_phone") from None


class CustomerSerializer(JSONTypesMixin, serializers.ModelSerializer):
    customer_id = serializers.RegexField(
        EXTERNAL_ID_REGEX,
        max_length=100,
        help_text=f"ID del cliente en el servicio Core. {EXTERNAL_ID_HELP} No cambia después de crearlo.",
        error_messages={"invalid": f"customer_id inválido. {EXTERNAL_ID_HELP}"},
        validators=[
            UniqueValidator(
                queryset=CustomerContactInfo.objects.all(), message="Ya existe un cliente con este customer_id."
            )
        ],
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    # No `default=""` here: OpenAPI validators check a default against format "email". A PUT that omits
    # the email clears it in validate(), like the other optional fields.
    email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, allow_null=True, help_text="Vacío si no tiene."
    )
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text="Se guarda en E.164: `0991234567` → `+593991234567` (región PHONE_DEFAULT_REGION).",
    )

    class Meta:
        model = CustomerContactInfo
        fields = [
            "customer_id",
            "name",
            "email",
            "phone",
            "is_active",
            "is_placeholder",
            "synced_at",
            "source_updated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_placeholder", "synced_at", "source_updated_at", "created_at", "updated_at"]

    def validate_customer_id(self, value: str) -> str:
        if isinstance(self.instance, CustomerContactInfo) and value != self.instance.customer_id:
            raise serializers.ValidationError("El customer_id no se puede cambiar.", code="immutable")
        return value

    def validate_name(self, value: str) -> str:
        return value.strip()

    def validate_email(self, value: str | None) -> str:
        return (value or "").strip()

    def validate_phone(self, value: str | None) -> str:
        return normalize_phone(value)

    def validate(self, attrs: dict) -> dict:
        if not self.partial and "email" not in attrs:
            attrs["email"] = ""
        return attrs


class CustomerUpdateSerializer(CustomerSerializer):
    """PUT y PATCH: el `customer_id` va en la URL; el cuerpo puede repetirlo, no cambiarlo."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer_id"].required = False


# --- channel preferences ----------------------------------------------------------------------------


class ChannelPreferenceSerializer(JSONTypesMixin, serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="email, whatsapp o push.")
    priority = serializers.IntegerField(min_value=1, max_value=100, help_text="1 es la más alta.")
    enabled = serializers.BooleanField(default=True)


class CustomerPreferencesSerializer(serializers.Serializer):
    customer_id = serializers.CharField()
    is_default = serializers.BooleanField(
        help_text="true: el cliente no tiene preferencias propias y se muestran las de DEFAULT_CHANNEL_PRIORITY."
    )
    preferences = ChannelPreferenceSerializer(many=True)


class PreferencesUpdateSerializer(JSONTypesMixin, serializers.Serializer):
    # A ListField (not many=True) so list-level errors name "preferences", not "preferences.non_field_errors".
    preferences = serializers.ListField(
        child=ChannelPreferenceSerializer(),
        allow_empty=False,
        min_length=1,
        max_length=len(Channel.values),
        help_text="Lista completa de canales; los que no aparecen quedan deshabilitados.",
    )

    def validate_preferences(self, items: list[dict]) -> list[dict]:
        errors: list[dict] = [{} for _ in items]
        seen_channels: set[str] = set()
        seen_priorities: set[int] = set()
        for index, item in enumerate(items):
            if item["channel"] in seen_channels:
                errors[index]["channel"] = [f"El canal '{item['channel']}' está repetido."]
            if item["priority"] in seen_priorities:
                errors[index]["priority"] = [f"La prioridad {item['priority']} está repetida."]
            seen_channels.add(item["channel"])
            seen_priorities.add(item["priority"])
        if any(errors):
            raise serializers.ValidationError(errors, code="duplicate")
        return items
