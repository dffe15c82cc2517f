"""Web Push adapter (SPEC §9): one notification to every active subscription of a customer, VAPID-signed.

Endpoints are capability URLs (whoever knows one can push to that browser), so logs name the subscription id
and the host only. The task owns retries: this module only classifies each device's outcome.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from apps.core.exceptions import ApplicationError, SendError
from apps.core.ports import OutboundMessage, SendResult
from apps.notifications.models import PushSubscription
from apps.notifications.services.push import p256_point_decode, push_endpoint_validate

logger = logging.getLogger(__name__)

OK, GONE, PERMANENT, TRANSIENT = "ok", "gone", "permanent", "transient"
MAX_PLAINTEXT_BYTES = 3993  # one 4096-byte aes128gcm record (RFC 8291); larger payloads get 413


def classify_status(status: int) -> tuple[str, str]:
    """Map a push service's HTTP status to (outcome, reason in Spanish)."""
    if status in (200, 201, 202):
        return OK, "aceptada"
    if status in (404, 410):
        return GONE, f"{status}: la suscripción venció o fue cancelada"
    if status == 413:
        return PERMANENT, "413: la notificación supera el tamaño máximo"
    if status in (400, 401, 403):
        return PERMANENT, f"{status}: el servicio push rechazó la petición (claves VAPID o formato)"
    if status == 429:
        return TRANSIENT, "429: el servicio push limitó los envíos"
    if status == 408 or status >= 500:
        return TRANSIENT, f"{status}: el servicio push no está disponible"
    return PERMANENT, f"{status}: respuesta inesperada del servicio push"


def classify_exception(exc: requests.RequestException) -> tuple[str, str]:
    if isinstance(exc, requests.TooManyRedirects):
        return PERMANENT, "el servicio push respondió con una redirección (no se sigue)"
    if isinstance(exc, requests.Timeout):
        return TRANSIENT, "tiempo de espera agotado con el servicio push"
    return TRANSIENT, "error de conexión con el servicio push"


@lru_cache(maxsize=4)
def _load_vapid(private_key: str, public_key: str) -> Vapid02:
    """Parse the key once (raw base64url, base64 DER or PEM) and check it matches the public key browsers use."""
    key = private_key.strip()
    vapid = Vapid02.from_pem(key.encode()) if key.startswith("-----BEGIN") else Vapid02.from_string(key)
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if point != p256_point_decode(public_key.strip()):
        raise ValueError("VAPID_PRIVATE_KEY no corresponde a VAPID_PUBLIC_KEY")
    return vapid


class PushSender:
    channel = "push"

    def __init__(self) -> None:
        self._http: requests.Session | None = None  # built on first send, then reused (keep-alive per host)

    def is_configured(self) -> bool:
        return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY and settings.VAPID_CONTACT_EMAIL)

    def send(self, message: OutboundMessage) -> SendResult:
        if not self.is_configured():
            raise SendError(
                "Web Push no está configurado (faltan las claves VAPID o el email de contacto)", permanent=True
            )
        try:
            vapid = _load_vapid(settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY)
        except Exception as exc:
            raise SendError(f"Clave VAPID inválida: {exc}", permanent=True) from exc
        payload = {
            "title": message.subject,
            "body": message.body,
            "url": message.url or settings.FRONTEND_URL,
            "tag": message.tag,
        }
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        if len(data) > MAX_PLAINTEXT_BYTES:
            raise SendError(f"La notificación push supera {MAX_PLAINTEXT_BYTES} bytes ({len(data)})", permanent=True)

        subs = list(PushSubscription.objects.filter(id__in=_uuids(message.recipients), is_active=True))
        if not subs:
            raise SendError("El cliente no tiene suscripciones push activas", permanent=True)
        outcomes = [self._send_one(sub, data, vapid, message.notification_id) for sub in subs]

        accepted = sum(1 for kind, _ in outcomes if kind == OK)
        if accepted:
            return SendResult(detail=f"Notificación push entregada a {accepted} de {len(subs)} dispositivos")
        reasons = "; ".join(sorted({reason for _, reason in outcomes}))
        transient = any(kind == TRANSIENT for kind, _ in outcomes)
        raise SendError(
            f"Ningún dispositivo aceptó la notificación push (0 de {len(subs)}): {reasons}", permanent=not transient
        )

    def _send_one(self, sub: PushSubscription, data: bytes, vapid: Vapid02, notification_id: str) -> tuple[str, str]:
        host = urlsplit(sub.endpoint).hostname or "?"
        try:
            push_endpoint_validate(sub.endpoint)  # again at send time: the allow-list may have changed
        except ApplicationError as exc:
            kind, reason = PERMANENT, f"endpoint no permitido: {exc.detail}"
        else:
            kind, reason = self._post(sub, data, vapid)
        _record(sub, kind)
        log = logger.info if kind == OK else logger.warning
        log("push notification=%s subscription=%s host=%s outcome=%s: %s", notification_id, sub.id, host, kind, reason)
        return kind, reason

    def _post(self, sub: PushSubscription, data: bytes, vapid: Vapid02) -> tuple[str, str]:
        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(sub.endpoint))
        # A fresh claims dict per call: `aud` is this endpoint's origin (RFC 8292); pywebpush would renew exp at 12 h.
        claims = {"sub": _contact(settings.VAPID_CONTACT_EMAIL), "aud": origin, "exp": int(time.time()) + 12 * 3600}
        try:
            pusher = WebPusher(info, requests_session=self._session())
            headers = vapid.sign(claims)
            response = pusher.send(
                data,
                headers,
                ttl=settings.PUSH_TTL_SECONDS,
                content_encoding="aes128gcm",
                timeout=settings.PUSH_TIMEOUT,
            )
        except requests.RequestException as exc:
            return classify_exception(exc)
        except (WebPushException, ValueError, TypeError, IndexError) as exc:  # malformed p256dh/auth of this device
            return PERMANENT, f"claves de la suscripción inválidas ({type(exc).__name__})"
        return classify_status(response.status_code)

    def _session(self) -> requests.Session:
        if self._http is None:
            self._http = requests.Session()
            # A push service never redirects; following one would bypass the endpoint allow-list.
            self._http.max_redirects = 0
        return self._http


def _record(sub: PushSubscription, kind: str) -> None:
    rows = PushSubscription.objects.filter(pk=sub.pk)
    now = timezone.now()
    if kind == OK:
        rows.update(last_success_at=now, failure_count=0, updated_at=now)
    elif kind == GONE:
        rows.update(failure_count=F("failure_count") + 1, is_active=False, updated_at=now)
    else:
        rows.update(failure_count=F("failure_count") + 1, updated_at=now)


def _contact(value: str) -> str:
    value = value.strip()
    return value if value.startswith(("mailto:", "https://")) else f"mailto:{value}"


def _uuids(values) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:  # not logged: a wrong recipient here may be a phone number or an email
            logger.warning("push: a recipient is not a subscription id; skipped")
    return ids
