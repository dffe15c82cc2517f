"""The scheduled work of SPEC §11. Every function is safe to run twice at once: each row is claimed
with a conditional UPDATE (or SKIP LOCKED) before anything is sent."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.formats import date_format

from apps.core.constants import (
    OPEN_STATUSES,
    Channel,
    DispatchStatus,
    ErrorKind,
    EventType,
    NotificationStatus,
    ReminderStatus,
    Target,
)
from apps.core.exceptions import ApplicationError
from apps.notifications.models import (
    Dispatch,
    IdempotencyRecord,
    MaintenanceReminder,
    NotificationLog,
    ServicePhase,
    ServiceType,
)
from apps.notifications.services.delivery import RESENT_AFTER_UNKNOWN_OUTCOME
from apps.notifications.services.dispatch import DispatchInput, dispatch_accept
from apps.notifications.services.outbox import (
    notification_enqueue,
    notification_rows_create,
    notifications_enqueue_on_commit,
)
from apps.notifications.services.receipts import receipts_purge_unmatched
from apps.notifications.services.transitions import FAILED, notification_fail_and_fall_back
from apps.notifications.services.whatsapp_senders import CHANNEL_PAUSED, rows_waiting_on_paused_instances

logger = logging.getLogger(__name__)

REMINDER_SERVICE_TYPE = "mantenimiento-preventivo"
REMINDER_PHASE = "phase-schedule"
EXTRA_RETRY_ROUNDS = 2
# The error code of a WhatsApp row that fell back because no delivery receipt came in time.
NOT_DELIVERED = "whatsapp_not_delivered"
RETRY_WINDOW = timedelta(hours=24)


# --- check_maintenance_reminders -------------------------------------------------------------


def _reminder_dispatch(reminder: MaintenanceReminder) -> Dispatch:
    vehicle = reminder.vehicle
    context = {
        "vehicle_id": vehicle.vehicle_id,
        "Fecha": date_format(reminder.due_date, "j \\d\\e F \\d\\e Y"),
        # A reminder has a date but no appointment time: the customer chooses it.
        "Hora": "a su conveniencia",
    }
    if vehicle.plate:
        context["Placa"] = vehicle.plate
    if vehicle.description:
        context["Vehículo"] = vehicle.description
    data = DispatchInput(
        event_type=EventType.MAINTENANCE_REMINDER,
        service_type=ServiceType.objects.get(slug=REMINDER_SERVICE_TYPE, parent__isnull=True),
        subtype=None,
        phase=ServicePhase.objects.get(slug=REMINDER_PHASE),
        target=Target.CLIENTS,
        customer_id=reminder.customer.customer_id,
        context=context,
    )
    return dispatch_accept(data=data)


def _reminder_claim_and_send(reminder: MaintenanceReminder, *, expected_count: int) -> bool:
    now = timezone.now()
    try:
        with transaction.atomic():
            claimed = MaintenanceReminder.objects.filter(
                pk=reminder.pk,
                notified_count=expected_count,
                status__in=[ReminderStatus.PENDING, ReminderStatus.NOTIFIED],
            ).update(
                notified_count=expected_count + 1,
                status=ReminderStatus.NOTIFIED,
                last_notified_at=now,
                updated_at=now,
            )
            if claimed != 1:
                return False  # another run got there first
            dispatch = _reminder_dispatch(reminder)
    except ApplicationError as exc:
        # Rolled back: the reminder is tried again at the next run, once it can be served.
        logger.warning("reminder %s not sent: %s (%s)", reminder.pk, exc.code, exc.detail)
        return False
    logger.info("reminder %s: dispatch %s (notice %s)", reminder.pk, dispatch.id, expected_count + 1)
    return True


def reminders_notify_due(*, today: date | None = None) -> int:
    """One notice when a reminder enters its window, one more on its due date if still open; never more."""
    today = today or timezone.localdate()
    open_reminders = MaintenanceReminder.objects.filter(
        status__in=[ReminderStatus.PENDING, ReminderStatus.NOTIFIED], due_date__isnull=False
    ).select_related("vehicle", "customer")
    sent = 0
    # The widest notice window bounds the first-notice query; the exact window is checked per row.
    widest = open_reminders.aggregate(days=Max("notify_days_before"))["days"] or 0
    for reminder in open_reminders.filter(notified_count=0, due_date__lte=today + timedelta(days=widest)):
        if (reminder.due_date - today).days <= reminder.notify_days_before:  # no date arithmetic to overflow
            sent += _reminder_claim_and_send(reminder, expected_count=0)
    for reminder in open_reminders.filter(notified_count=1, due_date__lte=today):
        last = timezone.localdate(reminder.last_notified_at) if reminder.last_notified_at else None
        if last is None or last < reminder.due_date:
            sent += _reminder_claim_and_send(reminder, expected_count=1)
    return sent


# --- retry_failed_notifications ---------------------------------------------------------------


def notifications_requeue_stuck(*, now=None) -> int:
    """Rows still pending, queued or sending past their lease go back to the broker.

    The lease (NOTIFICATION_STUCK_AFTER_SECONDS) is longer than a task may run (start-up refuses otherwise), so a
    row still `sending` past it lost its worker. A WhatsApp one may have reached the person (SPEC §8.7): it is
    closed as an unknown outcome and falls back instead of being sent again; another channel is sent again (at
    least once, see services.delivery). Each move is guarded by the row's status and attempt count, so a worker
    that comes back late cannot overwrite it, and it cannot overwrite the worker's.
    """
    now = now or timezone.now()
    lease = now - timedelta(seconds=settings.NOTIFICATION_STUCK_AFTER_SECONDS)
    requeued = 0
    with transaction.atomic():
        rows = list(
            NotificationLog.objects.select_for_update(skip_locked=True)
            .filter(status__in=OPEN_STATUSES, updated_at__lt=lease)
            # A retry's countdown or a quiet-hours deferral (next_attempt_at) still running is not stuck.
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=lease))[:500]
        )
        for row in rows:
            if row.status == NotificationStatus.SENDING and row.channel not in RESENT_AFTER_UNKNOWN_OUTCOME:
                notification_fail_and_fall_back(
                    row, ErrorKind.UNKNOWN_OUTCOME, "El worker se detuvo durante el envío; no se reenvía por WhatsApp."
                )
                continue
            moved = NotificationLog.objects.filter(pk=row.pk, status=row.status, attempts=row.attempts).update(
                status=NotificationStatus.QUEUED, updated_at=now
            )
            if moved:
                transaction.on_commit(lambda pk=row.pk: notification_enqueue(pk))
                requeued += 1
    return requeued


def whatsapp_rows_fall_over_paused() -> int:
    """Rows still waiting on a paused WhatsApp instance go to their next channel now, no WhatsApp attempt spent
    (those the broker holds do the same when their task runs)."""
    moved = 0
    for row in rows_waiting_on_paused_instances():
        reason = "La instancia de WhatsApp está en pausa."
        moved += notification_fail_and_fall_back(row, ErrorKind.TRANSIENT, reason, code=CHANNEL_PAUSED).result == FAILED
    return moved


def whatsapp_rows_fall_back_undelivered(*, now=None) -> int:
    """With receipts on and WHATSAPP_DELIVERY_TIMEOUT_MINUTES > 0: a WhatsApp row still `sent` (no delivery receipt)
    that long after sending falls back once to the next channel. Its outcome is unknown (the phone may be off, or
    Evolution dropped the receipt), so the dispatch gets no extra rounds for it."""
    minutes = settings.WHATSAPP_DELIVERY_TIMEOUT_MINUTES
    if minutes <= 0 or not settings.EVOLUTION_WEBHOOK_TOKEN:
        return 0
    cutoff = (now or timezone.now()) - timedelta(minutes=minutes)
    rows = NotificationLog.objects.filter(
        channel=Channel.WHATSAPP, status=NotificationStatus.SENT, sent_at__lt=cutoff, delivered_at__isnull=True
    ).only("id", "dispatch_id", "status", "attempts", "channel", "recipient", "round")[:500]
    moved = 0
    for row in rows:
        reason = f"WhatsApp no confirmó la entrega en {minutes} minutos."
        outcome = notification_fail_and_fall_back(row, ErrorKind.UNKNOWN_OUTCOME, reason, code=NOT_DELIVERED)
        moved += outcome.result == FAILED
    return moved


def dispatches_retry_transient_failures(*, now=None) -> int:
    """Dispatches that failed only on transient errors in the last 24 h get up to two more rounds."""
    now = now or timezone.now()
    retried = 0
    candidates = Dispatch.objects.filter(
        status=DispatchStatus.FAILED, created_at__gte=now - RETRY_WINDOW, retry_rounds__lt=EXTRA_RETRY_ROUNDS
    ).exclude(notifications__error_kind__in=[ErrorKind.PERMANENT, ErrorKind.UNKNOWN_OUTCOME])
    for dispatch_id in candidates.values_list("id", flat=True)[:200]:
        with transaction.atomic():
            dispatch = (
                Dispatch.objects.select_for_update(skip_locked=True)
                .filter(id=dispatch_id, status=DispatchStatus.FAILED, retry_rounds__lt=EXTRA_RETRY_ROUNDS)
                .first()
            )
            if dispatch is None or not dispatch.channel_plan:
                continue
            dispatch.retry_rounds += 1
            Dispatch.objects.filter(id=dispatch.id).update(
                status=DispatchStatus.IN_PROGRESS, retry_rounds=dispatch.retry_rounds, completed_at=None
            )
            rows = notification_rows_create(dispatch=dispatch, channel=dispatch.channel_plan[0])
            notifications_enqueue_on_commit([row.id for row in rows])
            retried += 1
    return retried


# --- purge_old_notification_logs ---------------------------------------------------------------


def notification_logs_purge(*, now=None, batch: int = 5000) -> int:
    """Delete log rows (their attempts and receipts) older than LOG_RETENTION_DAYS, then empty dispatches,
    expired idempotency keys and receipts of messages that were never ours."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LOG_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(NotificationLog.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:batch])
        if not ids:
            break
        NotificationLog.objects.filter(id__in=ids).update(fallback_from=None)
        NotificationLog.objects.filter(id__in=ids).delete()
        deleted += len(ids)
    Dispatch.objects.filter(created_at__lt=cutoff, notifications__isnull=True).delete()
    IdempotencyRecord.objects.filter(created_at__lt=now - timedelta(hours=24)).delete()
    receipts_purge_unmatched(now=now)  # matched receipts went with their rows (CASCADE)
    return deleted
