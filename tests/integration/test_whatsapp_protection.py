"""Protecting the WhatsApp number (SPEC §13), through the delivery service with fakes at the channel port and tasks
run in-process: pause and resume, daily cap, pacing that defers instead of sleeping, absent numbers, ERROR receipts,
undelivered messages, branch senders, and what the health report says about each instance."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from apps.core.constants import ErrorKind, NotificationStatus
from apps.core.exceptions import SendError
from apps.core.ports import Receipt
from apps.notifications.adapters.whatsapp import CONNECTION_CLOSED, NOT_ON_WHATSAPP, UNAUTHORIZED
from apps.notifications.models import (
    AbsentNumber,
    CustomerContactInfo,
    Dispatch,
    NotificationLog,
    Taller,
    TallerChannelConfig,
    WhatsAppInstance,
)
from apps.notifications.seed.examples import DISPATCH_EXAMPLE
from apps.notifications.services.delivery import notification_send
from apps.notifications.services.maintenance import whatsapp_rows_fall_back_undelivered
from apps.notifications.services.outbox import notification_relay_pending
from apps.notifications.services.receipts import receipt_record
from apps.notifications.services.transitions import DEFERRED
from apps.notifications.services.whatsapp_pacing import pacer
from apps.notifications.services.whatsapp_senders import whatsapp_instance_pause
from apps.notifications.tasks import probe_channels

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/notifications/events/dispatch/"
PHONE = "+593991234567"


@pytest.fixture
def instance(settings):
    """The default sender, a fresh name per test: the pacer's counters in Redis outlive a test."""
    settings.EVOLUTION_INSTANCE = f"ambacar-{uuid.uuid4().hex[:8]}"
    return settings.EVOLUTION_INSTANCE


@pytest.fixture
def customer(db, fake_senders, instance):
    call_command("seed_initial_data", verbosity=0)
    return CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone=PHONE
    )


def dispatch(client_api, **changes) -> Dispatch:
    response = client_api.post(URL, {**DISPATCH_EXAMPLE, **changes}, format="json")
    assert response.status_code == 202, response.content
    d = Dispatch.objects.get(id=response.json()["dispatch_id"])
    d.excluded_channels = response.json()["excluded_channels"]
    return d


def rows(d: Dispatch) -> list[NotificationLog]:
    return list(d.notifications.order_by("created_at"))


# --- pause and resume ------------------------------------------------------------------------------------------


def test_a_paused_instance_sends_its_messages_by_email_without_a_whatsapp_attempt(
    client_api, customer, fake_senders, instance
):
    whatsapp_instance_pause(name=instance, reason="prueba")

    whatsapp, email = rows(dispatch(client_api))

    assert (whatsapp.status, whatsapp.error_code, whatsapp.attempts) == ("failed", "channel_paused", 0)
    assert (email.status, email.fallback_from_id) == ("sent", whatsapp.id)
    assert fake_senders["whatsapp"].calls == 0


@pytest.mark.parametrize(
    "error",
    [
        SendError("API key de Evolution inválida", ErrorKind.PERMANENT, code=UNAUTHORIZED),
        SendError("WhatsApp está desconectado (Connection Closed)", code=CONNECTION_CLOSED),
    ],
    ids=["401", "connection-closed"],
)
def test_a_send_that_finds_the_instance_down_pauses_it_and_takes_email_at_once(
    client_api, customer, fake_senders, instance, error
):
    fake_senders["whatsapp"].fail_next(error)

    whatsapp, email = rows(dispatch(client_api))

    assert (whatsapp.status, whatsapp.attempts, whatsapp.error_code) == ("failed", 1, error.code)  # no retry
    assert email.status == "sent"
    paused = WhatsAppInstance.objects.get(name=instance)
    assert paused.paused_at is not None and error.message in paused.pause_reason
    # The next dispatch costs WhatsApp nothing.
    whatsapp, email = rows(dispatch(client_api, context={**DISPATCH_EXAMPLE["context"], "hora": "15:00"}))
    assert (whatsapp.error_code, whatsapp.attempts, email.status) == ("channel_paused", 0, "sent")
    assert fake_senders["whatsapp"].calls == 1


