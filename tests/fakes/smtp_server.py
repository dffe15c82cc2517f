"""An SMTP server that accepts every message and answers each one's data after a fixed delay, as a provider does.

For the worker benchmark (bench/bench_worker.py), in its own process so its CPU is not the measured one's::

    python -m tests.fakes.smtp_server --port 2525 --delay 0.02

Sessions are served concurrently (asyncio): ten connections sending at once each wait their 20 ms, not 200 ms.
It prints "ready <port>" once it listens and keeps only a count of what it accepted.

`ScriptedInbox` is the adapter tests' handler: it keeps every message and can refuse a recipient, answer the data
with a code, or answer it late.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading

from aiosmtpd.controller import Controller


class DelayedInbox:
    def __init__(self, delay: float):
        self.delay = delay
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.accepted += 1
        return "250 Message accepted for delivery"


class ScriptedInbox:
    """aiosmtpd handler with switches: refuse a recipient, answer the data with a code, or answer it late."""

    def __init__(self):
        self.messages: list = []
        self.refuse: dict[str, str] = {}  # address → SMTP reply to RCPT
        self.data_reply: str | None = None
        self.data_delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.data_reply:
            return self.data_reply
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--delay", type=float, default=0.02, help="seconds before answering each message's data")
    args = parser.parse_args()
    inbox = DelayedInbox(args.delay)
    controller = Controller(inbox, hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"ready {args.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    print(f"accepted {inbox.accepted}", flush=True)


if __name__ == "__main__":
    main()
