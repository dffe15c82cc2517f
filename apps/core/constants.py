"""Enumerations shared by the API, the models, the logs and analytics."""

from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WHATSAPP = "whatsapp", "WhatsApp"
    PUSH = "push", "Push"


class Target(models.TextChoices):
    CLIENTS = "clients", "Clientes"
    STAFF = "staff", "Personal del taller"


class EventType(models.TextChoices):
    APPOINTMENT_SCHEDULED = "appointment_scheduled", "Cita agendada"
    APPOINTMENT_REMINDER = "appointment_reminder", "Recordatorio de cita"
    VEHICLE_RECEIVED = "vehicle_received", "Vehículo recibido"
    DIAGNOSIS_READY = "diagnosis_ready", "Diagnóstico listo"
    QUOTE_APPROVAL_REQUIRED = "quote_approval_required", "Cotización por aprobar"
    REPAIR_STARTED = "repair_started", "Reparación iniciada"
    REPAIR_COMPLETED = "repair_completed", "Reparación terminada"
    QUALITY_CHECK_PASSED = "quality_check_passed", "Control de calidad aprobado"
    READY_FOR_DELIVERY = "ready_for_delivery", "Listo para entrega"
    VEHICLE_DELIVERED = "vehicle_delivered", "Vehículo entregado"
    MAINTENANCE_REMINDER = "maintenance_reminder", "Recordatorio de mantenimiento"
    CUSTOM = "custom", "Personalizado"


class DispatchStatus(models.TextChoices):
    QUEUED = "queued", "En cola"
    IN_PROGRESS = "in_progress", "En curso"
    SENT = "sent", "Enviado"
    DELIVERED = "delivered", "Entregado"
    READ = "read", "Leído"
    FAILED = "failed", "Fallido"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pendiente"  # stored, waiting for the relay sweep to hand it to the broker
    # Handed to the broker, or being handed (a dispatch's first rows are stored queued and published after the
    # commit), or waiting for a retry.
    QUEUED = "queued", "En cola"
    SENDING = "sending", "Enviando"  # claimed by a worker
    SENT = "sent", "Enviado"
    DELIVERED = "delivered", "Entregado"
    READ = "read", "Leído"
    FAILED = "failed", "Fallido"


class ErrorKind(models.TextChoices):
    TRANSIENT = "transient", "Transitorio"
    PERMANENT = "permanent", "Permanente"
    UNKNOWN_OUTCOME = "unknown_outcome", "Resultado desconocido"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pendiente"
    NOTIFIED = "notified", "Notificado"
    COMPLETED = "completed", "Completado"
    CANCELLED = "cancelled", "Cancelado"


# Statuses in which a notification has left our hands successfully.
SUCCESS_STATUSES = (NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.READ)
# Statuses in which a notification still waits for work.
OPEN_STATUSES = (NotificationStatus.PENDING, NotificationStatus.QUEUED, NotificationStatus.SENDING)
