"""Protecting the WhatsApp number, as it runs (SPEC §13): real Celery workers on Redis and PostgreSQL, the fake
Evolution API (its connection states, "Connection Closed" while closed, `connection.update` and `ERROR` webhooks)
and a real SMTP server."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone

from apps.notifications.models import (
    CustomerContactInfo,
    Dispatch,
    NotificationLog,
    Taller,
    TallerChannelConfig,
    WhatsAppInstance,
)
from apps.notifications.seed.examples import DISPATCH_EXAMPLE
from apps.notifications.services.outbox import notification_relay_pending
from config.celery import app
from tests.e2e.conftest import E2E_REDIS_DB, broker, running_worker, wait_for
from tests.services import redis_db_url, redis_or_fail

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

URL = "/api/v1/notifications/events/dispatch/"
STAFF = ["+593991111111", "+593992222222", "+593993333333", "+593994444444", "+593995555555", "+593996666666"]


@pytest.fixture
def seeded(e2e):
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )
    return e2e


def post(client_api, hour: str = "14:30", **changes) -> str:
    body = {**DISPATCH_EXAMPLE, "context": {**DISPATCH_EXAMPLE["context"], "hora": hour}, **changes}
    response = client_api.post(URL, body, format="json")
    assert response.status_code == 202, response.content
    return response.json()["dispatch_id"]


def finished(dispatch_id) -> bool:
    return Dispatch.objects.get(id=dispatch_id).status in ("sent", "delivered", "read", "failed")


def test_two_workers_sending_to_many_numbers_keep_the_gap_of_the_instance(
    client_api, channels, smtp_server, evolution, tmp_path
):
    """Six staff numbers, two worker processes, a 1 s minimum gap plus up to 1 s of jitter: the fake Evolution API
    sees the six sends at least a second apart, and no worker slept more than its turn (the rest were deferred
    and published again for their slot; the relay, as Beat runs it every minute, would also hand them over)."""
    call_command("seed_initial_data", verbosity=0)
    TallerChannelConfig.objects.filter(taller=Taller.objects.get(is_default=True), channel="whatsapp").update(
        staff_recipients=STAFF
    )
    url = redis_db_url(redis_or_fail(), E2E_REDIS_DB)
    redis.Redis.from_url(url).flushdb()
    paced = {"WHATSAPP_MIN_INTERVAL_SECONDS": "1", "WHATSAPP_MAX_JITTER_SECONDS": "1"}
    common = {"broker_url": url, "smtp_port": smtp_server.port, "evolution_url": evolution.url, **paced}
    with (
        running_worker(log_path=tmp_path / "worker-a.log", **common),
        running_worker(log_path=tmp_path / "worker-b.log", **common),
        broker(url),
    ):
        dispatch_id = post(
            client_api, event_type="vehicle_received", phase_id="phase-reception", target="staff", customer_id=None
        )

        def all_sent():
            notification_relay_pending(grace=timedelta(0))  # Beat's minute, compressed
            return NotificationLog.objects.filter(dispatch_id=dispatch_id, status="sent").count() == len(STAFF)

        wait_for(all_sent, timeout=60, what="six paced sends", interval=0.5)

    times = sorted(at for instance, _, at in evolution.sends() if instance == "ambacar")
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == len(STAFF)
    assert min(gaps) >= 0.98, gaps  # the floor, measured at the provider
    logs = (tmp_path / "worker-a.log").read_text() + (tmp_path / "worker-b.log").read_text()
    assert (
        "succeeded" in (tmp_path / "worker-a.log").read_text()
        and "succeeded" in (tmp_path / "worker-b.log").read_text()
    )
    assert "deferred by pacing" in logs  # some turns were further than one interval away: not slept on


def test_a_closed_instance_costs_no_whatsapp_attempt_and_the_probe_resumes_it(client_api, seeded):
    evolution, smtp = seeded.evolution, seeded.smtp
    evolution.disconnect()  # the phone logged out: sendText answers 500 "Connection Closed"

    started = time.monotonic()
    first = post(client_api, "09:00")
    wait_for(lambda: finished(first), timeout=60, what="the first dispatch")
    assert WhatsAppInstance.objects.get(name="ambacar").paused_at is not None
    assert len(smtp.messages) == 1 and time.monotonic() - started < 60  # by email within a minute

    second = post(client_api, "10:00")
    wait_for(lambda: finished(second), timeout=30, what="the second dispatch")
    whatsapp = NotificationLog.objects.get(dispatch_id=second, channel="whatsapp")
    assert (whatsapp.error_code, whatsapp.attempts) == ("channel_paused", 0)
    assert len(evolution.sent_texts()) == 1  # only the send that found it closed
    assert len(smtp.messages) == 2

    evolution.connect()
    app.send_task("notifications.probe_channels")  # what Beat does every minute
    wait_for(
        lambda: WhatsAppInstance.objects.get(name="ambacar").paused_at is None, timeout=30, what="the probe to resume"
    )
    third = post(client_api, "11:00")
    wait_for(lambda: finished(third), timeout=30, what="the third dispatch")
    assert NotificationLog.objects.get(dispatch_id=third, channel="whatsapp").status == "sent"
    assert len(smtp.messages) == 2


def test_an_absent_number_is_not_tried_again(client_api, seeded):
    seeded.evolution.unregistered.add("593991234567")
    first = post(client_api, "09:00")
    wait_for(lambda: finished(first), timeout=30, what="the first dispatch")
    second = post(client_api, "10:00")
    wait_for(lambda: finished(second), timeout=30, what="the second dispatch")

    assert len(seeded.evolution.sent_texts()) == 1
    assert Dispatch.objects.get(id=second).channel_plan == ["email"]
    assert len(seeded.smtp.messages) == 2


def test_an_error_receipt_brings_the_email_and_connection_updates_pause_and_resume(
    client_api, seeded, live_server, settings
):
    settings.EVOLUTION_WEBHOOK_TOKEN = "e2e-webhook-token"
    seeded.evolution.set_webhook(
        f"{live_server.url}/api/webhooks/evolution/",
        headers={"X-Webhook-Token": "e2e-webhook-token"},
        events=["MESSAGES_UPDATE", "CONNECTION_UPDATE"],
    )
    seeded.evolution.set_receipts("SERVER_ACK", "ERROR")  # WhatsApp refuses it after Evolution accepted it

    dispatch_id = post(client_api)
    wait_for(lambda: len(seeded.smtp.messages) == 1, timeout=30, what="the email after the ERROR receipt")
    # The email is out; the worker records it right after the SMTP server's answer.
    wait_for(lambda: Dispatch.objects.get(id=dispatch_id).status == "sent", timeout=10, what="the dispatch sent")
    whatsapp = NotificationLog.objects.get(dispatch_id=dispatch_id, channel="whatsapp")
    assert (whatsapp.status, whatsapp.error_code) == ("failed", "whatsapp_error")

    seeded.evolution.disconnect()  # Evolution reports connection.update close
    wait_for(
        lambda: WhatsAppInstance.objects.filter(name="ambacar", paused_at__isnull=False).exists(),
        timeout=15,
        what="the pause",
    )
    seeded.evolution.connect()
    wait_for(
        lambda: WhatsAppInstance.objects.filter(name="ambacar", paused_at__isnull=True).exists(),
        timeout=15,
        what="the resume",
    )


def test_health_shows_the_instance_live(client_api, seeded, settings):
    settings.REDIS_URL = seeded.broker_url  # the worker counts its sends in the broker's Redis
    dispatch_id = post(client_api)
    wait_for(lambda: finished(dispatch_id), timeout=30, what="the dispatch")
    seeded.evolution.disconnect()
    from django.core.cache import cache

    cache.clear()

    [instance] = client_api.get("/api/v1/analytics/health/").json()["channels"]["whatsapp"]["instances"]

    assert (instance["name"], instance["state"], instance["sent_today"]) == ("ambacar", "close", 1)
    assert instance["paused"] is False  # nothing has tried it, nor reported it, since it closed


def test_past_the_daily_cap_and_after_the_delivery_timeout_the_email_takes_over(
    client_api, channels, smtp_server, evolution, tmp_path, settings
):
    """Two workers' settings the office may set: a cap of one message a day, and a 1-minute delivery timeout with
    receipts on (the sweep is sent as Beat sends it, after the minute has passed in the database)."""
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )
    url = redis_db_url(redis_or_fail(), E2E_REDIS_DB)
    redis.Redis.from_url(url).flushdb()
    env = {"WHATSAPP_DAILY_CAP": "1", "WHATSAPP_DELIVERY_TIMEOUT_MINUTES": "1", "EVOLUTION_WEBHOOK_TOKEN": "t"}
    with (
        running_worker(
            broker_url=url, smtp_port=smtp_server.port, evolution_url=evolution.url, log_path=tmp_path / "w.log", **env
        ),
        broker(url),
    ):
        first = post(client_api, "09:00")
        wait_for(lambda: finished(first), timeout=30, what="the first dispatch")
        second = post(client_api, "10:00")
        wait_for(lambda: finished(second), timeout=30, what="the second dispatch")
        capped = NotificationLog.objects.get(dispatch_id=second, channel="whatsapp")
        assert (capped.error_code, capped.attempts) == ("whatsapp_daily_cap", 0)
        assert len(evolution.sent_texts()) == 1 and len(smtp_server.messages) == 1

        # No delivery receipt for the first message (the fake sends none without a webhook): a minute later...
        NotificationLog.objects.filter(dispatch_id=first).update(sent_at=timezone.now() - timedelta(minutes=2))
        app.send_task("notifications.retry_failed_notifications")
        wait_for(lambda: len(smtp_server.messages) == 2, timeout=30, what="the email after the delivery timeout")
    late = NotificationLog.objects.get(dispatch_id=first, channel="whatsapp")
    assert (late.status, late.error_code) == ("failed", "whatsapp_not_delivered")
