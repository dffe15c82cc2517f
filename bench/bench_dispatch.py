"""POST events/dispatch/ against a baseline measured in the same run.

Run against a scratch database (it seeds it and adds a customer):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ambacar_bench .venv/bin/python bench/bench_dispatch.py -n 300

Channels are fakes at the port and the broker is in-memory, so the figure is the API's own cost:
validation, plan, rendering, the transaction and the publish. Baselines: an anonymous GET of
/api/v1/health/database/ (one `SELECT version()`, the closest thing to a no-op endpoint) and an
authenticated GET of the catalog.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework_api_key.models import APIKey  # noqa: E402

from apps.notifications.adapters import reset_senders  # noqa: E402
from apps.notifications.models import CustomerContactInfo  # noqa: E402
from config.celery import app  # noqa: E402

BODY = {
    "event_type": "appointment_scheduled",
    "service_type_id": "mantenimiento-preventivo",
    "phase_id": "phase-schedule",
    "customer_id": "bench-customer",
    "target": "clients",
    "context": {"nombre": "Carlos", "placa": "ABC123", "vehiculo": "Haval H6", "fecha": "20 de Enero", "hora": "14:30"},
}


def timed(fn, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = fn()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 202), response.content
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.NOTIFICATION_SENDERS = {
        "email": "tests.fakes.channel.FakeEmailSender",
        "whatsapp": "tests.fakes.channel.FakeWhatsAppSender",
        "push": "tests.fakes.channel.FakePushSender",
    }
    reset_senders()
    app.conf.task_always_eager = False  # publish to the in-memory broker; nobody consumes
    call_command("migrate", verbosity=0)
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.update_or_create(
        customer_id="bench-customer", defaults={"name": "Carlos", "email": "c@example.com", "phone": "+593991234567"}
    )
    _, key = APIKey.objects.create_key(name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    anon = APIClient()

    timed(lambda: client.post("/api/v1/notifications/events/dispatch/", BODY, format="json"), 20)  # warm-up
    health = timed(lambda: anon.get("/api/v1/health/database/"), args.n)
    catalog = timed(lambda: client.get("/api/v1/notifications/catalog/"), args.n)
    dispatch = timed(lambda: client.post("/api/v1/notifications/events/dispatch/", BODY, format="json"), args.n)

    base = statistics.median(health)
    print(f"database engine: {settings.DATABASES['default']['ENGINE']}, n={args.n}")
    for name, samples in (("health (baseline)", health), ("catalog", catalog), ("dispatch", dispatch)):
        med = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=20)[18]
        print(f"{name:18s} median {med:7.2f} ms  p95 {p95:7.2f} ms  ratio {med / base:5.1f}x")


if __name__ == "__main__":
    main()
