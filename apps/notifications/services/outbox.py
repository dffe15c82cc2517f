"""The outbox sweep: rows accepted while the broker was unreachable are handed to it later, and rows deferred
by the quiet hours of their channel (pending with a future `next_attempt_at`) once that time has passed."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.constants import NotificationStatus
from apps.notifications.models import NotificationLog

logger = logging.getLogger(__name__)

# Rows younger than this are still being enqueued by their own request's on_commit hook.
RELAY_GRACE = timedelta(seconds=5)
RELAY_BATCH = 500


def notification_relay_pending(*, grace: timedelta = RELAY_GRACE, batch: int = RELAY_BATCH) -> int:
    """Enqueue PENDING rows that are due; returns how many reached the broker. Safe to run twice at once."""
    from apps.notifications.services.delivery import notification_enqueue

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
