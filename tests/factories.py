"""Rows the engine works on, built through the real outbox without going through the API (needs the seed)."""

from __future__ import annotations

from apps.core.constants import DispatchStatus, EventType, Target
from apps.notifications.models import CustomerContactInfo, Dispatch, NotificationLog, ServicePhase, ServiceType
from apps.notifications.services.outbox import notification_rows_create


def dispatch_with_rows(
    *,
    customer: CustomerContactInfo | None,
    plan: tuple[str, ...],
    recipients: dict[str, list[str]],
    target: str = Target.CLIENTS,
) -> list[NotificationLog]:
    """A dispatch accepted with `plan`, and the rows of its first channel (pending, not enqueued)."""
    rendered = {
        channel: {
            "template_id": None,
            "subject": "Su vehículo está listo",
            "body": f"Hola, su vehículo está listo ({channel}).",
            "html_body": "",
            "recipients": recipients[channel],
        }
        for channel in plan
    }
    dispatch = Dispatch.objects.create(
        event_type=EventType.READY_FOR_DELIVERY,
        service_type=ServiceType.objects.get(slug="mantenimiento-preventivo", parent__isnull=True),
        phase=ServicePhase.objects.get(slug="phase-delivery"),
        target=target,
        customer=customer,
        channel_plan=list(plan),
        rendered=rendered,
        status=DispatchStatus.QUEUED,
    )
    return notification_rows_create(dispatch=dispatch, channel=plan[0])
