"""The default workshop (the `{{Taller}}` default) and its channel settings."""

from apps.core.constants import Channel

DEFAULT_TALLER: dict = {
    "slug": "ambacar-service",
    "name": "Ambacar Service",
    "timezone": "America/Guayaquil",
}

# One row per channel, enabled, with no staff recipients yet (an admin fills them in).
TALLER_CHANNEL_DEFAULTS: dict = {
    "is_enabled": True,
    "sender_name": "",
    "sender_address": "",
    "staff_recipients": [],
    "quiet_hours_start": None,
    "quiet_hours_end": None,
}
TALLER_CHANNELS: tuple[str, ...] = (Channel.EMAIL.value, Channel.WHATSAPP.value, Channel.PUSH.value)
