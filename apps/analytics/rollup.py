"""The rollup: fold, rebuild, check, and the counts of a window read from it (PostgreSQL only).

A window [since, now] covers whole local days plus two partial ones. Whole days come from the daily rollup ∪ pending
(exact even before a fold); each partial day is corrected over the smaller side of its cut: the rows of that day
before `since` are subtracted, or the day is left out and the rows from `since` on are added. A correction reads
its whole UTC hours from the hourly rollup ∪ pending, the whole 5-minute slots left at each end of them from the
slot rollup ∪ pending, and only the minutes left after that from the raw log (on the covering index of created_at):
under 5 minutes of rows at each end, whatever the size of the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.analytics import sql
from apps.core.constants import OPEN_STATUSES, SUCCESS_STATUSES, NotificationStatus

ONE_MICROSECOND = timedelta(microseconds=1)
ONE_HOUR = timedelta(hours=1)
SENT = [str(s) for s in SUCCESS_STATUSES]
DELIVERED = [str(NotificationStatus.DELIVERED), str(NotificationStatus.READ)]
READ = str(NotificationStatus.READ)
FAILED = str(NotificationStatus.FAILED)
PENDING = [str(s) for s in OPEN_STATUSES]


def rollup_available() -> bool:
    return connection.vendor == "postgresql"


def rollup_fold() -> None:
    """Moves the pending deltas into the rollup (any number of concurrent folds is safe)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in sql.FOLD_STATEMENTS:
            cursor.execute(statement)


def rollup_rebuild() -> None:
    """Recomputes the rollup from the raw tables and (re)installs the triggers with the current TIME_ZONE."""
    with transaction.atomic(), connection.cursor() as cursor:
        tz = settings.TIME_ZONE
        for statement in sql.current_trigger_statements(tz) + sql.rebuild_statements(tz):
            cursor.execute(statement)


def rollup_check() -> dict[str, list[tuple]]:
    """Keys where rollup + pending differs from the raw tables, per table (empty lists: exact)."""
    differences = {}
    with connection.cursor() as cursor:
        for label, statement in sql.check_statements(settings.TIME_ZONE):
            cursor.execute(statement)
            differences[label] = cursor.fetchall()
    return differences


@dataclass(frozen=True)
class Edge:
    day: date
    sign: int
    start: datetime
    end: datetime  # exclusive


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def window_plan(since: datetime, until: datetime) -> tuple[date, date, list[Edge]]:
    """The whole days [first, last] to read from the rollup and the raw corrections for [since, until]."""
    tz = timezone.get_default_timezone()
    first, last = timezone.localtime(since, tz).date(), timezone.localtime(until, tz).date()
    first_start, first_end = _day_start(first), _day_start(first + timedelta(days=1))
    edges = []
    if first < last and (since - first_start) > (first_end - since):
        edges.append(Edge(first, 1, since, first_end))
        first += timedelta(days=1)
    elif since > first_start:
        edges.append(Edge(first, -1, first_start, since))
    edges.append(Edge(last, -1, until + ONE_MICROSECOND, _day_start(last + timedelta(days=1))))
    return first, last, edges


@dataclass(frozen=True)
class Piece:
    """A part of an edge: [start, end) read from the rollup of `grain` (sql.HOUR or sql.SLOT), or from the raw log
    when `grain` is None."""

    grain: str | None
    start: datetime
    end: datetime


# Coarsest first. Both are whole divisions of an hour counted from the slot origin, so their bounds are UTC ones.
STEPS = ((sql.HOUR, ONE_HOUR), (sql.SLOT, timedelta(minutes=sql.SLOT_MINUTES)))
ORIGIN = datetime.fromisoformat(sql.SLOT_ORIGIN)


def _floor(moment: datetime, step: timedelta) -> datetime:
    return moment - (moment - ORIGIN) % step


def edge_pieces(edge: Edge) -> list[Piece]:
    """The whole UTC hours of the edge from the hourly rollup, the whole slots beside them from the slot rollup,
    the minutes left at each end from the log."""
    return _pieces(edge.start, edge.end, STEPS)


def _pieces(start: datetime, end: datetime, steps: tuple[tuple[str, timedelta], ...]) -> list[Piece]:
    if start >= end:
        return []
    if not steps:
        return [Piece(None, start, end)]
    (grain, step), finer = steps[0], steps[1:]
    whole_start, whole_end = _floor(start, step), _floor(end, step)
    if whole_start < start:
        whole_start += step
    if whole_start >= whole_end:
        return _pieces(start, end, finer)
    return [Piece(grain, whole_start, whole_end), *_pieces(start, whole_start, finer), *_pieces(whole_end, end, finer)]


@dataclass(frozen=True)
class Tables:
    """The raw table and, per grain, its rollup and pending tables."""

    raw: str
    rollups: dict[str, tuple[str, str]]


