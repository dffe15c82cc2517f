"""The WhatsApp senders (Evolution instances) as the delivery service sees them (SPEC §13): which instance writes
for a taller, whether it may send now (pause, daily cap, pacing), pausing and resuming it, and the numbers WhatsApp
said do not exist."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from apps.core.constants import Channel
from apps.core.logging import mask_phone
from apps.core.ports import ChannelSender
from apps.notifications.models import AbsentNumber, NotificationLog, Taller, TallerChannelConfig, WhatsAppInstance
from apps.notifications.services.whatsapp_pacing import pacer

logger = logging.getLogger(__name__)

# Error codes of a row the service gave to the next channel without trying WhatsApp.
CHANNEL_PAUSED = "channel_paused"
DAILY_CAP = "whatsapp_daily_cap"
# The health report asks Evolution for each instance's state at most once a minute, and never waits long.
STATE_CACHE_PREFIX = "whatsapp-state:"
STATE_CACHE_SECONDS = 60
STATE_TIMEOUT = 3.0


def whatsapp_sender_for(taller: Taller | None) -> str:
    """The instance that writes for `taller`: its own (its WhatsApp channel config), else EVOLUTION_INSTANCE."""
    if taller is not None:
        own = (
            TallerChannelConfig.objects.filter(taller=taller, channel=Channel.WHATSAPP)
            .values_list("evolution_instance", flat=True)
            .first()
        )
        if own:
            return own
    return settings.EVOLUTION_INSTANCE


def whatsapp_instances_known() -> list[str]:
    """Every instance the service may write from: the default, the tallers' own, and any seen before."""
    names = {settings.EVOLUTION_INSTANCE} if settings.EVOLUTION_INSTANCE else set()
    names |= set(
        TallerChannelConfig.objects.exclude(evolution_instance="").values_list("evolution_instance", flat=True)
    )
    names |= set(WhatsAppInstance.objects.values_list("name", flat=True))
    return sorted(names)


# --- pause and resume ------------------------------------------------------------------------------------------


def whatsapp_instances_paused() -> set[str]:
    return set(WhatsAppInstance.objects.filter(paused_at__isnull=False).values_list("name", flat=True))


def whatsapp_instance_paused(name: str) -> bool:
    return WhatsAppInstance.objects.filter(name=name, paused_at__isnull=False).exists()


def whatsapp_instance_pause(*, name: str, reason: str, state: str = WhatsAppInstance.State.CLOSE) -> bool:
    """Pause the instance (once: a paused one keeps its first reason and time); True when this call paused it."""
    now = timezone.now()
    instance, _ = WhatsAppInstance.objects.get_or_create(name=name)
    paused = WhatsAppInstance.objects.filter(pk=instance.pk, paused_at__isnull=True).update(
        paused_at=now, pause_reason=reason[:300], state=state, state_checked_at=now
    )
    if paused:
        logger.warning("whatsapp instance %s paused: %s", name, reason)
    return bool(paused)


def whatsapp_instance_resume(*, name: str, why: str) -> bool:
    now = timezone.now()
    resumed = WhatsAppInstance.objects.filter(name=name, paused_at__isnull=False).update(
        paused_at=None, pause_reason="", resumed_at=now, state=WhatsAppInstance.State.OPEN, state_checked_at=now
    )
    if resumed:
        logger.warning("whatsapp instance %s resumed: %s", name, why)
    return bool(resumed)


def whatsapp_instance_state_record(*, name: str, state: str) -> None:
    WhatsAppInstance.objects.update_or_create(name=name, defaults={"state": state, "state_checked_at": timezone.now()})


def whatsapp_instances_probe(*, get_sender: Callable[[str], ChannelSender]) -> dict[str, str]:
    """Beat's `notifications.probe_channels`: ask Evolution for the state of every instance, resume the paused
    ones that are `open`, and give the rows still waiting on a paused instance to their next channel."""
    sender = get_sender(Channel.WHATSAPP)
    states = {}
    for name in whatsapp_instances_known():
        state = sender.connection_state(name)
        states[name] = state
        if state == WhatsAppInstance.State.OPEN:
            whatsapp_instance_resume(name=name, why="connectionState open")
        if state != "unknown":
            whatsapp_instance_state_record(name=name, state=state)
    return states


def rows_waiting_on_paused_instances() -> list[NotificationLog]:
    paused = list(WhatsAppInstance.objects.filter(paused_at__isnull=False).values_list("name", flat=True))
    if not paused:
        return []
    on_paused = Q(sender__in=paused)
    if settings.EVOLUTION_INSTANCE in paused:
        on_paused |= Q(sender="")  # rows stored before senders were recorded went out on the default
    return list(
        NotificationLog.objects.filter(channel=Channel.WHATSAPP, status__in=["pending", "queued"]).filter(on_paused)
    )


