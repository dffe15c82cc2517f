"""Sending one NotificationLog row (SPEC §8.5-8.7): claim, send, record, retry or fall back.

The row is the unit of work and the outbox. A task only carries its id; the conditional UPDATE in
`notification_claim` makes a redelivered or duplicated task a no-op, so nothing is sent twice.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.constants import Channel, DispatchStatus, ErrorKind, NotificationStatus
from apps.core.exceptions import SendError
from apps.core.logging import mask_recipient, request_id_scope
from apps.core.ports import ChannelSender, OutboundMessage
from apps.notifications.adapters import get_sender as default_get_sender
from apps.notifications.models import Dispatch, NotificationAttempt, NotificationLog, PushSubscription
from apps.notifications.services.quiet_hours import notification_quiet_hours_end
from apps.notifications.services.receipts import notification_apply_receipts

logger = logging.getLogger(__name__)

SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"
# Quiet hours: the row waits as pending until next_attempt_at; the relay sweep enqueues it then.
DEFERRED = "deferred"


@dataclass(frozen=True)
class SendOutcome:
    result: str  # SENT | RETRY | FAILED | SKIPPED | DEFERRED
    countdown: float = 0.0  # RETRY: seconds to the retry; DEFERRED: seconds to the end of the quiet hours
    fallback_id: str | None = None


def retry_countdown(attempt: int, *, base: int | None = None) -> float:
    """base × 2^n with up to 20 % jitter, n = 0 for the first retry (SPEC §3)."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS if base is None else base
    delay = base * (2 ** max(attempt - 1, 0))
    return delay * (1 + random.uniform(0, 0.2))


def notification_enqueue(notification_id) -> bool:
    """Hand a row to the broker; on a broker failure it stays pending for the relay sweep."""
    from apps.notifications.tasks import send_notification_task

    try:
        send_notification_task.apply_async(args=[str(notification_id)], retry=False)
    except Exception:  # the broker is down or unreachable: the row is safe in the database
        logger.warning("broker unavailable; notification %s waits for the relay sweep", notification_id)
        return False
    now = timezone.now()
    # A row deferred by quiet hours (maybe by this very task, run eagerly or by a fast worker) stays pending.
    NotificationLog.objects.filter(id=notification_id, status=NotificationStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ).update(status=NotificationStatus.QUEUED, queued_at=now)
    return True


def notification_enqueue_on_commit(notification_id) -> None:
    transaction.on_commit(lambda: notification_enqueue(notification_id))


def notification_claim(notification_id) -> bool:
    """Atomically take a row that waits for work; False when another worker has it or it is done."""
    now = timezone.now()
    claimed = NotificationLog.objects.filter(
        id=notification_id, status__in=[NotificationStatus.PENDING, NotificationStatus.QUEUED]
    ).update(
        status=NotificationStatus.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        # In-process (eager) mode the task runs before the enqueue could mark the row queued.
        queued_at=Coalesce(F("queued_at"), Value(now)),
        updated_at=now,
    )
    return claimed == 1


def notification_defer_if_quiet(notification_id) -> SendOutcome | None:
    """Before the claim (no attempt counted, nothing sent): a row whose channel is in the quiet hours of its
    taller goes back to pending with next_attempt_at = the end of the quiet period; None when it may be sent."""
    waiting = [NotificationStatus.PENDING, NotificationStatus.QUEUED]
    row = NotificationLog.objects.only("id", "channel", "dispatch_id").filter(id=notification_id, status__in=waiting)
    row = row.first()
    if row is None:
        return None  # claimed or finished: the claim says so
    now = timezone.now()
    until = notification_quiet_hours_end(notification=row, now=now)
    if until is None:
        return None
    deferred = NotificationLog.objects.filter(id=notification_id, status__in=waiting).update(
        status=NotificationStatus.PENDING, next_attempt_at=until, updated_at=now
    )
    if not deferred:
        return SendOutcome(SKIPPED)
    logger.info("notification %s on %s deferred by quiet hours until %s", row.id, row.channel, until.isoformat())
    return SendOutcome(DEFERRED, countdown=(until - now).total_seconds())


