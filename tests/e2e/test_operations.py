"""Operating the running service (SPEC §13): gunicorn and a Celery worker logging JSON that joins on the request
id, and a Prometheus scrape that shows what both recorded: deliveries per channel and status, queue lengths and
the WhatsApp instance."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
import redis
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families
from rest_framework_api_key.models import APIKey

from apps.notifications.models import CustomerContactInfo, Dispatch
from apps.notifications.seed.examples import DISPATCH_EXAMPLE
from tests.e2e.conftest import E2E_REDIS_DB, ROOT, broker, running_worker, wait_for, worker_env
from tests.services import free_port, redis_db_url, redis_or_fail

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

METRICS_TOKEN = "e2e-metrics-token"
REQUEST_ID = "opsrequest000001"


def json_lines(path) -> list[dict]:
    lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def test_json_logs_join_on_the_request_id_and_the_scrape_shows_the_delivery(channels, smtp_server, evolution, tmp_path):
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )
    _, key = APIKey.objects.create_key(name="e2e-ops")
    url = redis_db_url(redis_or_fail(), E2E_REDIS_DB)
    redis.Redis.from_url(url).flushdb()
    extra = {"LOG_FORMAT": "json", "METRICS_TOKEN": METRICS_TOKEN}
    env = worker_env(broker_url=url, smtp_port=smtp_server.port, evolution_url=evolution.url, **extra)
    env.update(ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="false")
    port = free_port()
    web_log = tmp_path / "web.log"
    with open(web_log, "w") as log:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi", "-w", "2",
             "-b", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            with (
                running_worker(
                    broker_url=url,
                    smtp_port=smtp_server.port,
                    evolution_url=evolution.url,
                    log_path=tmp_path / "worker.log",
                    **extra,
                ),
                broker(url),
            ):
                client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
                wait_for(lambda: _up(client), timeout=30, what="gunicorn")
                accepted = client.post(
                    "/api/v1/notifications/events/dispatch/",
                    json=DISPATCH_EXAMPLE,
                    headers={"Authorization": f"Api-Key {key}", "X-Request-ID": REQUEST_ID},
                )
                assert accepted.status_code == 202, accepted.text
                dispatch_id = accepted.json()["dispatch_id"]
                wait_for(lambda: Dispatch.objects.get(id=dispatch_id).status == "sent", timeout=90, what="the send")
                # Each process writes its counters once a second (METRICS_FLUSH_MS): the web's and the worker's
                # show up within that, whichever gunicorn worker answers the scrape.
                scrapes = []
                wait_for(lambda: _has_the_send(_scrape(client), scrapes), timeout=10, what="both processes' counters")
        finally:
            web.terminate()
            web.wait(timeout=20)

    found = scrapes[-1]
    assert found[("ambacar_notifications_total", (("channel", "whatsapp"), ("status", "created")))] == 1  # the web
    assert found[("ambacar_notifications_total", (("channel", "whatsapp"), ("status", "sent")))] == 1  # the worker
    assert found[("ambacar_send_duration_seconds_count", (("channel", "whatsapp"),))] == 1
    assert found[("ambacar_queue_length", (("queue", "notifications"),))] == 0
    assert found[("ambacar_whatsapp_sent_today", (("instance", "ambacar"),))] == 1
    assert found[("ambacar_channel_paused", (("channel", "whatsapp"), ("instance", "ambacar")))] == 0

    web_lines, worker_lines = json_lines(web_log), json_lines(tmp_path / "worker.log")
    assert web_lines and worker_lines
    for line in web_lines + worker_lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line)
    assert any(line["logger"].startswith("gunicorn") for line in web_lines)
    web_side = [line for line in web_lines if line["request_id"] == REQUEST_ID]
    worker_side = [line for line in worker_lines if line["request_id"] == REQUEST_ID]
    assert any(dispatch_id in line["message"] for line in web_side)
    sent = [
        line for line in worker_side if line.get("dispatch_id") == dispatch_id and "sent by whatsapp" in line["message"]
    ]
    assert sent and sent[0]["notification_id"]
    assert "+593991234567" not in web_log.read_text() + (tmp_path / "worker.log").read_text()


def _scrape(client: httpx.Client) -> dict:
    scrape = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}", "Accept": "text/plain"})
    assert scrape.status_code == 200, scrape.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scrape.text)
        for s in family.samples
    }


def _has_the_send(found: dict, scrapes: list) -> bool:
    scrapes.append(found)
    whatsapp = (("channel", "whatsapp"),)
    return all(
        found.get(("ambacar_notifications_total", (*whatsapp, ("status", status)))) for status in ("created", "sent")
    )


def _up(client: httpx.Client) -> bool:
    try:
        return client.get("/api/v1/analytics/health/").status_code == 200
    except httpx.HTTPError:
        return False
