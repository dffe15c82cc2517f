from django.db import models
from django.db.models import Q

from apps.core.constants import Channel, Target
from apps.core.models import BaseModel

from .catalog import ServicePhase, ServiceType


class NotificationTemplate(BaseModel):
    """A message for (service type or subtype or none, phase, channel, target).

    Resolution: the subtype's template, else the main type's, else the generic one.
    Constraints keep at most one active template per key at each level.
    """

    name = models.CharField("nombre", max_length=150)
    service_type = models.ForeignKey(
        ServiceType,
        verbose_name="tipo de servicio",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="templates",
        limit_choices_to={"parent__isnull": True},
        help_text="Vacío: plantilla genérica para todos los tipos.",
    )
    subtype = models.ForeignKey(
        ServiceType,
        verbose_name="subtipo",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subtype_templates",
        limit_choices_to={"parent__isnull": False},
    )
    phase = models.ForeignKey(ServicePhase, verbose_name="fase", on_delete=models.CASCADE, related_name="templates")
    channel = models.CharField("canal", max_length=16, choices=Channel.choices)
    target = models.CharField("destinatario", max_length=16, choices=Target.choices)
    subject = models.CharField("asunto / título", max_length=200, blank=True)
    body = models.TextField("cuerpo")
    html_body = models.TextField("cuerpo HTML", blank=True)
    is_active = models.BooleanField("activa", default=True)

    class Meta:
        ordering = ["phase__order", "channel", "target", "name"]
        verbose_name = "plantilla de notificación"
        verbose_name_plural = "plantillas de notificación"
        constraints = [
            models.UniqueConstraint(
                fields=["phase", "channel", "target"],
                condition=Q(is_active=True, service_type__isnull=True, subtype__isnull=True),
                name="template_unique_active_generic",
            ),
            models.UniqueConstraint(
                fields=["service_type", "phase", "channel", "target"],
                condition=Q(is_active=True, service_type__isnull=False, subtype__isnull=True),
                name="template_unique_active_type",
            ),
            models.UniqueConstraint(
                fields=["subtype", "phase", "channel", "target"],
                condition=Q(is_active=True, subtype__isnull=False),
                name="template_unique_active_subtype",
            ),
            models.CheckConstraint(
                condition=Q(subtype__isnull=True) | Q(service_type__isnull=False),
                name="template_subtype_needs_type",
            ),
        ]
        indexes = [models.Index(fields=["phase", "channel", "target", "is_active"], name="template_lookup_idx")]

    def __str__(self):
        return self.name

    @property
    def level(self) -> str:
        if self.subtype_id:
            return "subtype"
        if self.service_type_id:
            return "type"
        return "generic"
