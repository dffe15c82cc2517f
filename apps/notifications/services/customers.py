"""Customers, their channel preferences and their vehicles (the local directory).

Customers and vehicles are addressed by their external ids (`customer_id`, `vehicle_id`). DELETE is a
soft delete (`is_active=False`): logs, dispatches and analytics keep pointing at the row, and the Core
sync or a PATCH can reactivate it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from apps.core.constants import Channel, ReminderStatus
from apps.core.exceptions import ApplicationError
from apps.notifications.models import CustomerChannelPreference, CustomerContactInfo, MaintenanceReminder, Vehicle
from apps.notifications.models.vehicles import plate_normalized

CONTACT_FIELDS = ("name", "email", "phone")
CUSTOMER_FIELDS = ("name", "email", "phone", "is_active")
VEHICLE_FIELDS = ("customer", "plate", "brand", "model", "year", "vin", "color", "mileage", "is_active")
OPEN_REMINDER_STATUSES = (ReminderStatus.PENDING, ReminderStatus.NOTIFIED)

_PLATE_SEPARATORS_RE = re.compile(r"[\s\-]+")


# --- customers -----------------------------------------------------------------------------------


def customer_create(
    *, customer_id: str, name: str = "", email: str = "", phone: str = "", is_active: bool = True
) -> CustomerContactInfo:
    """Create a customer; `phone` must already be E.164 (the serializer normalises it)."""
    try:
        with transaction.atomic():
            return CustomerContactInfo.objects.create(
                customer_id=customer_id, name=name, email=email, phone=phone, is_active=is_active
            )
    except IntegrityError:
        # Lost a race with a concurrent create (the serializer already checked uniqueness).
        raise ApplicationError(
            "unique", f"Ya existe un cliente con customer_id '{customer_id}'.", status_code=400, attr="customer_id"
        ) from None


def customer_update(*, customer: CustomerContactInfo, data: dict[str, Any]) -> CustomerContactInfo:
    """Update the given fields; contact data sent through the API fills a placeholder customer."""
    changed = [field for field in CUSTOMER_FIELDS if field in data and getattr(customer, field) != data[field]]
    for field in changed:
        setattr(customer, field, data[field])
    if customer.is_placeholder and any(field in data for field in CONTACT_FIELDS):
        customer.is_placeholder = False
        changed.append("is_placeholder")
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


def customer_deactivate(*, customer: CustomerContactInfo) -> CustomerContactInfo:
    """Soft delete: the customer stops receiving notifications; its history stays."""
    if customer.is_active:
        customer.is_active = False
        customer.save(update_fields=["is_active", "updated_at"])
    return customer


# --- channel preferences -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelPreference:
    channel: str
    priority: int
    enabled: bool


def default_channel_preferences() -> list[ChannelPreference]:
    """DEFAULT_CHANNEL_PRIORITY as preferences: priority 1.. in that order, all enabled."""
    return [
        ChannelPreference(channel=channel, priority=index, enabled=True)
        for index, channel in enumerate(settings.DEFAULT_CHANNEL_PRIORITY, start=1)
    ]


def customer_preferences_get(*, customer: CustomerContactInfo) -> tuple[list[ChannelPreference], bool]:
    """The customer's preferences ordered by priority, or the defaults; returns (preferences, is_default)."""
    rows = CustomerChannelPreference.objects.filter(customer=customer).order_by("priority", "channel")
    stored = [ChannelPreference(channel=row.channel, priority=row.priority, enabled=row.is_enabled) for row in rows]
    if stored:
        return stored, False
    return default_channel_preferences(), True


def customer_preferences_payload(*, customer: CustomerContactInfo) -> dict[str, Any]:
    preferences, is_default = customer_preferences_get(customer=customer)
    return {
        "customer_id": customer.customer_id,
        "is_default": is_default,
        "preferences": [asdict(preference) for preference in preferences],
    }


