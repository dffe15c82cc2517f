"""The From of a taller's emails (SPEC §13), resolved at acceptance like its WhatsApp instance and kept on each
email row (`NotificationLog.sender`); the email adapter writes it as the From header.

The taller's email channel config may name a sender: its address, its display name, or both; the missing part
comes from DEFAULT_FROM_EMAIL. A value that cannot be a header (a line break, a control character, an address
Django would not accept) falls back to DEFAULT_FROM_EMAIL with a warning: the office admin refuses such values,
so only a row written around it has one, and the customer still gets the message rather than a failed row. The
adapter refuses a From with a line break anyway (a permanent error), whoever wrote the row.
"""

from __future__ import annotations

import logging
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.notifications.models import TallerChannelConfig

logger = logging.getLogger(__name__)


def email_sender_for(config: TallerChannelConfig | None) -> str:
    """The From of the emails of the taller whose email channel config is `config` (None: it has none), or ""
    for DEFAULT_FROM_EMAIL as it is when the email leaves."""
    if config is None:
        return ""
    name, address = (config.sender_name or "").strip(), (config.sender_address or "").strip()
    if not name and not address:
        return ""
    default_name, default_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    try:
        if _has_control_character(name):
            raise ValueError("el nombre tiene caracteres de control")
        if address:
            validate_email(address)
        return str(Address(display_name=name or default_name, addr_spec=address or default_address))
    except (ValidationError, ValueError) as exc:
        logger.warning(
            "taller channel %s: email sender %r <%r> cannot be a From header (%s); DEFAULT_FROM_EMAIL is used",
            config.pk,
            name,
            address,
            exc,
        )
        return ""


def _has_control_character(value: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in value)