def test_the_probe_resumes_an_open_instance_and_moves_rows_still_waiting_on_a_paused_one(
    client_api, customer, fake_senders, instance, settings
):
    whatsapp_instance_pause(name=instance, reason="prueba")
    waiting = NotificationLog.objects.create(
        dispatch=dispatch(client_api, customer_id="customer-001"),
        channel="whatsapp",
        event_type="appointment_scheduled",
        recipient=PHONE,
        status="pending",
        sender=instance,
        next_attempt_at=timezone.now() + timedelta(minutes=5),  # waiting for its pacing slot
    )
    fake_senders["whatsapp"].states[instance] = "close"

    probe_channels.apply().get()

    assert WhatsAppInstance.objects.get(name=instance).paused_at is not None  # still closed: stays paused
    waiting.refresh_from_db()
    assert (waiting.status, waiting.error_code, waiting.attempts) == ("failed", "channel_paused", 0)

    fake_senders["whatsapp"].states[instance] = "open"
    result = probe_channels.apply().get()

    resumed = WhatsAppInstance.objects.get(name=instance)
    assert resumed.paused_at is None and resumed.resumed_at is not None and resumed.state == "open"
    assert result["whatsapp"][instance] == "open"
    assert rows(dispatch(client_api, context={**DISPATCH_EXAMPLE["context"], "hora": "16:00"}))[0].status == "sent"


@pytest.fixture
def webhook(settings):
    settings.EVOLUTION_WEBHOOK_TOKEN = "hook-token"
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_X_WEBHOOK_TOKEN="hook-token")
    return client


def connection_update(instance: str, state: str) -> dict:
    return {"event": "connection.update", "instance": instance, "data": {"instance": instance, "state": state}}


def test_connection_update_pauses_on_close_and_resumes_on_open(customer, webhook, instance):
    r = webhook.post("/api/webhooks/evolution/", connection_update(instance, "close"), format="json")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert WhatsAppInstance.objects.get(name=instance).paused_at is not None

    webhook.post("/api/webhooks/evolution/", connection_update(instance, "open"), format="json")
    assert WhatsAppInstance.objects.get(name=instance).paused_at is None


def test_connection_update_of_an_instance_we_do_not_send_from_is_ignored(customer, webhook):
    r = webhook.post("/api/webhooks/evolution/", connection_update("someone-else", "close"), format="json")
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    assert not WhatsAppInstance.objects.filter(name="someone-else").exists()


# --- daily cap and pacing ----------------------------------------------------------------------------------------


def test_past_the_daily_cap_the_message_goes_by_email_and_health_does_not_count_it(
    client_api, customer, fake_senders, settings, instance
):
    settings.WHATSAPP_DAILY_CAP = 1
    assert rows(dispatch(client_api))[0].status == "sent"

    whatsapp, email = rows(dispatch(client_api, context={**DISPATCH_EXAMPLE["context"], "hora": "15:00"}))

    assert (whatsapp.status, whatsapp.error_code, whatsapp.attempts) == ("failed", "whatsapp_daily_cap", 0)
    assert email.status == "sent"
    assert fake_senders["whatsapp"].calls == 1
    health = client_api.get("/api/v1/analytics/health/").json()["channels"]["whatsapp"]
    assert (health["sent"], health["failed"], health["status"]) == (1, 0, "healthy")
    [row] = health["instances"]
    assert (row["name"], row["sent_today"], row["daily_cap"], row["paused"]) == (instance, 1, 1, False)


def test_a_message_whose_turn_is_far_waits_as_pending_and_the_relay_sends_it_on_time(
    client_api, customer, fake_senders, settings, instance
):
    settings.WHATSAPP_MIN_INTERVAL_SECONDS, settings.WHATSAPP_MAX_JITTER_SECONDS = 1, 0
    pacer().reserve(instance, "another-worker", gap=1)  # another worker holds the slot of now

    started = time.monotonic()
    [near] = rows(dispatch(client_api))
    # Its turn was one interval away: the worker waited for it.
    assert near.status == "sent" and 0.8 < time.monotonic() - started < 2

    pacer().reserve(instance, "another-worker-2", gap=1)
    pacer().reserve(instance, "another-worker-3", gap=1)
    [far] = rows(dispatch(client_api, context={**DISPATCH_EXAMPLE["context"], "hora": "15:00"}))
    # Two intervals away: not slept on, it waits as pending for its slot.
    assert (far.status, far.attempts) == ("pending", 0)
    assert timezone.now() + timedelta(seconds=1) < far.next_attempt_at < timezone.now() + timedelta(seconds=4)
    assert notification_relay_pending(grace=timedelta(0)) == 0  # not yet due (in-process: no countdown)
    time.sleep((far.next_attempt_at - timezone.now()).total_seconds() + 0.05)
    assert notification_relay_pending(grace=timedelta(0)) == 1
    far.refresh_from_db()
    assert far.status == "sent" and fake_senders["whatsapp"].calls == 2


