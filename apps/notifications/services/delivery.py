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
from django.utils import timezone

from apps.core.constants import Channel, ErrorKind, NotificationStatus
from apps.core.exceptions import SendError
from apps.core.logging import log_subject_scope, mask_recipient, request_id_scope
from apps.core.metrics import metrics_count, metrics_count_on_commit, metrics_observe
from apps.core.ports import ChannelSender, OutboundMessage, PushKeys, SendResult
from apps.core.queue import tasks_run_in_process
from apps.notifications.adapters import get_sender as default_get_sender
from apps.notifications.adapters.push import SUBSCRIPTION_GONE
from apps.notifications.adapters.whatsapp import INSTANCE_DOWN_CODES, NOT_ON_WHATSAPP
from apps.notifications.models import NotificationAttempt, NotificationLog, PushSubscription
from apps.notifications.services.outbox import notification_enqueue
from apps.notifications.services.push import push_subscription_record
from apps.notifications.services.quiet_hours import row_quiet_hours_end
from apps.notifications.services.receipts import notification_apply_receipts
from apps.notifications.services.send_statements import (
    WAITING,
    notification_claim,
    notification_for_send,
    notification_record_success,
)
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
    row = notification_for_send(notification_id)
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
            deferred = _defer(row, gate.defer_until, why="pacing")
            if deferred.result == DEFERRED and not tasks_run_in_process():
                # Its slot is seconds away: back to the broker for then, rather than pending until the relay sweep
                # (up to a minute later). In-process the task would run again at once, so there the sweep hands it.
                notification_enqueue(row.id, countdown=deferred.countdown)
            return deferred
    if not notification_claim(row, now=timezone.now(), task_id=task_id):
        logger.info("notification %s claimed by another worker; skipping", notification_id)
        return SendOutcome(SKIPPED)
    # The request that accepted the dispatch names every log line of its delivery, in the worker too (SPEC §10).
    with request_id_scope(row.request_id), log_subject_scope(dispatch_id=row.dispatch_id, notification_id=row.id):
        return _send_claimed(row, get_sender=get_sender)


def _defer_if_quiet(row: NotificationLog) -> SendOutcome | None:
    """Before the claim (no attempt counted, nothing sent): a row whose channel is in the quiet hours of its
    taller goes back to pending with next_attempt_at = the end of the quiet period; None when it may be sent."""
    until = row_quiet_hours_end(row.quiet_hours, now=timezone.now())
    return None if until is None else _defer(row, until, why="quiet hours")


def _defer(row: NotificationLog, until, *, why: str) -> SendOutcome:
    """Back to pending until `until`, before the claim (no attempt counted, nothing sent); the relay sweep hands
    it to the broker again in time (a pacing deferral is published again by its caller). Either waiting status, as
    the claim: the relay may have marked it queued."""
    now = timezone.now()
    deferred = NotificationLog.objects.filter(id=row.id, status__in=WAITING, attempts=row.attempts).update(
        status=NotificationStatus.PENDING, next_attempt_at=until, updated_at=now
    )
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


def _send_claimed(row: NotificationLog, *, get_sender: Callable[[str], ChannelSender]) -> SendOutcome:
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
    duration_ms = int((time.monotonic() - clock) * 1000)
    metrics_observe("ambacar_send_duration_seconds", time.monotonic() - clock, channel=row.channel)
    if error is None:
        return _mark_sent(row, result.provider_message_id, duration_ms=duration_ms)

    # The attempt row records what the provider said, even when the row itself has moved on without it.
    NotificationAttempt.objects.filter(notification_id=row.id, number=row.attempts).update(
        finished_at=timezone.now(),
        duration_ms=duration_ms,
        succeeded=False,
        error_kind=error.kind,
        error_message=error.message[:2000],
    )
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


def _mark_sent(row: NotificationLog, provider_message_id: str, *, duration_ms: int) -> SendOutcome:
    provider_message_id = (provider_message_id or "")[:200]
    success = notification_record_success(
        row, provider_message_id=provider_message_id, now=timezone.now(), duration_ms=duration_ms
    )
    if not success.recorded:
        return outcome_dropped(row, SENT)
    metrics_count_on_commit("ambacar_notifications_total", channel=row.channel, status="sent")
    if success.dispatch_sent:
        metrics_count_on_commit("ambacar_dispatches_total", status="sent")
    logger.info(
        "notification %s of dispatch %s sent by %s to %s",
        row.id,
        row.dispatch_id,
        row.channel,
        mask_recipient(row.recipient),
    )
    if success.receipts_waiting:
        # A receipt beat us here (the provider confirmed before we stored its id): apply it now.
        notification_apply_receipts(channel=row.channel, provider_message_id=provider_message_id)
    return SendOutcome(SENT)