def _outbound(row: NotificationLog) -> OutboundMessage:
    if row.channel == Channel.PUSH and row.customer_id:
        # Devices come and go: send to the subscriptions active now, not those at acceptance.
        ids = PushSubscription.objects.filter(customer_id=row.customer_id, is_active=True).values_list("id", flat=True)
        recipients = tuple(str(pk) for pk in ids)
    else:
        recipients = tuple(r.strip() for r in row.recipient.split(",") if r.strip())
    url = f"{settings.FRONTEND_URL}/" if settings.FRONTEND_URL else ""
    return OutboundMessage(
        notification_id=str(row.id),
        channel=row.channel,
        recipients=recipients,
        subject=row.subject,
        body=row.body,
        html_body=row.html_body,
        url=url,
        tag=str(row.dispatch_id or row.id),
    )


def notification_send(
    *,
    notification_id,
    get_sender: Callable[[str], ChannelSender] = default_get_sender,
    task_id: str = "",
) -> SendOutcome:
    deferred = notification_defer_if_quiet(notification_id)
    if deferred is not None:
        return deferred
    if not notification_claim(notification_id):
        logger.info("notification %s already claimed or finished; skipping", notification_id)
        return SendOutcome(SKIPPED)
    row = NotificationLog.objects.select_related("dispatch").get(id=notification_id)
    # The request that accepted the dispatch names every log line of its delivery, in the worker too (SPEC §10).
    with request_id_scope(row.dispatch.request_id if row.dispatch_id else ""):
        return _send_claimed(row, get_sender=get_sender, task_id=task_id)


def _send_claimed(row: NotificationLog, *, get_sender: Callable[[str], ChannelSender], task_id: str) -> SendOutcome:
    if row.dispatch_id:
        Dispatch.objects.filter(id=row.dispatch_id, status=DispatchStatus.QUEUED).update(
            status=DispatchStatus.IN_PROGRESS
        )
    started = timezone.now()
    clock = time.monotonic()
    attempt = NotificationAttempt.objects.create(
        notification=row, number=row.attempts, started_at=started, task_id=task_id[:64]
    )
    try:
        result = get_sender(row.channel).send(_outbound(row))
    except SendError as exc:
        error = exc
    except Exception as exc:  # an adapter bug must not lose the row: record it and retry
        logger.exception("unexpected error sending notification %s", row.id)
        error = SendError(f"Error inesperado: {type(exc).__name__}: {exc}")
    else:
        _attempt_finish(attempt, clock, succeeded=True)
        return _mark_sent(row, result.provider_message_id)

    kind = (
        ErrorKind.UNKNOWN_OUTCOME
        if error.unknown_outcome
        else ErrorKind.PERMANENT
        if error.permanent
        else ErrorKind.TRANSIENT
    )
    _attempt_finish(attempt, clock, succeeded=False, kind=kind, message=error.message)
    exhausted = row.attempts > settings.NOTIFICATION_MAX_RETRIES
    if kind == ErrorKind.TRANSIENT and not exhausted:
        countdown = retry_countdown(row.attempts)
        NotificationLog.objects.filter(id=row.id).update(
            status=NotificationStatus.QUEUED,
            error_kind=kind,
            error_message=error.message[:2000],
            next_attempt_at=timezone.now() + timedelta(seconds=countdown),
            updated_at=timezone.now(),
        )
        logger.info(
            "notification %s %s attempt %s failed (transient), retry in %.0fs",
            row.id,
            row.channel,
            row.attempts,
            countdown,
        )
        return SendOutcome(RETRY, countdown=countdown)
    return notification_fail_and_fall_back(row, kind, error.message)


def _attempt_finish(attempt, clock, *, succeeded, kind="", message=""):
    attempt.finished_at = timezone.now()
    attempt.duration_ms = int((time.monotonic() - clock) * 1000)
    attempt.succeeded = succeeded
    attempt.error_kind = kind
    attempt.error_message = message[:2000]
    attempt.save(update_fields=["finished_at", "duration_ms", "succeeded", "error_kind", "error_message"])


