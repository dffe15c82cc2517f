"""Benchmark of the analytics selectors (the daily rollup) over a scratch database: one command.

    createdb -h 127.0.0.1 -U postgres ambacar_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ambacar_bench
    DEBUG=true .venv/bin/python manage.py migrate && .venv/bin/python bench/bench_analytics.py --rows 1000000

Inserts N NotificationLog rows (and their dispatches) in time order over the last --span-days days, with a
realistic mix of channels, statuses and fallbacks, in chunks by COPY with the rollup's triggers off (as for rows
that exist before the rollup's migrations); builds the rollup with rollup_rebuild(), the migrations' own path;
runs VACUUM ANALYZE; then prints, as the median of 3 alternating rounds (each the median of --repeat runs after a
warm-up):
- analytics_summary for windows of 1, 7, 30, 90 and 365 days ending now, and of 1 and 365 days ending at 12:32:30 local
  yesterday (the worst cut, worst_cut()), analytics_channel_health() and analytics_recent();
- against the baselines measured in the same run: a `SELECT 1` round trip, and the same counts read from the log
  (selectors.summary_counts_from_log / health_counts_from_log: the selectors before the rollup, SQLite's path);
- the EXPLAIN (ANALYZE) plans of the rollup statements;
- what the triggers cost per log write: single-row INSERTs and status UPDATEs with the triggers on and off.

With --compare-previous-schema (PostgreSQL) it also measures with the schema before migration notifications 0003
(plain index on created_at, no day statistics) and restores it: that concerns the log path only.

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
        "--measure-only",
        action="store_true",
        help="measure the rows a run with --keep left (insert nothing, delete nothing)",
    )
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


def generate(rows: int, span_days: int, now: datetime, service_type_id, phase_id, chunk: int = 100_000):
    """Log rows and dispatches in time order: one row per dispatch, a fallback row after a failure (~12 %).

    Yields (dispatches, logs) in chunks of about `chunk` log rows, so that 10M rows never sit in memory at once.
    Fields the generator does not set take their model default."""
    from apps.notifications.models import Dispatch, NotificationLog

    rng = random.Random(42)
    start = now - timedelta(days=span_days)
    step = timedelta(days=span_days) / rows
    log_fields = [f.attname for f in NotificationLog._meta.concrete_fields]
    dispatch_fields = [f.attname for f in Dispatch._meta.concrete_fields]
    log_defaults = {f.attname: f.get_default() for f in NotificationLog._meta.concrete_fields}
    dispatch_defaults = {f.attname: f.get_default() for f in Dispatch._meta.concrete_fields}
    logs, dispatches = [], []
    made = 0

    def log_row(*, at, dispatch_id, channel, status, fallback_from_id=None):
        nonlocal made
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
            "provider_message_id": f"msg-{made}" if finished and status != "failed" else "",
            "fallback_from_id": fallback_from_id,
            "next_attempt_at": None,
            "claimed_at": None,
            "queued_at": at,
            "sent_at": at + timedelta(seconds=2) if finished and status != "failed" else None,
            "delivered_at": at + timedelta(seconds=5) if status in ("delivered", "read") else None,
            "read_at": at + timedelta(minutes=3) if status == "read" else None,
            "failed_at": at + timedelta(seconds=2) if status == "failed" else None,
        }
        logs.append(tuple(values[name] if name in values else log_defaults[name] for name in log_fields))
        made += 1
        return values["id"]

    while made < rows:
        at = start + step * made
        dispatch_id = uuid.uuid4()
        channel, status = pick(rng, CHANNELS), pick(rng, STATUSES)
        first = log_row(at=at, dispatch_id=dispatch_id, channel=channel, status=status)
        final = status
        if status == "failed" and made < rows:
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
        dispatches.append(
            tuple(values[name] if name in values else dispatch_defaults[name] for name in dispatch_fields)
        )
        if len(logs) >= chunk or made >= rows:
            yield (Dispatch, dispatch_fields, dispatches), (NotificationLog, log_fields, logs)
            logs, dispatches = [], []


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
    if args.measure_only:
        args.keep = True
        if not has_data:
            print("--measure-only necesita las filas de una corrida anterior con --keep.")
            return 2
    elif has_data and not args.yes:
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
        # An empty, freshly migrated table and its indexes take a few kB.
        if leftover > 1024 * 1024 and not args.measure_only:
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
        if not args.measure_only:
            print(f"Generando e insertando {args.rows} filas en {args.span_days} días…", flush=True)
            started = time.perf_counter()
            total_logs = total_dispatches = 0
            for (d_model, d_fields, d_rows), (l_model, l_fields, l_rows) in generate(
                args.rows, args.span_days, now, service_type.id, phase.id
            ):
                # The triggers are off while loading, as for rows that exist before the rollup's migration; the
                # rollup is then built from the log by rollup_rebuild(), the migration's own path.
                with transaction.atomic():  # one commit per chunk, not one per row (SQLite)
                    set_triggers(connection, enabled=False)
                    insert(connection, d_model, d_fields, d_rows)
                    insert(connection, l_model, l_fields, l_rows)
                    set_triggers(connection, enabled=True)
                total_logs += len(l_rows)
                total_dispatches += len(d_rows)
            inserted = time.perf_counter() - started
            print(f"Insertadas {total_logs} filas y {total_dispatches} despachos en {inserted:.1f} s", flush=True)
        if connection.vendor == "postgresql":
            from apps.analytics.rollup import rollup_rebuild

            started = time.perf_counter()
            rollup_rebuild()
            print(
                f"Resumen por día, hora y 5 minutos reconstruido en {time.perf_counter() - started:.1f} s",
                flush=True,
            )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for table in (Dispatch._meta.db_table, NotificationLog._meta.db_table, *ROLLUP_TABLES):
                    cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
            else:
                cursor.execute("ANALYZE")

        report(args, title="Esquema actual (resumen por día, hora y 5 minutos, analytics 0004)")
        if connection.vendor == "postgresql":
            trigger_cost(args)
        if migrated is not None:
            try:
                with connection.cursor() as cursor:
                    for statement in PREVIOUS_SCHEMA:
                        cursor.execute(statement)
                report(
                    args, title="Esquema anterior a la migración notifications 0003 (índice simple, sin estadísticas)"
                )
            finally:
                restore_schema(connection, migrated)
        return 0
    finally:
        if not args.keep:
            with transaction.atomic(), connection.cursor() as cursor:
                log_table = connection.ops.quote_name(NotificationLog._meta.db_table)
                dispatch_table = connection.ops.quote_name(Dispatch._meta.db_table)
                set_triggers(connection, enabled=False)
                cursor.execute(f"DELETE FROM {log_table} WHERE subject = %s", [MARK])
                cursor.execute(f"DELETE FROM {dispatch_table} WHERE request_id = %s", [MARK])
                set_triggers(connection, enabled=True)
            if connection.vendor == "postgresql":
                from apps.analytics.rollup import rollup_rebuild

                rollup_rebuild()
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


ROLLUP_TABLES = (
    "analytics_logday",
    "analytics_logdaypending",
    "analytics_dispatchday",
    "analytics_dispatchdaypending",
    "analytics_loghour",
    "analytics_loghourpending",
    "analytics_dispatchhour",
    "analytics_dispatchhourpending",
    "analytics_logslot",
    "analytics_logslotpending",
    "analytics_dispatchslot",
    "analytics_dispatchslotpending",
)
WINDOWS = (1, 7, 30, 90, 365)


def set_triggers(connection, *, enabled: bool) -> None:
    """The rollup's triggers on the log and the dispatches (PostgreSQL; ALTER TABLE is transactional)."""
    if connection.vendor != "postgresql":
        return
    action = "ENABLE" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        if enabled:
            # The deferred foreign-key checks of the rows just written must run before the table can be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in (LOG_TABLE, "notifications_dispatch"):
            cursor.execute(f"ALTER TABLE {table} {action} TRIGGER USER")


