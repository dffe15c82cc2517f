"""Delivery and read receipts reported by a provider (Evolution API's `messages.update` webhook)."""

from django.db import models
from django.db.models import Q

from apps.core.constants import Channel, NotificationStatus

RECEIPT_STATUSES = [
    (NotificationStatus.DELIVERED.value, NotificationStatus.DELIVERED.label),
    (NotificationStatus.READ.value, NotificationStatus.READ.label),
    # WhatsApp's ERROR: the message was refused after it was accepted.
    (NotificationStatus.FAILED.value, NotificationStatus.FAILED.label),
]


class DeliveryReceipt(models.Model):
    """One receipt, stored once. Receipts come twice, out of order, and sometimes before the send task has
    recorded the provider's message id: keeping them lets the task apply a receipt that arrived first."""

    channel = models.CharField("canal", max_length=16, choices=Channel.choices)
    provider_message_id = models.CharField("ID del proveedor", max_length=200)
    status = models.CharField("estado", max_length=16, choices=RECEIPT_STATUSES)
    occurred_at = models.DateTimeField("ocurrido")
    received_at = models.DateTimeField("recibido", auto_now_add=True)
    notification = models.ForeignKey(
        "notifications.NotificationLog",
        verbose_name="notificación",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="receipts",
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "acuse del proveedor"
        verbose_name_plural = "acuses del proveedor"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id", "status"], name="receipt_unique_message_status"
            )
        ]
        indexes = [
            # the purge drops receipts that never matched one of our messages
            models.Index(fields=["received_at"], condition=Q(notification__isnull=True), name="receipt_unmatched_idx")
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.provider_message_id} · {self.get_status_display()}"
