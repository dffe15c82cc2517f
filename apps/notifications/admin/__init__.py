"""Django admin of the notifications app: one module per area, registered on import."""

from . import catalog, channels, customers, logs, templates, vehicles, whatsapp

__all__ = ["catalog", "channels", "customers", "logs", "templates", "vehicles", "whatsapp"]