def _edges_sql(
    edges: list[Edge], raw_columns: str, bucket_columns: str, raw_params: list, tables: Tables, params: list
) -> str:
    """Signed counts of the partial days, each tagged with its day. `raw_columns` are the log's expressions (grouped,
    with `raw_params` in them) and `bucket_columns` the same values in the hourly and slot tables; both may be
    empty."""
    width = len(raw_columns.split(", ")) if raw_columns else 0
    group = f" GROUP BY {', '.join(str(i) for i in range(2, width + 2))}" if raw_columns else ""
    raw_select = f"{raw_columns}, " if raw_columns else ""
    bucket_select = f"{bucket_columns}, " if bucket_columns else ""
    parts = []
    for edge in edges:
        for piece in edge_pieces(edge):
            if piece.grain is None:
                parts.append(
                    f"SELECT %s::date, {raw_select}%s * count(*) FROM {tables.raw} "
                    f"WHERE created_at >= %s AND created_at < %s{group}"
                )
                params.extend([edge.day, *raw_params, edge.sign, piece.start, piece.end])
                continue
            for table in tables.rollups[piece.grain]:
                parts.append(
                    f"SELECT %s::date, {bucket_select}%s * total FROM {table} "
                    f"WHERE {piece.grain} >= %s AND {piece.grain} < %s"
                )
                params.extend([edge.day, edge.sign, piece.start, piece.end])
    return " UNION ALL ".join(parts)


LOG_TABLES = Tables(
    sql.LOG, {sql.HOUR: (sql.LOG_HOUR, sql.LOG_HOUR_PENDING), sql.SLOT: (sql.LOG_SLOT, sql.LOG_SLOT_PENDING)}
)
DISPATCH_TABLES = Tables(
    sql.DISPATCH,
    {
        sql.HOUR: (sql.DISPATCH_HOUR, sql.DISPATCH_HOUR_PENDING),
        sql.SLOT: (sql.DISPATCH_SLOT, sql.DISPATCH_SLOT_PENDING),
    },
)


COUNTERS = ("notifications", "sent", "delivered", "read", "failed", "pending", "fallbacks")


def rollup_summary_counts(since: datetime, until: datetime) -> tuple[int, dict[str, dict], dict[date, dict]]:
    """(dispatches, per-channel counters, per-day counters) of rows created in [since, until], in one statement."""
    first, last, edges = window_plan(since, until)
    params: list[Any] = []
    log_edges = _edges_sql(
        edges, "channel, status, fallback_from_id IS NOT NULL", "channel, status, fallback", [], LOG_TABLES, params
    )
    params += [first, last, first, last, SENT, DELIVERED, READ, FAILED, PENDING]
    dispatch_edges = _edges_sql(edges, "", "", [], DISPATCH_TABLES, params)
    params += [first, last, first, last]
    statement = f"""
WITH logs (day, channel, status, fallback, total) AS (
    {log_edges}
    UNION ALL SELECT day, channel, status, fallback, total FROM {sql.LOG_DAY} WHERE day BETWEEN %s AND %s
    UNION ALL SELECT day, channel, status, fallback, total FROM {sql.LOG_PENDING} WHERE day BETWEEN %s AND %s
)
SELECT GROUPING(channel), channel, day, sum(total),
    sum(total) FILTER (WHERE status = ANY(%s)), sum(total) FILTER (WHERE status = ANY(%s)),
    sum(total) FILTER (WHERE status = %s), sum(total) FILTER (WHERE status = %s),
    sum(total) FILTER (WHERE status = ANY(%s)), sum(total) FILTER (WHERE fallback)
FROM logs GROUP BY GROUPING SETS ((channel), (day))
UNION ALL
SELECT 2, NULL, NULL, sum(total), NULL, NULL, NULL, NULL, NULL, NULL FROM (
    SELECT total FROM ({dispatch_edges}) AS edges (day, total)
    UNION ALL SELECT total FROM {sql.DISPATCH_DAY} WHERE day BETWEEN %s AND %s
    UNION ALL SELECT total FROM {sql.DISPATCH_PENDING} WHERE day BETWEEN %s AND %s
) AS dispatches"""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    dispatches, by_channel, by_day = 0, {}, {}
    for grouping, channel, day, *values in rows:
        counters = dict(zip(COUNTERS, (int(v or 0) for v in values), strict=True))
        if grouping == 2:
            dispatches = counters["notifications"]
        elif grouping == 0:
            by_channel[channel] = counters
        else:
            by_day[day] = counters
    return dispatches, by_channel, by_day


def rollup_health_counts(since: datetime, until: datetime) -> dict[str, dict[str, int]]:
    """Per channel, sent and failed rows created in [since, until]; a failure at the WhatsApp daily cap is not a
    failure of the channel. One statement."""
    first, last, edges = window_plan(since, until)
    params: list[Any] = [SENT, FAILED]
    log_edges = _edges_sql(
        edges, "channel, status, error_code = %s", "channel, status, capped", [sql.DAILY_CAP], LOG_TABLES, params
    )
    params += [first, last, first, last]
    statement = f"""
SELECT channel, sum(total) FILTER (WHERE status = ANY(%s)), sum(total) FILTER (WHERE status = %s AND NOT capped)
FROM (
    {log_edges}
    UNION ALL SELECT day, channel, status, capped, total FROM {sql.LOG_DAY} WHERE day BETWEEN %s AND %s
    UNION ALL SELECT day, channel, status, capped, total FROM {sql.LOG_PENDING} WHERE day BETWEEN %s AND %s
) AS logs (day, channel, status, capped, total)
GROUP BY channel"""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return {channel: {"sent": int(sent or 0), "failed": int(failed or 0)} for channel, sent, failed in cursor}
