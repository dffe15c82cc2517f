"""What a send costs (issue 13) and that both ways of writing it agree: on PostgreSQL a successful send is three
statements (the row with its quiet hours, the claim with its attempt, the success with its dispatch) and no Redis
round trip of its own for its metrics; the statement-by-statement path SQLite takes is run here on PostgreSQL too, so a
difference between the two shows as a failing case. Counts, not times."""

from __future__ import annotations

from datetime import time

import pytest
from django.db import connection
from django.utils import timezone

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.core.metrics import KEY, _field, metrics_flush
from apps.notifications.models import (
    DeliveryReceipt,
    Dispatch,
    NotificationAttempt,
    NotificationLog,
    Taller,
    TallerChannelConfig,
)
from apps.notifications.services import send_statements
from apps.notifications.services.delivery import notification_send
from apps.notifications.services.transitions import DROPPED, RETRY, SENT, SKIPPED
from apps.notifications.tasks import send_notification_task
from tests.factories import dispatch_with_rows
from tests.integration.conftest import Statements

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PHONE, EMAIL = "+593991234567", "carlos@example.com"
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the counted path is PostgreSQL's")


@pytest.fixture(params=["combined", "one by one"])
def path(request, monkeypatch):
    if request.param == "one by one":
        monkeypatch.setattr(send_statements, "combined_statements", lambda: False)
    elif connection.vendor != "postgresql":
        pytest.skip("one statement per move is PostgreSQL's")
    return request.param


def row_for(customer, plan=("email", "whatsapp")) -> NotificationLog:
    [row] = dispatch_with_rows(customer=customer, plan=plan, recipients={"whatsapp": [PHONE], "email": [EMAIL]})
    return row


@on_postgresql
# WhatsApp reads its instance's pause too (it is paced to one message a second: the statement costs nothing there);
# push reads the customer's devices and records each one's answer.
@pytest.mark.parametrize(("plan", "expected"), [(("email",), 3), (("whatsapp", "email"), 4)])
def test_a_send_is_three_statements(customer, fake_senders, plan, expected):
    row = row_for(customer, plan=plan)
    statements = Statements()
    with connection.execute_wrapper(statements):
        assert notification_send(notification_id=row.id).result == SENT
    assert len(statements.sql) == expected, statements.sql
    row.refresh_from_db()
    assert (row.status, row.attempts, row.dispatch.status) == ("sent", 1, "sent")


@on_postgresql
@pytest.mark.skipif(
    not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"), reason="DB_PREPARED_STATEMENTS=false"
)
def test_a_workers_connection_keeps_the_statements_of_a_send_prepared(customer, fake_senders):
    """DB_PREPARED_STATEMENTS: from its second send on, a connection skips parsing and planning them."""
    for _ in range(3):
        assert notification_send(notification_id=row_for(customer, plan=("email",)).id).result == SENT
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("FROM notifications_notificationlog n" in s and "send_quiet_start" in s for s in prepared), prepared
    assert any("INSERT INTO notifications_notificationattempt" in s for s in prepared), prepared
    assert any("SET status = $" in s and "provider_message_id" in s for s in prepared), prepared


def test_a_send_waits_on_no_redis_round_trip_for_its_metrics(customer, fake_senders, redis_commands, own_metrics_store):
    row = row_for(customer, plan=("email",))
    sent = _field("ambacar_notifications_total", {"channel": "email", "status": "sent"})
    before = float(own_metrics_store.client.hget(KEY, sent) or 0)
    redis_commands.clear()
    assert send_notification_task.apply(args=[str(row.id)]).get() == SENT
    assert redis_commands == []
    # The send's duration, the row's count and its dispatch's count go out with the process's next write.
    metrics_flush()
    assert len(redis_commands) == 2, redis_commands  # PING, MULTI/EXEC
    assert float(own_metrics_store.client.hget(KEY, sent)) == before + 1