@pytest.mark.skipif(not settings.REDIS_URL, reason="publishing with a countdown needs the Redis broker")
def test_with_a_broker_a_message_whose_turn_is_seconds_away_goes_back_to_it_for_its_slot(
    client_api, customer, fake_senders, settings, instance, queued_only
):
    """Not pending until the relay sweep (up to a minute with Beat): published again with its countdown, and
    marked queued so that the sweep does not publish it twice."""
    settings.WHATSAPP_MIN_INTERVAL_SECONDS, settings.WHATSAPP_MAX_JITTER_SECONDS = 1, 0
    [row] = rows(dispatch(client_api))  # published, nothing runs it
    for holder in ("another-worker", "another-worker-2", "another-worker-3"):
        pacer().reserve(instance, holder, gap=1)

    outcome = notification_send(notification_id=row.id)  # as the worker that took the task

    assert outcome.result == DEFERRED and 1 < outcome.countdown < 4
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 0)
    headers = [
        json.loads(message)["headers"]
        for message in redis.Redis.from_url(settings.REDIS_URL).lrange("notifications", 0, -1)
    ]
    etas = [h["eta"] for h in headers if h["argsrepr"] == repr([str(row.id)])]
    assert len(etas) == 2 and etas.count(None) == 1, etas  # the dispatch's publish, then the deferral's, timed
    eta = datetime.fromisoformat(next(e for e in etas if e))
    assert abs((eta - row.next_attempt_at).total_seconds()) < 0.5
    assert notification_relay_pending(grace=timedelta(0)) == 0
    assert fake_senders["whatsapp"].calls == 0


# --- absent numbers -----------------------------------------------------------------------------------------


def test_a_number_whatsapp_said_is_absent_is_not_tried_again_until_the_phone_changes(
    client_api, customer, fake_senders
):
    fake_senders["whatsapp"].fail_next(SendError("no tiene WhatsApp", ErrorKind.PERMANENT, code=NOT_ON_WHATSAPP))
    whatsapp, email = rows(dispatch(client_api))
    assert (whatsapp.error_code, email.status) == ("not_on_whatsapp", "sent")
    assert AbsentNumber.objects.filter(phone=PHONE).exists()

    again = dispatch(client_api, context={**DISPATCH_EXAMPLE["context"], "hora": "15:00"})
    assert again.channel_plan == ["email"]
    assert {"channel": "whatsapp", "code": "not_on_whatsapp"}.items() <= again.excluded_channels[0].items()
    assert fake_senders["whatsapp"].calls == 1

    CustomerContactInfo.objects.filter(pk=customer.pk).update(phone="+593987654321")  # a new phone: tried at once
    assert dispatch(client_api, context={**DISPATCH_EXAMPLE["context"], "hora": "16:00"}).channel_plan[0] == "whatsapp"


def test_an_absent_number_is_tried_again_after_the_absent_days(client_api, customer, fake_senders, settings):
    AbsentNumber.objects.create(phone=PHONE, reported_at=timezone.now() - timedelta(days=16))
    assert dispatch(client_api).channel_plan[0] == "whatsapp"


# --- receipts that fail, and messages never delivered --------------------------------------------------------------


def test_an_error_receipt_brings_the_email_once(client_api, customer, fake_senders):
    [whatsapp] = rows(dispatch(client_api))
    error = Receipt("whatsapp", whatsapp.provider_message_id, NotificationStatus.FAILED, datetime.now(UTC))

    assert receipt_record(receipt=error) == (True, 1)
    assert receipt_record(receipt=error) == (False, 0)  # Evolution repeats itself: nothing more happens

    whatsapp, email = rows(Dispatch.objects.get(id=whatsapp.dispatch_id))
    assert (whatsapp.status, whatsapp.error_code, email.status) == ("failed", "whatsapp_error", "sent")
    assert len(fake_senders["email"].sent) == 1
    assert Dispatch.objects.get(id=whatsapp.dispatch_id).status == "sent"


def test_an_error_receipt_after_delivery_changes_nothing(client_api, customer, fake_senders):
    [whatsapp] = rows(dispatch(client_api))
    at = datetime.now(UTC)
    receipt_record(receipt=Receipt("whatsapp", whatsapp.provider_message_id, NotificationStatus.DELIVERED, at))
    receipt_record(receipt=Receipt("whatsapp", whatsapp.provider_message_id, NotificationStatus.FAILED, at))
    whatsapp.refresh_from_db()
    assert whatsapp.status == "delivered" and fake_senders["email"].sent == []


def test_an_undelivered_whatsapp_falls_back_once_after_the_timeout(client_api, customer, fake_senders, settings):
    settings.EVOLUTION_WEBHOOK_TOKEN, settings.WHATSAPP_DELIVERY_TIMEOUT_MINUTES = "hook-token", 30
    late, delivered, recent = (
        rows(dispatch(client_api, context={**DISPATCH_EXAMPLE["context"], "hora": h}))[0] for h in ("9", "10", "11")
    )
    NotificationLog.objects.filter(id__in=[late.id, delivered.id]).update(
        sent_at=timezone.now() - timedelta(minutes=31)
    )
    NotificationLog.objects.filter(id=delivered.id).update(status="delivered", delivered_at=timezone.now())

    assert whatsapp_rows_fall_back_undelivered() == 1
    assert whatsapp_rows_fall_back_undelivered() == 0

    late.refresh_from_db()
    assert (late.status, late.error_code, late.error_kind) == ("failed", "whatsapp_not_delivered", "unknown_outcome")
    assert NotificationLog.objects.get(fallback_from=late).status == "sent"
    assert NotificationLog.objects.get(id=recent.id).status == "sent"


