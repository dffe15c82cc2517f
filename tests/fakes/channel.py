"""Hand-written fakes of the channel port (apps.core.ports.ChannelSender) for service tests."""

from __future__ import annotations

from apps.core.exceptions import SendError
from apps.core.ports import OutboundMessage, SendResult


class FakeSender:
    """Records what it sent; `script` is a list of errors (or None for success) for the next sends."""

    channel = "fake"

    def __init__(self, channel: str | None = None, *, configured: bool = True):
        if channel:
            self.channel = channel
        self.configured = configured
        self.sent: list[OutboundMessage] = []
        self.calls = 0
        self.script: list[SendError | None] = []

    def is_configured(self) -> bool:
        return self.configured

    def fail_next(self, *errors: SendError) -> None:
        self.script.extend(errors)

    def send(self, message: OutboundMessage) -> SendResult:
        self.calls += 1
        if self.script:
            error = self.script.pop(0)
            if error is not None:
                raise error
        self.sent.append(message)
        return SendResult(provider_message_id=f"{self.channel}-{len(self.sent)}")


class FakeEmailSender(FakeSender):
    channel = "email"


class FakeWhatsAppSender(FakeSender):
    channel = "whatsapp"


class FakePushSender(FakeSender):
    channel = "push"


FAKE_SENDERS = {
    "email": "tests.fakes.channel.FakeEmailSender",
    "whatsapp": "tests.fakes.channel.FakeWhatsAppSender",
    "push": "tests.fakes.channel.FakePushSender",
}
