"""Serializers of vehicles (addressed by the external `vehicle_id`; owner by the external `customer_id`)."""

from __future__ import annotations

import re

from django.utils import timezone
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from apps.core.serializers import JSONTypesMixin
from apps.notifications.models import CustomerContactInfo, Vehicle
from apps.notifications.serializers.customers import EXTERNAL_ID_HELP, EXTERNAL_ID_REGEX
from apps.notifications.services.customers import plate_normalize

MIN_YEAR = 1900
MAX_MILEAGE = 9_999_999
PLATE_MAX_LENGTH = 20
_PLATE_RE = re.compile(r"^[A-Z0-9]+$")
# ISO 3779: 17 characters, digits and capital letters except I, O and Q.
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


class CustomerRefField(serializers.SlugRelatedField):
    """A customer named by its external id; an unknown id is a 400 on the field."""

    default_error_messages = {
        "does_not_exist": "No existe un cliente con customer_id '{value}'.",
        "invalid": "customer_id inválido.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="customer_id", queryset=CustomerContactInfo.objects.all(), **kwargs)


class VehicleSerializer(JSONTypesMixin, serializers.ModelSerializer):
    vehicle_id = serializers.RegexField(
        EXTERNAL_ID_REGEX,
        max_length=100,
        help_text=f"ID del vehículo en el servicio Core. {EXTERNAL_ID_HELP} No cambia después de crearlo.",
        error_messages={"invalid": f"vehicle_id inválido. {EXTERNAL_ID_HELP}"},
        validators=[
            UniqueValidator(queryset=Vehicle.objects.all(), message="Ya existe un vehículo con este vehicle_id.")
        ],
    )
    customer_id = CustomerRefField(source="customer", help_text="customer_id del propietario (debe existir).")
    plate = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="Se guarda en mayúsculas, sin espacios ni guiones: `abc-1234` → `ABC1234`.",
    )
    brand = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    model = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    year = serializers.IntegerField(
        min_value=MIN_YEAR, required=False, allow_null=True, default=None, help_text="Hasta el año actual + 1."
    )
    vin = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="17 caracteres (letras sin I, O, Q y dígitos); se guarda en mayúsculas.",
    )
    color = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    mileage = serializers.IntegerField(
        min_value=0, max_value=MAX_MILEAGE, required=False, allow_null=True, default=None, help_text="Kilómetros."
    )
    description = serializers.CharField(read_only=True, help_text="«Marca Modelo Año», como en {{Vehículo}}.")

    class Meta:
        model = Vehicle
        fields = [
            "vehicle_id",
            "customer_id",
            "plate",
            "brand",
            "model",
            "year",
            "vin",
            "color",
            "mileage",
            "is_active",
            "description",
            "synced_at",
            "source_updated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["synced_at", "source_updated_at", "created_at", "updated_at"]

    def validate_vehicle_id(self, value: str) -> str:
        if isinstance(self.instance, Vehicle) and value != self.instance.vehicle_id:
            raise serializers.ValidationError("El vehicle_id no se puede cambiar.", code="immutable")
        return value

    def validate_plate(self, value: str) -> str:
        plate = plate_normalize(value)
        if plate and (len(plate) > PLATE_MAX_LENGTH or not _PLATE_RE.match(plate)):
            raise serializers.ValidationError(
                f"La placa solo admite letras y dígitos (máximo {PLATE_MAX_LENGTH}), p. ej. ABC1234.",
                code="invalid_plate",
            )
        return plate

    def validate_year(self, value: int | None) -> int | None:
        max_year = timezone.localdate().year + 1
        if value is not None and value > max_year:
            raise serializers.ValidationError(f"El año no puede ser mayor que {max_year}.", code="max_value")
        return value

    def validate_vin(self, value: str) -> str:
        vin = value.strip().upper()
        if vin and not _VIN_RE.match(vin):
            raise serializers.ValidationError(
                "El VIN debe tener 17 caracteres: dígitos y letras, sin I, O ni Q.", code="invalid_vin"
            )
        return vin

    def validate_brand(self, value: str) -> str:
        return value.strip()

    def validate_model(self, value: str) -> str:
        return value.strip()

    def validate_color(self, value: str) -> str:
        return value.strip()


class VehicleUpdateSerializer(VehicleSerializer):
    """PUT y PATCH: el `vehicle_id` va en la URL; el cuerpo puede repetirlo, no cambiarlo."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle_id"].required = False
