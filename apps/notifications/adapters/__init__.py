"""The composition root of the channel port: one lazily built, reused sender per channel.

Services receive a sender getter as a parameter; tests pass fakes (tests/fakes/channel.py), or swap
a channel's class with the NOTIFICATION_SENDERS setting ({channel: dotted path}), as Django does with
EMAIL_BACKEND. Building is lazy so importing this module never reads settings or opens a connection.
"""

from __future__ import annotations

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


@cache
def _build(channel: str) -> ChannelSender:
    dotted = {**SENDERS, **getattr(settings, "NOTIFICATION_SENDERS", {})}[Channel(channel).value]
    module_path, _, class_name = dotted.rpartition(".")
    return getattr(import_module(module_path), class_name)()


def get_sender(channel: str) -> ChannelSender:
    return _build(str(channel))


def reset_senders() -> None:
    """Forget built senders (after a settings change, e.g. in tests)."""
    _build.cache_clear()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting, **kwargs):
    if setting == "NOTIFICATION_SENDERS":
        reset_senders()
