"""Maintenance reminders: create, edit, complete (with recurrence), delete.

Status: pending → notified (set by the reminder sweep) → completed (only through `reminder_complete`);
pending/notified ↔ cancelled through an update. A completed reminder is history and no longer changes.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.core.constants import ReminderStatus
from apps.core.exceptions import ApplicationError
from apps.notifications.models import MaintenanceReminder, Vehicle

REMINDER_FIELDS = (
    "vehicle",
    "reminder_type",
    "description",
    "due_date",
    "due_mileage",
    "notify_days_before",
    "recurrence_days",
    "status",
)
# Statuses a client may set through an update; `notified` belongs to the sweep, `completed` to complete/.
SETTABLE_STATUSES = (ReminderStatus.PENDING, ReminderStatus.CANCELLED)


def _require_due(due_date: datetime.date | None, due_mileage: int | None) -> None:
    if due_date is None and due_mileage is None:
        raise ApplicationError(
            "due_date_or_mileage_required",
            "Indique la fecha límite (due_date), el kilometraje límite (due_mileage) o ambos.",
            status_code=400,
            attr="due_date",
        )


def _require_active_vehicle(vehicle: Vehicle) -> None:
    if not vehicle.is_active:
        raise ApplicationError(
            "inactive_vehicle",
            f"El vehículo '{vehicle.vehicle_id}' está inactivo; no admite recordatorios nuevos.",
            status_code=400,
            attr="vehicle_id",
        )


def reminder_create(
    *,
    vehicle: Vehicle,
    reminder_type: str = "mantenimiento",
    description: str = "",
    due_date: datetime.date | None = None,
    due_mileage: int | None = None,
    notify_days_before: int = 7,
    recurrence_days: int | None = None,
) -> MaintenanceReminder:
    """A pending reminder for the vehicle; its customer is the vehicle's owner."""
    _require_active_vehicle(vehicle)
    _require_due(due_date, due_mileage)
    return MaintenanceReminder.objects.create(
        vehicle=vehicle,
        customer_id=vehicle.customer_id,
        reminder_type=reminder_type,
        description=description,
        due_date=due_date,
        due_mileage=due_mileage,
        notify_days_before=notify_days_before,
        recurrence_days=recurrence_days,
        status=ReminderStatus.PENDING,
    )


@transaction.atomic
def reminder_update(*, reminder: MaintenanceReminder, data: dict[str, Any]) -> MaintenanceReminder:
    """Apply an edit. Moving the due date or mileage of an open reminder starts its notice cycle again
    (pending, no notices sent), so the customer is told about the new date."""
    reminder = MaintenanceReminder.objects.select_for_update().get(pk=reminder.pk)
    changed = [field for field in REMINDER_FIELDS if field in data and getattr(reminder, field) != data[field]]
    if not changed:
        return reminder
    if reminder.status == ReminderStatus.COMPLETED:
        raise ApplicationError(
            "reminder_completed", "Un recordatorio completado no se puede modificar.", status_code=409
        )
    new_status = data.get("status", reminder.status)
    if new_status != reminder.status and new_status not in SETTABLE_STATUSES:
        if new_status == ReminderStatus.COMPLETED:
            detail = "Para completar un recordatorio use POST reminders/{id}/complete/."
            code = "use_complete_endpoint"
        else:
            detail = "El estado 'notified' lo asigna el sistema al enviar el aviso."
            code = "invalid_status_transition"
        raise ApplicationError(code, detail, status_code=400, attr="status")

    for field in changed:
        setattr(reminder, field, data[field])
    _require_due(reminder.due_date, reminder.due_mileage)
    if "vehicle" in changed:
        _require_active_vehicle(reminder.vehicle)
        reminder.customer_id = reminder.vehicle.customer_id
        changed.append("customer")
    rescheduled = "due_date" in changed or "due_mileage" in changed
    if rescheduled and reminder.status in (ReminderStatus.PENDING, ReminderStatus.NOTIFIED):
        reminder.status = ReminderStatus.PENDING
        reminder.notified_count = 0
        reminder.last_notified_at = None
        changed += ["status", "notified_count", "last_notified_at"]
    reminder.save(update_fields=[*set(changed), "updated_at"])
    return reminder


def reminder_delete(*, reminder: MaintenanceReminder) -> None:
    """Hard delete: a reminder is local data with no history elsewhere (cancel it to keep a trace)."""
    reminder.delete()


def _next_due_date(reminder: MaintenanceReminder, today: datetime.date) -> datetime.date:
    """The schedule keeps its rhythm (due_date + recurrence) unless that is already past; a late
    completion, or a reminder by mileage only, counts the interval from today."""
    interval = datetime.timedelta(days=reminder.recurrence_days)
    try:
        if reminder.due_date is not None and reminder.due_date + interval > today:
            return reminder.due_date + interval
        return today + interval
    except OverflowError:  # a date typed in the admin near year 9999
        raise ApplicationError(
            "date_out_of_range",
            "La siguiente fecha del recordatorio queda fuera del calendario; corrija due_date o recurrence_days.",
            attr="due_date",
        ) from None


@transaction.atomic
def reminder_complete(
    *, reminder: MaintenanceReminder, now: datetime.datetime | None = None
) -> tuple[MaintenanceReminder, MaintenanceReminder | None]:
    """Mark the reminder completed; with `recurrence_days`, create the next pending one.

    Returns (completed reminder, next reminder or None). A completed or cancelled reminder → 409
    (`reminder_already_completed` / `reminder_cancelled`), so a double click never creates two.
    The next reminder copies type, description, notice and recurrence; its due_mileage is empty,
    because an absolute mileage that has been reached does not repeat.
    """
    reminder = MaintenanceReminder.objects.select_for_update().select_related("vehicle").get(pk=reminder.pk)
    if reminder.status == ReminderStatus.COMPLETED:
        raise ApplicationError("reminder_already_completed", "El recordatorio ya estaba completado.", status_code=409)
    if reminder.status == ReminderStatus.CANCELLED:
        raise ApplicationError(
            "reminder_cancelled",
            "El recordatorio está cancelado; reactívelo (status 'pending') antes de completarlo.",
            status_code=409,
        )
    now = now or timezone.now()
    reminder.status = ReminderStatus.COMPLETED
    reminder.completed_at = now
    reminder.save(update_fields=["status", "completed_at", "updated_at"])

    next_reminder = None
    if reminder.recurrence_days:
        next_reminder = MaintenanceReminder.objects.create(
            vehicle=reminder.vehicle,
            customer_id=reminder.vehicle.customer_id,
            reminder_type=reminder.reminder_type,
            description=reminder.description,
            due_date=_next_due_date(reminder, timezone.localdate(now)),
            due_mileage=None,
            notify_days_before=reminder.notify_days_before,
            recurrence_days=reminder.recurrence_days,
            status=ReminderStatus.PENDING,
        )
    return reminder, next_reminder
