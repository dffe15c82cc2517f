"""Hand-written fakes of the channel port (apps.core.ports.ChannelSender) for service tests."""

from __future__ import annotations

import threading

from apps.core.ports import OutboundMessage, SendResult


class FakeSender:
    """Records what it sent; `script` holds the outcome of the next sends (an error to raise, or None for a
    success). `hold()` makes the next send block inside the provider call until `release()`: a slow send
    (`entered` tells when it is there)."""

    channel = "fake"

    def __init__(self, channel: str | None = None, *, configured: bool = True):
        if channel:
            self.channel = channel
        self.configured = configured
        self.sent: list[OutboundMessage] = []
        self.calls = 0
        self.script: list[BaseException | None] = []
        self._lock = threading.Lock()
        self._hold_next: threading.Event | None = None  # taken by the next send
        self._gate: threading.Event | None = None  # what release() opens
        self.entered = threading.Event()

    def is_configured(self) -> bool:
        return self.configured

    def fail_next(self, *errors: BaseException | None) -> None:
        self.script.extend(errors)

    def hold(self) -> None:
        self._gate = self._hold_next = threading.Event()
        self.entered.clear()

    def release(self) -> None:
        if self._gate is not None:
            self._gate.set()

    def send(self, message: OutboundMessage) -> SendResult:
        with self._lock:
            self.calls += 1
            step = self.script.pop(0) if self.script else None
            gate, self._hold_next = self._hold_next, None
        if gate is not None:
            self.entered.set()
            if not gate.wait(timeout=30):
                raise AssertionError("a held send was never released")
        if step is not None:
            raise step
        with self._lock:
            self.sent.append(message)
            number = len(self.sent)
        return SendResult(provider_message_id=f"{self.channel}-{number}")

    def recipients(self) -> list[str]:
        return [m.recipient for m in self.sent]


class FakeEmailSender(FakeSender):
    channel = "email"


class FakeWhatsAppSender(FakeSender):
    channel = "whatsapp"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.states: dict[str, str] = {}  # instance → what Evolution would answer (default "open")

    def connection_state(self, instance: str, *, timeout: float = 3.0) -> str:
        return self.states.get(instance, "open")


class FakePushSender(FakeSender):
    channel = "push"


FAKE_SENDERS = {
    "email": "tests.fakes.channel.FakeEmailSender",
    "whatsapp": "tests.fakes.channel.FakeWhatsAppSender",
    "push": "tests.fakes.channel.FakePushSender",
}