def test_without_receipts_the_delivery_timeout_does_nothing(client_api, customer, fake_senders, settings):
    settings.EVOLUTION_WEBHOOK_TOKEN, settings.WHATSAPP_DELIVERY_TIMEOUT_MINUTES = "", 30
    [row] = rows(dispatch(client_api))
    NotificationLog.objects.filter(id=row.id).update(sent_at=timezone.now() - timedelta(hours=2))
    assert whatsapp_rows_fall_back_undelivered() == 0


# --- branch senders and health ---------------------------------------------------------------------------------


def test_a_branch_writes_from_its_own_instance(client_api, customer, fake_senders, instance):
    TallerChannelConfig.objects.filter(taller=Taller.objects.get(is_default=True), channel="whatsapp").update(
        evolution_instance="ambacar-cuenca"
    )
    [row] = rows(dispatch(client_api))
    assert row.sender == "ambacar-cuenca"
    assert fake_senders["whatsapp"].sent[0].sender == "ambacar-cuenca"
    # Its pause is its own: the default number keeps sending for the other tallers.
    whatsapp_instance_pause(name="ambacar-cuenca", reason="prueba")
    whatsapp, email = rows(dispatch(client_api, context={**DISPATCH_EXAMPLE["context"], "hora": "15:00"}))
    assert (whatsapp.error_code, email.status) == ("channel_paused", "sent")
    assert not WhatsAppInstance.objects.filter(name=instance, paused_at__isnull=False).exists()


def test_health_lists_every_instance_for_operators_only(client_api, anon_api, customer, fake_senders, instance):
    TallerChannelConfig.objects.filter(taller=Taller.objects.get(is_default=True), channel="whatsapp").update(
        evolution_instance="ambacar-cuenca"
    )
    whatsapp_instance_pause(name="ambacar-cuenca", reason="Evolution informó connection.update «close».")
    fake_senders["whatsapp"].states["ambacar-cuenca"] = "close"

    body = client_api.get("/api/v1/analytics/health/").json()

    instances = {i["name"]: i for i in body["channels"]["whatsapp"]["instances"]}
    assert set(instances) == {instance, "ambacar-cuenca"}
    assert (instances[instance]["state"], instances[instance]["paused"]) == ("open", False)
    branch = instances["ambacar-cuenca"]
    assert (branch["state"], branch["paused"], branch["daily_cap"]) == ("close", True, 1000000)
    assert branch["paused_since"] is not None and "close" in branch["pause_reason"]
    assert body["channels"]["email"]["configured"] is True
    assert set(anon_api.get("/api/v1/analytics/health/").json()) == {"status"}


def test_the_next_whatsapp_of_an_instance_waits_its_interval_from_the_end_of_the_last_request(
    client_api, customer, fake_senders, instance, settings, monkeypatch
):
    """The provider must see the whole interval between two sends even when a request leaves late (a busy
    worker) or takes long: the delivery service records the end of every request, a failed one too."""
    settings.WHATSAPP_MIN_INTERVAL_SECONDS, settings.WHATSAPP_MAX_JITTER_SECONDS = 0.5, 0
    sender = fake_senders["whatsapp"]
    send = sender.send

    def slow_send(message):
        time.sleep(0.3)  # the request reaches the provider and returns this long after the gate
        return send(message)

    monkeypatch.setattr(sender, "send", slow_send)
    sender.fail_next(SendError("Evolution no respondió a tiempo", ErrorKind.UNKNOWN_OUTCOME))

    started = time.time()
    whatsapp, email = rows(dispatch(client_api))

    assert (whatsapp.status, whatsapp.attempts, email.status) == ("failed", 1, "sent")
    # The request ended 0.3 s or more after `started`. Counted from that end, a 2 s gate still has at least
    # 2.3 s minus what has passed since `started` to wait; counted from the gate it would be 0.3 s less. A slow
    # machine shrinks both sides alike (the bound moves with the time measured), so this does not flake.
    admission = pacer().begin(instance, "next-row", min_interval=2.0, cap=100)
    elapsed = time.time() - started
    assert admission.verdict == "wait" and admission.value >= 2.3 - elapsed - 0.02, (admission, elapsed)
