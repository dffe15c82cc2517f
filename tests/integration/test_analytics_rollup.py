"""The rollup behind /api/v1/analytics/ (PostgreSQL), per day, hour and 5-minute slot: kept exact by the triggers,
folded, rebuilt, checked.

Every comparison is against the raw tables (the selectors' log path, which the embedded SQLite still uses), over
rows spread across local days, with inserts, status changes, moves between days and deletes.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from apps.analytics import rollup, selectors, sql
from apps.analytics.models import (
    DispatchDay,
    DispatchDayPending,
    DispatchHour,
    DispatchHourPending,
    DispatchSlot,
    DispatchSlotPending,
    LogDay,
    LogDayPending,
    LogHour,
    LogHourPending,
    LogSlot,
    LogSlotPending,
)
from apps.notifications.models import Dispatch, NotificationLog, ServicePhase, ServiceType
from apps.notifications.services.whatsapp_senders import DAILY_CAP

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="el resumen diario existe solo en PostgreSQL"),
]

GYE = ZoneInfo("America/Guayaquil")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=GYE)
STATUSES = ("pending", "queued", "sending", "sent", "delivered", "read", "failed")
CHANNELS = ("email", "whatsapp", "push")
EXACT = {
    "registro": [],
    "despachos": [],
    "registro por hora": [],
    "despachos por hora": [],
    "registro por 5 minutos": [],
    "despachos por 5 minutos": [],
}
SLOT = timedelta(minutes=5)


@pytest.fixture
def catalog(db):
    return (
        ServiceType.objects.create(slug="rollup-type", name="Tipo de prueba"),
        ServicePhase.objects.create(slug="rollup-phase", name="Fase de prueba", order=99),
    )


def make_dispatch(catalog, at: datetime) -> Dispatch:
    service_type, phase = catalog
    dispatch = Dispatch.objects.create(
        event_type="vehicle_received", service_type=service_type, phase=phase, target="clients"
    )
    Dispatch.objects.filter(pk=dispatch.pk).update(created_at=at)
    return dispatch


def make_log(at: datetime, **fields) -> NotificationLog:
    fields.setdefault("event_type", "vehicle_received")
    row = NotificationLog.objects.create(**fields)
    NotificationLog.objects.filter(pk=row.pk).update(created_at=at)
    return row


# Cuts on local midnight, on whole hours, on whole slots and at arbitrary minutes and microseconds, on both sides of
# noon.
CUTS = (
    NOW,
    NOW + timedelta(minutes=25),
    NOW - timedelta(hours=2, minutes=30),
    NOW - timedelta(hours=9),
    NOW - timedelta(hours=10),
    NOW + timedelta(hours=3, minutes=17),
    NOW - timedelta(hours=4, minutes=41, seconds=7),
    NOW + timedelta(hours=8, minutes=59, microseconds=999_999),
    NOW - timedelta(minutes=1),
)


def populate(catalog, rng: random.Random, count: int = 300) -> list[NotificationLog]:
    """Rows over 40 days before NOW and a few after, plus rows exactly on the edges the windows cut at."""
    moments = [NOW - timedelta(minutes=rng.randint(0, 40 * 24 * 60)) for _ in range(count)]
    moments += [NOW + timedelta(minutes=rng.randint(1, 300)) for _ in range(10)]
    for days in (1, 7, 30):
        moments += [NOW - timedelta(days=days), NOW - timedelta(days=days, microseconds=1)]
    moments += [NOW, NOW + timedelta(microseconds=1)]
    moments += [datetime(2026, 11, day, 0, 0, tzinfo=GYE) for day in (1, 13, 19, 20)]
    # Rows in the partial hours and slots next to every cut, where the slots or the log are read instead of the
    # hourly rollup, and on the bounds of the cut's slot.
    for cut in CUTS:
        for since in (cut, cut - timedelta(days=1), cut - timedelta(days=7), cut - timedelta(days=30)):
            moments += [since + timedelta(minutes=offset) for offset in (-7, -3, -1, 1, 3, 7)]
            slot = rollup._floor(since, SLOT)
            moments += [slot, slot - timedelta(microseconds=1), slot + SLOT, slot + SLOT - timedelta(microseconds=1)]
    rows: list[NotificationLog] = []
    for at in moments:
        dispatch = make_dispatch(catalog, at)
        status = rng.choice(STATUSES)
        fields = {"channel": rng.choice(CHANNELS), "status": status, "dispatch": dispatch}
        if status == "failed" and rng.random() < 0.4:
            fields["error_code"] = DAILY_CAP
        if rows and rng.random() < 0.2:
            fields["fallback_from"] = rng.choice(rows)
        rows.append(make_log(at, **fields))
    return rows


def churn(rows: list[NotificationLog], rng: random.Random) -> None:
    """Status changes (single and bulk), moves to another day, no-op updates and deletes."""
    for row in rng.sample(rows, 60):
        NotificationLog.objects.filter(pk=row.pk).update(status=rng.choice(STATUSES))
    NotificationLog.objects.filter(channel="push", status="queued").update(status="failed", error_code=DAILY_CAP)
    # Only the daily-cap flag changes: a key column all the same.
    NotificationLog.objects.filter(channel="whatsapp", status="failed").update(error_code=DAILY_CAP)
    for row in rng.sample(rows, 15):
        NotificationLog.objects.filter(pk=row.pk).update(
            created_at=row.created_at - timedelta(hours=rng.randint(1, 60))
        )
    NotificationLog.objects.filter(channel="email").update(attempts=3)  # leaves every key as it was
    doomed = {row.pk for row in rng.sample(rows, 20)}
    NotificationLog.objects.filter(fallback_from__in=doomed).update(fallback_from=None)
    NotificationLog.objects.filter(pk__in=doomed).delete()
    Dispatch.objects.filter(notifications__isnull=True).delete()
    moved = Dispatch.objects.order_by("?")[:5]
    Dispatch.objects.filter(pk__in=[d.pk for d in moved]).update(created_at=NOW - timedelta(days=3, hours=5))


def by_channel(counts: dict) -> dict:
    """Channels with rows (the rollup may answer zeros for a channel whose rows all left the window)."""
    return {
        channel: {k: int(v) for k, v in row.items() if k != "channel"}
        for channel, row in counts.items()
        if any(int(v) for k, v in row.items() if k != "channel")
    }


def assert_windows_match_the_log() -> None:
    for now in CUTS:
        for days in (1, 2, 7, 30, 365):
            since = now - timedelta(days=days)
            dispatches, channels, daily = rollup.rollup_summary_counts(since, now)
            raw_dispatches, raw_channels, raw_daily = selectors.summary_counts_from_log(since, now)
            assert dispatches == raw_dispatches, (now, days)
            assert by_channel(channels) == by_channel(raw_channels), (now, days)
            days_seen = {
                day: (c["notifications"], c["sent"], c["failed"]) for day, c in daily.items() if c["notifications"]
            }
            raw_days = {day: (c["notifications"], c["sent"], c["failed"]) for day, c in raw_daily.items()}
            assert days_seen == raw_days, (now, days)
        since = now - timedelta(hours=selectors.HEALTH_WINDOW_HOURS)
        health = {c: v for c, v in rollup.rollup_health_counts(since, now).items() if v["sent"] or v["failed"]}
        raw_health = {
            c: {"sent": int(v["sent"]), "failed": int(v["failed"])}
            for c, v in selectors.health_counts_from_log(since, now).items()
            if v["sent"] or v["failed"]
        }
        assert health == raw_health, now


def test_rollup_plus_pending_equals_the_raw_tables_through_writes_and_folds(catalog):
    rng = random.Random(13)
    rows = populate(catalog, rng)
    assert LogDayPending.objects.exists() and not LogDay.objects.exists()
    assert LogHourPending.objects.exists() and not LogHour.objects.exists()
    assert LogSlotPending.objects.exists() and not LogSlot.objects.exists()
    assert rollup.rollup_check() == EXACT
    assert_windows_match_the_log()

    rollup.rollup_fold()
    for pending in (
        LogDayPending,
        DispatchDayPending,
        LogHourPending,
        DispatchHourPending,
        LogSlotPending,
        DispatchSlotPending,
    ):
        assert not pending.objects.exists(), pending
    assert LogHour.objects.exists() and DispatchHour.objects.exists()
    assert LogSlot.objects.exists() and DispatchSlot.objects.exists()
    churn(rows, rng)
    assert LogDayPending.objects.exists()
    assert rollup.rollup_check() == EXACT
    assert_windows_match_the_log()

    rollup.rollup_fold()
    assert rollup.rollup_check() == EXACT
    assert_windows_match_the_log()


def test_an_update_that_keeps_the_key_writes_no_delta(catalog):
    row = make_log(NOW, channel="email", status="sent")
    rollup.rollup_fold()
    NotificationLog.objects.filter(pk=row.pk).update(attempts=2, provider_message_id="m-1")
    assert not LogDayPending.objects.exists()
    NotificationLog.objects.filter(pk=row.pk).update(status="delivered")
    assert sorted(LogDayPending.objects.values_list("status", "total")) == [("delivered", 1), ("sent", -1)]


def test_a_dispatch_counts_again_only_when_it_moves_to_another_moment(catalog):
    dispatch = make_dispatch(catalog, NOW)
    rollup.rollup_fold()
    Dispatch.objects.filter(pk=dispatch.pk).update(status="sent", completed_at=NOW)
    assert not DispatchDayPending.objects.exists()  # its status is not part of its key
    Dispatch.objects.filter(pk=dispatch.pk).update(created_at=NOW - timedelta(days=2))
    assert sorted(DispatchDayPending.objects.values_list("day", "total")) == [
        ((NOW - timedelta(days=2)).date(), 1),
        (NOW.date(), -1),
    ]
    assert rollup.rollup_check() == EXACT


def _trigger_kinds() -> dict[tuple[str, str], set[str]]:
    """(table, event) → {"row", "statement"}: how each write of the two raw tables is counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgtype FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid IN ('notifications_notificationlog'::regclass, "
            "'notifications_dispatch'::regclass)"
        )
        kinds: dict[tuple[str, str], set[str]] = {}
        for table, tgtype in cursor.fetchall():
            # pg_trigger.tgtype: bit 0 row-level, bits 2, 3 and 4 INSERT, DELETE and UPDATE.
            for bit, event in ((4, "INSERT"), (8, "DELETE"), (16, "UPDATE")):
                if tgtype & bit:
                    kinds.setdefault((table, event), set()).add("row" if tgtype & 1 else "statement")
    return kinds


