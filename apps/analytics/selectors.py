"""Read-only analytics over Dispatch and NotificationLog, aggregated in the database.

Every function runs a fixed number of queries, whatever the number of rows:
- analytics_summary: 1 on PostgreSQL (from the daily rollup, apps/analytics/rollup.py); 3 on SQLite (dispatch
  count, per-channel aggregates, per-local-day aggregates, from the log);
- analytics_recent: 1;
- analytics_channel_health: 1 (plus each sender's `is_configured()`, which reads settings only), and with WhatsApp
  configured 3 more for its instances, plus a state request to Evolution per instance at most once a minute.

Definitions (the README repeats them):
- a row is *sent* when it left our hands successfully: status sent, delivered or read (SUCCESS_STATUSES);
  *delivered* counts delivered or read; *pending* counts pending, queued or sending (OPEN_STATUSES);
- *finished* rows are sent + failed; success_rate = sent / finished × 100, one decimal, None without
  finished rows;
- a channel's health status comes from the success_rate as shown (rounded): ≥ 90 healthy, ≥ 50 degraded,
  below unhealthy, idle without finished rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.analytics.rollup import rollup_available, rollup_health_counts, rollup_summary_counts
from apps.core.constants import OPEN_STATUSES, SUCCESS_STATUSES, Channel, NotificationStatus
from apps.notifications.adapters import get_sender
from apps.notifications.models import Dispatch, NotificationLog
from apps.notifications.services.whatsapp_senders import DAILY_CAP, whatsapp_instances_status

SUMMARY_MAX_DAYS = 365
RECENT_MAX_LIMIT = 200
HEALTH_WINDOW_HOURS = 24
HEALTHY_THRESHOLD = Decimal("90")
DEGRADED_THRESHOLD = Decimal("50")

HEALTHY, DEGRADED, UNHEALTHY, IDLE = "healthy", "degraded", "unhealthy", "idle"
# Overall status: the worst of these (idle channels are ignored).
_SEVERITY = {HEALTHY: 0, DEGRADED: 1, UNHEALTHY: 2}

_SENT = Q(status__in=SUCCESS_STATUSES)
_DELIVERED = Q(status__in=(NotificationStatus.DELIVERED, NotificationStatus.READ))
_READ = Q(status=NotificationStatus.READ)
_FAILED = Q(status=NotificationStatus.FAILED)
_PENDING = Q(status__in=OPEN_STATUSES)
_FALLBACK = Q(fallback_from__isnull=False)

# Rows are counted as COUNT(created_at): the column is NOT NULL, so this is the row count, and unlike COUNT(id)
# it lets PostgreSQL answer from an index on created_at that INCLUDEs channel, status and fallback_from_id
# (an index-only scan) if one is added. COUNT(*) cannot take a FILTER in Django.
ROWS = "created_at"

COUNTER_FIELDS = ("notifications", "sent", "delivered", "read", "failed", "pending", "fallbacks")


def success_rate(*, sent: int, failed: int) -> float | None:
    """sent / (sent + failed) as a percentage with one decimal (half up); None with no finished rows."""
    finished = sent + failed
    if not finished:
        return None
    rate = (Decimal(sent) * 100 / Decimal(finished)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(rate)


def health_status(rate: float | None) -> str:
    if rate is None:
        return IDLE
    value = Decimal(str(rate))
    if value >= HEALTHY_THRESHOLD:
        return HEALTHY
    if value >= DEGRADED_THRESHOLD:
        return DEGRADED
    return UNHEALTHY


def _counters(values: dict[str, Any] | None = None) -> dict[str, Any]:
    values = values or {}
    counters = {name: int(values.get(name) or 0) for name in COUNTER_FIELDS}
    counters["success_rate"] = success_rate(sent=counters["sent"], failed=counters["failed"])
    return counters


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def analytics_summary(*, days: int = 7, now: datetime | None = None) -> dict[str, Any]:
    """Totals, per-channel totals and a per-local-day series for rows created in the last `days` days.

    The window is [now − days, now]. The daily series has one entry per local calendar day the window
    touches (days + 1 entries: the first and the last are partial), zeros included, so that its sums equal
    the totals.
    """
    if not 1 <= days <= SUMMARY_MAX_DAYS:
        raise ValueError(f"days must be between 1 and {SUMMARY_MAX_DAYS}")
    now = now or timezone.now()
    since = now - timedelta(days=days)
    tz = timezone.get_default_timezone()
    if rollup_available():
        dispatches, by_channel_rows, by_day = rollup_summary_counts(since, now)
    else:
        dispatches, by_channel_rows, by_day = summary_counts_from_log(since, now)
    totals = {name: sum(int(row[name]) for row in by_channel_rows.values()) for name in COUNTER_FIELDS}
    first_day, last_day = _local_date(since), _local_date(now)
    daily = []
    day = first_day
    while day <= last_day:
        row = by_day.get(day, {})
        daily.append(
            {
                "date": day,
                "notifications": int(row.get("notifications") or 0),
                "sent": int(row.get("sent") or 0),
                "failed": int(row.get("failed") or 0),
            }
        )
        day += timedelta(days=1)

    return {
        "days": days,
        "since": since,
        "until": now,
        "timezone": str(tz),
        "totals": {"dispatches": dispatches, **_counters(totals)},
        "by_channel": {channel.value: _counters(by_channel_rows.get(channel.value)) for channel in Channel},
        "daily": daily,
    }


def summary_counts_from_log(since: datetime, until: datetime) -> tuple[int, dict[str, dict], dict[date, dict]]:
    """The summary's counts straight from the log, in 3 queries: the embedded SQLite's path, and the reference the
    rollup is tested against."""
    tz = timezone.get_default_timezone()
    logs = NotificationLog.objects.filter(created_at__gte=since, created_at__lte=until).order_by()
    dispatches = Dispatch.objects.filter(created_at__gte=since, created_at__lte=until).order_by().count()
    per_channel = logs.values("channel").annotate(
        notifications=Count(ROWS),
        sent=Count(ROWS, filter=_SENT),
        delivered=Count(ROWS, filter=_DELIVERED),
        read=Count(ROWS, filter=_READ),
        failed=Count(ROWS, filter=_FAILED),
        pending=Count(ROWS, filter=_PENDING),
        fallbacks=Count(ROWS, filter=_FALLBACK),
    )
    per_day = (
        logs.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(notifications=Count(ROWS), sent=Count(ROWS, filter=_SENT), failed=Count(ROWS, filter=_FAILED))
        .order_by("day")
    )
    return dispatches, {row["channel"]: row for row in per_channel}, {row["day"]: row for row in per_day}


def health_counts_from_log(since: datetime, until: datetime) -> dict[str, dict[str, int]]:
    per_channel = (
        NotificationLog.objects.filter(created_at__gte=since, created_at__lte=until)
        .order_by()
        .values("channel")
        # A row that went to the next channel because the day's WhatsApp cap was spent is not a failure of the
        # channel: the cap worked as intended.
        .annotate(sent=Count(ROWS, filter=_SENT), failed=Count(ROWS, filter=_FAILED & ~Q(error_code=DAILY_CAP)))
    )
    return {row["channel"]: row for row in per_channel}


def analytics_recent(
    *, limit: int = 50, channel: str | None = None, status: str | None = None, customer_id: str | None = None
) -> QuerySet[NotificationLog]:
    """The newest log rows first (ties broken by id), without the rendered bodies."""
    if not 1 <= limit <= RECENT_MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {RECENT_MAX_LIMIT}")
    rows = NotificationLog.objects.select_related("customer").only(
        "id",
        "dispatch_id",
        "channel",
        "event_type",
        "status",
        "attempts",
        "recipient",
        "error_message",
        "created_at",
        "sent_at",
        "failed_at",
        "customer__customer_id",
    )
    if channel:
        rows = rows.filter(channel=channel)
    if status:
        rows = rows.filter(status=status)
    if customer_id:
        rows = rows.filter(customer__customer_id=customer_id)
    return rows.order_by("-created_at", "-id")[:limit]


@dataclass(frozen=True)
class ChannelHealth:
    configured: bool
    sent: int
    failed: int
    success_rate: float | None
    status: str


def overall_status(channels: dict[str, ChannelHealth]) -> str:
    """The worst status of the configured channels, idle ones ignored; healthy when all are idle.

    A channel that is not configured does not count: leaving a channel out is a deployment decision, and
    dispatch already skips it. With no channel configured at all nothing can be sent: unhealthy.
    """
    configured = [health for health in channels.values() if health.configured]
    if not configured:
        return UNHEALTHY
    active = [health.status for health in configured if health.status != IDLE]
    if not active:
        return HEALTHY
    return max(active, key=_SEVERITY.__getitem__)


def analytics_channel_health(*, now: datetime | None = None, with_instances: bool = True) -> dict[str, Any]:
    """Per channel, rows created in the last 24 h: configured, sent, failed, success rate and status."""
    now = now or timezone.now()
    since = now - timedelta(hours=HEALTH_WINDOW_HOURS)
    counts = rollup_health_counts(since, now) if rollup_available() else health_counts_from_log(since, now)
    channels: dict[str, ChannelHealth] = {}
    for channel in Channel:
        row = counts.get(channel.value, {})
        sent, failed = int(row.get("sent") or 0), int(row.get("failed") or 0)
        rate = success_rate(sent=sent, failed=failed)
        channels[channel.value] = ChannelHealth(
            configured=bool(get_sender(channel.value).is_configured()),
            sent=sent,
            failed=failed,
            success_rate=rate,
            status=health_status(rate),
        )
    report = {
        "status": overall_status(channels),
        "window_hours": HEALTH_WINDOW_HOURS,
        "checked_at": now,
        "channels": {
            name: {
                "configured": h.configured,
                "sent": h.sent,
                "failed": h.failed,
                "success_rate": h.success_rate,
                "status": h.status,
            }
            for name, h in channels.items()
        },
    }
    if with_instances and channels[Channel.WHATSAPP].configured:
        report["channels"][Channel.WHATSAPP]["instances"] = whatsapp_instances_status(get_sender=get_sender)
    return report
