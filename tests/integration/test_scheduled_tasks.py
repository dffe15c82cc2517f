"""The Beat tasks of SPEC §11: reminders sent exactly once per notice, sweeps, purge; safe twice at once."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.notifications.models import (
    CustomerContactInfo,
    Dispatch,
    MaintenanceReminder,
    NotificationLog,
    Vehicle,
)
from apps.notifications.services import maintenance
from apps.notifications.services.outbox import notification_relay_pending
from apps.notifications.tasks import check_maintenance_reminders, retry_failed_notifications
from tests.services import postgres_or_fail

pytestmark = pytest.mark.django_db(transaction=True)
GYE = ZoneInfo("America/Guayaquil")


def at(day: date, hour=8):
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=GYE)


@pytest.fixture
def reminder(db, fake_senders):
    call_command("seed_initial_data", verbosity=0)
    customer = CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )
    vehicle = Vehicle.objects.create(
        vehicle_id="veh-1", customer=customer, plate="ABC123", brand="Haval", model="H6", year=2024
    )
    return MaintenanceReminder.objects.create(
        vehicle=vehicle, customer=customer, due_date=date(2026, 12, 10), notify_days_before=7
    )


def run_on(day: date) -> int:
    with time_machine.travel(at(day), tick=False):
        return check_maintenance_reminders.apply().get()


def test_reminder_is_sent_once_on_entering_its_window_and_once_on_its_due_date(reminder, fake_senders):
    assert run_on(date(2026, 12, 2)) == 0  # 8 days before: outside the window
    assert run_on(date(2026, 12, 3)) == 1  # 7 days before: enters the window
    assert run_on(date(2026, 12, 3)) == 0  # same day again
    assert run_on(date(2026, 12, 6)) == 0  # inside the window, already told
    assert run_on(date(2026, 12, 10)) == 1  # due date, still open
    assert run_on(date(2026, 12, 10)) == 0
    assert run_on(date(2026, 12, 11)) == 0  # never more
    reminder.refresh_from_db()
    assert (reminder.status, reminder.notified_count) == ("notified", 2)
    messages = fake_senders["whatsapp"].sent
    assert len(messages) == 2
    assert "10 de diciembre de 2026" in messages[0].body and "ABC123" in messages[0].body
    dispatch = Dispatch.objects.first()
    assert (dispatch.event_type, dispatch.phase.slug, dispatch.service_type.slug) == (
        "maintenance_reminder",
        "phase-schedule",
        "mantenimiento-preventivo",
    )


def test_reminder_created_on_its_due_date_gets_a_single_notice(reminder, fake_senders):
    assert run_on(date(2026, 12, 10)) == 1
    assert run_on(date(2026, 12, 10)) == 0
    assert run_on(date(2026, 12, 12)) == 0
    assert len(fake_senders["whatsapp"].sent) == 1


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_closed_reminders_are_not_sent(reminder, fake_senders, status):
    MaintenanceReminder.objects.filter(pk=reminder.pk).update(status=status)
    assert run_on(date(2026, 12, 10)) == 0
    assert fake_senders["whatsapp"].sent == []


def test_unreachable_customer_is_retried_at_the_next_run(reminder, fake_senders):
    CustomerContactInfo.objects.filter(pk=reminder.customer_id).update(email="", phone="")
    assert run_on(date(2026, 12, 4)) == 0
    reminder.refresh_from_db()
    assert reminder.notified_count == 0
    CustomerContactInfo.objects.filter(pk=reminder.customer_id).update(phone="+593991234567")
    assert run_on(date(2026, 12, 5)) == 1


def test_two_reminder_runs_at_once_send_once(reminder, fake_senders):
    postgres_or_fail()
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(maintenance.reminders_notify_due(today=date(2026, 12, 4)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [0, 1]
    assert Dispatch.objects.count() == 1


def _dispatch(client_api):
    body = {
        "event_type": "vehicle_received",
        "service_type_id": "mantenimiento-preventivo",
        "phase_id": "phase-reception",
        "customer_id": "customer-001",
        "target": "clients",
        "context": {"placa": "ABC123", "vehiculo": "Haval H6 2024"},
    }
    r = client_api.post("/api/v1/notifications/events/dispatch/", body, format="json")
    assert r.status_code == 202, r.content
    return Dispatch.objects.get(id=r.json()["dispatch_id"])


def test_stuck_rows_are_requeued_and_sent(reminder, fake_senders, client_api):
    from config.celery import app

    app.conf.task_always_eager = False
    try:
        with pytest.MonkeyPatch.context() as mp:
            # The broker "loses" the message: publishing fails, the row waits as pending.
            mp.setattr("apps.notifications.tasks.send_notification_task.apply_async", _broker_down)
            dispatch = _dispatch(client_api)
    finally:
        app.conf.task_always_eager = True
    row = dispatch.notifications.get()
    assert row.status == "pending"
    NotificationLog.objects.filter(pk=row.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    result = retry_failed_notifications.apply().get()
    assert result["requeued"] == 1
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(fake_senders["whatsapp"].sent) == 1


def _broker_down(*args, **kwargs):
    raise ConnectionError("broker down")


def test_whatsapp_row_stuck_sending_is_never_resent_and_falls_back(reminder, fake_senders, client_api):
    dispatch = _dispatch(client_api)
    row = dispatch.notifications.get()
    # The worker died after the gateway call and before recording it: the row is left in `sending`.
    NotificationLog.objects.filter(pk=row.pk).update(
        status="sending", updated_at=timezone.now() - timedelta(hours=1), next_attempt_at=None
    )
    retry_failed_notifications.apply().get()
    whatsapp, email = dispatch.notifications.order_by("created_at")
    assert (whatsapp.status, whatsapp.error_kind) == ("failed", "unknown_outcome")
    assert email.status == "sent"
    assert fake_senders["whatsapp"].calls == 1  # the gateway call before the crash, never another


def test_transient_failed_dispatch_gets_two_more_rounds_at_most(reminder, fake_senders, client_api, settings):
    settings.NOTIFICATION_MAX_RETRIES = 0
    fake_senders["whatsapp"].fail_next(*[SendError("HTTP 500")] * 10)
    fake_senders["email"].fail_next(*[SendError("421 busy")] * 10)
    dispatch = _dispatch(client_api)
    dispatch.refresh_from_db()
    assert dispatch.status == "failed"
    for expected_rows in (4, 6):
        assert retry_failed_notifications.apply().get()["retried"] == 1
        dispatch.refresh_from_db()
        assert dispatch.status == "failed"
        assert dispatch.notifications.count() == expected_rows
    assert retry_failed_notifications.apply().get()["retried"] == 0
    assert dispatch.notifications.count() == 6


def test_permanent_failure_is_not_retried_by_the_sweep(reminder, fake_senders, client_api):
    fake_senders["whatsapp"].fail_next(SendError("no está en WhatsApp", ErrorKind.PERMANENT))
    fake_senders["email"].fail_next(SendError("550 no such user", ErrorKind.PERMANENT))
    _dispatch(client_api)
    assert retry_failed_notifications.apply().get()["retried"] == 0


def test_purge_deletes_only_rows_past_retention(reminder, fake_senders, client_api, settings):
    settings.LOG_RETENTION_DAYS = 30
    old, recent = _dispatch(client_api), _dispatch(client_api)
    NotificationLog.objects.filter(dispatch=old).update(created_at=timezone.now() - timedelta(days=31))
    Dispatch.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert maintenance.notification_logs_purge() == 1
    assert not Dispatch.objects.filter(pk=old.pk).exists()
    assert recent.notifications.count() == 1


def test_relay_is_safe_to_run_twice_at_once(reminder, fake_senders, client_api):
    postgres_or_fail()
    from config.celery import app

    app.conf.task_always_eager = False
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("apps.notifications.tasks.send_notification_task.apply_async", _broker_down)
            for _ in range(3):
                _dispatch(client_api)
    finally:
        app.conf.task_always_eager = True
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(notification_relay_pending(grace=timedelta(0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(results) == 3
    assert len(fake_senders["whatsapp"].sent) == 3


def test_a_notice_window_longer_than_a_year_is_honoured(reminder, fake_senders):
    MaintenanceReminder.objects.filter(pk=reminder.pk).update(due_date=date(2028, 1, 10), notify_days_before=400)
    assert run_on(date(2026, 12, 5)) == 0  # 401 days before
    assert run_on(date(2026, 12, 6)) == 1  # 400 days before: enters the window
