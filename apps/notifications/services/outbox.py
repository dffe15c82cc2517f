"""The outbox: every notification row is created here, stored before the broker hears of it, and handed to the
broker after its transaction commits. The relay sweep hands over what the broker never got: rows accepted while
it was unreachable, and rows deferred by the quiet hours of their channel once that time has passed.

A row is one message to one address: a taller's staff get one row per phone or email (each with its own outcome,
provider id and receipts), a customer's push devices share one row.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.constants import Channel, DispatchStatus, NotificationStatus
from apps.core.metrics import metrics_count_on_commit
from apps.core.queue import task_publish, tasks_run_in_process
from apps.notifications.models import Dispatch, NotificationLog

logger = logging.getLogger(__name__)

SEND_TASK = "notifications.send_notification_task"
RELAY_TASK = "notifications.relay_pending_notifications"
# Rows younger than this are still being enqueued by their own request's on_commit hook.
RELAY_GRACE = timedelta(seconds=5)
# The relay runs every minute: a row due before the next run is handed over now, with a countdown to its time, so a
# WhatsApp message waiting for its turn goes out on its slot, not up to a minute late.
RELAY_LOOKAHEAD = timedelta(seconds=70)
RELAY_BATCH = 500


def notification_rows_create(
    *, dispatch: Dispatch, channel: str, fallback_from: NotificationLog | None = None
) -> list[NotificationLog]:
    """The rows of one channel of the dispatch's plan, in the dispatch's current round, rendered at acceptance."""
    created = NotificationLog.objects.bulk_create(
        notification_rows_build(dispatch=dispatch, channel=channel, fallback_from=fallback_from)
    )
    metrics_count_on_commit("ambacar_notifications_total", len(created), channel=channel, status="created")
    return created


def notification_rows_build(
    *,
    dispatch: Dispatch,
    channel: str,
    fallback_from: NotificationLog | None = None,
    status: str = NotificationStatus.PENDING,
) -> list[NotificationLog]:
    """notification_rows_create's rows, unsaved (the dispatch's acceptance inserts them with the dispatch, already
    `queued`: see notifications_publish_on_commit)."""
    message = dispatch.rendered[channel]
    queued_at = timezone.now() if status == NotificationStatus.QUEUED else None
    addresses = list(message["recipients"])
    if channel == Channel.PUSH:
        addresses = [", ".join(addresses)]  # the devices of one customer; the send reads the active ones
    return [
        NotificationLog(
            dispatch=dispatch,
            channel=channel,
            event_type=dispatch.event_type,
            target=dispatch.target,
            customer_id=dispatch.customer_id,
            template_id=message.get("template_id"),
            status=status,
            queued_at=queued_at,
            recipient=address,
            subject=message["subject"][:200],
            body=message["body"],
            html_body=message["html_body"],
            fallback_from=fallback_from,
            round=dispatch.retry_rounds,
            sender=message.get("sender", ""),
        )
        for address in addresses
    ]


class BrokerWatch:
    """Whether this process failed to publish since its last successful publish."""

    relay_owed = False


def _publish(notification_id, countdown: float | None = None) -> bool:
    """Publish a row's send task; False when the broker refused it (the row is safe in the database).

    The first publish that works after one that failed also asks for a relay at once: the rows accepted while
    the broker was down go out seconds after it returns, not at Beat's next tick (up to a minute later).
    """
    try:
        task_publish(SEND_TASK, args=[str(notification_id)], countdown=countdown)
    except Exception:  # the broker is down or unreachable
        BrokerWatch.relay_owed = True
        logger.warning("broker unavailable; notification %s waits for the relay sweep", notification_id)
        return False
    if BrokerWatch.relay_owed:
        BrokerWatch.relay_owed = False
        with contextlib.suppress(Exception):  # Beat's next tick relays anyway
            task_publish(RELAY_TASK, args=[])
            logger.info("the broker is back: relay requested")
    return True


def notification_enqueue(notification_id, *, countdown: float | None = None) -> bool:
    """Hand a pending row to the broker and mark it queued; on a broker failure it stays pending for the relay."""
    if not _publish(notification_id, countdown):
        return False
    now = timezone.now()
    # A row deferred further than this publish (by this very task, run in-process, or by a fast worker) stays pending.
    due_by = now + timedelta(seconds=(countdown or 0) + 1)
    if connection.vendor == "postgresql":
        # The same UPDATE as below, written once per process: on the dispatch's path its compilation cost more than
        # its round trip.
        with connection.cursor() as cursor:
            cursor.execute(
                _mark_queued_sql(),
                [NotificationStatus.QUEUED, now, notification_id, NotificationStatus.PENDING, due_by],
            )
        return True
    NotificationLog.objects.filter(id=notification_id, status=NotificationStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=due_by)
    ).update(status=NotificationStatus.QUEUED, queued_at=now)
    return True


@lru_cache(maxsize=1)
def _mark_queued_sql() -> str:
    q = connection.ops.quote_name
    return (
        f"UPDATE {q(NotificationLog._meta.db_table)} SET status = %s, queued_at = %s "  # noqa: S608 - identifiers only
        "WHERE id = %s AND status = %s AND (next_attempt_at IS NULL OR next_attempt_at <= %s)"
    )


def notifications_enqueue_on_commit(notification_ids: Iterable) -> None:
    ids = list(notification_ids)
    transaction.on_commit(lambda: [notification_enqueue(notification_id) for notification_id in ids])


def notifications_publish_on_commit(rows: list[NotificationLog]) -> None:
    """After the commit, publish rows stored already `queued` (a dispatch's first rows): no second write when the
    broker takes them. From the first row the broker refuses (or a publish cut short by the process being stopped:
    gunicorn's timeout, SIGABRT, and a quick shutdown, SIGQUIT, raise SystemExit), that row and the rest go back to
    pending, in the database and on the instances, for the relay sweep. Only a process killed outright between the
    commit and the publish leaves queued rows without a task: the stuck sweep hands them over after
    NOTIFICATION_STUCK_AFTER_SECONDS (docs/decisions.md)."""

    def publish() -> None:
        waiting = list(rows)
        try:
            while waiting and _publish(waiting[0].id):
                waiting.pop(0)
        finally:
            if waiting:
                _back_to_pending(waiting)

    transaction.on_commit(publish)


def _back_to_pending(rows: list[NotificationLog]) -> None:
    # Guarded on the state the rows were stored in: a task that reached the broker before its publish raised (a
    # lost reply) may have been claimed, sent or retried since, and that row is left alone.
    try:
        with transaction.atomic():
            moved = set(
                NotificationLog.objects.select_for_update()
                .filter(
                    id__in=[row.id for row in rows],
                    status=NotificationStatus.QUEUED,
                    attempts=0,
                    next_attempt_at__isnull=True,
                )
                .values_list("id", flat=True)
            )
            NotificationLog.objects.filter(id__in=moved).update(
                status=NotificationStatus.PENDING, queued_at=None, updated_at=timezone.now()
            )
    except DatabaseError:
        logger.warning("%s queued notifications without a task wait for the stuck sweep", len(rows))
        return
    for row in rows:
        if row.id in moved:
            row.status, row.queued_at = NotificationStatus.PENDING, None


def notification_relay_pending(
    *, grace: timedelta = RELAY_GRACE, batch: int = RELAY_BATCH, broker_reset: bool = False
) -> int:
    """Enqueue PENDING rows due before the next run (those due later with a countdown to their time); returns how
    many reached the broker. Safe to run twice at once.

    With `broker_reset` (apps.core.queue.broker_was_reset) the broker lost its queues: QUEUED rows are handed over
    again too, a retry keeping what is left of its countdown.
    """
    now = timezone.now()
    cutoff = now - grace
    # In-process there is no countdown to wait with: only what is due now.
    horizon = now if tasks_run_in_process() else now + RELAY_LOOKAHEAD
    due = Q(status=NotificationStatus.PENDING, created_at__lte=cutoff) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=horizon)  # quiet hours and pacing
    )
    if broker_reset:
        due |= Q(status=NotificationStatus.QUEUED)
    relayed = 0
    with transaction.atomic():
        # skip_locked: a concurrent sweep takes other rows instead of waiting for these.
        rows = list(
            NotificationLog.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("created_at")
            .values_list("id", "next_attempt_at")[:batch]
        )
        for notification_id, next_attempt_at in rows:
            countdown = (next_attempt_at - now).total_seconds() if next_attempt_at and next_attempt_at > now else None
            if not notification_enqueue(notification_id, countdown=countdown):
                break  # the broker is still down; the next sweep tries again
            relayed += 1
    if rows:
        logger.info("relay: %s of %s notifications enqueued", relayed, len(rows))
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
            sender=original.sender,
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