ROW_INSERT_UPDATE = {
    (table, event): {"row" if event != "DELETE" else "statement"}
    for table in ("notifications_notificationlog", "notifications_dispatch")
    for event in ("INSERT", "UPDATE", "DELETE")
}


def test_single_row_writes_are_counted_per_row_and_deletes_per_statement(catalog):
    assert _trigger_kinds() == ROW_INSERT_UPDATE


def test_the_statement_triggers_of_before_0005_kept_it_exact_too(catalog):
    """Migration 0005 backwards: the statement-level triggers of every event, as 0001-0003 installed them."""
    tz = settings.TIME_ZONE
    try:
        with connection.cursor() as cursor:
            for statement in sql.drop_row_trigger_statements() + sql.trigger_statements(tz):
                cursor.execute(statement)
        assert {kinds.pop() for kinds in _trigger_kinds().values()} == {"statement"}
        rng = random.Random(5)
        rows = populate(catalog, rng, count=60)
        churn(rows, rng)
        assert rollup.rollup_check() == EXACT
    finally:
        with connection.cursor() as cursor:
            for statement in sql.current_trigger_statements(tz):
                cursor.execute(statement)
    assert _trigger_kinds() == ROW_INSERT_UPDATE


def test_fold_is_idempotent_and_summary_is_the_same_before_and_after(catalog):
    populate(catalog, random.Random(7), count=80)
    before = selectors.analytics_summary(days=30, now=NOW)
    rollup.rollup_fold()
    folded = sorted(LogDay.objects.values_list("day", "channel", "status", "fallback", "capped", "total"))
    dispatch_days = sorted(DispatchDay.objects.values_list("day", "total"))
    rollup.rollup_fold()
    assert sorted(LogDay.objects.values_list("day", "channel", "status", "fallback", "capped", "total")) == folded
    assert sorted(DispatchDay.objects.values_list("day", "total")) == dispatch_days
    assert selectors.analytics_summary(days=30, now=NOW) == before
    assert sum(total for *_, total in folded) == NotificationLog.objects.count()
    assert sum(LogHour.objects.values_list("total", flat=True)) == NotificationLog.objects.count()
    assert sum(DispatchHour.objects.values_list("total", flat=True)) == Dispatch.objects.count()
    assert sum(LogSlot.objects.values_list("total", flat=True)) == NotificationLog.objects.count()
    assert sum(DispatchSlot.objects.values_list("total", flat=True)) == Dispatch.objects.count()


