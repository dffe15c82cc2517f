"""A dispatch (one accepted event), its NotificationLog rows (one per channel tried) and their attempts.

The rows are the source of truth and the outbox: a row is stored before it is handed to the
broker, and the sweeps re-enqueue what the broker lost.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.constants import Channel, DispatchStatus, ErrorKind, EventType, NotificationStatus, Target
from apps.core.models import BaseModel


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else "-"


class Dispatch(BaseModel):
    event_type = models.CharField("evento", max_length=40, choices=EventType.choices)
    service_type = models.ForeignKey(
        "notifications.ServiceType", verbose_name="tipo de servicio", on_delete=models.PROTECT, related_name="+"
    )
    subtype = models.ForeignKey(
        "notifications.ServiceType",
        verbose_name="subtipo",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    phase = models.ForeignKey(
        "notifications.ServicePhase", verbose_name="fase", on_delete=models.PROTECT, related_name="+"
    )
    target = models.CharField("destinatario", max_length=16, choices=Target.choices)
    customer = models.ForeignKey(
        "notifications.CustomerContactInfo",
        verbose_name="cliente",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispatches",
    )
    taller = models.ForeignKey(
        "notifications.Taller",
        verbose_name="taller",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    context = models.JSONField("contexto", default=dict, blank=True)
    channel_plan = models.JSONField("plan de canales", default=list)
    # {channel: {"template_id", "subject", "body", "html_body", "recipients": [...]}} rendered at acceptance.
    rendered = models.JSONField("mensajes renderizados", default=dict)
    # No index of its own: dispatch_status_created_idx leads with it (one fewer index written per dispatch).
    status = models.CharField("estado", max_length=16, choices=DispatchStatus.choices, default=DispatchStatus.QUEUED)
    request_id = models.CharField("ID de petición", max_length=64, blank=True)
    retry_rounds = models.PositiveSmallIntegerField(
        "rondas de reintento",
        default=0,
        help_text="Rondas extra que le dio el reintento automático (cada 15 minutos, a lo sumo dos).",
    )
    completed_at = models.DateTimeField("finalizado", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "despacho"
        verbose_name_plural = "despachos"
        indexes = [
            models.Index(fields=["created_at"], name="dispatch_created_idx"),
            models.Index(fields=["status", "created_at"], name="dispatch_status_created_idx"),
        ]

    def __str__(self):
        # In the active zone: the admin renders in the taller's, so a page's title and its fields agree.
        return f"{self.get_event_type_display()} · {_local(self.created_at)}"


class NotificationLog(BaseModel):
    """One message to one address on one channel (a customer's push devices count as one address).

    Its status moves pending → queued → sending → sent → delivered → read, or → failed; a transient failure
    sends it back to queued for a retry. Every move out of `sending` is guarded by the attempt number the worker
    claimed (apps.notifications.services.delivery), so a late worker never overwrites a newer outcome.
    """

    dispatch = models.ForeignKey(
        Dispatch, verbose_name="despacho", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField("canal", max_length=16, choices=Channel.choices)
    event_type = models.CharField("evento", max_length=40, choices=EventType.choices)
    target = models.CharField("destinatario", max_length=16, choices=Target.choices, default=Target.CLIENTS)
    # No index of its own: log_customer_created_idx leads with it and serves the SET NULL on a customer's deletion.
    customer = models.ForeignKey(
        "notifications.CustomerContactInfo",
        verbose_name="cliente",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
        db_index=False,
    )
    template = models.ForeignKey(
        "notifications.NotificationTemplate",
        verbose_name="plantilla",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        "estado", max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("intentos", default=0)
    recipient = models.CharField("destinatario", max_length=500, blank=True)
    subject = models.CharField("asunto", max_length=200, blank=True)
    body = models.TextField("cuerpo", blank=True)
    html_body = models.TextField("cuerpo HTML", blank=True)
    error_kind = models.CharField("tipo de error", max_length=20, choices=ErrorKind.choices, blank=True)
    error_message = models.TextField("error", blank=True)
    # Why, when the service acted on it: not_on_whatsapp, channel_paused, whatsapp_daily_cap, whatsapp_error, …
    error_code = models.CharField("código de error", max_length=40, blank=True)
    provider_message_id = models.CharField("ID del proveedor", max_length=200, blank=True)
    # WhatsApp: the Evolution instance that sends it (the taller's number, or EVOLUTION_INSTANCE). Email: the From
    # of the taller's channel config (empty: DEFAULT_FROM_EMAIL); wide enough for its name quoted and its address.
    sender = models.CharField("remitente", max_length=600, blank=True)
    # The row whose failure brought this one. A staff row can bring several (one per address of the next channel).
    fallback_from = models.ForeignKey(
        "self",
        verbose_name="reemplaza a",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fallbacks",
    )
    # The dispatch's retry round the row belongs to (Dispatch.retry_rounds when it was created): a channel is
    # tried once per round, so the fallback looks for the next channel among this round's rows.
    round = models.PositiveSmallIntegerField("ronda", default=0)
    next_attempt_at = models.DateTimeField("próximo intento", null=True, blank=True)
    claimed_at = models.DateTimeField("tomado por un worker", null=True, blank=True)
    queued_at = models.DateTimeField("encolado", null=True, blank=True)
    sent_at = models.DateTimeField("enviado", null=True, blank=True)
    delivered_at = models.DateTimeField("entregado", null=True, blank=True)
    read_at = models.DateTimeField("leído", null=True, blank=True)
    failed_at = models.DateTimeField("fallido", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "registro de notificación"
        verbose_name_plural = "registros de notificaciones"
        permissions = [("resend_notificationlog", "Puede reenviar notificaciones")]
        indexes = [
            # analytics: summary/recent/health filter by time, group by channel and status. The INCLUDE columns
            # let summary count a window from the index alone (PostgreSQL; docs/benchmarks.md has the figures).
            models.Index(
                fields=["created_at"], include=["channel", "status", "fallback_from"], name="log_created_cover_idx"
            ),
            models.Index(fields=["channel", "created_at"], name="log_channel_created_idx"),
            models.Index(fields=["status", "created_at"], name="log_status_created_idx"),
            models.Index(fields=["customer", "created_at"], name="log_customer_created_idx"),
            # sweeps: rows still open past their lease
            models.Index(
                fields=["status", "updated_at"],
                condition=Q(status__in=["pending", "queued", "sending"]),
                name="log_open_idx",
            ),
            # delivery receipts look rows up by the provider's id
            models.Index(
                fields=["provider_message_id"], condition=~Q(provider_message_id=""), name="log_provider_msg_idx"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.get_status_display()} · {_local(self.created_at)}"


class NotificationAttempt(models.Model):
    """One call to a channel adapter: what happened and how long it took."""

    # No index of its own: attempt_unique_number leads with it (one fewer index written per attempt).
    notification = models.ForeignKey(
        NotificationLog,
        verbose_name="notificación",
        on_delete=models.CASCADE,
        related_name="attempt_rows",
        db_index=False,
    )
    number = models.PositiveSmallIntegerField("número")
    started_at = models.DateTimeField("inicio")
    finished_at = models.DateTimeField("fin", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("duración (ms)", null=True, blank=True)
    succeeded = models.BooleanField("exitoso", default=False)
    error_kind = models.CharField("tipo de error", max_length=20, choices=ErrorKind.choices, blank=True)
    error_message = models.TextField("error", blank=True)
    task_id = models.CharField("ID de tarea", max_length=64, blank=True)

    class Meta:
        ordering = ["notification", "number"]
        verbose_name = "intento"
        verbose_name_plural = "intentos"
        constraints = [
            models.UniqueConstraint(fields=["notification", "number"], name="attempt_unique_number"),
        ]

    def __str__(self):
        return f"#{self.number} {'ok' if self.succeeded else self.error_kind}"


class IdempotencyRecord(models.Model):
    """`Idempotency-Key` of a dispatch request: replay within 24 h, 422 on another body, 409 in flight."""

    client = models.CharField("cliente de la API", max_length=100)
    key = models.CharField("clave", max_length=255)
    fingerprint = models.CharField("huella del cuerpo", max_length=64)
    response_status = models.PositiveSmallIntegerField("estado HTTP", null=True, blank=True)
    response_body = models.JSONField("respuesta", null=True, blank=True)
    dispatch = models.ForeignKey(Dispatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("creado", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "clave de idempotencia"
        verbose_name_plural = "claves de idempotencia"
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_unique_client_key")]

    def __str__(self):
        return f"{self.client} · {self.key}"