@transaction.atomic
def customer_preferences_update(
    *, customer: CustomerContactInfo, preferences: list[dict[str, Any]]
) -> list[ChannelPreference]:
    """Replace all the customer's preferences with `preferences` ([{channel, priority, enabled}]).

    The list is the whole truth: its channels keep their relative order and are renumbered 1..n;
    every channel it leaves out is stored disabled, after them, in DEFAULT_CHANNEL_PRIORITY order.
    Channels and priorities must be unique (the serializer checks it; the constraints guard it).
    """
    CustomerContactInfo.objects.select_for_update().filter(pk=customer.pk).first()  # serialise concurrent updates
    listed = sorted(preferences, key=lambda item: item["priority"])
    listed_channels = [item["channel"] for item in listed]
    if len(set(listed_channels)) != len(listed_channels):
        raise ApplicationError(
            "duplicate_channel", "Cada canal puede aparecer una sola vez.", status_code=400, attr="preferences"
        )
    order = list(settings.DEFAULT_CHANNEL_PRIORITY) + [
        c for c in Channel.values if c not in settings.DEFAULT_CHANNEL_PRIORITY
    ]
    rows = [(item["channel"], bool(item.get("enabled", True))) for item in listed]
    rows += [(channel, False) for channel in order if channel not in listed_channels]

    CustomerChannelPreference.objects.filter(customer=customer).delete()
    CustomerChannelPreference.objects.bulk_create(
        CustomerChannelPreference(customer=customer, channel=channel, priority=priority, is_enabled=enabled)
        for priority, (channel, enabled) in enumerate(rows, start=1)
    )
    return [
        ChannelPreference(channel=channel, priority=priority, enabled=enabled)
        for priority, (channel, enabled) in enumerate(rows, start=1)
    ]


# --- vehicles ------------------------------------------------------------------------------------


def plate_normalize(plate: str) -> str:
    """'abc-1234' / 'ABC 1234' → 'ABC1234': one form for storage, search and templates."""
    return _PLATE_SEPARATORS_RE.sub("", plate or "").upper()


def vehicles_with_plate(queryset: QuerySet[Vehicle], plate: str) -> QuerySet[Vehicle]:
    """Match a plate however it was written, also for rows stored with dashes or spaces by older syncs; on the index
    of that same expression (vehicle_plate_normalized_idx)."""
    return queryset.annotate(plate_normalized=plate_normalized()).filter(plate_normalized=plate_normalize(plate))


def vehicle_create(
    *,
    vehicle_id: str,
    customer: CustomerContactInfo,
    plate: str = "",
    brand: str = "",
    model: str = "",
    year: int | None = None,
    vin: str = "",
    color: str = "",
    mileage: int | None = None,
    is_active: bool = True,
) -> Vehicle:
    try:
        with transaction.atomic():
            return Vehicle.objects.create(
                vehicle_id=vehicle_id,
                customer=customer,
                plate=plate_normalize(plate),
                brand=brand,
                model=model,
                year=year,
                vin=vin,
                color=color,
                mileage=mileage,
                is_active=is_active,
            )
    except IntegrityError:
        raise ApplicationError(
            "unique", f"Ya existe un vehículo con vehicle_id '{vehicle_id}'.", status_code=400, attr="vehicle_id"
        ) from None


@transaction.atomic
def vehicle_update(*, vehicle: Vehicle, data: dict[str, Any]) -> Vehicle:
    """Update the given fields. When the vehicle changes owner, its open reminders follow it;
    completed and cancelled ones stay with the previous owner (history)."""
    if "plate" in data:
        data = {**data, "plate": plate_normalize(data["plate"])}
    changed = [field for field in VEHICLE_FIELDS if field in data and getattr(vehicle, field) != data[field]]
    for field in changed:
        setattr(vehicle, field, data[field])
    if changed:
        vehicle.save(update_fields=[*changed, "updated_at"])
    if "customer" in changed:
        MaintenanceReminder.objects.filter(vehicle=vehicle, status__in=OPEN_REMINDER_STATUSES).update(
            customer=vehicle.customer
        )
    return vehicle


def vehicle_deactivate(*, vehicle: Vehicle) -> Vehicle:
    """Soft delete, like customers. Its reminders are left as they are (reversible); the reminder sweep
    must skip reminders of inactive vehicles and customers."""
    if vehicle.is_active:
        vehicle.is_active = False
        vehicle.save(update_fields=["is_active", "updated_at"])
    return vehicle