def rounds(subjects: dict[str, Callable[[], object]], repeat: int, count: int = 3) -> dict[str, float]:
    """Median over `count` rounds, each round timing every subject in turn (the median of `repeat` runs)."""
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(count):
        for name, fn in subjects.items():
            samples[name].append(median_seconds(fn, repeat))
    return {name: statistics.median(values) for name, values in samples.items()}


def worst_cut() -> datetime:
    """12:32:30 local yesterday, the worst cut for the rollup: each partial day reads half a day of hourly rows, the
    5-minute slots of half an hour and 2.5 minutes of the log on each side of the cut (a cut on a whole slot reads
    none)."""
    from django.utils import timezone

    return timezone.make_aware(
        datetime.combine(timezone.localdate() - timedelta(days=1), datetime.min.time())
        + timedelta(hours=12, minutes=32, seconds=30),
        timezone.get_default_timezone(),
    )


CUT_NAME = "corte a las 12:32:30"


def rollup_reads(cut: datetime) -> dict[str, Callable[[], object]]:
    """The reads measured at every size (here and in bench_analytics_scale.py): summary windows ending now and at
    `cut`, health, recent."""
    from apps.analytics import selectors

    reads: dict[str, Callable[[], object]] = {}
    for days in WINDOWS:
        reads[f"summary(days={days})"] = lambda days=days: selectors.analytics_summary(days=days)
    for days in (1, 365):
        reads[f"summary(days={days}, {CUT_NAME})"] = lambda days=days: selectors.analytics_summary(days=days, now=cut)
    reads["channel_health()"] = lambda: selectors.analytics_channel_health()
    reads["recent(limit=50)"] = lambda: list(selectors.analytics_recent(limit=50))
    reads["recent(limit=50, channel=push)"] = lambda: list(selectors.analytics_recent(limit=50, channel="push"))
    reads["recent(limit=50, status=failed)"] = lambda: list(selectors.analytics_recent(limit=50, status="failed"))
    return reads


