"""The product as a user runs it: the API accepts, a real Celery worker delivers over Redis and PostgreSQL
to a real SMTP server and the fake Evolution API."""

import time

import pytest
from django.core.management import call_command

from apps.notifications.models import CustomerContactInfo, Dispatch, NotificationLog
from apps.notifications.seed.examples import DISPATCH_EXAMPLE as SEED_EXAMPLE
from apps.notifications.tasks import send_notification_task
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

URL = "/api/v1/notifications/events/dispatch/"


@pytest.fixture
def customer(e2e):
    call_command("seed_initial_data", verbosity=0)
    return CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="0991234567"
    )


def dispatch_done(dispatch_id):
    def check():
        return Dispatch.objects.get(id=dispatch_id).status in ("sent", "failed")

    return check


def test_seed_example_is_delivered_on_whatsapp(client_api, e2e, customer):
    r = client_api.post(URL, SEED_EXAMPLE, format="json", HTTP_X_REQUEST_ID="e2erequest0001")
    assert r.status_code == 202, r.content
    dispatch_id = r.json()["dispatch_id"]
    wait_for(dispatch_done(dispatch_id), timeout=30, what="the dispatch to finish")

    [(number, text)] = e2e.evolution.sent_texts()
    assert number == "593991234567"
    assert "Carlos Mendoza" in text and "ABC123" in text and "20 de Enero, 2026" in text
    row = NotificationLog.objects.get(dispatch_id=dispatch_id)
    assert (row.channel, row.status, row.attempts) == ("whatsapp", "sent", 1)
    assert row.provider_message_id in e2e.evolution.accepted
    assert e2e.smtp.messages == []
    # The worker's log line names the request that accepted the dispatch, and the dispatch (SPEC §10).
    [line] = [line for line in e2e.log.read_text().splitlines() if f"of dispatch {dispatch_id} sent" in line]
    assert "[req=e2erequest0001]" in line and "+593991234567" not in line


def test_whatsapp_failing_falls_back_to_email_after_retries(client_api, e2e, customer):
    e2e.evolution.fail_next(4, status=503)  # refused before sending: retried (a 500 "Connection Closed" pauses)
    r = client_api.post(URL, SEED_EXAMPLE, format="json")
    dispatch_id = r.json()["dispatch_id"]
    wait_for(dispatch_done(dispatch_id), timeout=60, what="retries and the email fallback")

    whatsapp, email = NotificationLog.objects.filter(dispatch_id=dispatch_id).order_by("created_at")
    assert (whatsapp.status, whatsapp.attempts, whatsapp.error_kind) == ("failed", 4, "transient")
    assert list(whatsapp.attempt_rows.values_list("succeeded", flat=True)) == [False] * 4
    assert (email.status, email.fallback_from_id) == ("sent", whatsapp.id)
    [(rcpts, message)] = e2e.smtp.messages
    assert rcpts == ["carlos@example.com"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Carlos Mendoza" in text and "Haval H6 2024" in text
    assert "Carlos Mendoza" in html
    detail = client_api.get(f"/api/v1/notifications/dispatches/{dispatch_id}/").json()
    assert detail["status"] == "sent"
    assert [(n["channel"], n["status"], n["attempts"]) for n in detail["notifications"]] == [
        ("whatsapp", "failed", 4),
        ("email", "sent", 1),
    ]


def test_unregistered_number_falls_back_without_retries(client_api, e2e, customer):
    e2e.evolution.unregistered.add("593991234567")
    r = client_api.post(URL, SEED_EXAMPLE, format="json")
    dispatch_id = r.json()["dispatch_id"]
    wait_for(dispatch_done(dispatch_id), timeout=30, what="the fallback")
    whatsapp, email = NotificationLog.objects.filter(dispatch_id=dispatch_id).order_by("created_at")
    assert (whatsapp.attempts, whatsapp.error_kind) == (1, "permanent")
    assert email.status == "sent"
    assert len(e2e.smtp.messages) == 1


def test_same_idempotency_key_twice_sends_once(client_api, e2e, customer):
    first = client_api.post(URL, SEED_EXAMPLE, format="json", HTTP_IDEMPOTENCY_KEY="evt-e2e-1")
    second = client_api.post(URL, SEED_EXAMPLE, format="json", HTTP_IDEMPOTENCY_KEY="evt-e2e-1")
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["dispatch_id"] == second.json()["dispatch_id"]
    wait_for(dispatch_done(first.json()["dispatch_id"]), timeout=30, what="the dispatch")
    time.sleep(1)
    assert len(e2e.evolution.sent_texts()) == 1


def test_task_delivered_twice_sends_once(client_api, e2e, customer):
    r = client_api.post(URL, SEED_EXAMPLE, format="json")
    row_id = r.json()["notifications"][0]["id"]
    # The broker redelivers (visibility timeout, worker lost): the same task id arrives again.
    send_notification_task.apply_async(args=[row_id])
    send_notification_task.apply_async(args=[row_id])
    wait_for(dispatch_done(r.json()["dispatch_id"]), timeout=30, what="the dispatch")
    wait_for(lambda: e2e.log.read_text().count("succeeded") >= 3, timeout=30, what="all three tasks to run")
    assert len(e2e.evolution.sent_texts()) == 1
    assert NotificationLog.objects.get(id=row_id).attempts == 1


def test_whatsapp_receipts_reach_the_dispatch(client_api, e2e, customer, live_server, settings):
    """Evolution reports delivery and reading through its webhook; the dispatch ends up `read`."""
    settings.EVOLUTION_WEBHOOK_TOKEN = "e2e-webhook-token"
    e2e.evolution.set_webhook(
        f"{live_server.url}/api/webhooks/evolution/", headers={"X-Webhook-Token": "e2e-webhook-token"}
    )
    r = client_api.post(URL, SEED_EXAMPLE, format="json")
    dispatch_id = r.json()["dispatch_id"]
    wait_for(
        lambda: Dispatch.objects.get(id=dispatch_id).status == "read", timeout=30, what="the read receipt to arrive"
    )
    assert [status for status, _ in e2e.evolution.webhook_calls] == [200, 200]
    detail = client_api.get(f"/api/v1/notifications/dispatches/{dispatch_id}/").json()
    [row] = detail["notifications"]
    assert row["status"] == "read"
    assert row["sent_at"] <= row["delivered_at"] <= row["read_at"]
    assert row["provider_message_id"] == e2e.evolution.accepted[0]
