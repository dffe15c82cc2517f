"""SQL of the rollup on PostgreSQL: the triggers that keep it exact, the fold, the rebuild and the check.

Three grains of the same counts: per local day (what whole days of a window read), per UTC hour (the whole hours of
its two partial days) and per 5-minute slot (the whole slots left at each end of those hours), so that only the
minutes around a cut, under five at each, come from the raw log. UTC hours, not local ones: a local hour repeats
when a zone leaves daylight saving time, and a UTC hour is one fixed hour of every zone; a slot is 5 minutes counted
from SLOT_ORIGIN, the same in every zone.

Kept free of model imports so that the migration can install the triggers from here. Every statement is built from
the constants below and the table names, never from input; the time zone is settings.TIME_ZONE, quoted.
"""

from __future__ import annotations

LOG = "notifications_notificationlog"
DISPATCH = "notifications_dispatch"
LOG_DAY = "analytics_logday"
LOG_PENDING = "analytics_logdaypending"
DISPATCH_DAY = "analytics_dispatchday"
DISPATCH_PENDING = "analytics_dispatchdaypending"
LOG_HOUR = "analytics_loghour"
LOG_HOUR_PENDING = "analytics_loghourpending"
DISPATCH_HOUR = "analytics_dispatchhour"
DISPATCH_HOUR_PENDING = "analytics_dispatchhourpending"
LOG_SLOT = "analytics_logslot"
LOG_SLOT_PENDING = "analytics_logslotpending"
DISPATCH_SLOT = "analytics_dispatchslot"
DISPATCH_SLOT_PENDING = "analytics_dispatchslotpending"
# A grain's name is also the name of its time column in its tables.
DAY, HOUR, SLOT = "day", "hour", "slot"
GRAINS = (DAY, HOUR, SLOT)
SLOT_MINUTES = 5
SLOT_ORIGIN = "2000-01-01 00:00:00+00"
# apps.notifications.services.whatsapp_senders.DAILY_CAP (not imported: the migration must not load the app).
DAILY_CAP = "whatsapp_daily_cap"

LOG_KEY = ("day", "channel", "status", "fallback", "capped")
LOG_COLUMNS = ", ".join(LOG_KEY)
LOG_HOUR_COLUMNS = ", ".join((HOUR, *LOG_KEY[1:]))
LOG_SLOT_COLUMNS = ", ".join((SLOT, *LOG_KEY[1:]))


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# `row` qualifies the columns: "" in a SELECT over a table, "NEW." or "OLD." in a row trigger.
def _log_key(bucket: str, row: str = "") -> str:
    capped = f"{row}error_code = {quote(DAILY_CAP)}"
    return f"{bucket}, {row}channel, {row}status, {row}fallback_from_id IS NOT NULL, {capped}"


def _day_key(tz: str, row: str = "") -> str:
    return f"({row}created_at AT TIME ZONE {quote(tz)})::date"


def _hour_key(row: str = "") -> str:
    # Spelled out in UTC: date_trunc on a timestamptz truncates in the session's zone, and the triggers run in the
    # writer's session.
    return f"date_trunc('hour', {row}created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"


def _slot_key(row: str = "") -> str:
    # date_bin over a timestamptz with a stride of minutes is plain arithmetic on the instant: no zone is involved.
    return f"date_bin('{SLOT_MINUTES} minutes', {row}created_at, TIMESTAMPTZ {quote(SLOT_ORIGIN)})"


def _grain_rollups(suffix: str, tables: tuple[str, str, str, str], columns: tuple[str, str], bucket) -> list[tuple]:
    """The log's and the dispatches' rollup of one grain: `tables` are (log rollup, log pending, dispatch rollup,
    dispatch pending), `columns` (log key columns, dispatch key column), `bucket` the grain's key of a row."""
    log_rollup, log_pending, dispatch_rollup, dispatch_pending = tables
    log_columns, dispatch_columns = columns
    return [
        (f"registro{suffix}", log_rollup, log_pending, LOG, log_columns, lambda row="": _log_key(bucket(row), row)),
        (f"despachos{suffix}", dispatch_rollup, dispatch_pending, DISPATCH, dispatch_columns, bucket),
    ]


def _every_rollup(tz: str) -> dict[str, list[tuple]]:
    """Per grain: (label, rollup table, pending table, raw table, key columns, the key of a row: a function of the
    prefix that names the row)."""
    return {
        DAY: _grain_rollups(
            "",
            (LOG_DAY, LOG_PENDING, DISPATCH_DAY, DISPATCH_PENDING),
            (LOG_COLUMNS, DAY),
            lambda row="": _day_key(tz, row),
        ),
        HOUR: _grain_rollups(
            " por hora",
            (LOG_HOUR, LOG_HOUR_PENDING, DISPATCH_HOUR, DISPATCH_HOUR_PENDING),
            (LOG_HOUR_COLUMNS, HOUR),
            _hour_key,
        ),
        SLOT: _grain_rollups(
            " por 5 minutos",
            (LOG_SLOT, LOG_SLOT_PENDING, DISPATCH_SLOT, DISPATCH_SLOT_PENDING),
            (LOG_SLOT_COLUMNS, SLOT),
            _slot_key,
        ),
    }