def whatsapp_instances_status(*, get_sender: Callable[[str], ChannelSender]) -> list[dict]:
    """Per instance, for the health report: its live state (asked to Evolution with a short timeout, remembered
    for up to a minute), whether it is paused and since when, and today's sends against the cap."""
    sender = get_sender(Channel.WHATSAPP)
    known = {i.name: i for i in WhatsAppInstance.objects.all()}
    out = []
    for name in whatsapp_instances_known():
        state = cache.get(f"{STATE_CACHE_PREFIX}{name}")
        if state is None:
            state = sender.connection_state(name, timeout=STATE_TIMEOUT)
            cache.set(f"{STATE_CACHE_PREFIX}{name}", state, STATE_CACHE_SECONDS)
        instance = known.get(name)
        out.append(
            {
                "name": name,
                "state": state,
                "paused": bool(instance and instance.paused_at),
                "paused_since": instance.paused_at if instance else None,
                "pause_reason": instance.pause_reason if instance else "",
                "sent_today": pacer().sent_today(name),
                "daily_cap": settings.WHATSAPP_DAILY_CAP,
            }
        )
    return out


# --- absent numbers --------------------------------------------------------------------------------------------


def absent_number_record(*, phone: str) -> None:
    AbsentNumber.objects.update_or_create(phone=phone, defaults={"reported_at": timezone.now()})
    logger.info(
        "whatsapp: %s is not on WhatsApp; skipped for %s days", mask_phone(phone), settings.WHATSAPP_ABSENT_DAYS
    )


def absent_numbers_among(phones: list[str]) -> set[str]:
    """The ones WhatsApp reported absent within WHATSAPP_ABSENT_DAYS (a customer's new phone is not among them)."""
    if not phones:
        return set()
    since = timezone.now() - timedelta(days=settings.WHATSAPP_ABSENT_DAYS)
    return set(AbsentNumber.objects.filter(phone__in=phones, reported_at__gte=since).values_list("phone", flat=True))


# --- may this row be sent now? ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """What the pacing and the instance's state say about a WhatsApp row, before it is claimed."""

    go: bool = False  # the send was admitted (recorded against the gap and the day's cap)
    fall_over: tuple[str, str] | None = None  # (code, reason): give the row to the next channel, no attempt spent
    defer_until: datetime | None = None  # its slot is further away than one interval plus jitter


def _max_wait() -> float:
    return settings.WHATSAPP_MIN_INTERVAL_SECONDS + settings.WHATSAPP_MAX_JITTER_SECONDS


def whatsapp_gate(row: NotificationLog, *, sleep: Callable[[float], None] = time.sleep) -> Gate:
    """Pause, cap and pacing for one row. Sleeps at most one interval plus jitter (its slot is that close);
    a row whose slot is further away is deferred to it instead."""
    instance = row.sender or settings.EVOLUTION_INSTANCE
    if whatsapp_instance_paused(instance):
        return Gate(fall_over=(CHANNEL_PAUSED, f"La instancia de WhatsApp «{instance}» está en pausa."))
    return whatsapp_pace(instance, str(row.id), sleep=sleep)


def whatsapp_pace(instance: str, key: str, *, sleep: Callable[[float], None] = time.sleep) -> Gate:
    """The daily cap and the pacing of `instance` for one message (`key` owns its slot)."""
    cap, interval = settings.WHATSAPP_DAILY_CAP, settings.WHATSAPP_MIN_INTERVAL_SECONDS
    capped = Gate(fall_over=(DAILY_CAP, f"La instancia «{instance}» llegó a su tope diario de {cap} mensajes."))
    paced = pacer()
    if paced.sent_today(instance) >= cap:
        return capped
    gap = interval + random.uniform(0, settings.WHATSAPP_MAX_JITTER_SECONDS)
    slot = paced.reserve(instance, key, gap)
    budget = _max_wait()
    if slot.wait > budget:
        return Gate(defer_until=timezone.now() + timedelta(seconds=slot.wait))
    started = time.monotonic()
    sleep(slot.wait)
    while True:
        admission = paced.begin(instance, key, min_interval=interval, cap=cap)
        if admission.verdict == "go":
            return Gate(go=True)
        if admission.verdict == "cap":
            return capped
        if time.monotonic() - started + admission.value > budget:
            return Gate(defer_until=timezone.now() + timedelta(seconds=admission.value))
        sleep(admission.value)


def whatsapp_pace_end(instance: str) -> None:
    """After the request to Evolution returned (whatever it answered): the next send of `instance` waits its
    interval from now, not from the gate, so the gap holds at the provider too. The send is over by then: a Redis
    failure here is logged and must not turn it into an unknown outcome."""
    try:
        pacer().end(instance)
    except redis.RedisError:
        logger.warning("whatsapp: could not record the end of a send of %s for pacing", instance, exc_info=True)
