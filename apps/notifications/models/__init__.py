from .catalog import OrchestrationConfig, PhaseChannelConfig, ServicePhase, ServiceType
from .channels import PushSubscription, Taller, TallerChannelConfig
from .customers import CustomerChannelPreference, CustomerContactInfo
from .logs import Dispatch, IdempotencyRecord, NotificationAttempt, NotificationLog
from .receipts import DeliveryReceipt
from .templates import NotificationTemplate
from .vehicles import MaintenanceReminder, Vehicle
from .whatsapp import AbsentNumber, WhatsAppInstance

__all__ = [
    "AbsentNumber",
    "CustomerChannelPreference",
    "CustomerContactInfo",
    "DeliveryReceipt",
    "Dispatch",
    "IdempotencyRecord",
    "MaintenanceReminder",
    "NotificationAttempt",
    "NotificationLog",
    "NotificationTemplate",
    "OrchestrationConfig",
    "PhaseChannelConfig",
    "PushSubscription",
    "ServicePhase",
    "ServiceType",
    "Taller",
    "TallerChannelConfig",
    "Vehicle",
    "WhatsAppInstance",
]
