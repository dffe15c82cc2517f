"""Sync in bulk end to end: 10 batches of 10,000 customers, then of 10,000 vehicles, through gunicorn and a real
Celery worker, against a direct insert of the same rows measured in the same run.

One command (PostgreSQL and Redis running; the database is created if missing and is a SCRATCH one: its customer,
vehicle and sync-batch tables are emptied, with what references them, before every round):

    flock /tmp/bench.lock env DATABASE_URL=postgres://postgres@127.0.0.1:5432/ambacar_bench \\
        REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/bench_sync.py \\
        [--pool threads|solo|prefork] [--concurrency N]

It starts gunicorn (config.wsgi, 2 sync workers, DEBUG off) and a Celery worker on the `sync` queue (by default the
README's production worker, `--pool=threads --concurrency=16`: batches apply side by side, each in its own thread and
database connection; `--pool solo` applies one after another), then for each round and each kind posts 10 batches
of 10,000 new rows from two client threads (one per gunicorn worker), then the same 10 batches changed (every row an
update). A phase's time runs from its first POST to the moment its last batch is `done` (its rows are committed
with it, so they are visible), and its figure is rows per second. The baseline is the floor under that figure: the
same rows inserted by this process straight into a copy of the table, 10 statements of `INSERT … SELECT … FROM
jsonb_to_recordset(%s)`, with no HTTP, validation, broker or worker. Three rounds alternate baseline and service;
each figure is their median. The bar (issue 13) is 20,000 rows/s end to end for customers and for vehicles.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parents[1]
BATCHES, ITEMS, BAR = 10, 10_000, 20_000
SECRET = "bench-internal-secret"
T1, T2 = "2026-01-20T09:00:00-05:00", "2026-01-20T10:00:00-05:00"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.1)


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def database_ensure(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# --- the bodies ---------------------------------------------------------------------------------------------


def customers(batch: int, *, when: str, label: str) -> list[dict]:
    start = batch * ITEMS
    return [
        {
            "customer_id": f"bench-c-{start + i:06d}",
            "name": f"{label} {start + i}",
            "email": f"cliente{start + i}@example.com",
            "phone": f"09{91000000 + start + i:08d}",
            "is_active": True,
            "updated_at": when,
        }
        for i in range(ITEMS)
    ]


def vehicles(batch: int, *, when: str, label: str) -> list[dict]:
    start = batch * ITEMS
    return [
        {
            "vehicle_id": f"bench-v-{start + i:06d}",
            "customer_id": f"bench-c-{start + i:06d}",
            "plate": f"PBX-{(start + i) % 10000:04d}",
            "brand": label,
            "model": "H6",
            "year": 2024,
            "vin": "LGWEF4A59RH123456",
            "color": "Blanco",
            "mileage": 15000 + i,
            "is_active": True,
            "updated_at": when,
        }
        for i in range(ITEMS)
    ]


def bodies(kind: str, *, when: str, label: str) -> list[bytes]:
    build = customers if kind == "customers" else vehicles
    return [json.dumps({kind: build(b, when=when, label=label)}).encode() for b in range(BATCHES)]


# --- the stack ----------------------------------------------------------------------------------------------


class Stack:
    def __init__(self, database_url: str, redis_url: str, worker_pool: list[str]):
        self.worker_pool = worker_pool
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DEBUG": "false",
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "INTERNAL_API_SECRET_KEY": SECRET,
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        self.procs: list[subprocess.Popen] = []

    def _spawn(self, name: str, args: list[str]) -> Path:
        log = self.tmp / f"{name}.log"
        with open(log, "ab") as out:
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", *args],
                    cwd=ROOT,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        return log

    def start(self) -> None:
        subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=self.env, check=True)
        self._spawn(
            "web",
            ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{self.port}",
             "--timeout", "60"],
        )  # fmt: skip
        wait_for(lambda: listening(self.port), timeout=30, what="gunicorn")
        log = self._spawn(
            "worker",
            ["celery", "-A", "config", "worker", "-l", "info", "-Q", "sync", *self.worker_pool,
             "-n", f"bench-sync-{os.getpid()}@%h"],
        )  # fmt: skip
        wait_for(lambda: b" ready." in log.read_bytes(), timeout=60, what="the Celery worker")

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def post_all(port: int, url: str, payloads: list[bytes]) -> None:
    """Two client threads, one kept-alive connection each, share the batches."""
    queue = list(enumerate(payloads))
    lock = threading.Lock()
    errors: list[str] = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                _, payload = queue.pop(0)
            conn.request(
                "POST", url, body=payload, headers={"Content-Type": "application/json", "X-Internal-Secret": SECRET}
            )
            response = conn.getresponse()
            body = response.read()
            if response.status != 202:
                errors.append(f"{response.status} {body[:300]!r}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"the service refused a batch: {errors[0]}")


def service_rows_per_second(stack: Stack, db, kind: str, payloads: list[bytes]) -> float:
    done_before = db.execute(
        "SELECT count(*) FROM synchronization_syncbatch WHERE kind = %s AND status = 'done'", [kind]
    ).fetchone()[0]
    started = time.perf_counter()
    post_all(stack.port, f"/api/internal/v1/{kind}/sync/", payloads)
    deadline = time.monotonic() + 300
    while True:
        done, failed = db.execute(
            "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'failed') "
            "FROM synchronization_syncbatch WHERE kind = %s",
            [kind],
        ).fetchone()
        if failed:
            raise SystemExit(f"a {kind} batch failed: see {stack.tmp}/worker.log")
        if done - done_before >= BATCHES:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"{kind}: only {done - done_before} of {BATCHES} batches done after 300 s")
        time.sleep(0.01)
    return BATCHES * ITEMS / (time.perf_counter() - started)


_BASELINE = {
    "customers": (
        "notifications_customercontactinfo",
        "INSERT INTO {t} (id, created_at, updated_at, customer_id, name, email, phone, is_active, is_placeholder, "
        "synced_at, source_updated_at) SELECT gen_random_uuid(), now(), now(), customer_id, name, email, phone, "
        "is_active, false, now(), updated_at FROM jsonb_to_recordset(%s::jsonb) AS r(customer_id text, name text, "
        "email text, phone text, is_active boolean, updated_at timestamptz)",
    ),
    "vehicles": (
        "notifications_vehicle",
        "INSERT INTO {t} (id, created_at, updated_at, vehicle_id, customer_id, plate, brand, model, year, vin, color, "
        "mileage, is_active, synced_at, source_updated_at) SELECT gen_random_uuid(), now(), now(), vehicle_id, "
        "gen_random_uuid(), plate, brand, model, year, vin, color, mileage, is_active, now(), updated_at "
        "FROM jsonb_to_recordset(%s::jsonb) AS r(vehicle_id text, plate text, brand text, model text, year int, "
        "vin text, color text, mileage int, is_active boolean, updated_at timestamptz)",
    ),
}


def baseline_rows_per_second(db, kind: str, payloads: list[bytes]) -> float:
    """The same rows straight into a copy of the table (its indexes included): the floor under the service."""
    table, insert = _BASELINE[kind]
    db.execute(f"DROP TABLE IF EXISTS bench_{kind}")
    db.execute(f"CREATE TABLE bench_{kind} (LIKE {table} INCLUDING INDEXES INCLUDING DEFAULTS)")
    # The items as the API would have stored them, without the body's wrapper.
    rows = [json.dumps(json.loads(payload)[kind]) for payload in payloads]
    started = time.perf_counter()
    for row_set in rows:
        db.execute(insert.format(t=f"bench_{kind}"), [row_set])
    elapsed = time.perf_counter() - started
    db.execute(f"DROP TABLE bench_{kind}")
    return BATCHES * ITEMS / elapsed


def empty(db) -> None:
    db.execute("TRUNCATE synchronization_syncbatch, notifications_vehicle, notifications_customercontactinfo CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--pool",
        choices=("threads", "solo", "prefork"),
        default="threads",
        help="the Celery worker's pool (default: threads, the README's production worker)",
    )
    parser.add_argument(
        "--concurrency", type=int, help="the pool's size (default: 16 for threads, as the README; 2 for prefork)"
    )
    args = parser.parse_args()
    if args.pool == "solo":
        if args.concurrency is not None:
            parser.error("--concurrency sizes the threads or prefork pool; solo runs one task at a time")
        worker_pool, pool = ["--pool=solo"], "solo"
    else:
        if args.concurrency is not None and args.concurrency < 1:
            parser.error("--concurrency must be 1 or more")
        concurrency = args.concurrency if args.concurrency is not None else (16 if args.pool == "threads" else 2)
        worker_pool, pool = [f"--pool={args.pool}", f"--concurrency={concurrency}"], f"{args.pool} × {concurrency}"

    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ambacar_bench")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must be a PostgreSQL database (a scratch one: it is emptied).")
    database_ensure(database_url)

    print(f"building {BATCHES} batches of {ITEMS} per phase…", flush=True)
    phases = {
        ("customers", "new"): bodies("customers", when=T1, label="Cliente"),
        ("customers", "update"): bodies("customers", when=T2, label="Cliente editado"),
        ("vehicles", "new"): bodies("vehicles", when=T1, label="Haval"),
        ("vehicles", "update"): bodies("vehicles", when=T2, label="Haval editado"),
    }
    stack = Stack(database_url, redis_url, worker_pool)
    figures: dict[str, list[float]] = {}
    try:
        stack.start()
        with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as db:
            for round_number in range(1, args.rounds + 1):
                empty(db)
                for kind in ("customers", "vehicles"):
                    figures.setdefault(f"{kind} baseline", []).append(
                        baseline_rows_per_second(db, kind, phases[kind, "new"])
                    )
                    for phase in ("new", "update"):
                        rate = service_rows_per_second(stack, db, kind, phases[kind, phase])
                        figures.setdefault(f"{kind} {phase}", []).append(rate)
                print(
                    f"round {round_number}: "
                    + ", ".join(f"{name} {values[-1]:,.0f}/s" for name, values in figures.items()),
                    flush=True,
                )
    finally:
        stack.close()

    print(
        f"\nmedian of {args.rounds} rounds, rows per second end to end ({BATCHES} × {ITEMS:,} per phase, "
        f"gunicorn 2 sync workers, Celery worker {pool}):"
    )
    for kind in ("customers", "vehicles"):
        base = statistics.median(figures[f"{kind} baseline"])
        print(f"  {kind} baseline (direct INSERT … jsonb_to_recordset): {base:,.0f} rows/s")
        for phase in ("new", "update"):
            rate = statistics.median(figures[f"{kind} {phase}"])
            verdict = "meets" if rate >= BAR else "BELOW"
            print(
                f"  {kind} {phase:<6}: {rate:,.0f} rows/s = {rate / base:.1%} of the baseline; bar {BAR:,}/s: {verdict}"
            )


if __name__ == "__main__":
    main()