def report(args: argparse.Namespace, *, title: str) -> None:
    """Rollup figures against two baselines of the same run: a `SELECT 1` round trip and the same counts read
    from the log (the selectors before the rollup, which SQLite still uses)."""
    import django
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from apps.analytics import selectors
    from apps.notifications.models import NotificationLog

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def from_log(days: int):
        def run():
            now = timezone.now()
            return selectors.summary_counts_from_log(now - timedelta(days=days), now)

        return run

    def health_from_log():
        now = timezone.now()
        return selectors.health_counts_from_log(now - timedelta(hours=selectors.HEALTH_WINDOW_HOURS), now)

    cut = worst_cut()
    subjects: dict[str, Callable[[], object]] = {"SELECT 1": select_one, **rollup_reads(cut)}
    pairs = []
    for days in WINDOWS:
        subjects[f"log summary(days={days})"] = from_log(days)
        pairs.append((f"summary(days={days})", f"log summary(days={days})"))
    for days in (1, 365):
        name = f"summary(days={days}, {CUT_NAME})"
        subjects[f"log {name}"] = lambda days=days: selectors.summary_counts_from_log(cut - timedelta(days=days), cut)
        pairs.append((name, f"log {name}"))
    subjects["log channel_health()"] = health_from_log
    pairs.append(("channel_health()", "log channel_health()"))

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
    print(
        f"Filas en NotificationLog: {total_rows}; mediana de 3 rondas alternadas, cada una la mediana de "
        f"{args.repeat} corridas tras un calentamiento"
    )
    if layout:
        for line in layout:
            print(line)
    print()

    queries = {}
    for name, fn in subjects.items():
        with CaptureQueriesContext(connection) as ctx:
            fn()
        queries[name] = [q["sql"] for q in ctx.captured_queries]
    figures = rounds(subjects, args.repeat)
    base = figures["SELECT 1"]
    print("| medida | consultas | ms | × SELECT 1 | ms leyendo el registro (base) | registro ÷ resumen |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| `SELECT 1` (base) | 1 | {base * 1000:.2f} | 1.0 | | |")
    for name, baseline in pairs:
        print(
            f"| `{name}` | {len(queries[name])} | {figures[name] * 1000:.2f} | {figures[name] / base:.0f} | "
            f"{figures[baseline] * 1000:.2f} ({len(queries[baseline])} consultas) | "
            f"{figures[baseline] / figures[name]:.0f} |"
        )
    for name in ("recent(limit=50)", "recent(limit=50, channel=push)", "recent(limit=50, status=failed)"):
        print(f"| `{name}` | {len(queries[name])} | {figures[name] * 1000:.2f} | {figures[name] / base:.0f} | | |")
    worst = max(figures[name] for name in subjects if name.startswith("summary("))
    others = max(figures[name] for name in subjects if name.startswith(("channel_health", "recent")))
    print()
    print(
        f"Barra: summary ≤ 20 ms en cualquier ventana: peor {worst * 1000:.2f} ms "
        f"({'cumple' if worst <= 0.020 else 'NO cumple'}); recent y health: peor {others * 1000:.2f} ms "
        f"({'cumple' if others <= 0.020 else 'NO cumple'})."
    )
    print()
    if connection.vendor == "postgresql":
        for name in ("summary(days=365)", "summary(days=1)", "channel_health()"):
            print(f"## EXPLAIN {name}")
            for sql in queries[name]:
                for line in explain(connection, sql):
                    print(f"   {line}")
            print()


