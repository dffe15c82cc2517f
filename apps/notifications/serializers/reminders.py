"""Serializers of maintenance reminders (addressed by UUID; vehicle by its external `vehicle_id`)."""

from __future__ import annotations

import datetime

from rest_framework import serializers

from apps.core.constants import ReminderStatus
from apps.core.serializers import JSONTypesMixin
from apps.notifications.models import MaintenanceReminder, Vehicle

MAX_DUE_MILEAGE = 9_999_999
# A workshop's reminders live in this century; the bounds also keep date arithmetic (notice window, next
# recurrence) far from Python's date limits.
EARLIEST_DUE_DATE = datetime.date(2000, 1, 1)
LATEST_DUE_DATE = datetime.date(2099, 12, 31)


class VehicleRefField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": "No existe un vehículo con vehicle_id '{value}'.",
        "invalid": "vehicle_id inválido.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="vehicle_id", queryset=Vehicle.objects.all(), **kwargs)


class ReminderSerializer(JSONTypesMixin, serializers.ModelSerializer):
    vehicle_id = VehicleRefField(source="vehicle", help_text="vehicle_id del vehículo (debe existir y estar activo).")
    customer_id = serializers.CharField(
        source="customer.customer_id", read_only=True, help_text="Propietario del vehículo al crear el recordatorio."
    )
    reminder_type = serializers.CharField(max_length=80, required=False, default="mantenimiento")
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="AAAA-MM-DD.")
    due_mileage = serializers.IntegerField(
        min_value=0, max_value=MAX_DUE_MILEAGE, required=False, allow_null=True, default=None
    )
    notify_days_before = serializers.IntegerField(
        min_value=0, max_value=365, required=False, default=7, help_text="Días de anticipación del aviso."
    )
    recurrence_days = serializers.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        allow_null=True,
        default=None,
        help_text="Al completarlo se crea el siguiente recordatorio a esta distancia. Vacío: no se repite.",
    )
    status = serializers.ChoiceField(
        choices=ReminderStatus.choices,
        required=False,
        help_text=(
            "Al editar solo se admite `pending` o `cancelled`; `notified` lo asigna el sistema y "
            "`completed` se logra con `complete/`."
        ),
    )

    class Meta:
        model = MaintenanceReminder
        fields = [
            "id",
            "vehicle_id",
            "customer_id",
            "reminder_type",
            "description",
            "due_date",
            "due_mileage",
            "notify_days_before",
            "recurrence_days",
            "status",
            "last_notified_at",
            "notified_count",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "last_notified_at", "notified_count", "completed_at", "created_at", "updated_at"]

    def validate_reminder_type(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("El tipo de recordatorio no puede estar vacío.", code="blank")
        return value

    def validate_status(self, value: str) -> str:
        current = self.instance.status if isinstance(self.instance, MaintenanceReminder) else None
        if current is None and value != ReminderStatus.PENDING:
            raise serializers.ValidationError("Un recordatorio nuevo empieza en 'pending'.", code="invalid_status")
        return value

    def validate_due_date(self, value):
        if value is not None and not EARLIEST_DUE_DATE <= value <= LATEST_DUE_DATE:
            raise serializers.ValidationError(
                f"La fecha debe estar entre {EARLIEST_DUE_DATE:%Y-%m-%d} y {LATEST_DUE_DATE:%Y-%m-%d}.",
                code="date_out_of_range",
            )
        return value

    def validate(self, attrs: dict) -> dict:
        instance = self.instance if isinstance(self.instance, MaintenanceReminder) else None
        due_date = attrs.get("due_date", instance.due_date if instance else None)
        due_mileage = attrs.get("due_mileage", instance.due_mileage if instance else None)
        if due_date is None and due_mileage is None:
            raise serializers.ValidationError(
                {"due_date": "Indique la fecha límite (due_date), el kilometraje límite (due_mileage) o ambos."},
                code="due_date_or_mileage_required",
            )
        return attrs


class ReminderCompleteResponseSerializer(serializers.Serializer):
    reminder = ReminderSerializer()
    next_reminder = ReminderSerializer(allow_null=True, help_text="El siguiente, si el recordatorio se repite.")
