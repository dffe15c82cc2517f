"""Delivery and read receipts: a sent row moves to delivered, then read, and never back; WhatsApp's ERROR on a
sent row fails it over to the next channel, once. And Evolution's connection changes pause or resume a sender.

Evolution API fires its `messages.update` webhook without awaiting it, retries it when we are slow, and may
fire it before our send task has recorded the message id (research/evolution_api.md §5). So every receipt is
stored once (unique per message and status), then applied with conditional UPDATEs that only move a row
forward; the send task applies any receipt that was waiting for its message id (`notification_apply_receipts`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.constants import SUCCESS_STATUSES, DispatchStatus, ErrorKind, NotificationStatus
from apps.core.metrics import metrics_count_on_commit
from apps.core.ports import Receipt
from apps.notifications.adapters.evolution_receipts import (
    CONNECTION_EVENTS,
    STATUS_EVENTS,
    connection_state_from_payload,
    event_name,
    receipts_from_payload,
)
from apps.notifications.models import DeliveryReceipt, Dispatch, NotificationLog, WhatsAppInstance
from apps.notifications.services.transitions import FAILED, notification_fail_and_fall_back
from apps.notifications.services.whatsapp_senders import (
    whatsapp_instance_pause,
    whatsapp_instance_resume,
    whatsapp_instance_state_record,
    whatsapp_instances_known,
)

logger = logging.getLogger(__name__)

# A receipt nobody claims within this long belongs to a message we did not send (a person using the same
# WhatsApp number, another system on the instance): the purge drops it.
UNMATCHED_RECEIPT_DAYS = 7
# The error code of a row WhatsApp refused after accepting it.
WHATSAPP_ERROR = "whatsapp_error"


def whatsapp_receipts_accept(*, payload: dict, path_event: str = "") -> dict[str, int | str]:
    """One Evolution webhook call: record and apply its receipts, or the connection change of an instance. Anything
    else it may carry (another event, an instance we do not send from, an incoming message) is acknowledged and
    ignored, so Evolution does not retry it."""
    counts: dict[str, int | str] = {"status": "ignored", "recorded": 0, "duplicates": 0, "applied": 0, "ignored": 0}
    instance = payload.get("instance")
    if instance and instance not in whatsapp_instances_known():
        return counts
    event = event_name(payload, path_event)
    if event in CONNECTION_EVENTS:
        changed = whatsapp_connection_update(payload)
        counts["status"], counts["applied"] = ("ok", int(changed)) if changed is not None else ("ignored", 0)
        return counts
    if event not in STATUS_EVENTS:
        return counts
    receipts, counts["ignored"] = receipts_from_payload(payload)
    for receipt in receipts:
        new, applied = receipt_record(receipt=receipt)
        counts["recorded" if new else "duplicates"] += 1
        counts["applied"] += applied
    counts["status"] = "ok" if receipts else "ignored"
    if receipts:
        logger.info(
            "whatsapp receipts: %s recorded, %s duplicates, %s rows updated",
            counts["recorded"],
            counts["duplicates"],
            counts["applied"],
        )
    return counts


def receipt_record(*, receipt: Receipt) -> tuple[bool, int]:
    """Store a receipt and apply it. Returns (new, rows_updated); a repeated receipt is (False, 0)."""
    try:
        with transaction.atomic():
            DeliveryReceipt.objects.create(
                channel=receipt.channel,
                provider_message_id=receipt.provider_message_id[:200],
                status=receipt.status,
                occurred_at=receipt.occurred_at,
            )
    except IntegrityError:
        return False, 0
    return True, notification_apply_receipts(channel=receipt.channel, provider_message_id=receipt.provider_message_id)


def notification_apply_receipts(*, channel: str, provider_message_id: str) -> int:
    """Apply every stored receipt of one provider message to its row (and the row's dispatch).

    Idempotent: a receipt already applied changes nothing, so the send task and the webhook may both call it.
    """
    if not provider_message_id:
        return 0
    receipts = list(
        DeliveryReceipt.objects.filter(channel=channel, provider_message_id=provider_message_id[:200]).order_by(
            "status"  # "delivered" < "read": deliveries first, so a read keeps the earlier delivery time
        )
    )
    if not receipts:
        return 0
    row = (
        NotificationLog.objects.filter(channel=channel, provider_message_id=provider_message_id)
        .only("id", "dispatch_id", "status", "attempts", "channel", "recipient", "round")
        .first()
    )
    if row is None:  # the send task has not recorded the id yet; it applies the receipts when it does
        return 0
    updated = 0
    with transaction.atomic():
        rows = NotificationLog.objects.filter(id=row.id, status__in=SUCCESS_STATUSES)
        for receipt in receipts:
            at = receipt.occurred_at
            if receipt.status == NotificationStatus.FAILED:
                if row.status == NotificationStatus.SENT:  # once: the move is guarded on `sent`
                    updated += (
                        notification_fail_and_fall_back(
                            row,
                            ErrorKind.PERMANENT,
                            "WhatsApp rechazó el mensaje después de aceptarlo (acuse ERROR).",
                            code=WHATSAPP_ERROR,
                        ).result
                        == FAILED
                    )
            elif receipt.status == NotificationStatus.DELIVERED:
                moved = rows.filter(delivered_at__isnull=True).update(
                    delivered_at=at,
                    status=Case(
                        When(status=NotificationStatus.SENT, then=Value(NotificationStatus.DELIVERED)),
                        default=F("status"),
                    ),
                    updated_at=timezone.now(),
                )
                updated += moved
                if moved:
                    metrics_count_on_commit("ambacar_notifications_total", channel=channel, status="delivered")
            else:
                moved = rows.filter(read_at__isnull=True).update(
                    read_at=at,
                    delivered_at=Coalesce(F("delivered_at"), Value(at)),
                    status=NotificationStatus.READ,
                    updated_at=timezone.now(),
                )
                updated += moved
                if moved:
                    metrics_count_on_commit("ambacar_notifications_total", channel=channel, status="read")
        DeliveryReceipt.objects.filter(id__in=[r.id for r in receipts], notification__isnull=True).update(
            notification_id=row.id
        )
        if updated and row.dispatch_id:
            _dispatch_move_forward(row.dispatch_id)
    return updated


def whatsapp_connection_update(payload: dict) -> bool | None:
    """`connection.update`: `close` pauses the instance, `open` resumes it; True when that changed something,
    None when the call carries no instance or state."""
    found = connection_state_from_payload(payload)
    if found is None:
        return None
    instance, state = found
    if state == WhatsAppInstance.State.CLOSE:
        return whatsapp_instance_pause(name=instance, reason="Evolution informó connection.update «close».")
    if state == WhatsAppInstance.State.OPEN:
        return whatsapp_instance_resume(name=instance, why="connection.update open")
    if state in WhatsAppInstance.State.values:
        whatsapp_instance_state_record(name=instance, state=state)
    return False


def _dispatch_move_forward(dispatch_id) -> None:
    """A dispatch is as far along as its furthest row: delivered once any row is, read once any row is."""
    statuses = set(NotificationLog.objects.filter(dispatch_id=dispatch_id).values_list("status", flat=True))
    if NotificationStatus.READ in statuses:
        moved = Dispatch.objects.filter(
            id=dispatch_id, status__in=[DispatchStatus.SENT, DispatchStatus.DELIVERED, DispatchStatus.IN_PROGRESS]
        ).update(status=DispatchStatus.READ, updated_at=timezone.now())
        reached = DispatchStatus.READ
    elif NotificationStatus.DELIVERED in statuses:
        moved = Dispatch.objects.filter(
            id=dispatch_id, status__in=[DispatchStatus.SENT, DispatchStatus.IN_PROGRESS]
        ).update(status=DispatchStatus.DELIVERED, updated_at=timezone.now())
        reached = DispatchStatus.DELIVERED
    else:
        return
    if moved:
        metrics_count_on_commit("ambacar_dispatches_total", status=reached)


def receipts_purge_unmatched(*, now: datetime | None = None) -> int:
    """Receipts of messages we never sent; matched ones go with their row (on_delete CASCADE)."""
    cutoff = (now or timezone.now()) - timedelta(days=UNMATCHED_RECEIPT_DAYS)
    deleted, _ = DeliveryReceipt.objects.filter(notification__isnull=True, received_at__lt=cutoff).delete()
    return deleted
