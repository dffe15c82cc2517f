"""The composition root of the channel port: one lazily built, reused sender per channel, or per channel and
thread for a sender that holds a provider connection (`per_thread = True`): a worker on the threads pool then has
one SMTP connection or HTTP session per concurrent slot, reused across its messages, instead of every slot
queueing behind one connection's lock.

Services receive a sender getter as a parameter; tests pass fakes (tests/fakes/channel.py), or swap
a channel's class with the NOTIFICATION_SENDERS setting ({channel: dotted path}), as Django does with
EMAIL_BACKEND. Building is lazy so importing this module never reads settings or opens a connection.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib import import_module

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from apps.core.constants import Channel
from apps.core.ports import ChannelSender

SENDERS = {
    Channel.EMAIL.value: "apps.notifications.adapters.email.EmailSender",
    Channel.WHATSAPP.value: "apps.notifications.adapters.whatsapp.WhatsAppSender",
    Channel.PUSH.value: "apps.notifications.adapters.push.PushSender",
}


_local = threading.local()
_generation = 0  # bumped by reset_senders: every thread drops the senders it built before


def _built(channel: str) -> ChannelSender:
    dotted = {**SENDERS, **getattr(settings, "NOTIFICATION_SENDERS", {})}[Channel(channel).value]
    module_path, _, class_name = dotted.rpartition(".")
    return getattr(import_module(module_path), class_name)()


@cache
def _shared(channel: str) -> ChannelSender:
    return _built(channel)


def get_sender(channel: str) -> ChannelSender:
    channel = str(channel)
    sender = _shared(channel)
    if not getattr(sender, "per_thread", False) or threading.current_thread() is threading.main_thread():
        return sender
    if getattr(_local, "generation", None) != _generation:
        _local.senders, _local.generation = {}, _generation
    own = _local.senders.get(channel)
    if own is None:
        own = _local.senders[channel] = _built(channel)
    return own


def reset_senders() -> None:
    """Forget built senders (after a settings change, e.g. in tests)."""
    global _generation
    _generation += 1
    _shared.cache_clear()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting, **kwargs):
    if setting == "NOTIFICATION_SENDERS":
        reset_senders()
