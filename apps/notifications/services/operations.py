"""What an operator runs after a deploy (SPEC §13 "Operations commands"): a test message through the real adapter,
the Evolution webhook registered, a fresh VAPID key pair. The management commands are thin wrappers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from py_vapid import Vapid02, b64urlencode

from apps.core.constants import Channel
from apps.core.exceptions import SendError
from apps.core.phones import InvalidPhoneNumber, phone_to_e164
from apps.core.ports import ChannelSender, OutboundMessage, PushKeys
from apps.notifications.adapters import get_sender as default_get_sender
from apps.notifications.models import CustomerContactInfo, PushSubscription
from apps.notifications.services.push import push_subscription_record
from apps.notifications.services.whatsapp_senders import whatsapp_instances_known, whatsapp_pace, whatsapp_pace_end

WEBHOOK_PATH = "/api/webhooks/evolution/"
# What the service needs from Evolution: receipts, sends it did not make itself, and connection changes.
WEBHOOK_EVENTS = ["MESSAGES_UPDATE", "SEND_MESSAGE", "CONNECTION_UPDATE"]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str


def _test_message(channel: str, recipient: str, **extra) -> OutboundMessage:
    at = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return OutboundMessage(
        notification_id=f"prueba-{int(time.time())}",
        channel=channel,
        recipient=recipient,
        subject="Prueba de Ambacar Notificaciones",
        body=f"Mensaje de prueba de Ambacar Notificaciones ({at}). Si lo recibe, el canal funciona.",
        html_body=f"<p>Mensaje de prueba de <strong>Ambacar Notificaciones</strong> ({at}).</p>",
        tag="prueba",
        **extra,
    )


def notification_test_send(
    *,
    channel: str,
    to: str,
    instance: str = "",
    get_sender: Callable[[str], ChannelSender] = default_get_sender,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send a test message through the real adapter, WhatsApp through its pacing and cap. Nothing is recorded as a
    notification; a push subscription the push service says is gone is deactivated, as in a real send."""
    sender = get_sender(channel)
    if not sender.is_configured():
        return Outcome(False, f"El canal {Channel(channel).label} no está configurado en el servidor.")
    try:
        if channel == Channel.WHATSAPP:
            return _whatsapp(sender, to, instance or settings.EVOLUTION_INSTANCE, sleep)
        if channel == Channel.EMAIL:
            validate_email(to)
            result = sender.send(_test_message(channel, to))
            return Outcome(True, f"Email aceptado por el servidor SMTP ({result.provider_message_id}).")
        return _push(sender, to)
    except SendError as exc:
        return Outcome(False, f"Falló ({exc.kind.label.lower()}): {exc.message}")
    except (InvalidPhoneNumber, ValidationError) as exc:
        return Outcome(False, f"Destinatario inválido: {getattr(exc, 'message', exc)}")


def _whatsapp(sender, to: str, instance: str, sleep) -> Outcome:
    number = phone_to_e164(to)
    key = f"prueba-{time.time_ns()}"
    while True:
        gate = whatsapp_pace(instance, key, sleep=sleep)
        if gate.fall_over is not None:
            return Outcome(False, gate.fall_over[1])
        if gate.go:
            break
        sleep(max(0.0, (gate.defer_until - timezone.now()).total_seconds()))  # a command may wait its turn
    try:
        result = sender.send(_test_message(Channel.WHATSAPP, number, sender=instance))
    finally:
        whatsapp_pace_end(instance)
    return Outcome(
        True, f"WhatsApp aceptado por Evolution API (instancia {instance}, id {result.provider_message_id})."
    )


def _push(sender, customer_id: str) -> Outcome:
    customer = CustomerContactInfo.objects.filter(customer_id=customer_id).first()
    if customer is None:
        return Outcome(False, f"No existe el cliente «{customer_id}».")
    subscriptions = list(PushSubscription.objects.filter(customer=customer, is_active=True))
    if not subscriptions:
        return Outcome(False, f"El cliente «{customer_id}» no tiene suscripciones push activas.")
    accepted, errors = 0, []
    for sub in subscriptions:
        message = _test_message(Channel.PUSH, sub.endpoint, push_keys=PushKeys(p256dh=sub.p256dh, auth=sub.auth))
        try:
            sender.send(message)
        except SendError as exc:
            errors.append(exc.message)
            push_subscription_record(subscription=sub, accepted=False, gone=exc.code == "subscription_gone")
        else:
            accepted += 1
            push_subscription_record(subscription=sub, accepted=True)
    detail = f"Push aceptada en {accepted} de {len(subscriptions)} dispositivos."
    return Outcome(accepted > 0, detail + (" " + "; ".join(errors) if errors else ""))


def evolution_webhook_configure(
    *, url: str, instances: list[str] | None = None, get_sender: Callable[[str], ChannelSender] = default_get_sender
) -> list[tuple[str, Outcome]]:
    """Register our webhook on every instance we send from (or those given), with the token and the events."""
    token = settings.EVOLUTION_WEBHOOK_TOKEN
    if not token:
        return [("-", Outcome(False, "Defina EVOLUTION_WEBHOOK_TOKEN: sin él el webhook responde 404."))]
    url = url.rstrip("/")
    if not url.endswith(WEBHOOK_PATH.rstrip("/")):
        url += WEBHOOK_PATH.rstrip("/")
    url += "/"
    sender = get_sender(Channel.WHATSAPP)
    results = []
    for name in instances or whatsapp_instances_known():
        ok, detail = sender.set_webhook(name, url=url, token=token, events=WEBHOOK_EVENTS)
        results.append((name, Outcome(ok, detail)))
    return results


def vapid_keys_generate(*, contact: str = "") -> dict[str, str]:
    """A new VAPID key pair as .env lines: the public key browsers subscribe with (an uncompressed P-256 point) and
    the private scalar, both base64url; and the contact the push services see."""
    vapid = Vapid02()
    vapid.generate_keys()
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    scalar = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return {
        "VAPID_PUBLIC_KEY": b64urlencode(point),
        "VAPID_PRIVATE_KEY": b64urlencode(scalar),
        "VAPID_CONTACT_EMAIL": contact or parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
    }
