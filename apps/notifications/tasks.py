"""Celery tasks: thin, they take ids and call a service (names are stable, SPEC §8)."""

from celery import shared_task

from apps.notifications.services import delivery


@shared_task(bind=True, name="notifications.send_notification_task", max_retries=None, acks_late=True)
def send_notification_task(self, notification_id: str) -> str:
    outcome = delivery.notification_send(notification_id=notification_id, task_id=self.request.id or "")
    if outcome.result == delivery.RETRY:
        # The row is back in QUEUED: the retry claims it again like a first delivery.
        raise self.retry(countdown=outcome.countdown)
    return outcome.result


@shared_task(name="notifications.relay_pending_notifications")
def relay_pending_notifications() -> dict:
    """The outbox sweep: notifications and sync batches accepted while the broker was down (or lost by it)."""
    from apps.notifications.services.outbox import notification_relay_pending
    from apps.synchronization.services import sync_batches_relay_pending

    return {"notifications": notification_relay_pending(), "sync_batches": sync_batches_relay_pending()}


@shared_task(name="notifications.check_maintenance_reminders")
def check_maintenance_reminders() -> int:
    from apps.notifications.services.maintenance import reminders_notify_due

    return reminders_notify_due()


@shared_task(name="notifications.retry_failed_notifications")
def retry_failed_notifications() -> dict:
    from apps.notifications.services.maintenance import (
        dispatches_retry_transient_failures,
        notifications_requeue_stuck,
    )

    return {"requeued": notifications_requeue_stuck(), "retried": dispatches_retry_transient_failures()}


@shared_task(name="notifications.purge_old_notification_logs")
def purge_old_notification_logs() -> dict:
    """Notification logs and finished sync batches (their payload is personal data) past LOG_RETENTION_DAYS."""
    from apps.notifications.services.maintenance import notification_logs_purge
    from apps.synchronization.services import sync_batches_purge

    return {"notification_logs": notification_logs_purge(), "sync_batches": sync_batches_purge()}
