"""Rows the engine works on, built through the real outbox without going through the API (needs the seed)."""

from __future__ import annotations

from datetime import datetime

from apps.core.constants import Channel, DispatchStatus, ErrorKind, EventType, NotificationStatus, Target
from apps.notifications.models import (
    CustomerContactInfo,
    Dispatch,
    NotificationLog,
    ServicePhase,
    ServiceType,
    Taller,
    Vehicle,
)
from apps.notifications.services.outbox import notification_rows_create

PHONE = "+593991234567"

# The default taller's staff (the `staff` fixture of tests/integration/conftest.py) and an event addressed to them.
JEFE, ASESOR, BODEGA = "+593991111111", "+593992222222", "+593993333333"
STAFF_BODY = {
    "event_type": "vehicle_received",
    "service_type_id": "mantenimiento-preventivo",
    "phase_id": "phase-reception",
    "target": "staff",
    "context": {"nombre": "Carlos Mendoza", "placa": "ABC123", "vehiculo": "Haval H6 2024"},
}


def rows_by_recipient(d: Dispatch, channel: str) -> dict[str, NotificationLog]:
    """A dispatch's rows of one channel, by their recipient."""
    return {row.recipient: row for row in d.notifications.filter(channel=channel)}


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


def failed_dispatch(
    *,
    name: str = "Carlos Mendoza",
    plate: str = "ABC1234",
    phone: str = PHONE,
    taller: Taller | None = None,
    when: datetime | None = None,
) -> Dispatch:
    """A customer with a vehicle, and a dispatch of theirs that failed on WhatsApp and then on email."""
    customer = CustomerContactInfo.objects.create(
        customer_id=f"C-{CustomerContactInfo.objects.count() + 1}", name=name, phone=phone, email="c@example.com"
    )
    Vehicle.objects.create(vehicle_id=f"V-{customer.customer_id}", customer=customer, plate=plate)
    dispatch = Dispatch.objects.create(
        event_type=EventType.VEHICLE_RECEIVED,
        service_type=ServiceType.objects.get(slug="averia-revision", parent=None),
        phase=ServicePhase.objects.get(slug="phase-reception"),
        target=Target.CLIENTS,
        customer=customer,
        taller=taller,
        status=DispatchStatus.FAILED,
        channel_plan=["whatsapp", "email"],
        rendered={
            "whatsapp": {"body": "Hola *Carlos*", "recipients": [phone]},
            "email": {"subject": "Recibimos su vehículo", "body": "Hola", "html_body": "<p>Hola</p>"},
        },
    )
    for channel, recipient in ((Channel.WHATSAPP, phone), (Channel.EMAIL, "c@example.com")):
        NotificationLog.objects.create(
            dispatch=dispatch,
            channel=channel,
            event_type=dispatch.event_type,
            customer=customer,
            recipient=recipient,
            status=NotificationStatus.FAILED,
            error_kind=ErrorKind.PERMANENT,
            error_message=f"{channel}: el proveedor rechazó el mensaje",
            body="Hola",
        )
    if when is not None:
        Dispatch.objects.filter(pk=dispatch.pk).update(created_at=when)
        NotificationLog.objects.filter(dispatch=dispatch).update(created_at=when)
        dispatch.refresh_from_db()
    return dispatch
