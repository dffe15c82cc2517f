"""What the service knows about its WhatsApp senders: each Evolution instance (a phone number) and the numbers
WhatsApp said do not exist."""

from django.db import models


class WhatsAppInstance(models.Model):
    """One Evolution instance: the default sender (EVOLUTION_INSTANCE) or a branch's own number.

    A paused instance sends nothing: its messages go at once to the next channel. It is paused when a send is
    answered 401 or "Connection Closed", or Evolution reports `connection.update` `close`; it resumes when the probe
    (`notifications.probe_channels`, every minute) or a `connection.update` finds it `open` again.
    """

    class State(models.TextChoices):
        OPEN = "open", "Conectada"
        CONNECTING = "connecting", "Conectando"
        CLOSE = "close", "Desconectada"
        UNKNOWN = "unknown", "Desconocido"

    name = models.CharField("instancia", max_length=100, unique=True)
    state = models.CharField("estado", max_length=16, choices=State.choices, default=State.UNKNOWN)
    state_checked_at = models.DateTimeField("estado consultado", null=True, blank=True)
    paused_at = models.DateTimeField("en pausa desde", null=True, blank=True)
    pause_reason = models.CharField("motivo de la pausa", max_length=300, blank=True)
    resumed_at = models.DateTimeField("reanudada", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "instancia de WhatsApp"
        verbose_name_plural = "instancias de WhatsApp"

    def __str__(self):
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class AbsentNumber(models.Model):
    """A number WhatsApp answered `exists: false` for: not tried again for WHATSAPP_ABSENT_DAYS."""

    phone = models.CharField("teléfono (E.164)", max_length=20, unique=True)
    reported_at = models.DateTimeField("informado")

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = "número sin WhatsApp"
        verbose_name_plural = "números sin WhatsApp"

    def __str__(self):
        return self.phone
