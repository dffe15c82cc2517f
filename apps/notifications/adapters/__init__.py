"""The composition root of the channel port: one lazily built, reused sender per channel.

Services receive a sender as a parameter; tests pass a fake (tests/fakes.py). Building is lazy so
importing this module never reads settings or opens a connection.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from apps.core.constants import Channel
from apps.core.ports import ChannelSender

SENDERS = {
    Channel.EMAIL: "apps.notifications.adapters.email.EmailSender",
    Channel.WHATSAPP: "apps.notifications.adapters.whatsapp.WhatsAppSender",
    Channel.PUSH: "apps.notifications.adapters.push.PushSender",
}


@cache
def get_sender(channel: str) -> ChannelSender:
    module_path, _, class_name = SENDERS[Channel(channel)].rpartition(".")
    return getattr(import_module(module_path), class_name)()


def reset_senders() -> None:
    """Forget built senders (after a settings change in tests, or on a config reload)."""
    get_sender.cache_clear()