def rollups(tz: str, grains: tuple[str, ...] = GRAINS) -> list[tuple[str, str, str, str, str, str]]:
    """(label, rollup table, pending table, raw table, key columns, key expressions) of each rollup.

    `grains` lets each migration install exactly its own grain (analytics 0001 the days, 0002 the hours, 0003 the
    slots)."""
    every = _every_rollup(tz)
    return [(*rollup[:5], rollup[5]()) for grain in grains for rollup in every[grain]]


EVENTS = ("INSERT", "UPDATE", "DELETE")


def trigger_statements(tz: str, grains: tuple[str, ...] = GRAINS, events: tuple[str, ...] = EVENTS) -> list[str]:
    """Statement-level triggers with transition tables: one INSERT of grouped deltas per statement, so a COPY or a
    bulk insert of many rows costs a few pending rows, not one per row. An UPDATE that leaves the key as it was
    (most of them: attempts, timestamps, provider ids) nets to zero and writes nothing.

    Since analytics 0005 only DELETE keeps them (see row_trigger_statements); migrations 0001-0003 install all
    three events, as they did."""
    statements = []
    for _label, _rollup, pending, table, columns, key in rollups(tz, grains):
        width = len(columns.split(","))
        groups = ", ".join(str(i) for i in range(1, width + 1))
        function = f"{pending}_delta"
        statements.append(f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {pending} ({columns}, total) SELECT {key}, count(*) FROM new_rows GROUP BY {groups};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {pending} ({columns}, total) SELECT {key}, -count(*) FROM old_rows GROUP BY {groups};
    ELSE
        INSERT INTO {pending} ({columns}, total)
        SELECT {columns}, sum(total) FROM (
            SELECT {key}, -1 AS total FROM old_rows UNION ALL SELECT {key}, 1 FROM new_rows
        ) AS changed ({columns}, total)
        GROUP BY {groups} HAVING sum(total) <> 0;
    END IF;
    RETURN NULL;
END
$fn$""")
        for event, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            if event not in events:
                continue
            name = f"{pending}_{event.lower()}"
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    return statements


# Row triggers (analytics 0005) for INSERT and UPDATE, one function per table for the three grains. The dispatch and
# the worker write one row per statement, and a statement-level trigger costs its transition tables, its plpgsql
# call and its GROUP BY per grain however few rows changed: they added ~0.6 ms of PostgreSQL CPU to a dispatch and
# ~0.85 ms to a send. Row triggers took 0.45 and 0.7 ms of that back (docs/benchmarks.md, 1f), in part because an
# UPDATE that changes no key column (a dispatch's status, a row's attempts) is skipped by the WHEN clause without
# calling any function. A DELETE keeps the statement-level trigger: the purge deletes thousands of rows at once.
LOG_ROW_FUNCTION = "analytics_log_row_delta"
DISPATCH_ROW_FUNCTION = "analytics_dispatch_row_delta"
_CAPPED = quote(DAILY_CAP)
# What a key is made of; an UPDATE that changes none of it changes no count.
_LOG_KEY_CHANGED = (
    "OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.channel IS DISTINCT FROM NEW.channel"
    " OR OLD.status IS DISTINCT FROM NEW.status"
    " OR (OLD.fallback_from_id IS NULL) IS DISTINCT FROM (NEW.fallback_from_id IS NULL)"
    f" OR (OLD.error_code = {_CAPPED}) IS DISTINCT FROM (NEW.error_code = {_CAPPED})"
)
_DISPATCH_KEY_CHANGED = "OLD.created_at IS DISTINCT FROM NEW.created_at"


_BODY_LINE = "\n        "


def _row_function(function: str, table: str, tz: str) -> str:
    inserted, changed = [], []
    every = _every_rollup(tz)
    for _label, _rollup, pending, raw, columns, key in (rollup for grain in GRAINS for rollup in every[grain]):
        if raw == table:
            inserted.append(f"INSERT INTO {pending} ({columns}, total) VALUES ({key('NEW.')}, 1);")
            changed.append(f"INSERT INTO {pending} ({columns}, total) VALUES ({key('OLD.')}, -1), ({key('NEW.')}, 1);")
    return f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_BODY_LINE.join(inserted)}
    ELSE
        {_BODY_LINE.join(changed)}
    END IF;
    RETURN NULL;
END
$fn$"""


def row_trigger_statements(tz: str) -> list[str]:
    """The row triggers for INSERT and UPDATE, replacing the statement-level ones of those events."""
    statements = [_row_function(LOG_ROW_FUNCTION, LOG, tz), _row_function(DISPATCH_ROW_FUNCTION, DISPATCH, tz)]
    for table, function, changed in (
        (LOG, LOG_ROW_FUNCTION, _LOG_KEY_CHANGED),
        (DISPATCH, DISPATCH_ROW_FUNCTION, _DISPATCH_KEY_CHANGED),
    ):
        statements += [
            f"DROP TRIGGER IF EXISTS {function}_insert ON {table}",
            f"CREATE TRIGGER {function}_insert AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"DROP TRIGGER IF EXISTS {function}_update ON {table}",
            f"CREATE TRIGGER {function}_update AFTER UPDATE ON {table} FOR EACH ROW WHEN ({changed}) "
            f"EXECUTE FUNCTION {function}()",
        ]
    for _label, _rollup, pending, table, *_ in rollups(tz):
        statements += [f"DROP TRIGGER IF EXISTS {pending}_{event} ON {table}" for event in ("insert", "update")]
    return statements


def drop_row_trigger_statements() -> list[str]:
    statements = []
    for table, function in ((LOG, LOG_ROW_FUNCTION), (DISPATCH, DISPATCH_ROW_FUNCTION)):
        statements += [f"DROP TRIGGER IF EXISTS {function}_{event} ON {table}" for event in ("insert", "update")]
        statements.append(f"DROP FUNCTION IF EXISTS {function}()")
    return statements


def current_trigger_statements(tz: str) -> list[str]:
    """Every trigger of the rollup as the migrations leave it: per statement for DELETE, per row for the rest."""
    return trigger_statements(tz, events=("DELETE",)) + row_trigger_statements(tz)


def drop_trigger_statements(grains: tuple[str, ...] = GRAINS) -> list[str]:
    statements = []
    for _label, _rollup, pending, table, *_ in rollups("UTC", grains):
        for event in ("insert", "update", "delete"):
            statements.append(f"DROP TRIGGER IF EXISTS {pending}_{event} ON {table}")
        statements.append(f"DROP FUNCTION IF EXISTS {pending}_delta()")
    return statements


def _fold(day: str, pending: str, columns: str) -> str:
    return (
        f"WITH moved AS (DELETE FROM {pending} RETURNING {columns}, total) "
        f"INSERT INTO {day} ({columns}, total) SELECT {columns}, sum(total) FROM moved GROUP BY {columns} "
        f"ON CONFLICT ({columns}) DO UPDATE SET total = {day}.total + EXCLUDED.total"
    )


# A delta deleted by one fold is folded by it alone: a concurrent fold waits on the row lock, then skips the row.
# The zone does not matter to a fold: it only moves rows.
FOLD_STATEMENTS = tuple(_fold(rollup, pending, columns) for _l, rollup, pending, _t, columns, _k in rollups("UTC"))


def rebuild_statements(tz: str, grains: tuple[str, ...] = GRAINS) -> list[str]:
    """From the raw tables, under a SHARE lock: writers wait, so no delta is lost between the count and the commit."""
    statements = [f"LOCK TABLE {LOG}, {DISPATCH} IN SHARE MODE"]
    for _label, rollup, pending, table, columns, key in rollups(tz, grains):
        groups = ", ".join(str(i) for i in range(1, len(columns.split(",")) + 1))
        statements += [
            f"DELETE FROM {pending}",
            f"DELETE FROM {rollup}",
            f"INSERT INTO {rollup} ({columns}, total) SELECT {key}, count(*) FROM {table} GROUP BY {groups}",
        ]
    return statements


def check_statements(tz: str) -> list[tuple[str, str]]:
    """(table, statement): the keys whose rollup + pending differs from the raw count. One statement each, so one
    snapshot: the triggers write in the writer's transaction, and no lock is needed."""
    statements = []
    for label, day, pending, table, columns, key in rollups(tz):
        groups = ", ".join(str(i) for i in range(1, len(columns.split(",")) + 1))
        statements.append(
            (
                label,
                f"SELECT {columns}, rolled.total, raw.total FROM ("
                f"SELECT {columns}, sum(total) AS total FROM ("
                f"SELECT {columns}, total FROM {day} UNION ALL SELECT {columns}, total FROM {pending}) AS parts "
                f"GROUP BY {columns} HAVING sum(total) <> 0) AS rolled "
                f"FULL JOIN (SELECT {key}, count(*) FROM {table} GROUP BY {groups}) AS raw ({columns}, total) "
                f"USING ({columns}) WHERE rolled.total IS DISTINCT FROM raw.total ORDER BY {columns} LIMIT 20",
            )
        )
    return statements
