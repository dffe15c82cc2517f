"""The worker's send rate against the email adapter called directly, both against an SMTP server answering after 20 ms.

One command from a fresh clone (PostgreSQL and Redis running; the database is created and migrated if missing):
    .venv/bin/python bench/bench_worker.py
    (options: --database-url postgres://postgres@127.0.0.1:5432/ambacar_bench_worker --redis-url
    redis://127.0.0.1:6379/2 -n 600 -c 8 --delay 0.02 --rounds 3 --production-processes 2 --production-n 4000)

It prints, for each round:
- direct: the email adapter (apps.notifications.adapters.email.EmailSender) in a loop in -c threads, each with its
  own sender, the most the worker could reach at that concurrency;
- celery: the same number of emails as NotificationLog rows sent by `celery -A config worker --pool=threads
  --concurrency=<c>` (one process), its rate and its ratio to direct (bar: 80 %), while this script publishes the
  tasks, and again from a queue filled before the worker starts (the worker alone beside its adapter);
- production: the documented command (`--pool=threads --concurrency=16`), one process per core
  (--production-processes), its rate (bar: 500 sends/s) and its ratio to direct at the same total concurrency;
  then the same command draining a queue filled before it starts, so that this script's publishing (gunicorn's job
  in production, on other cores) does not take CPU from the worker on this 2-core machine. The production figures
  send --production-n emails (4,000): a worker's first sends open its 32 SMTP and database connections, and a short
  run would measure that start more than the rate it keeps (the direct loop connects outside its timing);
- celery floor: the production command draining tasks that cost what every send pays before its claim (the
  broker round, Celery's trace, the ack, the read of its row, which finds none, and a log line): the most the
  command gives before any claim, SMTP or success. It is a rate, so it includes the time the machine sits idle.
Rates of the worker are rows / (last row's sent_at - first publish), so the publishing is inside the time; from a
filled queue, rows / (last sent_at - first claimed_at).
The fake SMTP server (tests/fakes/smtp_server.py) runs in its own process. Figures are medians of the rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRODUCTION_CONCURRENCY = 16
FLOOR_N = 20_000  # tasks per floor measurement (about 15 s of this machine's worker)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ambacar_bench_worker")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    p.add_argument("-n", type=int, default=600, help="emails per measurement")
    p.add_argument("-c", type=int, default=8, help="concurrency of the direct loop and the celery worker")
    p.add_argument("--delay", type=float, default=0.02, help="the fake SMTP server's answer time (s)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--production-processes", type=int, default=os.cpu_count() or 2)
    p.add_argument("--production-n", type=int, default=4000, help="emails per production measurement")
    p.add_argument("--skip-production", action="store_true")
    args = p.parse_args()
    for option in ("-n", "-c", "--rounds", "--production-processes", "--production-n"):
        if getattr(args, option.lstrip("-").replace("-", "_")) < 1:
            p.error(f"{option} must be at least 1")
    return args


ARGS = parse()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SMTP_PORT = free_port()
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-secret-key",
    "INTERNAL_API_SECRET_KEY": "bench-internal",
    "DATABASE_URL": ARGS.database_url,
    "REDIS_URL": ARGS.redis_url,
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": str(SMTP_PORT),
    "EMAIL_TIMEOUT": "10",
    "EMAIL_USE_TLS": "false",
    "DEFAULT_FROM_EMAIL": "Ambacar Service <notificaciones@ambacar.test>",
    "EVOLUTION_API_URL": "http://127.0.0.1:9",
    "EVOLUTION_API_KEY": "bench-key",
    "EVOLUTION_INSTANCE": "ambacar",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


ensure_database(ARGS.database_url)

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.core.management import call_command  # noqa: E402

from apps.core.constants import Channel, NotificationStatus  # noqa: E402
from apps.core.ports import OutboundMessage  # noqa: E402
from apps.notifications.adapters.email import EmailSender  # noqa: E402
from apps.notifications.models import CustomerContactInfo, NotificationLog  # noqa: E402
from apps.notifications.tasks import send_notification_task  # noqa: E402
from tests.factories import dispatch_with_rows  # noqa: E402

# The queue config/celery.py routes the send task to: the one the workers consume and the floor measures.
QUEUE = send_notification_task.app.conf.task_routes[send_notification_task.name]["queue"]


def smtp_server() -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.smtp_server", "--port", str(SMTP_PORT), "--delay", str(ARGS.delay)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().startswith("ready"), "the fake SMTP server did not start"
    return proc


def message(i: int) -> OutboundMessage:
    return OutboundMessage(
        notification_id=f"00000000-0000-4000-8000-{i:012d}",
        channel="email",
        recipient=f"cliente{i}@example.com",
        subject="Su vehículo está listo",
        body="Hola,\nsu vehículo está listo para retirar.",
        html_body="<p>Hola,<br>su vehículo está listo para retirar.</p>",
    )


def direct(n: int, concurrency: int) -> float:
    """The adapter alone: `concurrency` threads, each with its own sender (its own SMTP connection)."""
    per = [n // concurrency + (1 if k < n % concurrency else 0) for k in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)

    def run(k: int):
        sender = EmailSender()
        sender.send(message(10**9 + k))  # connect outside the timing, as the worker's connection is warm
        barrier.wait()
        for i in range(per[k]):
            sender.send(message(k * 100_000 + i))
        sender.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return n / (time.perf_counter() - started)


def rows(n: int) -> list[str]:
    customer = CustomerContactInfo.objects.get(customer_id="bench-worker")
    ids = []
    for _ in range(n):
        [row] = dispatch_with_rows(
            customer=customer, plan=(Channel.EMAIL,), recipients={Channel.EMAIL: [customer.email]}
        )
        ids.append(str(row.id))
    NotificationLog.objects.filter(id__in=ids).update(status=NotificationStatus.QUEUED)
    return ids


def worker(concurrency: int, log: Path, name: str) -> subprocess.Popen:
    """The production command, only its concurrency and node name vary; -l warning as production would log."""
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-Q", QUEUE,
        "--pool=threads", f"--concurrency={concurrency}", "-n", f"{name}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "LOG_LEVEL": "INFO"}, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


OPEN = (NotificationStatus.PENDING, NotificationStatus.QUEUED, NotificationStatus.SENDING)


@contextlib.contextmanager
def workers(concurrency: int, processes: int):
    """`processes` production workers, started and ready; yields the first one's log for error messages."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    procs = [worker(concurrency, tmp / f"w{k}.log", f"bench{k}-{os.getpid()}") for k in range(processes)]
    try:
        deadline = time.time() + 60
        while not all(b" ready." in (tmp / f"w{k}.log").read_bytes() for k in range(processes)):
            if time.time() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit("the worker did not start:\n" + (tmp / "w0.log").read_text()[-3000:])
            time.sleep(0.2)
        time.sleep(0.5)
        yield tmp / "w0.log"
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def celery_rate(n: int, concurrency: int, processes: int, *, queue_filled: bool = False) -> float:
    """Rows sent per second. By default this process publishes while the worker sends (the publisher's CPU is on
    the same 2 cores, as it is not in production, where gunicorn publishes); with queue_filled every task is in
    the broker before the worker starts, and the rate runs from the first claim to the last send."""
    ids = rows(n)
    if queue_filled:
        for row_id in ids:
            send_notification_task.apply_async(args=[row_id])
    with workers(concurrency, processes) as log:
        started = time.time()
        if not queue_filled:
            for row_id in ids:
                send_notification_task.apply_async(args=[row_id])
        deadline = time.time() + max(60, n / 20)
        sent = NotificationLog.objects.filter(id__in=ids, status=NotificationStatus.SENT)
        # Polled through the partial index of open rows (only this run's rows are open): a count over the run's
        # ids every 0.2 s took CPU from the worker it measures.
        while NotificationLog.objects.filter(status__in=OPEN).exists():
            if time.time() > deadline:
                raise SystemExit(f"only {sent.count()} of {n} sent; log:\n" + log.read_text()[-3000:])
            time.sleep(0.2)
        if sent.count() != n:
            raise SystemExit(f"only {sent.count()} of {n} sent; log:\n" + log.read_text()[-3000:])
        last = max(sent.values_list("sent_at", flat=True)).timestamp()
        if queue_filled:
            started = min(sent.values_list("claimed_at", flat=True)).timestamp()
        return n / (last - started)


