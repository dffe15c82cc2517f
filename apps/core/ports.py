"""The only port of the service: a channel that sends one message to the outside world.

Adapters (apps.notifications.adapters) implement it for SMTP, Evolution API and Web Push;
tests use tests/fakes/channel.py. `send` returns a SendResult or raises apps.core.exceptions.SendError.
What comes back later (a provider's delivery or read receipt) arrives as a Receipt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class OutboundMessage:
    notification_id: str
    channel: str
    recipients: tuple[str, ...]  # emails, E.164 numbers, or push subscription ids
    subject: str
    body: str
    html_body: str = ""
    url: str = ""
    tag: str = ""
    extra: dict = field(default_factory=dict)


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