# Each grain: its log rollup, dispatch rollup and log pending table, and the labels rollup_check() reports them under.
GRAINS = (
    (LogDay, DispatchDay, LogDayPending, "registro", "despachos"),
    (LogHour, DispatchHour, LogHourPending, "registro por hora", "despachos por hora"),
    (LogSlot, DispatchSlot, LogSlotPending, "registro por 5 minutos", "despachos por 5 minutos"),
)


@pytest.mark.parametrize("grain", GRAINS, ids=lambda g: g[3])
def test_check_fails_on_a_drifted_rollup_and_rebuild_repairs_it(catalog, capsys, grain):
    log_rollup, dispatch_rollup, log_pending, log_label, dispatch_label = grain
    populate(catalog, random.Random(3), count=40)
    rollup.rollup_fold()
    call_command("analytics_rollup_rebuild", "--check")
    # Rows of the key the writes left at zero (created now, then moved to their moment) count for nothing: the drift
    # goes into rows that count.
    log_rollup.objects.filter(pk=log_rollup.objects.exclude(total=0).order_by("pk").first().pk).update(total=10**6)
    dispatch_rollup.objects.exclude(total=0).order_by("pk").first().delete()
    differences = rollup.rollup_check()
    assert differences[log_label] and differences[dispatch_label]
    assert not any(rows for label, rows in differences.items() if label not in (log_label, dispatch_label))
    with pytest.raises(CommandError, match="no coincide"):
        call_command("analytics_rollup_rebuild", "--check")
    assert log_label in capsys.readouterr().err
    call_command("analytics_rollup_rebuild")
    assert not log_pending.objects.exists()
    call_command("analytics_rollup_rebuild", "--check")
    assert rollup.rollup_check() == EXACT


