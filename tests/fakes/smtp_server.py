"""An SMTP server that accepts every message and answers each one's data after a fixed delay, as a provider does.

For the worker benchmark (bench/bench_worker.py), in its own process so its CPU is not the measured one's::

    python -m tests.fakes.smtp_server --port 2525 --delay 0.02

Sessions are served concurrently (asyncio): ten connections sending at once each wait their 20 ms, not 200 ms.
It prints "ready <port>" once it listens and keeps only a count of what it accepted.
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