def trigger_cost(args: argparse.Namespace, writes: int = 2000) -> None:
    """What the triggers add to one log write: `writes` single-row INSERTs, then as many single-row status
    UPDATEs, each statement on its own (as the dispatch and the worker write), timed with the triggers on and off
    in alternating rounds inside a transaction that is rolled back."""
    from django.db import connection, transaction

    from apps.notifications.models import NotificationLog

    fields = ["id", "created_at", "updated_at", "channel", "event_type", "status", "subject"]
    defaults = {f.column: f.get_default() for f in NotificationLog._meta.concrete_fields}
    columns = [f.column for f in NotificationLog._meta.concrete_fields]
    placeholders = ", ".join(["%s"] * len(columns))
    insert_sql = f"INSERT INTO {LOG_TABLE} ({', '.join(columns)}) VALUES ({placeholders})"
    update_sql = f"UPDATE {LOG_TABLE} SET status = %s WHERE id = %s"
    assert all(name in columns for name in fields)

    def run(enabled: bool) -> tuple[float, float]:
        ids = [uuid.uuid4() for _ in range(writes)]
        with transaction.atomic():
            set_triggers(connection, enabled=enabled)
            with connection.cursor() as cursor:
                now = datetime.now(UTC)
                started = time.perf_counter()
                for row_id in ids:
                    values = {**defaults, "id": row_id, "created_at": now, "updated_at": now, "channel": "email"}
                    values.update({"event_type": "vehicle_received", "status": "queued", "subject": MARK})
                    cursor.execute(insert_sql, [values[c] for c in columns])
                inserted = time.perf_counter() - started
                started = time.perf_counter()
                for row_id in ids:
                    cursor.execute(update_sql, ["sent", row_id])
                updated = time.perf_counter() - started
            transaction.set_rollback(True)
        return inserted / writes, updated / writes

    samples = {True: [], False: []}
    for _ in range(3):
        for enabled in (False, True):
            samples[enabled].append(run(enabled))
    on_insert = statistics.median(s[0] for s in samples[True])
    off_insert = statistics.median(s[0] for s in samples[False])
    on_update = statistics.median(s[1] for s in samples[True])
    off_update = statistics.median(s[1] for s in samples[False])
    print(f"## Costo de los triggers por escritura del registro ({writes} sentencias de una fila, mediana de 3 rondas)")
    print("| escritura | sin triggers (µs) | con triggers (µs) | costo del trigger (µs) | × |")
    print("|---|---:|---:|---:|---:|")
    for name, off, on in (("INSERT", off_insert, on_insert), ("UPDATE de estado", off_update, on_update)):
        print(f"| {name} | {off * 1e6:.0f} | {on * 1e6:.0f} | {(on - off) * 1e6:.0f} | {on / off:.2f} |")
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
