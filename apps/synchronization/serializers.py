"""Input of the sync webhooks: one item or a batch of up to 10,000, validated in full before anything is stored.

Fields an item leaves out keep their stored value (a new row takes the model's default); fields it sends,
even blank or null, replace it. The validated items are JSON-ready (`updated_at` as ISO-8601) because they are
stored as they are in `SyncBatch.payload`.
"""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from rest_framework import serializers

from apps.core.serializers import JSONTypesMixin
from apps.notifications.serializers.customers import EXTERNAL_ID_HELP, EXTERNAL_ID_REGEX, normalize_phone
from apps.notifications.serializers.vehicles import MAX_MILEAGE, MIN_YEAR, PLATE_MAX_LENGTH
from apps.notifications.services.customers import plate_normalize

MAX_BATCH_ITEMS = 10_000
UPDATED_AT_RANGE = (
    datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC),
)
_PLATE_RE = re.compile(r"^[A-Z0-9]+$")
# ISO 3779, as in the vehicle directory API: 17 characters, digits and capital letters except I, O and Q.
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def _external_id(name: str, help_text: str) -> serializers.RegexField:
    return serializers.RegexField(
        EXTERNAL_ID_REGEX,
        max_length=100,
        help_text=f"{help_text} {EXTERNAL_ID_HELP}",
        error_messages={"invalid": f"{name} inválido. {EXTERNAL_ID_HELP}"},
    )


def _optional_text(max_length: int, help_text: str = "") -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, allow_null=True, help_text=help_text
    )


def _is_active_field() -> serializers.BooleanField:
    return serializers.BooleanField(required=False, help_text="Por omisión `true` en un registro nuevo.")


def _updated_at_field() -> serializers.DateTimeField:
    return serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=(
            "Momento de la última modificación en Core (ISO-8601; sin zona horaria se entiende America/Guayaquil), "
            "entre los años 2000 y 2100. Una actualización más antigua que la guardada se ignora."
        ),
    )


# `updated_at` is stored as ISO-8601 text: the validated items go into a JSON column as they are. (A comment,
# not a docstring: drf-spectacular would publish it as the description of both item schemas.)
class _SyncItemSerializer(JSONTypesMixin, serializers.Serializer):
    def validate_updated_at(self, value: datetime.datetime | None) -> datetime.datetime | None:
        # A year like 0108 is a typo, and before 1931 America/Guayaquil has a local-mean-time offset with seconds
        # (-05:19:20) that no ISO-8601 client reads back.
        if value is not None and not UPDATED_AT_RANGE[0] <= value < UPDATED_AT_RANGE[1]:
            raise serializers.ValidationError(
                f"updated_at debe estar entre {UPDATED_AT_RANGE[0]:%Y} y {UPDATED_AT_RANGE[1]:%Y}.",
                code="date_out_of_range",
            )
        return value

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if values.get("updated_at") is not None:
            values["updated_at"] = values["updated_at"].isoformat()
        return values


class CustomerSyncItemSerializer(_SyncItemSerializer):
    customer_id = _external_id("customer_id", "ID del cliente en el servicio Core.")
    name = _optional_text(200)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, allow_null=True)
    phone = _optional_text(32, "Se guarda en E.164: `0991234567` → `+593991234567` (región PHONE_DEFAULT_REGION).")
    is_active = _is_active_field()
    updated_at = _updated_at_field()

    def validate_name(self, value: str | None) -> str:
        return value or ""

    def validate_email(self, value: str | None) -> str:
        return value or ""

    def validate_phone(self, value: str | None) -> str:
        return normalize_phone(value)


class VehicleSyncItemSerializer(_SyncItemSerializer):
    vehicle_id = _external_id("vehicle_id", "ID del vehículo en el servicio Core.")
    customer_id = _external_id(
        "customer_id", "customer_id del propietario; si aún no existe se crea un cliente provisional."
    )
    plate = _optional_text(32, "Se guarda en mayúsculas, sin espacios ni guiones: `abc-1234` → `ABC1234`.")
    brand = _optional_text(80)
    model = _optional_text(80)
    year = serializers.IntegerField(
        min_value=MIN_YEAR, required=False, allow_null=True, help_text="Hasta el año actual + 1."
    )
    vin = _optional_text(32, "17 caracteres (letras sin I, O, Q y dígitos); se guarda en mayúsculas.")
    color = _optional_text(40)
    mileage = serializers.IntegerField(
        min_value=0, max_value=MAX_MILEAGE, required=False, allow_null=True, help_text="Kilómetros."
    )
    is_active = _is_active_field()
    updated_at = _updated_at_field()

    def validate_plate(self, value: str | None) -> str:
        plate = plate_normalize(value or "")
        if plate and (len(plate) > PLATE_MAX_LENGTH or not _PLATE_RE.match(plate)):
            raise serializers.ValidationError(
                f"La placa solo admite letras y dígitos (máximo {PLATE_MAX_LENGTH}), p. ej. ABC1234.",
                code="invalid_plate",
            )
        return plate

    def validate_vin(self, value: str | None) -> str:
        vin = (value or "").upper()
        if vin and not _VIN_RE.match(vin):
            raise serializers.ValidationError(
                "El VIN debe tener 17 caracteres: dígitos y letras, sin I, O ni Q.", code="invalid_vin"
            )
        return vin

    def validate_year(self, value: int | None) -> int | None:
        max_year = timezone.localdate().year + 1
        if value is not None and value > max_year:
            raise serializers.ValidationError(f"El año no puede ser mayor que {max_year}.", code="max_value")
        return value

    # CharField already trims; null means "no value".
    def validate_brand(self, value: str | None) -> str:
        return value or ""

    def validate_model(self, value: str | None) -> str:
        return value or ""

    def validate_color(self, value: str | None) -> str:
        return value or ""