def test_the_log_rollups_keys_carry_their_total_for_index_only_reads():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('analytics_logday_key', 'analytics_loghour_key', 'analytics_logslot_key')"
        )
        keys = dict(cursor.fetchall())
    assert sorted(keys) == ["analytics_logday_key", "analytics_loghour_key", "analytics_logslot_key"]
    for name, definition in keys.items():
        assert definition.startswith("CREATE UNIQUE INDEX"), name
        assert definition.endswith("INCLUDE (total)"), definition


def test_summary_and_health_are_one_statement_each(catalog, django_assert_num_queries):
    populate(catalog, random.Random(5), count=20)
    for days in (1, 365):
        with django_assert_num_queries(1):
            selectors.analytics_summary(days=days, now=NOW)
    with django_assert_num_queries(1):
        selectors.analytics_channel_health(now=NOW, with_instances=False)


def test_the_window_reads_at_most_half_a_partial_day_from_the_rollups():
    assert connection.vendor == "postgresql"
    early = datetime(2026, 11, 20, 5, 0, tzinfo=GYE)
    first, last, edges = rollup.window_plan(early - timedelta(days=7), early)
    assert (first, last) == (datetime(2026, 11, 13).date(), datetime(2026, 11, 20).date())
    assert [(e.day.day, e.sign, e.end - e.start) for e in edges][0] == (13, -1, timedelta(hours=5))
    late = datetime(2026, 11, 20, 20, 0, tzinfo=GYE)
    first, last, edges = rollup.window_plan(late - timedelta(days=7), late)
    assert first == datetime(2026, 11, 14).date()
    assert [(e.day.day, e.sign, e.end - e.start) for e in edges][0] == (13, 1, timedelta(hours=4))


