"""The only port of the service: a channel that sends one message to one address in the outside world.

Adapters (apps.notifications.adapters) implement it for SMTP, Evolution API and Web Push; tests use
tests/fakes/channel.py. `send` returns a SendResult or raises apps.core.exceptions.SendError. Adapters are pure:
they read settings and talk to their provider, never to our database; the delivery service
(apps.notifications.services.delivery) turns what they say into rows.
What comes back later (a provider's delivery or read receipt) arrives as a Receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class PushKeys:
    """A browser's Web Push subscription keys (RFC 8291): its P-256 public key and its 16-byte auth secret."""

    p256dh: str
    auth: str


@dataclass(frozen=True)
class OutboundMessage:
    notification_id: str
    channel: str
    # One address: an email, an E.164 number, or a push endpoint (then `push_keys` holds its keys).
    recipient: str
    subject: str
    body: str
    html_body: str = ""
    url: str = ""
    tag: str = ""
    push_keys: PushKeys | None = None
    # WhatsApp: the Evolution instance (phone number) to send from; empty is the default (EVOLUTION_INSTANCE).
    # Email: the From ("Name <address>"); empty is DEFAULT_FROM_EMAIL.
    sender: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Receipt:
    """A provider saying that one of our messages reached the person, or was read."""

    channel: str
    provider_message_id: str
    status: str  # NotificationStatus.DELIVERED or READ
    occurred_at: datetime


class ChannelSender(Protocol):
    channel: str

    def is_configured(self) -> bool: ...

    def send(self, message: OutboundMessage) -> SendResult: ...
