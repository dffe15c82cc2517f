"""The channel plan of a dispatch (SPEC §8.3): matrix ∩ preference order ∩ reachable ∩ configured ∩ templated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from apps.core.constants import Channel, Target
from apps.core.phones import InvalidPhoneNumber, phone_to_e164
from apps.core.ports import ChannelSender
from apps.notifications.models import (
    CustomerContactInfo,
    NotificationTemplate,
    OrchestrationConfig,
    PhaseChannelConfig,
    PushSubscription,
    ServicePhase,
    ServiceType,
    Taller,
    TallerChannelConfig,
)
from apps.notifications.services.templates import template_resolve
from apps.notifications.services.whatsapp_senders import absent_numbers_among, whatsapp_sender_for


@dataclass(frozen=True)
class Exclusion:
    channel: str
    code: str
    detail: str


@dataclass
class ChannelPlan:
    channels: list[str] = field(default_factory=list)
    templates: dict[str, NotificationTemplate] = field(default_factory=dict)
    recipients: dict[str, list[str]] = field(default_factory=dict)
    excluded: list[Exclusion] = field(default_factory=list)
    whatsapp_sender: str = ""  # the Evolution instance that writes for the dispatch's taller


def matrix_enabled_channels(*, config: OrchestrationConfig, phase: ServicePhase) -> set[str]:
    return set(
        PhaseChannelConfig.objects.filter(config=config, phase=phase, is_enabled=True).values_list("channel", flat=True)
    )


def customer_channel_order(customer: CustomerContactInfo | None) -> tuple[list[str], set[str]]:
    """(ordered channels, channels the customer turned off); the defaults when they chose nothing."""
    if customer is not None:
        prefs = list(customer.channel_preferences.order_by("priority"))
        if prefs:
            order = [p.channel for p in prefs if p.is_enabled]
            disabled = {p.channel for p in prefs if not p.is_enabled}
            # Preferences replace the defaults: a channel the customer did not list is off.
            disabled |= {c for c in Channel.values if c not in {p.channel for p in prefs}}
            return order, disabled
    return list(settings.DEFAULT_CHANNEL_PRIORITY), set()


def customer_recipients(channel: str, customer: CustomerContactInfo) -> list[str]:
    if channel == Channel.EMAIL:
        return [customer.email] if customer.email else []
    if channel == Channel.WHATSAPP:
        # Rows edited in the admin may hold a local format; the gateway needs E.164.
        try:
            return [phone_to_e164(customer.phone)] if customer.phone else []
        except InvalidPhoneNumber:
            return []
    subscriptions = PushSubscription.objects.filter(customer=customer, is_active=True).values_list("id", flat=True)
    return [str(pk) for pk in subscriptions]


def staff_recipients(channel: str, taller: Taller | None) -> list[str]:
    if taller is None or channel == Channel.PUSH:
        return []
    row = TallerChannelConfig.objects.filter(taller=taller, channel=channel, is_enabled=True).first()
    if row is None:
        return []
    recipients = []
    for entry in row.staff_recipients or []:
        entry = str(entry).strip()
        if channel == Channel.EMAIL and "@" in entry:
            recipients.append(entry)
        elif channel == Channel.WHATSAPP and "@" not in entry:
            try:
                recipients.append(phone_to_e164(entry))
            except InvalidPhoneNumber:
                continue
    return recipients


_UNREACHABLE = {
    (Target.CLIENTS, Channel.EMAIL): "El cliente no tiene email.",
    (Target.CLIENTS, Channel.WHATSAPP): "El cliente no tiene teléfono.",
    (Target.CLIENTS, Channel.PUSH): "El cliente no tiene suscripciones push activas.",
    (Target.STAFF, Channel.EMAIL): "El taller no tiene emails del personal para este canal.",
    (Target.STAFF, Channel.WHATSAPP): "El taller no tiene teléfonos del personal para este canal.",
    (Target.STAFF, Channel.PUSH): "Las notificaciones push al personal no están disponibles.",
}


def channel_plan_build(
    *,
    config: OrchestrationConfig,
    service_type: ServiceType,
    subtype: ServiceType | None,
    phase: ServicePhase,
    target: str,
    customer: CustomerContactInfo | None,
    taller: Taller | None,
    get_sender: Callable[[str], ChannelSender],
) -> ChannelPlan:
    enabled = matrix_enabled_channels(config=config, phase=phase)
    if target == Target.CLIENTS:
        order, disabled_by_customer = customer_channel_order(customer)
    else:
        order, disabled_by_customer = list(settings.DEFAULT_CHANNEL_PRIORITY), set()
    # Channels outside the priority list still get a reason, after the ranked ones.
    order += [c for c in Channel.values if c not in order]

    plan = ChannelPlan()
    for channel in order:
        label = Channel(channel).label
        if channel not in enabled:
            plan.excluded.append(Exclusion(channel, "channel_disabled", f"{label} está deshabilitado en esta fase."))
            continue
        if channel in disabled_by_customer:
            plan.excluded.append(
                Exclusion(channel, "customer_opted_out", f"El cliente desactivó {label} en sus preferencias.")
            )
            continue
        if target == Target.CLIENTS:
            recipients = customer_recipients(channel, customer) if customer else []
        else:
            recipients = staff_recipients(channel, taller)
        if not recipients:
            plan.excluded.append(Exclusion(channel, "unreachable", _UNREACHABLE[(target, channel)]))
            continue
        if channel == Channel.WHATSAPP:
            absent = absent_numbers_among(recipients)
            recipients = [number for number in recipients if number not in absent]
            if not recipients:
                detail = (
                    f"WhatsApp informó que {'ese número no existe' if len(absent) == 1 else 'esos números no existen'}"
                )
                detail += f"; no se intenta hasta {settings.WHATSAPP_ABSENT_DAYS} días después del aviso."
                plan.excluded.append(Exclusion(channel, "not_on_whatsapp", detail))
                continue
            plan.whatsapp_sender = whatsapp_sender_for(taller)
        if not get_sender(channel).is_configured():
            plan.excluded.append(
                Exclusion(channel, "channel_not_configured", f"{label} no está configurado en el servidor.")
            )
            continue
        template = template_resolve(
            service_type=service_type, subtype=subtype, phase=phase, channel=channel, target=target
        )
        if template is None:
            plan.excluded.append(
                Exclusion(channel, "no_template", f"No hay una plantilla activa de {label} para esta fase.")
            )
            continue
        plan.channels.append(channel)
        plan.templates[channel] = template
        plan.recipients[channel] = recipients
    return plan
