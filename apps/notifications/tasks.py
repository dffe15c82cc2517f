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
def relay_pending_notifications() -> int:
    from apps.notifications.services.outbox import notification_relay_pending

    return notification_relay_pending()
