"""Benchmark of the analytics selectors over a scratch database.

    createdb -h 127.0.0.1 -U postgres ambacar_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ambacar_bench
    DEBUG=true .venv/bin/python manage.py migrate
    .venv/bin/python bench/bench_analytics.py --rows 200000 --compare-previous-schema

Inserts N NotificationLog rows (and their dispatches) in time order over the last --span-days days, with
a realistic mix of channels, statuses and fallbacks; runs VACUUM ANALYZE; then times, as the median of
--repeat runs after one warm-up:
- the baselines, measured in the same run: a `SELECT 1` round trip and `NotificationLog.objects.count()`;
- analytics_summary(days=7, 30, 365), analytics_channel_health(), analytics_recent() (all rows, and push only);
- the same SQL the ORM sent, run raw on the cursor (the ORM's overhead is the difference);
and prints each figure with its ratio to the baselines, plus the EXPLAIN (ANALYZE) plan of every query. It
measures the schema as migrated: since migration 0003, on PostgreSQL, the covering index log_created_cover_idx
`(created_at) INCLUDE (channel, status, fallback_from_id)` in place of log_created_idx, and the extended statistics
notificationlog_local_day_stats on the local day (PostgreSQL 14 or later).

With --compare-previous-schema (PostgreSQL) it then goes back, in the scratch database only, to the schema before
migration 0003 (drops the covering index and the statistics, creates a plain index on created_at named
bench_log_created_idx, VACUUM ANALYZE), measures again, and restores, in a `finally`, the index and the statistics
exactly as the catalog held them before (same names, same definitions; VACUUM ANALYZE): the two sets of figures
come from the same rows in the same run.

It refuses a database that already holds notifications, dispatches or customers unless --yes is given. The
rows it inserts are marked and deleted at the end (--keep leaves them); the space they took stays with the table and
its indexes, so a second run in the same database measures a bloated table (it warns): recreate the database.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A bench needs no secrets; DEBUG stays off so that queries are not recorded while timing.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-analytics-not-a-secret")
os.environ.setdefault("INTERNAL_API_SECRET_KEY", "bench-analytics-not-a-secret")

MARK = "bench-analytics"
CHANNELS = (("whatsapp", 0.6), ("email", 0.3), ("push", 0.1))
STATUSES = (
    ("read", 0.30),
    ("delivered", 0.25),
    ("sent", 0.25),
    ("failed", 0.12),
    ("queued", 0.04),
    ("pending", 0.02),
    ("sending", 0.02),
)
EVENTS = ("appointment_scheduled", "vehicle_received", "diagnosis_ready", "repair_completed", "ready_for_delivery")
BODY = (
    "Hola Carlos Mendoza, le informamos que su vehículo Haval H6 2024 de placa ABC123 ingresó a Reparación "
    "en Ambacar Service. Le avisaremos cuando esté listo. Orden 12345, técnico Juan Pérez. "
) * 2
HTML_BODY = "<html><body><p>" + BODY * 4 + "</p></body></html>"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="NotificationLog rows to insert")
    parser.add_argument("--span-days", type=int, default=400, help="the rows cover this many days, up to now")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument("--yes", action="store_true", help="run even if the database already holds data")
    parser.add_argument("--keep", action="store_true", help="leave the inserted rows in the database")
    parser.add_argument(
        "--compare-previous-schema",
        action="store_true",
        help="PostgreSQL: measure again with the schema before migration 0003 (plain index on created_at, "
        "no day statistics), then restore the covering index and the statistics as migrated",
    )
    return parser.parse_args()


def pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def generate(rows: int, span_days: int, now: datetime, service_type_id, phase_id):
    """Log rows and dispatches in time order: one row per dispatch, a fallback row after a failure (~12 %)."""
    from apps.notifications.models import Dispatch, NotificationLog

    rng = random.Random(42)
    start = now - timedelta(days=span_days)
    step = timedelta(days=span_days) / rows
    log_fields = [f.attname for f in NotificationLog._meta.concrete_fields]
    dispatch_fields = [f.attname for f in Dispatch._meta.concrete_fields]
    logs, dispatches = [], []

    def log_row(*, at, dispatch_id, channel, status, fallback_from_id=None):
        finished = status in ("sent", "delivered", "read", "failed")
        values = {
            "id": uuid.uuid4(),
            "created_at": at,
            "updated_at": at,
            "dispatch_id": dispatch_id,
            "channel": channel,
            "event_type": rng.choice(EVENTS),
            "target": "clients",
            "customer_id": None,
            "template_id": None,
            "status": status,
            "attempts": 1 if finished else 0,
            "recipient": "carlos@example.com" if channel == "email" else "+593991234567",
            "subject": MARK,
            "body": BODY,
            "html_body": HTML_BODY if channel == "email" else "",
            "error_kind": "permanent" if status == "failed" else "",
            "error_message": "El número no está registrado en WhatsApp." if status == "failed" else "",
            "provider_message_id": f"msg-{len(logs)}" if finished and status != "failed" else "",
            "fallback_from_id": fallback_from_id,
            "next_attempt_at": None,
            "claimed_at": None,
            "queued_at": at,
            "sent_at": at + timedelta(seconds=2) if finished and status != "failed" else None,
            "delivered_at": at + timedelta(seconds=5) if status in ("delivered", "read") else None,
            "read_at": at + timedelta(minutes=3) if status == "read" else None,
            "failed_at": at + timedelta(seconds=2) if status == "failed" else None,
        }
        logs.append(tuple(values[name] for name in log_fields))
        return values["id"]

    while len(logs) < rows:
        at = start + step * len(logs)
        dispatch_id = uuid.uuid4()
        channel, status = pick(rng, CHANNELS), pick(rng, STATUSES)
        first = log_row(at=at, dispatch_id=dispatch_id, channel=channel, status=status)
        final = status
        if status == "failed" and len(logs) < rows:
            fallback_channel = "email" if channel != "email" else "whatsapp"
            final = pick(rng, STATUSES[:4])
            log_row(
                at=at + timedelta(seconds=3),
                dispatch_id=dispatch_id,
                channel=fallback_channel,
                status=final,
                fallback_from_id=first,
            )
        values = {
            "id": dispatch_id,
            "created_at": at,
            "updated_at": at,
            "event_type": "vehicle_received",
            "service_type_id": service_type_id,
            "subtype_id": None,
            "phase_id": phase_id,
            "target": "clients",
            "customer_id": None,
            "taller_id": None,
            "context": "{}",
            "channel_plan": '["whatsapp", "email"]',
            "rendered": "{}",
            "status": {"pending": "queued", "queued": "queued", "sending": "in_progress"}.get(final, final),
            "request_id": MARK,
            "retry_rounds": 0,
            "completed_at": None,
        }
        dispatches.append(tuple(values[name] for name in dispatch_fields))
    return (Dispatch, dispatch_fields, dispatches), (NotificationLog, log_fields, logs)


def insert(connection, model, fields: list[str], rows: list[tuple]) -> None:
    """COPY on PostgreSQL; elsewhere INSERT in batches, values adapted by each field (JSON comes as text)."""
    table = connection.ops.quote_name(model._meta.db_table)
    model_fields = [model._meta.get_field(name) for name in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in model_fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"

        def adapt(field, value):
            if value is None or field.get_internal_type() == "JSONField":
                return value
            return field.get_db_prep_save(value, connection)

        for offset in range(0, len(rows), 5000):
            batch = [
                tuple(adapt(field, value) for field, value in zip(model_fields, row, strict=True))
                for row in rows[offset : offset + 5000]
            ]
            cursor.executemany(sql, batch)


def explain(connection, sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [" | ".join(str(c) for c in row) for row in cursor.fetchall()]


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL"):
        print("Defina DATABASE_URL con una base de datos de pruebas (p. ej. postgres://…/ambacar_bench).")
        return 2

    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from apps.notifications.models import CustomerContactInfo, Dispatch, NotificationLog, ServicePhase, ServiceType

    try:
        has_data = NotificationLog.objects.exists() or Dispatch.objects.exists() or CustomerContactInfo.objects.exists()
    except Exception as exc:
        print(f"La base de datos no está lista ({exc.__class__.__name__}: {exc}). ¿Corrió `manage.py migrate`?")
        return 2
    if has_data and not args.yes:
        print(
            f"La base de datos {connection.settings_dict['NAME']} ya tiene datos; use una base de pruebas vacía "
            "o pase --yes."
        )
        return 2
    migrated = None
    if args.compare_previous_schema:
        if connection.vendor != "postgresql":
            print("--compare-previous-schema solo aplica a PostgreSQL.")
            return 2
        migrated = migrated_schema(connection)
        if migrated[0] is None:
            print(f"No existe el índice {COVER_INDEX}: ¿corrió `manage.py migrate` hasta notifications 0003?")
            return 2
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size(%s::regclass)", [LOG_TABLE])
            leftover = cursor.fetchone()[0]
        if leftover > 1024 * 1024:  # an empty, freshly migrated table and its indexes take a few kB
            print(
                f"Aviso: {LOG_TABLE} está vacía pero ocupa {leftover / 1024 / 1024:.0f} MB con sus índices (filas "
                "borradas de una corrida anterior): las cifras serán las de una tabla inflada. Para cifras "
                "comparables, recree la base de pruebas."
            )

    service_type, created_type = ServiceType.objects.get_or_create(
        slug=MARK, parent=None, defaults={"name": "Bench analítica"}
    )
    phase, created_phase = ServicePhase.objects.get_or_create(slug=MARK, defaults={"name": "Bench analítica"})
    try:
        now = timezone.now()
        print(f"Generando {args.rows} filas en {args.span_days} días…", flush=True)
        (d_model, d_fields, d_rows), (l_model, l_fields, l_rows) = generate(
            args.rows, args.span_days, now, service_type.id, phase.id
        )
        started = time.perf_counter()
        with transaction.atomic():  # one commit, not one per row (SQLite)
            insert(connection, d_model, d_fields, d_rows)
            insert(connection, l_model, l_fields, l_rows)
        inserted = time.perf_counter() - started
        print(f"Insertadas {len(l_rows)} filas y {len(d_rows)} despachos en {inserted:.1f} s", flush=True)
        del d_rows, l_rows
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for model in (Dispatch, NotificationLog):
                    cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            else:
                cursor.execute("ANALYZE")

        report(args, title="Esquema actual (migración 0003)")
        if migrated is not None:
            try:
                with connection.cursor() as cursor:
                    for statement in PREVIOUS_SCHEMA:
                        cursor.execute(statement)
                report(args, title="Esquema anterior a la migración 0003 (índice simple, sin estadísticas)")
            finally:
                restore_schema(connection, migrated)
        return 0
    finally:
        if not args.keep:
            with connection.cursor() as cursor:
                log_table = connection.ops.quote_name(NotificationLog._meta.db_table)
                dispatch_table = connection.ops.quote_name(Dispatch._meta.db_table)
                cursor.execute(f"DELETE FROM {log_table} WHERE subject = %s", [MARK])
                cursor.execute(f"DELETE FROM {dispatch_table} WHERE request_id = %s", [MARK])
            if created_type:
                service_type.delete()
            if created_phase:
                phase.delete()
            print("Filas del benchmark borradas (use --keep para conservarlas).")


# What migration 0003 (apps/notifications/migrations/0003_analytics_covering_index.py) created on NotificationLog,
# and the schema before it: swapped in the scratch database only, and always swapped back.
LOG_TABLE = "notifications_notificationlog"
COVER_INDEX = "log_created_cover_idx"
DAY_STATISTICS = "notificationlog_local_day_stats"
PREVIOUS_INDEX = "bench_log_created_idx"
PREVIOUS_SCHEMA = (
    f"CREATE INDEX {PREVIOUS_INDEX} ON {LOG_TABLE} (created_at)",  # log_created_idx, under another name
    f"DROP INDEX {COVER_INDEX}",
    f"DROP STATISTICS IF EXISTS {DAY_STATISTICS}",
    f"VACUUM ANALYZE {LOG_TABLE}",
)


def migrated_schema(connection) -> tuple[str | None, str | None]:
    """The CREATE statements of the covering index and of the day statistics, as the catalog holds them (None:
    absent; the statistics exist from PostgreSQL 14)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %s", [COVER_INDEX]
        )
        index = cursor.fetchone()
        cursor.execute(
            "SELECT pg_get_statisticsobjdef(s.oid) FROM pg_statistic_ext s "
            "JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE n.nspname = current_schema() AND s.stxname = %s",
            [DAY_STATISTICS],
        )
        stats = cursor.fetchone()
    return (index[0] if index else None, stats[0] if stats else None)


