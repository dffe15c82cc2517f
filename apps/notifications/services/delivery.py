"""Sending one NotificationLog row (SPEC §8.5-8.7, §13): claim, send, record, retry or fall back.

The row is the unit of work; a task carries only its id. The claim is a conditional UPDATE that takes a waiting
row and counts the attempt, and every move out of `sending` (to sent, back to queued for a retry, to failed) is
a conditional UPDATE on (id, status `sending`, that attempt number) (services/transitions.py). Whoever moves the
row first wins: a redelivered or duplicated task, or a worker that outlived the stuck-row sweep, finds its outcome
refused, logs it and drops it. So a row that has failed over to the next channel can never also become sent, and
no final state is overwritten. Before the claim a WhatsApp row passes its sender's gate (services/whatsapp_senders.py):
a paused instance or a spent daily cap gives it to the next channel, pacing waits for its slot or defers it.

After an unknown outcome (the provider may have acted), whether the channel is tried again is its policy:
WhatsApp is at most once (a resend can reach the person twice, and machine-like repeats get numbers banned), so
it falls back at once; email and push are at least once, resent like a transient failure, because every attempt
of a row carries the same Message-ID or push tag and the mailbox or the device drops the duplicate.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.constants import Channel, DispatchStatus, ErrorKind, NotificationStatus
from apps.core.exceptions import SendError
from apps.core.logging import log_subject_scope, mask_recipient, request_id_scope
from apps.core.metrics import metrics_count, metrics_count_on_commit, metrics_observe
from apps.core.ports import ChannelSender, OutboundMessage, PushKeys, SendResult
from apps.notifications.adapters import get_sender as default_get_sender
from apps.notifications.adapters.push import SUBSCRIPTION_GONE
from apps.notifications.adapters.whatsapp import INSTANCE_DOWN_CODES, NOT_ON_WHATSAPP
from apps.notifications.models import Dispatch, NotificationAttempt, NotificationLog, PushSubscription
from apps.notifications.services.push import push_subscription_record
from apps.notifications.services.quiet_hours import notification_quiet_hours_end
from apps.notifications.services.receipts import notification_apply_receipts
from apps.notifications.services.transitions import (
    DEFERRED,
    RETRY,
    SENT,
    SKIPPED,
    SendOutcome,
    notification_fail_and_fall_back,
    outcome_dropped,
    row_unchanged,
)
from apps.notifications.services.whatsapp_senders import (
    absent_number_record,
    whatsapp_gate,
    whatsapp_instance_pause,
    whatsapp_pace_end,
)

logger = logging.getLogger(__name__)

# Channels on which an unknown outcome is tried again (at least once); WhatsApp never is (at most once).
RESENT_AFTER_UNKNOWN_OUTCOME = frozenset({Channel.EMAIL, Channel.PUSH})
_WAITING = (NotificationStatus.PENDING, NotificationStatus.QUEUED)


def retry_countdown(attempt: int, *, base: int | None = None) -> float:
    """base × 2^n with up to 20 % jitter, n = 0 for the first retry (SPEC §3)."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS if base is None else base
    delay = base * (2 ** max(attempt - 1, 0))
    return delay * (1 + random.uniform(0, 0.2))


def notification_send(
    *,
    notification_id,
    get_sender: Callable[[str], ChannelSender] = default_get_sender,
    task_id: str = "",
) -> SendOutcome:
    row = NotificationLog.objects.select_related("dispatch").filter(id=notification_id, status__in=_WAITING).first()
    if row is None:
        logger.info("notification %s already claimed or finished; skipping", notification_id)
        return SendOutcome(SKIPPED)
    deferred = _defer_if_quiet(row)
    if deferred is not None:
        return deferred
    if row.channel == Channel.WHATSAPP:
        gate = whatsapp_gate(row)
        if gate.fall_over is not None:
            code, reason = gate.fall_over
            return notification_fail_and_fall_back(row, ErrorKind.TRANSIENT, reason, code=code)
        if gate.defer_until is not None:
            return _defer(row, gate.defer_until, why="pacing")
    if not _claim(row):
        logger.info("notification %s claimed by another worker; skipping", notification_id)
        return SendOutcome(SKIPPED)
    # The request that accepted the dispatch names every log line of its delivery, in the worker too (SPEC §10).
    with (
        request_id_scope(row.dispatch.request_id if row.dispatch_id else ""),
        log_subject_scope(dispatch_id=row.dispatch_id, notification_id=row.id),
    ):
        return _send_claimed(row, get_sender=get_sender, task_id=task_id)


