"""GET /metrics (SPEC §13): Prometheus text format behind a bearer token, with the series an operator watches.
Deliveries run in-process here with fakes at the channel port; tests/e2e/test_operations.py scrapes what a real
worker recorded."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.core.metrics import KEY, _store_for, store
from apps.notifications.models import CustomerContactInfo
from apps.notifications.seed.examples import DISPATCH_EXAMPLE
from apps.notifications.services.whatsapp_senders import whatsapp_instance_pause

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "metrics-token-0123456789"


@pytest.fixture(autouse=True)
def fresh_metrics(settings):
    """Counters live in Redis (in CI) and outlive a test: each test starts from zero."""
    settings.METRICS_TOKEN = TOKEN
    _start_from_zero()
    yield
    _start_from_zero()


def _start_from_zero():
    metrics = store()
    if hasattr(metrics, "client"):
        metrics.flush()  # what this process summed and has not written yet goes out now, not into the next test
        metrics.client.delete(KEY)
    else:
        _store_for.cache_clear()


def scrape(client, token: str = TOKEN):
    # What Prometheus asks for when it scrapes the classic text format.
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="text/plain;version=0.0.4")


def samples(response) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(found, name, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_without_a_token_configured_the_path_does_not_exist(client, settings):
    settings.METRICS_TOKEN = ""
    r = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize("header", ["", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, f"Api-Key {TOKEN}"])
def test_a_wrong_or_missing_bearer_token_is_401(client, header):
    r = client.get("/metrics", HTTP_AUTHORIZATION=header) if header else client.get("/metrics")
    assert r.status_code == 401 and r["WWW-Authenticate"].startswith("Bearer")


def test_a_dispatch_shows_up_per_channel_and_status(client, client_api, fake_senders, settings):
    settings.EVOLUTION_INSTANCE = instance = f"ambacar-{uuid.uuid4().hex[:8]}"  # its day counter is new
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos", email="carlos@example.com", phone="+593991234567"
    )
    fake_senders["whatsapp"].fail_next(SendError("no tiene WhatsApp", ErrorKind.PERMANENT, code="not_on_whatsapp"))
    assert client_api.post("/api/v1/notifications/events/dispatch/", DISPATCH_EXAMPLE, format="json").status_code == 202

    r = scrape(client)

    assert r.status_code == 200 and r["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(r)
    counter = "ambacar_notifications_total"
    assert value(found, counter, channel="whatsapp", status="created") == 1
    assert value(found, counter, channel="whatsapp", status="failed") == 1
    assert value(found, counter, channel="email", status="created") == 1
    assert value(found, counter, channel="email", status="sent") == 1
    assert value(found, "ambacar_dispatches_total", status="accepted") == 1
    assert value(found, "ambacar_dispatches_total", status="sent") == 1
    assert value(found, "ambacar_send_duration_seconds_count", channel="whatsapp") == 1
    assert value(found, "ambacar_send_duration_seconds_bucket", channel="email", le="+Inf") == 1
    route = "api/v1/notifications/events/dispatch/"
    assert value(found, "ambacar_http_requests_total", route=route, method="POST", status="202") == 1
    assert value(found, "ambacar_http_request_duration_seconds_count", route=route, method="POST") == 1
    # The WhatsApp request was made (and refused): it counts against the day's cap.
    assert value(found, "ambacar_whatsapp_sent_today", instance=instance) == 1
    assert value(found, "ambacar_channel_paused", channel="whatsapp", instance=instance) == 0


def test_a_paused_instance_and_ids_in_urls_do_not_make_new_series(client, client_api, fake_senders, settings):
    settings.EVOLUTION_INSTANCE = "ambacar-metrics"
    whatsapp_instance_pause(name="ambacar-metrics", reason="prueba")
    for dispatch_id in ("5f0c7e3a-0000-4000-8000-000000000001", "5f0c7e3a-0000-4000-8000-000000000002"):
        client_api.get(f"/api/v1/notifications/dispatches/{dispatch_id}/")

    found = samples(scrape(client))

    assert value(found, "ambacar_channel_paused", channel="whatsapp", instance="ambacar-metrics") == 1
    route = "api/v1/notifications/dispatches/<uuid:dispatch_id>/"
    assert value(found, "ambacar_http_requests_total", route=route, method="GET", status="404") == 2