def test_a_send_closes_its_attempt_and_its_dispatch(customer, fake_senders, path):
    row = row_for(customer)
    assert notification_send(notification_id=row.id, task_id="task-1").result == SENT
    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 1, "email-1")
    assert row.queued_at is not None and row.claimed_at is not None and row.sent_at is not None
    [attempt] = NotificationAttempt.objects.filter(notification=row)
    assert (attempt.number, attempt.succeeded, attempt.task_id, attempt.error_kind) == (1, True, "task-1", "")
    assert attempt.finished_at >= attempt.started_at and attempt.duration_ms is not None
    dispatch = Dispatch.objects.get(id=row.dispatch_id)
    assert (dispatch.status, dispatch.completed_at) == ("sent", row.sent_at)
    assert notification_send(notification_id=row.id).result == SKIPPED
    assert len(fake_senders["email"].sent) == 1


def test_a_receipt_that_came_first_is_applied_by_the_send(customer, fake_senders, path):
    row = row_for(customer)
    DeliveryReceipt.objects.create(
        channel="email", provider_message_id="email-1", status="delivered", occurred_at=timezone.now()
    )
    assert notification_send(notification_id=row.id).result == SENT
    row.refresh_from_db()
    assert row.status == "delivered" and row.delivered_at is not None


def test_a_row_that_moved_on_while_sending_keeps_its_state_and_the_attempt_still_closes(
    customer, fake_senders, path, monkeypatch
):
    row = row_for(customer)
    sender = fake_senders["email"]
    original = sender.send

    def sweep_meanwhile(message):
        NotificationLog.objects.filter(id=row.id).update(status="queued")  # the stuck-row sweep took it back
        return original(message)

    monkeypatch.setattr(sender, "send", sweep_meanwhile)
    assert notification_send(notification_id=row.id).result == DROPPED
    row.refresh_from_db()
    assert (row.status, row.sent_at) == ("queued", None)
    assert Dispatch.objects.get(id=row.dispatch_id).status == "in_progress"
    [attempt] = NotificationAttempt.objects.filter(notification=row)
    assert attempt.succeeded and attempt.finished_at is not None


def test_a_claim_taken_meanwhile_is_skipped_without_an_attempt(customer, fake_senders, path, monkeypatch):
    row = row_for(customer)
    read = send_statements.notification_for_send(row.id)
    NotificationLog.objects.filter(id=row.id).update(attempts=1, status="sending")  # another worker claimed it
    assert not send_statements.notification_claim(read, now=timezone.now(), task_id="late")
    assert not NotificationAttempt.objects.filter(notification=row).exists()
    assert Dispatch.objects.get(id=row.dispatch_id).status == "queued"


def test_a_failed_attempt_records_the_error_and_retries(customer, fake_senders, path):
    row = row_for(customer)
    fake_senders["email"].fail_next(SendError("El servidor SMTP no responde", ErrorKind.TRANSIENT))
    assert notification_send(notification_id=row.id).result == RETRY
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 1)
    [attempt] = NotificationAttempt.objects.filter(notification=row)
    assert (attempt.succeeded, attempt.error_kind) == (False, "transient")
    assert attempt.error_message == "El servidor SMTP no responde"
    assert notification_send(notification_id=row.id).result == SENT
    assert list(NotificationAttempt.objects.filter(notification=row).values_list("number", "succeeded")) == [
        (1, False),
        (2, True),
    ]


def test_the_quiet_hours_read_with_the_row_are_its_taller_s(customer, fake_senders, path):
    other = Taller.objects.create(slug="taller-sur", name="Taller Sur", timezone="America/Guayaquil")
    TallerChannelConfig.objects.update_or_create(
        taller=other, channel="email", defaults={"quiet_hours_start": time(21), "quiet_hours_end": time(7)}
    )
    row = row_for(customer)
    assert send_statements.notification_for_send(row.id).quiet_hours is None  # the default taller has none
    Dispatch.objects.filter(id=row.dispatch_id).update(taller=other, request_id="req-1")
    read = send_statements.notification_for_send(row.id)
    assert read.quiet_hours == send_statements.QuietHours(time(21), time(7), "America/Guayaquil")
    assert read.request_id == "req-1"
    NotificationLog.objects.filter(id=row.id).update(status="sent")
    assert send_statements.notification_for_send(row.id) is None