def _still_waiting(row: NotificationLog):
    """The row while no worker has claimed it since it was read: either waiting status, because the relay sweep
    marks a row queued after publishing it and a fast worker may have read it still pending; the attempt count
    alone tells whether another worker claimed it in between."""
    return NotificationLog.objects.filter(id=row.id, status__in=_WAITING, attempts=row.attempts)


def _claim(row: NotificationLog) -> bool:
    """Take the row as it was read (status and attempt count unchanged) and count this attempt. On success `row`
    holds the attempt number that guards every later move of the row."""
    now = timezone.now()
    claimed = _still_waiting(row).update(
        status=NotificationStatus.SENDING,
        claimed_at=now,
        attempts=row.attempts + 1,
        # In-process (eager) mode the task runs before the enqueue could mark the row queued.
        queued_at=row.queued_at or now,
        updated_at=now,
    )
    if claimed:
        row.status, row.attempts, row.claimed_at = NotificationStatus.SENDING, row.attempts + 1, now
    return claimed == 1


def _defer_if_quiet(row: NotificationLog) -> SendOutcome | None:
    """Before the claim (no attempt counted, nothing sent): a row whose channel is in the quiet hours of its
    taller goes back to pending with next_attempt_at = the end of the quiet period; None when it may be sent."""
    until = notification_quiet_hours_end(notification=row, now=timezone.now())
    return None if until is None else _defer(row, until, why="quiet hours")


def _defer(row: NotificationLog, until, *, why: str) -> SendOutcome:
    """Back to pending until `until`, before the claim (no attempt counted, nothing sent); the relay sweep hands
    it to the broker again in time."""
    now = timezone.now()
    deferred = _still_waiting(row).update(status=NotificationStatus.PENDING, next_attempt_at=until, updated_at=now)
    if not deferred:
        return SendOutcome(SKIPPED)
    logger.info("notification %s on %s deferred by %s until %s", row.id, row.channel, why, until.isoformat())
    return SendOutcome(DEFERRED, countdown=(until - now).total_seconds())


def _outbound(row: NotificationLog, **overrides) -> OutboundMessage:
    fields = {
        "notification_id": str(row.id),
        "channel": row.channel,
        "recipient": row.recipient,
        "subject": row.subject,
        "body": row.body,
        "html_body": row.html_body,
        "url": f"{settings.FRONTEND_URL}/" if settings.FRONTEND_URL else "",
        "tag": str(row.dispatch_id or row.id),
        "sender": row.sender,
    }
    return OutboundMessage(**(fields | overrides))


def _send_claimed(row: NotificationLog, *, get_sender: Callable[[str], ChannelSender], task_id: str) -> SendOutcome:
    if row.dispatch_id:
        Dispatch.objects.filter(id=row.dispatch_id, status=DispatchStatus.QUEUED).update(
            status=DispatchStatus.IN_PROGRESS
        )
    attempt = NotificationAttempt.objects.create(
        notification=row, number=row.attempts, started_at=timezone.now(), task_id=task_id[:64]
    )
    clock = time.monotonic()
    sender = get_sender(row.channel)
    error: SendError | None = None
    try:
        result = _push_to_devices(row, sender) if row.channel == Channel.PUSH else sender.send(_outbound(row))
    except SendError as exc:
        error = exc
    except Exception as exc:
        # Celery's SoftTimeLimitExceeded lands here too. Raised while the adapter was at work, so the request may
        # have left: unknown outcome, which the channel's policy turns into a resend or a fallback.
        logger.exception("unexpected error sending notification %s", row.id)
        error = SendError(f"Error inesperado durante el envío: {type(exc).__name__}", ErrorKind.UNKNOWN_OUTCOME)
    finally:
        if row.channel == Channel.WHATSAPP:
            whatsapp_pace_end(row.sender or settings.EVOLUTION_INSTANCE)
    if error is None:
        _attempt_finish(attempt, clock, succeeded=True)
        return _mark_sent(row, result.provider_message_id)

    _attempt_finish(attempt, clock, succeeded=False, kind=error.kind, message=error.message)
    if error.code == NOT_ON_WHATSAPP:
        absent_number_record(phone=row.recipient)
    if error.code in INSTANCE_DOWN_CODES:
        # The instance cannot send (logged out, wrong key): pause it and let the next channel carry this one now
        # rather than retry into a closed connection.
        whatsapp_instance_pause(name=row.sender or settings.EVOLUTION_INSTANCE, reason=error.message)
        return notification_fail_and_fall_back(row, error.kind, error.message, code=error.code)
    may_retry = error.kind == ErrorKind.TRANSIENT or (
        error.kind == ErrorKind.UNKNOWN_OUTCOME and row.channel in RESENT_AFTER_UNKNOWN_OUTCOME
    )
    if may_retry and row.attempts <= settings.NOTIFICATION_MAX_RETRIES:
        return _schedule_retry(row, error)
    return notification_fail_and_fall_back(row, error.kind, error.message, code=error.code)