def restore_schema(connection, migrated: tuple[str | None, str | None]) -> None:
    """Back to the schema as migrated, from whatever point the swap reached; checked against the catalog."""
    index_sql, stats_sql = migrated
    current_index, current_stats = migrated_schema(connection)
    with connection.cursor() as cursor:
        if current_index is None:
            cursor.execute(index_sql)
        cursor.execute(f"DROP INDEX IF EXISTS {PREVIOUS_INDEX}")
        if stats_sql is not None and current_stats is None:
            cursor.execute(stats_sql)
        cursor.execute(f"VACUUM ANALYZE {LOG_TABLE}")
    if migrated_schema(connection) != migrated:
        raise RuntimeError(f"El esquema no quedó como lo dejó la migración 0003: {migrated_schema(connection)}")
    print()
    print("Esquema restaurado como lo dejó la migración 0003:")
    for sql in migrated:
        if sql is not None:
            print(f"   {sql}")


def report(
    args: argparse.Namespace,
    *,
    title: str,
    explain_only: tuple[str, ...] = (
        "summary(days=7)",
        "summary(days=365)",
        "channel_health()",
        "recent(limit=50, channel=push)",
    ),
) -> None:
    import django
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.analytics import selectors
    from apps.notifications.models import NotificationLog

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def captured(fn) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return [q["sql"] for q in ctx.captured_queries]

    def raw(sqls: list[str]):
        def run():
            with connection.cursor() as cursor:
                for sql in sqls:
                    cursor.execute(sql)
                    cursor.fetchall()

        return run

    subjects = {
        "summary(days=7)": lambda: selectors.analytics_summary(days=7),
        "summary(days=30)": lambda: selectors.analytics_summary(days=30),
        "summary(days=365)": lambda: selectors.analytics_summary(days=365),
        "channel_health()": lambda: selectors.analytics_channel_health(),
        "recent(limit=50)": lambda: list(selectors.analytics_recent(limit=50)),
        "recent(limit=50, channel=push)": lambda: list(selectors.analytics_recent(limit=50, channel="push")),
    }

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        db_version = cursor.fetchone()[0]
    total_rows = NotificationLog.objects.count()
    layout = schema_layout(connection) if connection.vendor == "postgresql" else None
    print()
    print(f"# {title}")
    print(f"Fecha: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    versions = f"Python {platform.python_version()}, Django {django.__version__}"
    print(f"Máquina: {os.cpu_count()} núcleos, {cpu_model()}; {versions}")
    print(f"Base de datos: {db_version}")
    print(f"Filas en NotificationLog: {total_rows}; mediana de {args.repeat} corridas tras un calentamiento")
    if layout:
        for line in layout:
            print(line)
    print()

    base_select = median_seconds(select_one, args.repeat)
    base_count = median_seconds(lambda: NotificationLog.objects.count(), args.repeat)
    print("| medida | consultas | ms (ORM) | ms (SQL crudo) | × SELECT 1 | × count() |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| `SELECT 1` (base) | 1 | {base_select * 1000:.2f} | | 1.0 | |")
    print(
        f"| `NotificationLog.objects.count()` (base) | 1 | {base_count * 1000:.2f} | | "
        f"{base_count / base_select:.0f} | 1.00 |"
    )
    plans = {}
    for name, fn in subjects.items():
        sqls = captured(fn)
        seconds = median_seconds(fn, args.repeat)
        raw_seconds = median_seconds(raw(sqls), args.repeat)
        plans[name] = sqls
        print(
            f"| `{name}` | {len(sqls)} | {seconds * 1000:.2f} | {raw_seconds * 1000:.2f} | "
            f"{seconds / base_select:.0f} | {seconds / base_count:.2f} |"
        )

    print()
    for name in explain_only:
        print(f"## EXPLAIN {name}")
        for sql in plans[name]:
            print(f"-- {sql[:160]}{'…' if len(sql) > 160 else ''}")
            for line in explain(connection, sql):
                print(f"   {line}")
        print()


def schema_layout(connection) -> list[str]:
    """Sizes of the log table and its indexes, and its extended statistics: which schema is being measured."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_table_size(%s::regclass)), "
            "pg_size_pretty(pg_total_relation_size(%s::regclass) - pg_table_size(%s::regclass))",
            [LOG_TABLE] * 3,
        )
        table_size, indexes_size = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass ORDER BY c.relname",
            [LOG_TABLE],
        )
        indexes = ", ".join(f"{name} {size}" for name, size in cursor.fetchall())
        cursor.execute("SELECT stxname FROM pg_statistic_ext WHERE stxrelid = %s::regclass ORDER BY 1", [LOG_TABLE])
        stats = ", ".join(name for (name,) in cursor.fetchall()) or "ninguna"
    return [
        f"Tabla {LOG_TABLE}: {table_size} (con TOAST); índices: {indexes_size} en total",
        f"Índices: {indexes}",
        f"Estadísticas extendidas: {stats}",
    ]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "CPU desconocida"


if __name__ == "__main__":
    sys.exit(main())
