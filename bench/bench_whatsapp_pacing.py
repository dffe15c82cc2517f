"""What WhatsApp's pacing costs beyond its intended gap: the Celery worker against the adapter in a paced loop.

One command from a fresh clone (PostgreSQL and Redis running; the database is created and migrated if missing):
    .venv/bin/python bench/bench_whatsapp_pacing.py
    (options: --database-url postgres://postgres@127.0.0.1:5432/ambacar_bench_worker --redis-url
    redis://127.0.0.1:6379/2 -n 16 -c 4 --interval 1 --latency 0.02 --relay-every 60)

Both send -n messages of one instance to tests/fakes/evolution_server.py (answering after --latency):
- baseline: the WhatsApp adapter in a loop that sleeps --interval after each request returns (an ideal pacer);
- celery: NotificationLog rows sent by `celery -A config worker --pool=threads -c <c>` with
  WHATSAPP_MIN_INTERVAL_SECONDS=--interval and no jitter, all published at once. A row whose slot is further
  than one interval is deferred and published again by its worker with the countdown to its slot; the relay
  sweep (beat runs it every minute) runs here every --relay-every seconds from this process, as a safety net.
It prints the gaps between consecutive sends as the provider saw them (min and median), the span of the run,
and the achieved rate against the intended one (1 / (interval + latency)) and against the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ambacar_bench_worker")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    p.add_argument("-n", type=int, default=16)
    p.add_argument("-c", type=int, default=4)
    p.add_argument("--interval", type=int, default=1, help="WHATSAPP_MIN_INTERVAL_SECONDS (whole seconds)")
    p.add_argument("--latency", type=float, default=0.02)
    p.add_argument("--relay-every", type=float, default=60.0, help="as beat runs it")
    return p.parse_args()


ARGS = parse()
INSTANCE = f"bench-{uuid.uuid4().hex[:8]}"  # the pacer's timeline in Redis outlives a run
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-secret-key",
    "INTERNAL_API_SECRET_KEY": "bench-internal",
    "DATABASE_URL": ARGS.database_url,
    "REDIS_URL": ARGS.redis_url,
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "EVOLUTION_API_KEY": "bench-key",
    "EVOLUTION_INSTANCE": INSTANCE,
    "EVOLUTION_TIMEOUT": "5",
    "WHATSAPP_MIN_INTERVAL_SECONDS": str(ARGS.interval),
    "WHATSAPP_MAX_JITTER_SECONDS": "0",
    "LOG_LEVEL": "WARNING",
}


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


from tests.fakes.evolution_server import EvolutionServer  # noqa: E402

EVO = EvolutionServer(apikey="bench-key", instance=INSTANCE, latency=ARGS.latency)
EVO.__enter__()
ENV["EVOLUTION_API_URL"] = EVO.url
os.environ.update(ENV)
ensure_database(ARGS.database_url)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from apps.core.constants import Channel, NotificationStatus  # noqa: E402
from apps.core.ports import OutboundMessage  # noqa: E402
from apps.notifications.adapters.whatsapp import WhatsAppSender  # noqa: E402
from apps.notifications.models import CustomerContactInfo, NotificationLog  # noqa: E402
from apps.notifications.services.outbox import RELAY_GRACE, notification_relay_pending  # noqa: E402
from apps.notifications.tasks import send_notification_task  # noqa: E402
from tests.factories import dispatch_with_rows  # noqa: E402


def phone(i: int) -> str:
    return f"+5939912{i:05d}"


def gaps(times: list[float]) -> list[float]:
    times = sorted(times)
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def baseline() -> list[float]:
    sender = WhatsAppSender()
    start = len(EVO.sends())
    for i in range(ARGS.n):
        sender.send(OutboundMessage(notification_id=str(uuid.uuid4()), channel="whatsapp", recipient=phone(i),
                                    subject="", body="Su vehículo está listo.", sender=INSTANCE))  # fmt: skip
        time.sleep(ARGS.interval)
    return [at for _, _, at in EVO.sends()[start:]]


def celery_run() -> tuple[list[float], int]:
    customer, _ = CustomerContactInfo.objects.get_or_create(
        customer_id="bench-whatsapp", defaults={"name": "Cliente Bench", "phone": phone(0)}
    )
    ids = []
    for i in range(ARGS.n):
        [row] = dispatch_with_rows(
            customer=customer, plan=(Channel.WHATSAPP,), recipients={Channel.WHATSAPP: [phone(i)]}
        )
        ids.append(row.id)
    NotificationLog.objects.filter(id__in=ids).update(status=NotificationStatus.QUEUED, sender=INSTANCE)
    log = Path(tempfile.mkdtemp(prefix="bench-wa-")) / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-Q", "notifications",
         "--pool=threads", f"--concurrency={ARGS.c}", "-n", f"benchwa-{os.getpid()}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=os.environ.copy(), stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    start = len(EVO.sends())
    try:
        deadline = time.time() + 60
        while b" ready." not in log.read_bytes():
            if time.time() > deadline or worker.poll() is not None:
                raise SystemExit("the worker did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.2)
        time.sleep(RELAY_GRACE.total_seconds())  # the relay only takes rows older than its grace
        for row_id in ids:
            send_notification_task.apply_async(args=[str(row_id)])
        done = NotificationLog.objects.filter(id__in=ids, status=NotificationStatus.SENT)
        deadline = time.time() + ARGS.n * (ARGS.interval + 1) + 30
        while done.count() < ARGS.n and time.time() < deadline:
            notification_relay_pending()
            time.sleep(ARGS.relay_every)
        return [at for _, _, at in EVO.sends()[start:]], done.count()
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def describe(name: str, times: list[float]) -> float:
    g = gaps(times)
    span = max(times) - min(times)
    rate = (len(times) - 1) / span if span else 0.0
    print(
        f"{name}: {len(times)} sends, gap min {min(g):.3f} s, median {statistics.median(g):.3f} s, "
        f"span {span:.2f} s, rate {rate:.3f}/s"
    )
    return rate


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_initial_data", verbosity=0)
    intended = 1 / (ARGS.interval + ARGS.latency)
    try:
        base = describe("baseline (adapter loop, sleep interval)", baseline())
        times, sent = celery_run()
        print(f"celery: {sent} of {ARGS.n} rows sent")
        paced = describe(f"celery --pool=threads -c {ARGS.c}", times)
    finally:
        EVO.__exit__(None, None, None)
    print(
        f"\ninterval {ARGS.interval} s, provider latency {ARGS.latency * 1000:.0f} ms, relay every {ARGS.relay_every} s"
    )
    print(f"intended rate {intended:.3f}/s; celery {paced:.3f}/s = {paced / intended:.1%} of intended")
    print(f"celery / baseline: {paced / base:.1%}")


if __name__ == "__main__":
    main()