def _mark_sent(row: NotificationLog, provider_message_id: str) -> SendOutcome:
    now = timezone.now()
    with transaction.atomic():
        NotificationLog.objects.filter(id=row.id).update(
            status=NotificationStatus.SENT,
            sent_at=now,
            provider_message_id=(provider_message_id or "")[:200],
            next_attempt_at=None,
            updated_at=now,
        )
        if row.dispatch_id:
            Dispatch.objects.filter(
                id=row.dispatch_id, status__in=[DispatchStatus.QUEUED, DispatchStatus.IN_PROGRESS]
            ).update(status=DispatchStatus.SENT, completed_at=now, updated_at=now)
    logger.info(
        "notification %s of dispatch %s sent by %s to %s",
        row.id,
        row.dispatch_id,
        row.channel,
        mask_recipient(row.recipient),
    )
    if provider_message_id:
        # A receipt can beat us here (the provider confirms before we stored its id): apply it now.
        notification_apply_receipts(channel=row.channel, provider_message_id=provider_message_id[:200])
    return SendOutcome(SENT)


def notification_fail_and_fall_back(row: NotificationLog, kind: str, message: str) -> SendOutcome:
    from apps.notifications.services.dispatch import notification_log_create

    now = timezone.now()
    with transaction.atomic():
        NotificationLog.objects.filter(id=row.id).update(
            status=NotificationStatus.FAILED,
            error_kind=kind,
            error_message=message[:2000],
            failed_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
        dispatch = Dispatch.objects.select_for_update().filter(id=row.dispatch_id).first()
        next_channel = _next_channel(dispatch, row.channel) if dispatch else None
        if next_channel is None:
            if dispatch is not None:
                Dispatch.objects.filter(id=dispatch.id).exclude(
                    status__in=[DispatchStatus.SENT, DispatchStatus.DELIVERED, DispatchStatus.READ]
                ).update(status=DispatchStatus.FAILED, completed_at=now, updated_at=now)
            logger.warning("notification %s failed on %s (%s); no channel left", row.id, row.channel, kind)
            return SendOutcome(FAILED)
        fallback = notification_log_create(dispatch=dispatch, channel=next_channel, fallback_from=row)
        notification_enqueue_on_commit(fallback.id)
    logger.warning("notification %s failed on %s (%s); falling back to %s", row.id, row.channel, kind, next_channel)
    return SendOutcome(FAILED, fallback_id=str(fallback.id))


def channels_tried_this_round(dispatch: Dispatch) -> set[str]:
    """A channel belongs to the current round once it has more rows than rounds before it
    (retry_failed_notifications gives a failed dispatch new rounds over its whole plan)."""
    counts = Counter(dispatch.notifications.values_list("channel", flat=True))
    return {channel for channel, n in counts.items() if n > dispatch.retry_rounds}


def _next_channel(dispatch: Dispatch, failed_channel: str) -> str | None:
    """The next channel of the plan not yet tried in this round of the dispatch."""
    tried = channels_tried_this_round(dispatch)
    plan = list(dispatch.channel_plan)
    start = plan.index(failed_channel) + 1 if failed_channel in plan else 0
    for channel in plan[start:]:
        if channel not in tried:
            return channel
    return None


def notification_resend(*, notification_id) -> NotificationLog:
    """Send a finished row's message again on the same channel, through the normal flow (admin action): if that
    channel fails, the dispatch falls back to the next channel of its plan like any other row."""
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
        )
        if original.dispatch_id:
            # A failed dispatch is open again; one already sent, delivered or read keeps its state (states never
            # go back), and the copy's outcome shows on its own row.
            Dispatch.objects.filter(id=original.dispatch_id, status=DispatchStatus.FAILED).update(
                status=DispatchStatus.IN_PROGRESS, completed_at=None, updated_at=timezone.now()
            )
        notification_enqueue_on_commit(copy.id)
    logger.info("notification %s resent as %s", original.id, copy.id)
    return copy
