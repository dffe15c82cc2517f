"""The statements of a send: read the row, claim it, record its success; one round trip each on PostgreSQL.

A send took a dozen statements and six commits (the row, its dispatch, the quiet hours, the claim, the dispatch in
progress, the attempt's insert and update, the success in a transaction, the pending receipts), and each one's
Python cost (building the query) was more than the database's. Here the read brings the row with everything the
send decides on (its dispatch's request id, the quiet hours of its channel at its taller); on PostgreSQL the claim
moves the row, the dispatch and the attempt in one statement (data-modifying CTEs are one atomic statement), and so
does the success, which also says whether a receipt is already waiting for the row.

SQLite has no data-modifying CTEs: there each move is its statements one after another in a transaction, the same
conditions as plain ORM updates (`make run`, and the tests that force that path on PostgreSQL, so both stay proven).
The statements name the tables and columns the migrations create; every value is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache

from django.db import connection, transaction
from django.utils.dateparse import parse_time

from apps.core.constants import DispatchStatus, NotificationStatus
from apps.core.rows import model_columns, model_from_row
from apps.notifications.models import (
    DeliveryReceipt,
    Dispatch,
    NotificationAttempt,
    NotificationLog,
)
from apps.notifications.services.quiet_hours import QuietHours
from apps.notifications.services.transitions import row_unchanged

WAITING = (NotificationStatus.PENDING, NotificationStatus.QUEUED)
_OPEN_DISPATCH = (DispatchStatus.QUEUED, DispatchStatus.IN_PROGRESS)

# The row to send, its dispatch's request id, and the quiet hours of its channel at the dispatch's taller or else
# at the default one (as QuietHours needs them; NULL when there are none). The row's columns are named, not n.*: a
# prepared statement (DB_PREPARED_STATEMENTS) whose result changes shape when a migration adds a column fails with
# "cached plan must not change result type" until its connection closes.
_READ = """
SELECT {columns}, d.request_id AS send_request_id, t.timezone AS send_timezone,
       q.quiet_hours_start AS send_quiet_start, q.quiet_hours_end AS send_quiet_end
FROM notifications_notificationlog n
LEFT JOIN notifications_dispatch d ON d.id = n.dispatch_id
LEFT JOIN notifications_taller t ON t.id = COALESCE(
    d.taller_id, (SELECT id FROM notifications_taller WHERE is_default = %(true)s LIMIT 1))
LEFT JOIN notifications_tallerchannelconfig q ON q.taller_id = t.id AND q.channel = n.channel
    AND q.quiet_hours_start IS NOT NULL AND q.quiet_hours_end IS NOT NULL
WHERE n.id = %(id)s AND n.status IN (%(pending)s, %(queued)s)
"""

_CLAIM = """
WITH c AS (
    UPDATE notifications_notificationlog
    SET status = %(sending)s, claimed_at = %(now)s, attempts = %(number)s, queued_at = COALESCE(queued_at, %(now)s),
        updated_at = %(now)s
    WHERE id = %(id)s AND status IN (%(pending)s, %(queued)s) AND attempts = %(read_attempts)s
    RETURNING id, dispatch_id
), d AS (
    UPDATE notifications_dispatch SET status = %(in_progress)s
    WHERE id = (SELECT dispatch_id FROM c) AND status = %(dispatch_queued)s
)
INSERT INTO notifications_notificationattempt
    (notification_id, number, started_at, task_id, succeeded, error_kind, error_message)
SELECT id, %(number)s, %(now)s, %(task_id)s, false, '', '' FROM c
"""

# The attempt is closed whatever the row's fate; the dispatch only when this row was recorded and it was open.
_SUCCESS = """
WITH s AS (
    UPDATE notifications_notificationlog
    SET status = %(sent)s, sent_at = %(now)s, provider_message_id = %(provider_id)s, next_attempt_at = NULL,
        updated_at = %(now)s
    WHERE id = %(id)s AND status = %(sending)s AND attempts = %(number)s
    RETURNING dispatch_id
), a AS (
    UPDATE notifications_notificationattempt SET finished_at = %(now)s, duration_ms = %(duration_ms)s, succeeded = true
    WHERE notification_id = %(id)s AND number = %(number)s
), d AS (
    UPDATE notifications_dispatch SET status = %(sent)s, completed_at = %(now)s, updated_at = %(now)s
    WHERE id = (SELECT dispatch_id FROM s) AND status IN (%(queued)s, %(in_progress)s)
    RETURNING id
)
SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM d),
       EXISTS (SELECT 1 FROM notifications_deliveryreceipt
               WHERE channel = %(channel)s AND provider_message_id = %(provider_id)s)
