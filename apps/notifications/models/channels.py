"""Per-workshop channel settings and Web Push subscriptions."""

from django.db import models

from apps.core.constants import Channel
from apps.core.models import BaseModel


class Taller(BaseModel):
    slug = models.SlugField("slug", max_length=64, unique=True)
    name = models.CharField("nombre", max_length=150)
    timezone = models.CharField("zona horaria", max_length=64, default="America/Guayaquil")
    address = models.CharField("dirección", max_length=255, blank=True)
    phone = models.CharField("teléfono", max_length=20, blank=True)
    email = models.EmailField("email", blank=True)
    is_default = models.BooleanField(
        "predeterminado", default=False, help_text="Se usa cuando un evento no indica taller."
    )
    is_active = models.BooleanField("activo", default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "taller"
        verbose_name_plural = "talleres"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="taller_single_default"
            )
        ]

    def __str__(self):
        return self.name


class TallerChannelConfig(BaseModel):
    taller = models.ForeignKey(Taller, verbose_name="taller", on_delete=models.CASCADE, related_name="channels")
    channel = models.CharField("canal", max_length=16, choices=Channel.choices)
    is_enabled = models.BooleanField("habilitado", default=True)
    sender_name = models.CharField(
        "nombre del remitente",
        max_length=150,
        blank=True,
        help_text="Solo email: el nombre con que firman los emails de este taller; vacío, el del remitente general "
        "del servicio. Vale para los envíos aceptados desde que se guarda.",
    )
    sender_address = models.CharField(
        "email remitente",
        max_length=255,
        blank=True,
        help_text="Solo email: la dirección desde la que salen los emails de este taller; vacía, la del remitente "
        "general del servicio. El servidor SMTP debe poder enviar por ese dominio (SPF, DKIM); si la "
        "rechaza, el email falla y pasa al siguiente canal. Vale para los envíos aceptados desde que se guarda.",
    )
    staff_recipients = models.JSONField(
        "destinatarios del personal",
        default=list,
        blank=True,
        help_text="Emails y teléfonos del personal que recibe los avisos del taller por este canal.",
    )
    evolution_instance = models.CharField(
        "instancia de Evolution",
        max_length=100,
        blank=True,
        help_text="Solo WhatsApp: la instancia (el número) desde la que escribe este taller; vacío, el principal.",
    )
    quiet_hours_start = models.TimeField("inicio de horas de silencio", null=True, blank=True)
    quiet_hours_end = models.TimeField("fin de horas de silencio", null=True, blank=True)

    class Meta:
        ordering = ["taller", "channel"]
        verbose_name = "canal del taller"
        verbose_name_plural = "canales del taller"
        constraints = [models.UniqueConstraint(fields=["taller", "channel"], name="tallerchannel_unique")]

    def __str__(self):
        return f"{self.taller} · {self.get_channel_display()}"


class PushSubscription(BaseModel):
    customer = models.ForeignKey(
        "notifications.CustomerContactInfo",
        verbose_name="cliente",
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
    )
    endpoint = models.URLField("endpoint", max_length=1000, unique=True)
    p256dh = models.CharField("clave p256dh", max_length=200)
    auth = models.CharField("clave auth", max_length=100)
    user_agent = models.CharField("navegador", max_length=500, blank=True)
    is_active = models.BooleanField("activa", default=True)
    last_success_at = models.DateTimeField("último envío exitoso", null=True, blank=True)
    failure_count = models.PositiveIntegerField("fallos", default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "suscripción push"
        verbose_name_plural = "suscripciones push"
        indexes = [models.Index(fields=["customer", "is_active"], name="push_customer_active_idx")]

    def __str__(self):
        return f"{self.customer_id} · {self.endpoint[:60]}"
