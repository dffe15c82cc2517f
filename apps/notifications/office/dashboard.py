"""The admin index's dashboard: deliveries per channel over 1, 7 and 30 days, the channels' health with each WhatsApp
instance, and the latest failures an office should look at.

The figures come from the analytics selectors, the same numbers the API gives and within its query budget: this
module only arranges them. The failures cost two queries whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString

from apps.analytics.selectors import analytics_channel_health, analytics_summary
from apps.core.constants import Channel, DispatchStatus, NotificationStatus
from apps.notifications.models import Dispatch, NotificationLog, WhatsAppInstance

from .charts import chart_legend, grouped_bar_chart

WINDOWS: tuple[tuple[int, str], ...] = ((1, "Últimas 24 horas"), (7, "Últimos 7 días"), (30, "Últimos 30 días"))
FAILURES_SHOWN = 8

HEALTH_LABELS = {
    "healthy": "Funciona bien",
    "degraded": "Con algunos fallos",
    "unhealthy": "Con muchos fallos",
    "idle": "Sin envíos",
}
INSTANCE_STATE_LABELS = dict(WhatsAppInstance.State.choices)


@dataclass(frozen=True)
class Failure:
    """A dispatch that reached nobody, and its last failed row: the one a resend sends again."""

    dispatch: Dispatch
    notification: NotificationLog


@dataclass(frozen=True)
class Dashboard:
    charts: list[tuple[str, SafeString]]
    legend: SafeString
    health_status: str
    channels: list[dict[str, Any]]
    whatsapp_configured: bool
    instances: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def failures_needing_attention(*, limit: int = FAILURES_SHOWN) -> list[Failure]:
    """The newest dispatches whose every channel failed (a resend reopens one, so it leaves this list)."""
    dispatches = list(
        Dispatch.objects.filter(status=DispatchStatus.FAILED)
        .select_related("customer", "taller")
        .order_by("-created_at")[:limit]
    )
    rows = (
        NotificationLog.objects.filter(dispatch__in=dispatches, status=NotificationStatus.FAILED)
        .only("id", "dispatch_id", "channel", "status", "recipient", "error_message", "created_at", "failed_at")
        .order_by("created_at")
    )
    last_failed = {row.dispatch_id: row for row in rows}
    return [Failure(dispatch, last_failed[dispatch.pk]) for dispatch in dispatches if dispatch.pk in last_failed]


def _charts(now: datetime) -> list[tuple[str, SafeString]]:
    charts = []
    for days, caption in WINDOWS:
        by_channel = analytics_summary(days=days, now=now)["by_channel"]
        groups = [(channel.value, channel.label, by_channel[channel.value]) for channel in Channel]
        charts.append((caption, grouped_bar_chart(title=f"Envíos por canal · {caption}", groups=groups)))
    return charts


def dashboard_build(*, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    health = analytics_channel_health(now=now)
    channels = [
        {
            "label": channel.label,
            **health["channels"][channel.value],
            "status_label": HEALTH_LABELS[health["channels"][channel.value]["status"]],
        }
        for channel in Channel
    ]
    whatsapp = health["channels"][Channel.WHATSAPP]
    instances = [
        {**instance, "state_label": INSTANCE_STATE_LABELS.get(instance["state"], instance["state"])}
        for instance in whatsapp.get("instances", [])
    ]
    return Dashboard(
        charts=_charts(now),
        legend=chart_legend(),
        health_status=HEALTH_LABELS.get(health["status"], health["status"]),
        channels=channels,
        whatsapp_configured=whatsapp["configured"],
        instances=instances,
        failures=failures_needing_attention(),
    )