def test_a_partial_day_reads_whole_hours_then_whole_slots_and_under_five_minutes_from_the_log():
    cut = datetime(2026, 11, 20, 10, 41, 7, tzinfo=GYE)
    _first, _last, edges = rollup.window_plan(cut - timedelta(days=7), cut)
    for edge in edges:
        pieces = rollup.edge_pieces(edge)
        assert sum((p.end - p.start for p in pieces), timedelta()) == edge.end - edge.start
        assert [p.grain for p in pieces].count("hour") == 1
        raw = [p for p in pieces if p.grain is None]
        assert len(raw) == 1 and raw[0].end - raw[0].start < SLOT
    first_edge = rollup.edge_pieces(edges[0])
    assert [(p.grain, p.end - p.start) for p in first_edge] == [
        ("hour", timedelta(hours=10)),
        ("slot", timedelta(minutes=40)),
        (None, timedelta(minutes=1, seconds=7)),
    ]
    # Both ends of an edge can have slots and log minutes.
    edge = rollup.Edge(
        cut.date(), 1, datetime(2026, 11, 20, 7, 52, 30, tzinfo=GYE), datetime(2026, 11, 20, 10, 13, tzinfo=GYE)
    )
    assert [(p.grain, p.start.astimezone(GYE).time().isoformat()) for p in rollup.edge_pieces(edge)] == [
        ("hour", "08:00:00"),
        ("slot", "07:55:00"),
        (None, "07:52:30"),
        ("slot", "10:00:00"),
        (None, "10:10:00"),
    ]
    # A cut on a whole hour reads nothing but hours; on a whole slot, no log; inside the first slot, only the log.
    midnight = datetime(2026, 11, 20, tzinfo=GYE)
    on_the_hour = rollup.Edge(cut.date(), -1, midnight, datetime(2026, 11, 20, 7, tzinfo=GYE))
    assert [p.grain for p in rollup.edge_pieces(on_the_hour)] == ["hour"]
    on_a_slot = rollup.Edge(cut.date(), -1, midnight, datetime(2026, 11, 20, 7, 35, tzinfo=GYE))
    assert [p.grain for p in rollup.edge_pieces(on_a_slot)] == ["hour", "slot"]
    inside_a_slot = rollup.Edge(cut.date(), -1, midnight, datetime(2026, 11, 20, 0, 3, tzinfo=GYE))
    assert [p.grain for p in rollup.edge_pieces(inside_a_slot)] == [None]
    early = rollup.Edge(cut.date(), -1, midnight, datetime(2026, 11, 20, 0, 20, tzinfo=GYE))
    assert [p.grain for p in rollup.edge_pieces(early)] == ["slot"]


def test_hours_and_slots_are_utc_ones_whatever_the_session_time_zone(catalog):
    at = datetime(2026, 11, 20, 10, 41, tzinfo=GYE)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Asia/Kolkata'")  # +05:30: a local hour is not a UTC hour
        make_log(at, channel="email", status="sent")
        cursor.execute("SET TIME ZONE 'UTC'")
    rollup.rollup_fold()
    assert list(LogHour.objects.exclude(total=0).values_list("hour", "total")) == [
        (datetime(2026, 11, 20, 15, tzinfo=ZoneInfo("UTC")), 1)
    ]
    assert list(LogSlot.objects.exclude(total=0).values_list("slot", "total")) == [
        (datetime(2026, 11, 20, 15, 40, tzinfo=ZoneInfo("UTC")), 1)
    ]
