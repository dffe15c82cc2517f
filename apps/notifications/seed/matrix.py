"""The default channel matrix of every OrchestrationConfig: target → phase → channel → enabled."""

from apps.core.constants import Target

from .catalog import SERVICE_TYPES

_CLIENTS = {
    "phase-schedule": {"email": True, "whatsapp": True, "push": False},
    "phase-reception": {"email": True, "whatsapp": True, "push": False},
    "phase-repair": {"email": True, "whatsapp": True, "push": True},
    "phase-quality": {"email": True, "whatsapp": True, "push": True},
    "phase-delivery": {"email": True, "whatsapp": True, "push": True},
}
_STAFF = {
    "phase-schedule": {"email": True, "whatsapp": False, "push": False},
    "phase-reception": {"email": True, "whatsapp": True, "push": False},
    "phase-repair": {"email": True, "whatsapp": False, "push": False},
    "phase-quality": {"email": True, "whatsapp": False, "push": False},
    "phase-delivery": {"email": True, "whatsapp": True, "push": False},
}

DEFAULT_MATRIX: dict[str, dict[str, dict[str, bool]]] = {
    Target.CLIENTS.value: _CLIENTS,
    Target.STAFF.value: _STAFF,
}

TARGET_LABELS: dict[str, str] = {Target.CLIENTS.value: "Clientes", Target.STAFF.value: "Personal del taller"}

# One config per main type and target, named "Mantenimiento Preventivo · Clientes".
CONFIG_NAMES: dict[tuple[str, str], str] = {
    (service_type.slug, target): f"{service_type.name} · {label}"
    for service_type in SERVICE_TYPES
    for target, label in TARGET_LABELS.items()
}
