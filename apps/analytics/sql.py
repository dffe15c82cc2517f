"""SQL of the daily rollup on PostgreSQL: the triggers that keep it exact, the fold, the rebuild and the check.

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
# apps.notifications.services.whatsapp_senders.DAILY_CAP (not imported: the migration must not load the app).
DAILY_CAP = "whatsapp_daily_cap"

LOG_KEY = ("day", "channel", "status", "fallback", "capped")
LOG_COLUMNS = ", ".join(LOG_KEY)


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def log_key(tz: str) -> str:
    """The rollup key of a log row, as SELECT expressions (in LOG_KEY order)."""
    return (
        f"(created_at AT TIME ZONE {quote(tz)})::date, channel, status, fallback_from_id IS NOT NULL, "
        f"error_code = {quote(DAILY_CAP)}"
    )


def dispatch_key(tz: str) -> str:
    return f"(created_at AT TIME ZONE {quote(tz)})::date"


def trigger_statements(tz: str) -> list[str]:
    """Statement-level triggers with transition tables: one INSERT of grouped deltas per statement, so a COPY or a
    bulk insert of many rows costs a few pending rows, not one per row. An UPDATE that leaves the key as it was
    (most of them: attempts, timestamps, provider ids) nets to zero and writes nothing."""
    statements = []
    for table, pending, columns, key in (
        (LOG, LOG_PENDING, LOG_COLUMNS, log_key(tz)),
        (DISPATCH, DISPATCH_PENDING, "day", dispatch_key(tz)),
    ):
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
            name = f"{pending}_{event.lower()}"
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    return statements


def drop_trigger_statements() -> list[str]:
    statements = []
    for table, pending in ((LOG, LOG_PENDING), (DISPATCH, DISPATCH_PENDING)):
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
FOLD_STATEMENTS = (_fold(LOG_DAY, LOG_PENDING, LOG_COLUMNS), _fold(DISPATCH_DAY, DISPATCH_PENDING, "day"))


def rebuild_statements(tz: str) -> list[str]:
    """From the raw tables, under a SHARE lock: writers wait, so no delta is lost between the count and the commit."""
    return [
        f"LOCK TABLE {LOG}, {DISPATCH} IN SHARE MODE",
        f"DELETE FROM {LOG_PENDING}",
        f"DELETE FROM {LOG_DAY}",
        f"DELETE FROM {DISPATCH_PENDING}",
        f"DELETE FROM {DISPATCH_DAY}",
        f"INSERT INTO {LOG_DAY} ({LOG_COLUMNS}, total) "
        f"SELECT {log_key(tz)}, count(*) FROM {LOG} GROUP BY 1, 2, 3, 4, 5",
        f"INSERT INTO {DISPATCH_DAY} (day, total) SELECT {dispatch_key(tz)}, count(*) FROM {DISPATCH} GROUP BY 1",
    ]


def check_statements(tz: str) -> list[tuple[str, str]]:
    """(table, statement): the keys whose rollup + pending differs from the raw count. One statement each, so one
    snapshot: the triggers write in the writer's transaction, and no lock is needed."""
    statements = []
    for label, day, pending, table, columns, key in (
        ("registro", LOG_DAY, LOG_PENDING, LOG, LOG_COLUMNS, log_key(tz)),
        ("despachos", DISPATCH_DAY, DISPATCH_PENDING, DISPATCH, "day", dispatch_key(tz)),
    ):
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