class _BoundedListField(serializers.ListField):
    """Checks the length before validating a single item: 50 000 items are refused at once."""

    def to_internal_value(self, data):
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            raise serializers.ValidationError(
                f"Un lote admite como máximo {self.max_length} elementos; llegaron {len(data)}.", code="max_length"
            )
        return super().to_internal_value(data)


def _batch_field(child: serializers.Serializer, noun: str) -> _BoundedListField:
    return _BoundedListField(
        child=child,
        allow_empty=False,
        min_length=1,
        max_length=MAX_BATCH_ITEMS,
        help_text=f"De 1 a {MAX_BATCH_ITEMS} {noun}; un mismo ID no puede repetirse en el lote.",
        error_messages={"empty": "El lote está vacío.", "not_a_list": "Se esperaba una lista."},
    )


def _reject_duplicates(items: list[dict], id_field: str) -> None:
    first_seen: dict[str, int] = {}
    errors: dict[int, dict] = {}
    for index, item in enumerate(items):
        value = item[id_field]
        if value in first_seen:
            errors[index] = {
                id_field: [
                    serializers.ErrorDetail(
                        f"{id_field} '{value}' repetido: ya aparece en la posición {first_seen[value]}.",
                        code="duplicate",
                    )
                ]
            }
        else:
            first_seen[value] = index
    if errors:
        raise serializers.ValidationError(errors)


class CustomerSyncBatchSerializer(JSONTypesMixin, serializers.Serializer):
    customers = _batch_field(CustomerSyncItemSerializer(), "clientes")

    def validate_customers(self, items: list[dict]) -> list[dict]:
        _reject_duplicates(items, "customer_id")
        return items


class VehicleSyncBatchSerializer(JSONTypesMixin, serializers.Serializer):
    vehicles = _batch_field(VehicleSyncItemSerializer(), "vehículos")

    def validate_vehicles(self, items: list[dict]) -> list[dict]:
        _reject_duplicates(items, "vehicle_id")
        return items


def sync_items_validate(data, *, batch_key: str) -> list[dict]:
    """One object, or `{batch_key: [...]}`: the validated, normalised items (raises a DRF ValidationError)."""
    single, batch = {
        "customers": (CustomerSyncItemSerializer, CustomerSyncBatchSerializer),
        "vehicles": (VehicleSyncItemSerializer, VehicleSyncBatchSerializer),
    }[batch_key]
    if not isinstance(data, dict):
        raise serializers.ValidationError(
            f'Se esperaba un objeto: un elemento o {{"{batch_key}": [...]}}.', code="invalid"
        )
    if batch_key in data and len(data) > 1:
        # Half a batch and half an item: which one the sender meant is a guess.
        raise serializers.ValidationError(
            f'Un lote lleva solo "{batch_key}"; un elemento suelto va sin "{batch_key}".', code="invalid"
        )
    serializer = batch(data=data) if batch_key in data else single(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data[batch_key] if batch_key in data else [serializer.validated_data]


class SyncAcceptedSerializer(serializers.Serializer):
    task_id = serializers.UUIDField(help_text="Consulte su estado en `tasks/{task_id}/status/`.")
    status = serializers.ChoiceField(choices=["accepted"])
    count = serializers.IntegerField(help_text="Elementos aceptados en el lote.")


class TaskStatusSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["PENDING", "STARTED", "SUCCESS", "FAILURE", "RETRY"])
    result = serializers.JSONField(
        allow_null=True,
        help_text=(
            "Lo que devolvió la tarea si terminó bien; para una sincronización, los conteos `created`, `updated`, "
            "`unchanged`, `skipped_stale`, `placeholders_created` y `placeholders_filled`. Si no, null."
        ),
    )
    error = serializers.CharField(allow_null=True, help_text="El error de la tarea (FAILURE o RETRY); si no, null.")
