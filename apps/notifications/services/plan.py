"""The channel plan of a dispatch (SPEC §8.3): matrix ∩ preference order ∩ reachable ∩ configured ∩ templated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.core.constants import Channel, Target
from apps.core.phones import InvalidPhoneNumber, phone_to_e164
from apps.core.ports import ChannelSender
from apps.core.rows import model_columns, model_from_row
from apps.notifications.models import (
    AbsentNumber,
    CustomerChannelPreference,
    CustomerContactInfo,
    NotificationTemplate,
    OrchestrationConfig,
    PushSubscription,
    ServicePhase,
    ServiceType,
    Taller,
)
from apps.notifications.services.config_cache import ConfigSnapshot, config_snapshot
from apps.notifications.services.email_senders import email_sender_for
from apps.notifications.services.templates import template_resolve
from apps.notifications.services.whatsapp_senders import absent_numbers_among


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
    email_sender: str = ""  # the From of the dispatch's taller; empty is DEFAULT_FROM_EMAIL


def customer_with_facts(customer_id: str) -> CustomerContactInfo | None:
    """The active customer with what its plan needs (preferences, push devices, whether WhatsApp reported its phone
    absent), on PostgreSQL in the same statement; elsewhere those are read when the plan asks."""
    if connection.vendor != "postgresql":
        return CustomerContactInfo.objects.filter(customer_id=customer_id, is_active=True).first()
    since = timezone.now() - timedelta(days=settings.WHATSAPP_ABSENT_DAYS)
    # Raw SQL written once per process: compiling the ORM's four subqueries cost more than running them; and a plain
    # cursor, not RawQuerySet, whose mapping of columns to fields cost more than the query (apps/core/rows.py).
    with connection.cursor() as cursor:
        cursor.execute(_customer_sql(), [since, customer_id])
        row = cursor.fetchone()
    if row is None:
        return None
    customer, facts = model_from_row(CustomerContactInfo, row)
    customer.preference_channels, customer.preference_enabled, customer.push_ids, customer.phone_absent = facts
    return customer


@lru_cache(maxsize=1)
def _customer_sql() -> str:
    q = connection.ops.quote_name
    customer = CustomerContactInfo._meta
    columns = model_columns(CustomerContactInfo, "c")
    preference = q(CustomerChannelPreference._meta.db_table)
    push = q(PushSubscription._meta.db_table)
    absent = q(AbsentNumber._meta.db_table)
    # Only quoted identifiers of the models are formatted in; the values are parameters.
    return (
        f"SELECT {columns}, "  # noqa: S608
        f"ARRAY(SELECT p.channel FROM {preference} p WHERE p.customer_id = c.id ORDER BY p.priority) "
        "AS preference_channels, "
        f"ARRAY(SELECT p.is_enabled FROM {preference} p WHERE p.customer_id = c.id ORDER BY p.priority) "
        "AS preference_enabled, "
        f"ARRAY(SELECT s.id FROM {push} s WHERE s.customer_id = c.id AND s.is_active) AS push_ids, "
        f"EXISTS(SELECT 1 FROM {absent} a WHERE a.phone = c.phone AND a.reported_at >= %s) AS phone_absent "
        f"FROM {q(customer.db_table)} c WHERE c.customer_id = %s AND c.is_active LIMIT 1"
    )


def matrix_enabled_channels(*, snapshot: ConfigSnapshot, config: OrchestrationConfig, phase: ServicePhase) -> set[str]:
    return snapshot.enabled.get((config.id, phase.id), set())


def customer_channel_order(customer: CustomerContactInfo | None) -> tuple[list[str], set[str]]:
    """(ordered channels, channels the customer turned off); the defaults when they chose nothing."""
    if customer is not None:
        if hasattr(customer, "preference_channels"):
            prefs = list(zip(customer.preference_channels, customer.preference_enabled, strict=True))
        else:
            prefs = [(p.channel, p.is_enabled) for p in customer.channel_preferences.order_by("priority")]
        if prefs:
            order = [channel for channel, enabled in prefs if enabled]
            disabled = {channel for channel, enabled in prefs if not enabled}
            # Preferences replace the defaults: a channel the customer did not list is off.
            disabled |= {c for c in Channel.values if c not in {channel for channel, _ in prefs}}
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
    if hasattr(customer, "push_ids"):
        subscriptions = customer.push_ids
    else:
        subscriptions = PushSubscription.objects.filter(customer=customer, is_active=True).values_list("id", flat=True)
    return [str(pk) for pk in subscriptions]


def _absent_among(recipients: list[str], customer: CustomerContactInfo | None) -> set[str]:
    if customer is not None and hasattr(customer, "phone_absent") and recipients == [customer.phone]:
        return set(recipients) if customer.phone_absent else set()
    return absent_numbers_among(recipients)


def staff_recipients(channel: str, taller: Taller | None, snapshot: ConfigSnapshot) -> list[str]:
    if taller is None or channel == Channel.PUSH:
        return []
    row = snapshot.taller_channels.get((taller.id, channel))
    if row is None or not row.is_enabled:
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
    snapshot = config_snapshot()
    enabled = matrix_enabled_channels(snapshot=snapshot, config=config, phase=phase)
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
            recipients = staff_recipients(channel, taller, snapshot)
        if not recipients:
            plan.excluded.append(Exclusion(channel, "unreachable", _UNREACHABLE[(target, channel)]))
            continue
        if channel == Channel.WHATSAPP:
            absent = _absent_among(recipients, customer if target == Target.CLIENTS else None)
            recipients = [number for number in recipients if number not in absent]
            if not recipients:
                detail = (
                    f"WhatsApp informó que {'ese número no existe' if len(absent) == 1 else 'esos números no existen'}"
                )
                detail += f"; no se intenta hasta {settings.WHATSAPP_ABSENT_DAYS} días después del aviso."
                plan.excluded.append(Exclusion(channel, "not_on_whatsapp", detail))
                continue
            own = snapshot.taller_channels.get((taller.id, Channel.WHATSAPP)) if taller is not None else None
            # The instance that writes for the taller: its own, else EVOLUTION_INSTANCE (whatsapp_sender_for).
            plan.whatsapp_sender = (own.evolution_instance if own else "") or settings.EVOLUTION_INSTANCE
        if not get_sender(channel).is_configured():
            plan.excluded.append(
                Exclusion(channel, "channel_not_configured", f"{label} no está configurado en el servidor.")
            )
            continue
        template = template_resolve(
            snapshot=snapshot, service_type=service_type, subtype=subtype, phase=phase, channel=channel, target=target
        )
        if template is None:
            plan.excluded.append(
                Exclusion(channel, "no_template", f"No hay una plantilla activa de {label} para esta fase.")
            )
            continue
        # From the snapshot, like the WhatsApp instance: no statement of its own.
        if channel == Channel.EMAIL and taller is not None:
            plan.email_sender = email_sender_for(snapshot.taller_channels.get((taller.id, Channel.EMAIL)))
        plan.channels.append(channel)
        plan.templates[channel] = template
        plan.recipients[channel] = recipients
    return plan
