"""Nothing accepted is ever lost: with Redis down the API still answers 202 at once, and the relay
sweep sends everything once Redis is back."""

import shutil
import subprocess
import time
from datetime import timedelta

import pytest
from django.core.management import call_command

from apps.notifications.models import CustomerContactInfo, Dispatch, NotificationLog
from apps.notifications.seed.examples import DISPATCH_EXAMPLE as SEED_EXAMPLE
from apps.notifications.services.outbox import notification_relay_pending
from tests.e2e.conftest import broker, running_worker, wait_for
from tests.services import free_port, unavailable

URL = "/api/v1/notifications/events/dispatch/"

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def start_redis(port: int) -> subprocess.Popen:
    server = shutil.which("redis-server")
    if server is None:
        unavailable("redis-server no está instalado")
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    import redis

    wait_for(lambda: _pings(redis.Redis(port=port, socket_connect_timeout=0.5)), timeout=10, what="redis-server")
    return proc


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


def test_dispatch_survives_a_broker_outage(client_api, channels, smtp_server, evolution, tmp_path):
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )
    port = free_port()  # nothing listens here: Redis is "down"
    broker_url = f"redis://127.0.0.1:{port}/0"

    with broker(broker_url):
        started = time.monotonic()
        responses = [client_api.post(URL, SEED_EXAMPLE, format="json") for _ in range(3)]
        elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [202, 202, 202]
    assert elapsed < 5, f"the API waited {elapsed:.1f}s on a dead broker"
    assert set(NotificationLog.objects.values_list("status", flat=True)) == {"pending"}

    redis_proc = start_redis(port)  # Redis is back
    try:
        with broker(broker_url):
            assert notification_relay_pending(grace=timedelta(0)) == 3
            assert notification_relay_pending(grace=timedelta(0)) == 0
            with running_worker(
                broker_url=broker_url,
                smtp_port=smtp_server.port,
                evolution_url=evolution.url,
                log_path=tmp_path / "worker.log",
            ):
                wait_for(
                    lambda: Dispatch.objects.filter(status="sent").count() == 3, timeout=60, what="3 dispatches sent"
                )
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
    assert len(evolution.sent_texts()) == 3