def celery_floor(n: int, processes: int) -> float:
    """Tasks per second of the production command when each task costs what every send pays before its claim: its
    message through the broker and back (kombu's unacked bookkeeping and the ack), Celery's trace, and the read of
    its row. The ids match no row, so each task reads, finds nothing and skips: no claim, no SMTP, no success. The
    rate is timed on the middle 80 % of a queue filled before the workers start (LLEN of the queue, polled)."""
    queue = redis.Redis.from_url(ARGS.redis_url)
    queue.delete(QUEUE)
    for _ in range(n):
        send_notification_task.apply_async(args=[str(uuid.uuid4())])
    try:
        with workers(PRODUCTION_CONCURRENCY, processes) as log:
            deadline = time.time() + max(60, n / 100)

            def drained_to(left: int) -> tuple[float, int]:
                while (length := queue.llen(QUEUE)) > left:
                    if time.time() > deadline:
                        raise SystemExit(f"{length} of {n} tasks left in the queue; log:\n" + log.read_text()[-3000:])
                    time.sleep(0.02)
                return time.perf_counter(), length

            started, first = drained_to(n * 9 // 10)  # past the workers' first connections
            finished, last = drained_to(n // 10)
            if first - last < n // 2:
                # The workers drained most of the queue while they were being started: no window left to time.
                raise SystemExit(f"the queue drained before it could be timed ({first - last} of {n} tasks)")
            return (first - last) / (finished - started)
    finally:
        queue.delete(QUEUE)


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.get_or_create(
        customer_id="bench-worker", defaults={"name": "Cliente Bench", "email": "bench@example.com"}
    )
    redis.Redis.from_url(ARGS.redis_url).delete(QUEUE)
    # Rows an interrupted run left open would keep celery_rate waiting: they are this script's, and never sent.
    NotificationLog.objects.filter(status__in=OPEN).update(status=NotificationStatus.FAILED)
    server = smtp_server()
    results: dict[str, list[float]] = {
        "direct": [],
        "celery": [],
        "celery_filled": [],
        "direct_prod": [],
        "production": [],
        "filled": [],
        "floor": [],
    }
    total = ARGS.production_processes * PRODUCTION_CONCURRENCY
    try:
        for r in range(ARGS.rounds):  # alternating, so drift on a shared machine hits every figure alike
            results["direct"].append(direct(ARGS.n, ARGS.c))
            results["celery"].append(celery_rate(ARGS.n, ARGS.c, 1))
            results["celery_filled"].append(celery_rate(ARGS.n, ARGS.c, 1, queue_filled=True))
            line = (
                f"round {r + 1}: direct -c {ARGS.c} {results['direct'][-1]:.0f}/s, celery {results['celery'][-1]:.0f}/s"
                f", celery from a filled queue {results['celery_filled'][-1]:.0f}/s"
            )
            if not ARGS.skip_production:
                results["direct_prod"].append(direct(ARGS.production_n, total))
                results["production"].append(
                    celery_rate(ARGS.production_n, PRODUCTION_CONCURRENCY, ARGS.production_processes)
                )
                results["filled"].append(
                    celery_rate(ARGS.production_n, PRODUCTION_CONCURRENCY, ARGS.production_processes, queue_filled=True)
                )
                results["floor"].append(celery_floor(FLOOR_N, ARGS.production_processes))
                line += f"; direct -c {total} {results['direct_prod'][-1]:.0f}/s"
                line += f", production {results['production'][-1]:.0f}/s"
                line += f", production from a filled queue {results['filled'][-1]:.0f}/s"
                line += f", celery floor {results['floor'][-1]:.0f} tasks/s"
            print(line, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)

    med = {k: statistics.median(v) for k, v in results.items() if v}
    print(f"\nfake SMTP answering after {ARGS.delay * 1000:.0f} ms, {ARGS.n} emails, median of {ARGS.rounds} rounds")
    print(f"direct adapter loop, {ARGS.c} threads:      {med['direct']:7.1f} sends/s")
    print(f"celery --pool=threads -c {ARGS.c} (1 process): {med['celery']:7.1f} sends/s")
    print(f"  ratio celery / direct: {med['celery'] / med['direct']:.1%}  (bar 80 %)")
    print(
        f"  the same from a queue filled beforehand (no publisher on the machine): {med['celery_filled']:7.1f} "
        f"sends/s, ratio to direct {med['celery_filled'] / med['direct']:.1%}  (bar 80 %)"
    )
    if "production" in med:
        print(f"\n{ARGS.production_n} emails per production measurement")
        print(f"direct adapter loop, {total} threads:     {med['direct_prod']:7.1f} sends/s")
        print(
            f"production: {ARGS.production_processes} × celery --pool=threads -c {PRODUCTION_CONCURRENCY}: "
            f"{med['production']:7.1f} sends/s  (bar 500/s), "
            f"ratio to direct {med['production'] / med['direct_prod']:.1%}"
        )
        print(
            f"  the same from a queue filled beforehand (no publisher on the machine): {med['filled']:7.1f} sends/s, "
            f"ratio to direct {med['filled'] / med['direct_prod']:.1%}"
        )
        cores = os.cpu_count() or 1
        print(
            f"celery floor, the same command, {FLOOR_N} tasks that read a row and find none: {med['floor']:7.1f} "
            f"tasks/s = {1000 * cores / med['floor']:.2f} ms of the machine's {cores} cores per task, idle time "
            f"included; 500 sends/s leave {1000 * cores / 500:.2f} ms per send for everything"
        )


if __name__ == "__main__":
    main()
