"""The outbox: every notification row is created here, stored before the broker hears of it, and handed to the
broker after its transaction commits. The relay sweep hands over what the broker never got: rows accepted while
it was unreachable, and rows deferred by the quiet hours of their channel once that time has passed.

A row is one message to one address: a taller's staff get one row per phone or email (each with its own outcome,
provider id and receipts), a customer's push devices share one row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.constants import Channel, DispatchStatus, NotificationStatus
from apps.core.queue import task_publish
from apps.notifications.models import Dispatch, NotificationLog

logger = logging.getLogger(__name__)

SEND_TASK = "notifications.send_notification_task"
# Rows younger than this are still being enqueued by their own request's on_commit hook.
RELAY_GRACE = timedelta(seconds=5)
RELAY_BATCH = 500


def notification_rows_create(
    *, dispatch: Dispatch, channel: str, fallback_from: NotificationLog | None = None
) -> list[NotificationLog]:
    """The rows of one channel of the dispatch's plan, in the dispatch's current round, rendered at acceptance."""
    message = dispatch.rendered[channel]
    addresses = list(message["recipients"])
    if channel == Channel.PUSH:
        addresses = [", ".join(addresses)]  # the devices of one customer; the send reads the active ones
    rows = [
        NotificationLog(
            dispatch=dispatch,
            channel=channel,
            event_type=dispatch.event_type,
            target=dispatch.target,
            customer_id=dispatch.customer_id,
            template_id=message.get("template_id"),
            status=NotificationStatus.PENDING,
            recipient=address,
            subject=message["subject"][:200],
            body=message["body"],
            html_body=message["html_body"],
            fallback_from=fallback_from,
            round=dispatch.retry_rounds,
        )
        for address in addresses
    ]
    return NotificationLog.objects.bulk_create(rows)


def notification_enqueue(notification_id) -> bool:
    """Hand a row to the broker; on a broker failure it stays pending for the relay sweep."""
    try:
        task_publish(SEND_TASK, args=[str(notification_id)])
    except Exception:  # the broker is down or unreachable: the row is safe in the database
        logger.warning("broker unavailable; notification %s waits for the relay sweep", notification_id)
        return False
    now = timezone.now()
    # A row deferred by quiet hours (maybe by this very task, run eagerly or by a fast worker) stays pending.
    NotificationLog.objects.filter(id=notification_id, status=NotificationStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ).update(status=NotificationStatus.QUEUED, queued_at=now)
    return True


def notifications_enqueue_on_commit(notification_ids: Iterable) -> None:
    ids = list(notification_ids)
    transaction.on_commit(lambda: [notification_enqueue(notification_id) for notification_id in ids])


def notification_relay_pending(*, grace: timedelta = RELAY_GRACE, batch: int = RELAY_BATCH) -> int:
    """Enqueue PENDING rows that are due; returns how many reached the broker. Safe to run twice at once."""
    now = timezone.now()
    cutoff = now - grace
    relayed = 0
    with transaction.atomic():
        # skip_locked: a concurrent sweep takes other rows instead of waiting for these.
        ids = list(
            NotificationLog.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationStatus.PENDING, created_at__lte=cutoff)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))  # not in quiet hours
            .order_by("created_at")
            .values_list("id", flat=True)[:batch]
        )
        for notification_id in ids:
            if not notification_enqueue(notification_id):
                break  # the broker is still down; the next sweep tries again
            relayed += 1
    if ids:
        logger.info("relay: %s of %s pending notifications enqueued", relayed, len(ids))
    return relayed


def notification_resend(*, notification_id) -> NotificationLog:
    """Send a finished row's message again on the same channel and address, through the normal flow (admin
    action): if that channel fails, the dispatch falls back to the next channel of its plan like any other row."""
    with transaction.atomic():
        original = NotificationLog.objects.select_for_update().get(id=notification_id)
        copy = NotificationLog.objects.create(
            dispatch=original.dispatch,
            channel=original.channel,
            event_type=original.event_type,
            target=original.target,
            customer=original.customer,
            template=original.template,
            recipient=original.recipient,
            subject=original.subject,
            body=original.body,
            html_body=original.html_body,
            status=NotificationStatus.PENDING,
            round=original.dispatch.retry_rounds if original.dispatch_id else 0,
        )
        if original.dispatch_id:
            # A failed dispatch is open again; one already sent, delivered or read keeps its state (states never
            # go back), and the copy's outcome shows on its own row.
            Dispatch.objects.filter(id=original.dispatch_id, status=DispatchStatus.FAILED).update(
                status=DispatchStatus.IN_PROGRESS, completed_at=None, updated_at=timezone.now()
            )
        notifications_enqueue_on_commit([copy.id])
    logger.info("notification %s resent as %s", original.id, copy.id)
    return copy
