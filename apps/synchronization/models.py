"""A sync webhook's validated batch, kept in the database so that its task carries only the batch id."""

from django.db import models

from apps.core.models import BaseModel


class SyncBatch(BaseModel):
    class Kind(models.TextChoices):
        CUSTOMERS = "customers", "Clientes"
        VEHICLES = "vehicles", "Vehículos"

    class Status(models.TextChoices):
        PENDING = "pending", "Pendiente (sin encolar)"
        QUEUED = "queued", "En cola"
        DONE = "done", "Procesado"
        FAILED = "failed", "Fallido"

    kind = models.CharField("tipo", max_length=16, choices=Kind.choices)
    status = models.CharField("estado", max_length=16, choices=Status.choices, default=Status.PENDING)
    task_id = models.UUIDField(
        "ID de tarea", unique=True, editable=False, help_text="ID de la tarea de Celery que procesa el lote."
    )
    item_count = models.PositiveIntegerField("elementos")
    payload = models.JSONField("datos validados", help_text="Elementos ya validados y normalizados (E.164, etc.).")
    result = models.JSONField("resultado", null=True, blank=True)
    request_id = models.CharField("ID de petición", max_length=64, blank=True)
    processed_at = models.DateTimeField("procesado", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "lote de sincronización"
        verbose_name_plural = "lotes de sincronización"
        # The outbox sweep (relay_pending_notifications) looks for batches still pending (broker down when
        # they were accepted) and the daily purge for finished ones past LOG_RETENTION_DAYS.
        indexes = [models.Index(fields=["status", "created_at"], name="syncbatch_status_created_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.item_count} · {self.get_status_display()}"