"""


def _time(value) -> time:
    return parse_time(value) if isinstance(value, str) else value  # SQLite returns times as text


def combined_statements() -> bool:
    """Whether each move is one statement (PostgreSQL); a function so that tests can take the other path."""
    return connection.vendor == "postgresql"


def notification_for_send(notification_id) -> NotificationLog | None:
    """The row while it waits (pending or queued), or None. It carries `request_id` (its dispatch's) and
    `quiet_hours` (QuietHours of its channel at its taller, the dispatch's or else the default one, or None)."""
    params = {"true": True, "id": _db_id(notification_id), "pending": WAITING[0], "queued": WAITING[1]}
    # A plain cursor, not RawQuerySet: its mapping of columns to fields cost more than the query (apps/core/rows.py).
    with connection.cursor() as cursor:
        cursor.execute(_read_statement(), params)
        found = cursor.fetchone()
    if found is None:
        return None
    row, (request_id, tz, quiet_start, quiet_end) = model_from_row(NotificationLog, found)
    row.request_id = request_id or ""
    row.quiet_hours = QuietHours(_time(quiet_start), _time(quiet_end), tz) if quiet_start is not None and tz else None
    return row


@lru_cache(maxsize=1)
def _read_statement() -> str:
    return _READ.format(columns=model_columns(NotificationLog, "n"))


def _db_id(value):
    """The id as the column stores it (SQLite keeps UUIDs as 32 hex digits)."""
    return NotificationLog._meta.pk.get_db_prep_value(NotificationLog._meta.pk.to_python(value), connection)


def notification_claim(row: NotificationLog, *, now: datetime, task_id: str) -> bool:
    """Take the row as it was read (either waiting status: the relay sweep marks a row queued after publishing it,
    so a fast worker may read it pending; the attempt count tells whether another worker claimed it in between)
    and count the attempt; its dispatch is in progress and the attempt row is stored, before anything is sent. On
    success `row` holds the attempt number that guards every later move."""
    number = row.attempts + 1
    if combined_statements():
        params = {
            "sending": NotificationStatus.SENDING,
            "now": now,
            "number": number,
            "id": row.id,
            "pending": NotificationStatus.PENDING,
            "queued": NotificationStatus.QUEUED,
            "read_attempts": row.attempts,
            "in_progress": DispatchStatus.IN_PROGRESS,
            "dispatch_queued": DispatchStatus.QUEUED,
            "task_id": task_id[:64],
        }
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, params)
            claimed = cursor.rowcount == 1
    else:
        with transaction.atomic():
            claimed = NotificationLog.objects.filter(id=row.id, status__in=WAITING, attempts=row.attempts).update(
                status=NotificationStatus.SENDING,
                claimed_at=now,
                attempts=number,
                # A row published by the relay, in-process (eager) mode, runs before it could be marked queued.
                queued_at=row.queued_at or now,
                updated_at=now,
            )
            if claimed:
                if row.dispatch_id:
                    Dispatch.objects.filter(id=row.dispatch_id, status=DispatchStatus.QUEUED).update(
                        status=DispatchStatus.IN_PROGRESS
                    )
                NotificationAttempt.objects.create(
                    notification_id=row.id, number=number, started_at=now, task_id=task_id[:64]
                )
    if claimed:
        row.status, row.attempts, row.claimed_at = NotificationStatus.SENDING, number, now
        row.queued_at = row.queued_at or now
    return claimed


@dataclass(frozen=True)
class Success:
    recorded: bool  # False: the row had moved on (the sweep, another worker) and stays as it is
    dispatch_sent: bool  # this row closed its dispatch as sent
    receipts_waiting: bool  # a receipt for the provider's id arrived before it was stored


def notification_record_success(
    row: NotificationLog, *, provider_message_id: str, now: datetime, duration_ms: int
) -> Success:
    """The claimed row is sent and its attempt succeeded; its dispatch is sent if it was still open. The attempt
    records what the provider said even when the row has moved on without it."""
    if combined_statements():
        params = {
            "sent": NotificationStatus.SENT,
            "sending": NotificationStatus.SENDING,
            "now": now,
            "provider_id": provider_message_id,
            "id": row.id,
            "number": row.attempts,
            "duration_ms": duration_ms,
            "queued": DispatchStatus.QUEUED,
            "in_progress": DispatchStatus.IN_PROGRESS,
            "channel": row.channel,
        }
        with connection.cursor() as cursor:
            cursor.execute(_SUCCESS, params)
            recorded, closed, waiting = cursor.fetchone()
        return Success(bool(recorded), bool(closed), bool(waiting) and bool(provider_message_id))
    with transaction.atomic():
        NotificationAttempt.objects.filter(notification_id=row.id, number=row.attempts).update(
            finished_at=now, duration_ms=duration_ms, succeeded=True
        )
        recorded = row_unchanged(row).update(
            status=NotificationStatus.SENT,
            sent_at=now,
            provider_message_id=provider_message_id,
            next_attempt_at=None,
            updated_at=now,
        )
        closed = bool(
            recorded
            and row.dispatch_id
            and Dispatch.objects.filter(id=row.dispatch_id, status__in=_OPEN_DISPATCH).update(
                status=DispatchStatus.SENT, completed_at=now, updated_at=now
            )
        )
    waiting = bool(
        provider_message_id
        and DeliveryReceipt.objects.filter(channel=row.channel, provider_message_id=provider_message_id).exists()
    )
    return Success(bool(recorded), closed, waiting)
