"""The delivery state machine under races (SPEC §13), on PostgreSQL with real concurrent connections: workers
racing one row, and the stuck-row sweep firing while a slow send is still inside the provider call. Whoever moves
a row first wins; a late outcome is dropped, never applied, so no row is sent on two channels and no final state
is overwritten."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.notifications.models import CustomerContactInfo, Dispatch, NotificationAttempt, NotificationLog
from apps.notifications.services.delivery import notification_send
from apps.notifications.services.maintenance import notifications_requeue_stuck
from apps.notifications.services.transitions import DEFERRED, DROPPED, SENT, SKIPPED
from tests.factories import dispatch_with_rows
from tests.services import postgres_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PHONE, EMAIL = "+593991234567", "carlos@example.com"


@pytest.fixture
def customer(fake_senders):
    postgres_or_fail()
    call_command("seed_initial_data", verbosity=0)
    return CustomerContactInfo.objects.create(customer_id="customer-001", name="Carlos", email=EMAIL, phone=PHONE)


def row_for(customer, plan=("whatsapp", "email")) -> NotificationLog:
    [row] = dispatch_with_rows(customer=customer, plan=plan, recipients={"whatsapp": [PHONE], "email": [EMAIL]})
    return row


def in_thread(fn, *args, **kwargs):
    """Run fn in another thread with its own database connection, as another worker would."""

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(run)
    pool.shutdown(wait=False)
    return future


def sweep_after_the_lease():
    return notifications_requeue_stuck(now=timezone.now() + timedelta(hours=1))


def test_workers_racing_for_the_same_rows_send_each_once(customer, fake_senders):
    rows = [row_for(customer) for _ in range(10)]
    start = threading.Barrier(4)

    def worker():
        try:
            start.wait(timeout=10)
            return [notification_send(notification_id=row.id).result for row in rows]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [f.result(timeout=60) for f in [pool.submit(worker) for _ in range(4)]]

    for i, row in enumerate(rows):
        outcomes = [result[i] for result in results]
        # One worker sends it. The others find it claimed (skipped) or, having read it before the winner's claim,
        # are told to wait by the pacing gate and put it back to pending (deferred; the tests' pacing budget is 0 s,
        # so a wait of microseconds defers): the winner's claim still takes it, and it is never sent twice.
        assert outcomes.count(SENT) == 1 and set(outcomes) - {SENT} <= {SKIPPED, DEFERRED}, outcomes
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("sent", 1)
    assert sorted(m.notification_id for m in fake_senders["whatsapp"].sent) == sorted(str(r.id) for r in rows)
    assert fake_senders["email"].sent == []


class Records(logging.Handler):
    """The transitions log, from every thread (caplog keeps only the test's own thread here)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def delivery_log():
    handler = Records()
    logger = logging.getLogger("apps.notifications.services.transitions")
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def test_sweep_during_a_slow_whatsapp_send_falls_back_and_the_late_success_is_dropped(
    customer, fake_senders, delivery_log
):
    row = row_for(customer)
    whatsapp = fake_senders["whatsapp"]
    whatsapp.hold()
    slow = in_thread(notification_send, notification_id=row.id)
    assert whatsapp.entered.wait(timeout=10)

    assert sweep_after_the_lease() == 0  # not requeued: closed as an unknown outcome, email takes over
    whatsapp.release()
    assert slow.result(timeout=10).result == DROPPED

    row.refresh_from_db()
    assert (row.status, row.error_kind, row.attempts, row.sent_at) == ("failed", ErrorKind.UNKNOWN_OUTCOME, 1, None)
    [email] = NotificationLog.objects.filter(fallback_from=row)
    assert email.status == "sent"
    assert Dispatch.objects.get(id=row.dispatch_id).status == "sent"
    # What the provider said is history: the attempt succeeded, its outcome came too late to move the row.
    assert NotificationAttempt.objects.get(notification=row).succeeded
    assert any("outcome 'sent' dropped, the row moved on" in m for m in delivery_log)
    assert len(whatsapp.sent) == 1  # WhatsApp was never asked again


def test_sweep_during_a_slow_email_send_resends_and_the_late_success_is_dropped(customer, fake_senders):
    row = row_for(customer, plan=("email", "whatsapp"))
    email = fake_senders["email"]
    email.hold()
    slow = in_thread(notification_send, notification_id=row.id)
    assert email.entered.wait(timeout=10)

    # Email is at least once: the sweep requeues it and (tasks run in-process) attempt 2 sends it now.
    assert sweep_after_the_lease() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 2, "email-1")
    email.release()
    assert slow.result(timeout=10).result == DROPPED

    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 2, "email-1")
    assert [m.notification_id for m in email.sent] == [str(row.id)] * 2  # the duplicate the policy accepts
    assert not NotificationLog.objects.filter(channel="whatsapp").exists()


def test_a_late_transient_failure_never_reopens_a_sent_row(customer, fake_senders):
    row = row_for(customer, plan=("email", "whatsapp"))
    email = fake_senders["email"]
    email.fail_next(SendError("451 try later"))  # what the slow first attempt will end with
    email.hold()
    slow = in_thread(notification_send, notification_id=row.id)
    assert email.entered.wait(timeout=10)

    sweep_after_the_lease()  # attempt 2 goes through
    email.release()
    assert slow.result(timeout=10).result == DROPPED

    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at, row.error_kind) == ("sent", 2, None, "")


def test_a_late_failure_never_falls_back_twice(customer, fake_senders):
    row = row_for(customer)
    whatsapp = fake_senders["whatsapp"]
    whatsapp.fail_next(SendError("número inválido", ErrorKind.PERMANENT))
    whatsapp.hold()
    slow = in_thread(notification_send, notification_id=row.id)
    assert whatsapp.entered.wait(timeout=10)

    sweep_after_the_lease()  # closes the row (unknown outcome) and falls back to email once
    whatsapp.release()
    assert slow.result(timeout=10).result == DROPPED

    row.refresh_from_db()
    assert (row.status, row.error_kind) == ("failed", ErrorKind.UNKNOWN_OUTCOME)
    assert NotificationLog.objects.filter(dispatch_id=row.dispatch_id, channel="email").count() == 1
    assert len(fake_senders["email"].sent) == 1


def test_a_redelivered_task_finds_the_row_moved_on(customer, fake_senders):
    row = row_for(customer)
    assert notification_send(notification_id=row.id).result == SENT
    assert notification_send(notification_id=row.id).result == SKIPPED
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(fake_senders["whatsapp"].sent) == 1


@pytest.mark.parametrize("plan", [("email",), ("whatsapp", "email")])
def test_a_row_the_relay_marks_queued_while_a_worker_holds_it_pending_is_still_sent(
    customer, fake_senders, monkeypatch, plan
):
    """The relay sweep publishes a row, then marks it queued; a fast worker reads it still pending. Its claim
    must not take the relay's move for another worker's: the row would stay queued with nobody to send it."""
    from apps.notifications.services import delivery

    row = row_for(customer, plan=plan)
    assert row.status == "pending"
    quiet_hours_check = delivery._defer_if_quiet

    def relay_commits_meanwhile(read_row):
        NotificationLog.objects.filter(id=read_row.id, status="pending").update(status="queued")
        return quiet_hours_check(read_row)

    monkeypatch.setattr(delivery, "_defer_if_quiet", relay_commits_meanwhile)

    assert notification_send(notification_id=row.id).result == SENT
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
