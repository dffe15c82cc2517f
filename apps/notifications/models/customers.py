"""The local projection of the Core service's customers, and their channel preferences."""

from django.db import models

from apps.core.constants import Channel
from apps.core.models import BaseModel


class CustomerContactInfo(BaseModel):
    # Unique through Meta.constraints, as Vehicle.vehicle_id: no LIKE twin of the index for every row a sync writes.
    customer_id = models.CharField("ID de cliente (Core)", max_length=100)
    name = models.CharField("nombre", max_length=200, blank=True)
    email = models.EmailField("email", blank=True)
    phone = models.CharField("teléfono (E.164)", max_length=20, blank=True)
    is_active = models.BooleanField("activo", default=True)
    is_placeholder = models.BooleanField(
        "provisional", default=False, help_text="Creado por la sincronización de un vehículo; faltan sus datos."
    )
    synced_at = models.DateTimeField("sincronizado", null=True, blank=True)
    source_updated_at = models.DateTimeField("actualizado en Core", null=True, blank=True)

    class Meta:
        ordering = ["customer_id"]
        verbose_name = "cliente"
        verbose_name_plural = "clientes"
        constraints = [models.UniqueConstraint(fields=["customer_id"], name="customer_customer_id_unique")]

    def __str__(self):
        return f"{self.customer_id} · {self.name}" if self.name else self.customer_id


class CustomerChannelPreference(BaseModel):
    customer = models.ForeignKey(
        CustomerContactInfo, verbose_name="cliente", on_delete=models.CASCADE, related_name="channel_preferences"
    )
    channel = models.CharField("canal", max_length=16, choices=Channel.choices)
    priority = models.PositiveSmallIntegerField("prioridad", help_text="1 es la más alta.")
    is_enabled = models.BooleanField("habilitado", default=True)

    class Meta:
        ordering = ["customer", "priority"]
        verbose_name = "preferencia de canal"
        verbose_name_plural = "preferencias de canal"
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], name="customerpref_unique_channel"),
            models.UniqueConstraint(fields=["customer", "priority"], name="customerpref_unique_priority"),
        ]

    def __str__(self):
        return f"{self.customer_id} · {self.channel} ({self.priority})"
