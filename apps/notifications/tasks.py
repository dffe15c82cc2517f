"""Celery tasks: thin, they take ids and call a service (names are stable, SPEC §8).

Services never import this module: they publish by name (apps.core.queue), so the arrows go one way.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from apps.core.metrics import metrics_batch
from apps.core.queue import broker_was_reset
from apps.notifications.adapters import get_sender
from apps.notifications.services import delivery
from apps.notifications.services.maintenance import (
    dispatches_retry_transient_failures,
    notification_logs_purge,
    notifications_requeue_stuck,
    reminders_notify_due,
    whatsapp_rows_fall_back_undelivered,
    whatsapp_rows_fall_over_paused,
)
from apps.notifications.services.outbox import notification_relay_pending
from apps.notifications.services.transitions import RETRY
from apps.notifications.services.whatsapp_senders import whatsapp_instances_probe
from apps.synchronization.services import sync_batches_purge, sync_batches_relay_pending

logger = logging.getLogger(__name__)

# While PostgreSQL is unreachable a send cannot even be claimed: try again a few times, then leave the row to
# the sweeps (it is pending or queued in the database, so nothing is lost).
DATABASE_RETRIES = 5
DATABASE_RETRY_SECONDS = 10


# ignore_result: nothing reads a send's task state (the row says it all), and not storing it spares the database
# two statements per send.
@shared_task(
    bind=True, name="notifications.send_notification_task", max_retries=None, acks_late=True, ignore_result=True
)
def send_notification_task(self, notification_id: str) -> str:
    try:
        # Every counter and duration of the send reaches the metrics store in one call at the end (one lock).
        with metrics_batch():
            outcome = delivery.notification_send(notification_id=notification_id, task_id=self.request.id or "")
    except (OperationalError, InterfaceError) as exc:
        if self.request.retries >= DATABASE_RETRIES:
            raise
        logger.warning("notification %s: database unavailable (%s); retrying", notification_id, type(exc).__name__)
        raise self.retry(countdown=DATABASE_RETRY_SECONDS, exc=exc) from exc
    if outcome.result == RETRY:
        # The row is back in QUEUED: the retry claims it again like a first delivery.
        raise self.retry(countdown=outcome.countdown)
    return outcome.result


@shared_task(name="notifications.relay_pending_notifications")
def relay_pending_notifications() -> dict:
    """The outbox sweep: notifications and sync batches accepted while the broker was down (or lost by it)."""
    reset = broker_was_reset()
    return {
        "notifications": notification_relay_pending(broker_reset=reset),
        "sync_batches": sync_batches_relay_pending(broker_reset=reset),
        "broker_reset": reset,
    }


@shared_task(name="notifications.check_maintenance_reminders")
def check_maintenance_reminders() -> int:
    return reminders_notify_due()


@shared_task(name="notifications.retry_failed_notifications")
def retry_failed_notifications() -> dict:
    return {
        "requeued": notifications_requeue_stuck(),
        "retried": dispatches_retry_transient_failures(),
        "whatsapp_undelivered": whatsapp_rows_fall_back_undelivered(),
    }


@shared_task(name="notifications.probe_channels")
def probe_channels() -> dict:
    """Every minute: the state of each WhatsApp instance (paused ones resume when open), and the rows still
    waiting on a paused one go to their next channel."""
    return {"whatsapp": whatsapp_instances_probe(get_sender=get_sender), "fell_over": whatsapp_rows_fall_over_paused()}


@shared_task(name="notifications.purge_old_notification_logs")
def purge_old_notification_logs() -> dict:
    """Notification logs and finished sync batches (their payload is personal data) past LOG_RETENTION_DAYS."""
    return {"notification_logs": notification_logs_purge(), "sync_batches": sync_batches_purge()}
