"""The guarded moves of a NotificationLog row, shared by the send path, the receipts and the sweeps.

Every move is one conditional UPDATE on the row as its caller last saw it (status and attempt count): whoever
moves the row first wins, and a caller that finds it moved on logs its outcome and drops it. Failing a row over to
the next channel of the dispatch's plan happens here, under the dispatch's lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.core.constants import OPEN_STATUSES, SUCCESS_STATUSES, DispatchStatus, NotificationStatus
from apps.core.metrics import metrics_count_on_commit
from apps.notifications.models import Dispatch, NotificationLog
from apps.notifications.services.outbox import notification_rows_create, notifications_enqueue_on_commit

logger = logging.getLogger(__name__)

SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"
# Quiet hours: the row waits as pending until next_attempt_at; the relay sweep enqueues it then.
DEFERRED = "deferred"
# The row moved on while this worker was sending (the sweep, another worker): this outcome was not recorded.
DROPPED = "dropped"


@dataclass(frozen=True)
class SendOutcome:
    result: str  # SENT | RETRY | FAILED | SKIPPED | DEFERRED | DROPPED
    countdown: float = 0.0  # RETRY: seconds to the retry; DEFERRED: seconds to the end of the quiet hours


def row_unchanged(row: NotificationLog):
    """The row, only while it is as this worker last saw it: the same status and attempt count (for a claimed row,
    `sending` and the attempt it claimed)."""
    return NotificationLog.objects.filter(id=row.id, status=row.status, attempts=row.attempts)


def outcome_dropped(row: NotificationLog, outcome: str) -> SendOutcome:
    current = NotificationLog.objects.filter(id=row.id).values_list("status", "attempts").first()
    logger.warning(
        "notification %s attempt %s: outcome %r dropped, the row moved on meanwhile (now %s)",
        row.id,
        row.attempts,
        outcome,
        current,
    )
    return SendOutcome(DROPPED)


def notification_fail_and_fall_back(row: NotificationLog, kind: str, message: str, *, code: str = "") -> SendOutcome:
    """Close the row as failed, if it is still as it was read (its status and attempt count: a claimed row's
    attempt, a waiting row the channel cannot serve, a sent row WhatsApp refused afterwards) and, when its channel
    is exhausted for the round, give the next channel of the plan its rows.

    A channel is exhausted when none of its rows in the round is still open and none reached its address: a
    staff notification falls back only when no phone (or no email) of the taller got it, decided by the last of
    its rows to fail, under the dispatch's lock.
    """
    now = timezone.now()
    with transaction.atomic():
        moved = row_unchanged(row).update(
            status=NotificationStatus.FAILED,
            error_kind=kind,
            error_code=code[:40],
            error_message=message[:2000],
            failed_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
        if not moved:
            return outcome_dropped(row, FAILED)
        metrics_count_on_commit("ambacar_notifications_total", channel=row.channel, status="failed")
        if row.dispatch_id is None:
            return SendOutcome(FAILED)
        dispatch = Dispatch.objects.select_for_update().get(id=row.dispatch_id)
        rows = list(
            NotificationLog.objects.filter(dispatch_id=dispatch.id)
            .exclude(id=row.id)
            .values_list("channel", "recipient", "status", "round")
        )
        if row.status in SUCCESS_STATUSES and not any(status in SUCCESS_STATUSES for _, _, status, _ in rows):
            # The only row that had reached someone was refused afterwards (WhatsApp's ERROR, or never delivered):
            # the dispatch is open again until the next channel says how it ends.
            Dispatch.objects.filter(id=dispatch.id).update(
                status=DispatchStatus.IN_PROGRESS, completed_at=None, updated_at=now
            )
        this_round = [(channel, address, status) for channel, address, status, round_ in rows if round_ == row.round]
        # Rows of the same channel to other addresses; an earlier row to this same address (an admin resend's
        # original) does not count: the resend is meant to reach it again.
        siblings = {
            status for channel, address, status in this_round if channel == row.channel and address != row.recipient
        }
        if siblings & {*OPEN_STATUSES, *SUCCESS_STATUSES}:
            outcome = "waits for its siblings" if siblings & set(OPEN_STATUSES) else "reached others"
            logger.info("notification %s failed on %s (%s); the channel %s", row.id, row.channel, kind, outcome)
            return SendOutcome(FAILED)
        next_channel = _next_channel(dispatch, row.channel, tried={row.channel} | {c for c, _, _ in this_round})
        if next_channel is None:
            nothing_left = not any(status in OPEN_STATUSES or status in SUCCESS_STATUSES for _, _, status, _ in rows)
            if nothing_left and Dispatch.objects.filter(
                id=dispatch.id, status__in=[DispatchStatus.QUEUED, DispatchStatus.IN_PROGRESS]
            ).update(status=DispatchStatus.FAILED, completed_at=now, updated_at=now):
                metrics_count_on_commit("ambacar_dispatches_total", status="failed")
            logger.warning("notification %s failed on %s (%s); no channel left", row.id, row.channel, kind)
            return SendOutcome(FAILED)
        fallbacks = notification_rows_create(dispatch=dispatch, channel=next_channel, fallback_from=row)
        notifications_enqueue_on_commit([f.id for f in fallbacks])
    logger.warning("notification %s failed on %s (%s); falling back to %s", row.id, row.channel, kind, next_channel)
    return SendOutcome(FAILED)


def _next_channel(dispatch: Dispatch, failed_channel: str, *, tried: set[str]) -> str | None:
    """The next channel of the plan after `failed_channel` not yet tried in this round of the dispatch."""
    plan = list(dispatch.channel_plan)
    start = plan.index(failed_channel) + 1 if failed_channel in plan else 0
    return next((channel for channel in plan[start:] if channel not in tried), None)
