"""The service catalog (phases, service types) and the orchestration matrix."""

from django.db import models
from django.db.models import Q

from apps.core.constants import Channel, Target
from apps.core.models import BaseModel


class ServicePhase(BaseModel):
    slug = models.SlugField("slug", max_length=64, unique=True)
    name = models.CharField("nombre", max_length=100)
    icon = models.CharField("ícono", max_length=50, blank=True)
    order = models.PositiveSmallIntegerField("orden", default=0)
    is_active = models.BooleanField("activa", default=True)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = "fase de servicio"
        verbose_name_plural = "fases de servicio"

    def __str__(self):
        return self.name


class ServiceType(BaseModel):
    slug = models.SlugField("slug", max_length=64)
    name = models.CharField("nombre", max_length=100)
    icon = models.CharField("ícono", max_length=50, blank=True)
    order = models.PositiveSmallIntegerField("orden", default=0)
    parent = models.ForeignKey(
        "self",
        verbose_name="tipo principal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subtypes",
    )
    is_active = models.BooleanField("activo", default=True)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = "tipo de servicio"
        verbose_name_plural = "tipos de servicio"
        constraints = [
            # A slug may name a main type and, separately, a subtype (colision-pintura does both).
            models.UniqueConstraint(
                fields=["slug"], condition=Q(parent__isnull=True), name="servicetype_unique_main_slug"
            ),
            models.UniqueConstraint(fields=["parent", "slug"], name="servicetype_unique_subtype_slug"),
        ]

    def __str__(self):
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    @property
    def is_subtype(self) -> bool:
        return self.parent_id is not None

    @property
    def main_type(self) -> "ServiceType":
        return self.parent if self.parent_id else self


class OrchestrationConfig(BaseModel):
    service_type = models.ForeignKey(
        ServiceType,
        verbose_name="tipo de servicio",
        on_delete=models.CASCADE,
        related_name="orchestration_configs",
        limit_choices_to={"parent__isnull": True},
    )
    target = models.CharField("destinatario", max_length=16, choices=Target.choices)
    name = models.CharField("nombre", max_length=150)
    is_active = models.BooleanField("activa", default=True)

    class Meta:
        ordering = ["service_type__order", "target"]
        verbose_name = "configuración de orquestación"
        verbose_name_plural = "configuraciones de orquestación"
        constraints = [
            models.UniqueConstraint(fields=["service_type", "target"], name="orchestration_unique_type_target"),
        ]

    def __str__(self):
        return self.name


class PhaseChannelConfig(BaseModel):
    config = models.ForeignKey(
        OrchestrationConfig, verbose_name="configuración", on_delete=models.CASCADE, related_name="phase_channels"
    )
    phase = models.ForeignKey(ServicePhase, verbose_name="fase", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField("canal", max_length=16, choices=Channel.choices)
    is_enabled = models.BooleanField("habilitado", default=True)

    class Meta:
        ordering = ["config", "phase__order", "channel"]
        verbose_name = "canal por fase"
        verbose_name_plural = "matriz de canales por fase"
        constraints = [
            models.UniqueConstraint(fields=["config", "phase", "channel"], name="phasechannel_unique_cell"),
        ]

    def __str__(self):
        state = "sí" if self.is_enabled else "no"
        return f"{self.phase} · {self.get_channel_display()}: {state}"