def _push_to_devices(row: NotificationLog, sender: ChannelSender) -> SendResult:
    """One push per active device of the customer (devices come and go: those active now, not at acceptance).
    Success when any device accepted it (SPEC §9); what each device answered is recorded on its subscription."""
    subscriptions = list(PushSubscription.objects.filter(customer_id=row.customer_id, is_active=True))
    if not subscriptions:
        raise SendError("El cliente no tiene suscripciones push activas", ErrorKind.PERMANENT)
    errors: list[SendError] = []
    for subscription in subscriptions:
        message = _outbound(
            row,
            recipient=subscription.endpoint,
            push_keys=PushKeys(p256dh=subscription.p256dh, auth=subscription.auth),
        )
        try:
            sender.send(message)
        except SendError as exc:
            errors.append(exc)
            push_subscription_record(subscription=subscription, accepted=False, gone=exc.code == SUBSCRIPTION_GONE)
        else:
            push_subscription_record(subscription=subscription, accepted=True)
    accepted = len(subscriptions) - len(errors)
    if accepted:
        return SendResult(detail=f"Notificación push entregada a {accepted} de {len(subscriptions)} dispositivos")
    reasons = "; ".join(sorted({e.message for e in errors}))
    kinds = {e.kind for e in errors}
    # The kind that allows the most: a device that may be reached later keeps the whole row alive.
    kind = next(k for k in (ErrorKind.TRANSIENT, ErrorKind.UNKNOWN_OUTCOME, ErrorKind.PERMANENT) if k in kinds)
    raise SendError(f"Ningún dispositivo aceptó la notificación push (0 de {len(subscriptions)}): {reasons}", kind)


def _attempt_finish(attempt, clock, *, succeeded, kind="", message=""):
    """The attempt row records what the provider said, even when the row itself has moved on without it."""
    attempt.finished_at = timezone.now()
    attempt.duration_ms = int((time.monotonic() - clock) * 1000)
    attempt.succeeded = succeeded
    attempt.error_kind = kind
    attempt.error_message = message[:2000]
    attempt.save(update_fields=["finished_at", "duration_ms", "succeeded", "error_kind", "error_message"])
    metrics_observe("ambacar_send_duration_seconds", time.monotonic() - clock, channel=attempt.notification.channel)


def _schedule_retry(row: NotificationLog, error: SendError) -> SendOutcome:
    countdown = retry_countdown(row.attempts)
    now = timezone.now()
    moved = row_unchanged(row).update(
        status=NotificationStatus.QUEUED,
        error_kind=error.kind,
        error_message=error.message[:2000],
        next_attempt_at=now + timedelta(seconds=countdown),
        updated_at=now,
    )
    if not moved:
        return outcome_dropped(row, RETRY)
    metrics_count("ambacar_notifications_total", channel=row.channel, status="retry")
    logger.info(
        "notification %s %s attempt %s failed (%s), retry in %.0fs",
        row.id,
        row.channel,
        row.attempts,
        error.kind,
        countdown,
    )
    return SendOutcome(RETRY, countdown=countdown)


def _mark_sent(row: NotificationLog, provider_message_id: str) -> SendOutcome:
    now = timezone.now()
    provider_message_id = (provider_message_id or "")[:200]
    with transaction.atomic():
        moved = row_unchanged(row).update(
            status=NotificationStatus.SENT,
            sent_at=now,
            provider_message_id=provider_message_id,
            next_attempt_at=None,
            updated_at=now,
        )
        if not moved:
            return outcome_dropped(row, SENT)
        metrics_count_on_commit("ambacar_notifications_total", channel=row.channel, status="sent")
        if row.dispatch_id and Dispatch.objects.filter(
            id=row.dispatch_id, status__in=[DispatchStatus.QUEUED, DispatchStatus.IN_PROGRESS]
        ).update(status=DispatchStatus.SENT, completed_at=now, updated_at=now):
            metrics_count_on_commit("ambacar_dispatches_total", status="sent")
    logger.info(
        "notification %s of dispatch %s sent by %s to %s",
        row.id,
        row.dispatch_id,
        row.channel,
        mask_recipient(row.recipient),
    )
    if provider_message_id:
        # A receipt can beat us here (the provider confirms before we stored its id): apply it now.
        notification_apply_receipts(channel=row.channel, provider_message_id=provider_message_id)
    return SendOutcome(SENT)
