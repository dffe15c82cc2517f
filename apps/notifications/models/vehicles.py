from django.db import models
from django.db.models import Value
from django.db.models.functions import Replace, Upper

from apps.core.constants import ReminderStatus
from apps.core.models import BaseModel

from .customers import CustomerContactInfo


def plate_normalized():
    """The plate as a lookup compares it ('abc-1234', 'ABC 1234' → 'ABC1234'), also for rows an older sync stored
    with dashes or spaces. The lookup and its index use this one expression, so that PostgreSQL can match them."""
    return Replace(Replace(Upper("plate"), Value("-"), Value("")), Value(" "), Value(""))


class Vehicle(BaseModel):
    # Unique through Meta.constraints, not `unique=True`: on PostgreSQL that also builds a LIKE twin (`_like`) of the
    # index, which no lookup uses and every vehicle a sync inserts writes.
    vehicle_id = models.CharField("ID de vehículo (Core)", max_length=100)
    customer = models.ForeignKey(
        CustomerContactInfo, verbose_name="cliente", on_delete=models.CASCADE, related_name="vehicles"
    )
    # Indexed as plate_normalized() (Meta), the form every plate lookup uses: a plain index on the column never served
    # one, and its LIKE twin neither; both were written by every vehicle a sync inserts.
    plate = models.CharField("placa", max_length=20, blank=True)
    brand = models.CharField("marca", max_length=80, blank=True)
    model = models.CharField("modelo", max_length=80, blank=True)
    year = models.PositiveSmallIntegerField("año", null=True, blank=True)
    vin = models.CharField("VIN", max_length=32, blank=True)
    color = models.CharField("color", max_length=40, blank=True)
    mileage = models.PositiveIntegerField("kilometraje", null=True, blank=True)
    is_active = models.BooleanField("activo", default=True)
    synced_at = models.DateTimeField("sincronizado", null=True, blank=True)
    source_updated_at = models.DateTimeField("actualizado en Core", null=True, blank=True)

    class Meta:
        ordering = ["vehicle_id"]
        verbose_name = "vehículo"
        verbose_name_plural = "vehículos"
        indexes = [models.Index(plate_normalized(), name="vehicle_plate_normalized_idx")]
        constraints = [models.UniqueConstraint(fields=["vehicle_id"], name="vehicle_vehicle_id_unique")]

    def __str__(self):
        return f"{self.plate or self.vehicle_id} · {self.description}"

    @property
    def description(self) -> str:
        """'Haval H6 2024': what {{Vehículo}} shows."""
        return " ".join(str(part) for part in (self.brand, self.model, self.year) if part)


class MaintenanceReminder(BaseModel):
    vehicle = models.ForeignKey(Vehicle, verbose_name="vehículo", on_delete=models.CASCADE, related_name="reminders")
    customer = models.ForeignKey(
        CustomerContactInfo, verbose_name="cliente", on_delete=models.CASCADE, related_name="reminders"
    )
    reminder_type = models.CharField("tipo", max_length=80, default="mantenimiento")
    description = models.TextField("descripción", blank=True)
    due_date = models.DateField("fecha límite", null=True, blank=True)
    due_mileage = models.PositiveIntegerField("kilometraje límite", null=True, blank=True)
    notify_days_before = models.PositiveSmallIntegerField("avisar días antes", default=7)
    recurrence_days = models.PositiveIntegerField("repetir cada (días)", null=True, blank=True)
    status = models.CharField("estado", max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    last_notified_at = models.DateTimeField("último aviso", null=True, blank=True)
    notified_count = models.PositiveSmallIntegerField(
        "avisos enviados", default=0, help_text="Uno al entrar en la ventana de aviso, otro el día límite."
    )
    completed_at = models.DateTimeField("completado", null=True, blank=True)

    class Meta:
        ordering = ["due_date", "created_at"]
        verbose_name = "recordatorio de mantenimiento"
        verbose_name_plural = "recordatorios de mantenimiento"
        indexes = [models.Index(fields=["status", "due_date"], name="reminder_status_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_date__isnull=False) | models.Q(due_mileage__isnull=False),
                name="reminder_has_due_date_or_mileage",
            )
        ]

    def __str__(self):
        return f"{self.reminder_type} · {self.vehicle_id} · {self.due_date or self.due_mileage}"
