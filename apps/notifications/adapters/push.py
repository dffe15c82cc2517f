"""Web Push adapter (SPEC §9): one notification to one browser subscription, VAPID-signed, aes128gcm-encrypted.

Pure: the delivery service hands it the endpoint and keys of one device and records what it answers (a gone
subscription is deactivated there). Endpoints are capability URLs (whoever knows one can push to that browser),
so logs name the notification and the host only.
"""

from __future__ import annotations

import json
import logging
import time
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from apps.core.constants import ErrorKind
from apps.core.exceptions import ApplicationError, SendError
from apps.core.ports import OutboundMessage, SendResult
from apps.core.webpush import p256_point_decode, push_endpoint_validate

logger = logging.getLogger(__name__)

MAX_PLAINTEXT_BYTES = 3993  # one 4096-byte aes128gcm record (RFC 8291); larger payloads get 413
# SendError codes the delivery service acts on.
SUBSCRIPTION_GONE = "subscription_gone"


def classify_status(status: int) -> SendError | None:
    """None when the push service accepted the message; otherwise what its HTTP status means."""
    if status in (200, 201, 202):
        return None
    if status in (404, 410):
        return SendError(
            f"{status}: la suscripción venció o fue cancelada", ErrorKind.PERMANENT, code=SUBSCRIPTION_GONE
        )
    if status == 413:
        return SendError("413: la notificación supera el tamaño máximo", ErrorKind.PERMANENT)
    if status in (400, 401, 403):
        return SendError(
            f"{status}: el servicio push rechazó la petición (claves VAPID o formato)", ErrorKind.PERMANENT
        )
    if status == 429:
        return SendError("429: el servicio push limitó los envíos", ErrorKind.TRANSIENT)
    if status == 408 or status >= 500:
        return SendError(f"{status}: el servicio push no está disponible", ErrorKind.TRANSIENT)
    return SendError(f"{status}: respuesta inesperada del servicio push", ErrorKind.PERMANENT)


def classify_exception(exc: requests.RequestException) -> SendError:
    if isinstance(exc, requests.TooManyRedirects):
        return SendError("el servicio push respondió con una redirección (no se sigue)", ErrorKind.PERMANENT)
    if isinstance(exc, requests.ReadTimeout):
        # The request was written: the push service may have queued the notification.
        return SendError("el servicio push no respondió a tiempo", ErrorKind.UNKNOWN_OUTCOME)
    if isinstance(exc, requests.Timeout):
        return SendError("tiempo de espera agotado al conectar con el servicio push", ErrorKind.TRANSIENT)
    return SendError("error de conexión con el servicio push", ErrorKind.TRANSIENT)


@lru_cache(maxsize=4)
def _load_vapid(private_key: str, public_key: str) -> Vapid02:
    """Parse the key once (raw base64url, base64 DER or PEM) and check it matches the public key browsers use."""
    key = private_key.strip()
    vapid = Vapid02.from_pem(key.encode()) if key.startswith("-----BEGIN") else Vapid02.from_string(key)
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if point != p256_point_decode(public_key.strip()):
        raise ValueError("VAPID_PRIVATE_KEY no corresponde a VAPID_PUBLIC_KEY")
    return vapid


def push_payload(message: OutboundMessage) -> bytes:
    """The JSON the service worker receives: {title, body, url, tag} (a second send with the same tag replaces
    the first on the device, which makes a resend after an unknown outcome harmless)."""
    payload = {
        "title": message.subject,
        "body": message.body,
        "url": message.url or settings.FRONTEND_URL,
        "tag": message.tag,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class PushSender:
    channel = "push"
    # A requests.Session is not safe to share between threads: one per worker thread (adapters/__init__.py).
    per_thread = True

    def __init__(self) -> None:
        self._http: requests.Session | None = None  # built on first send, then reused (keep-alive per host)

    def is_configured(self) -> bool:
        return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY and settings.VAPID_CONTACT_EMAIL)

    def send(self, message: OutboundMessage) -> SendResult:
        if not self.is_configured():
            raise SendError(
                "Web Push no está configurado (faltan las claves VAPID o el email de contacto)", ErrorKind.PERMANENT
            )
        try:
            vapid = _load_vapid(settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY)
        except Exception as exc:
            raise SendError(f"Clave VAPID inválida: {exc}", ErrorKind.PERMANENT) from exc
        data = push_payload(message)
        if len(data) > MAX_PLAINTEXT_BYTES:
            raise SendError(
                f"La notificación push supera {MAX_PLAINTEXT_BYTES} bytes ({len(data)})", ErrorKind.PERMANENT
            )
        if not message.recipient or message.push_keys is None:
            raise SendError("Falta la suscripción push (endpoint y claves)", ErrorKind.PERMANENT)
        try:
            push_endpoint_validate(message.recipient)  # again at send time: the allow-list may have changed
        except ApplicationError as exc:
            raise SendError(f"endpoint no permitido: {exc.detail}", ErrorKind.PERMANENT) from exc
        error = self._post(message, data, vapid)
        host = urlsplit(message.recipient).hostname or "?"
        if error is not None:
            logger.warning("push notification=%s host=%s: %s", message.notification_id, host, error.message)
            raise error
        logger.info("push notification=%s host=%s accepted", message.notification_id, host)
        return SendResult(detail="aceptada")

    def _post(self, message: OutboundMessage, data: bytes, vapid: Vapid02) -> SendError | None:
        keys = message.push_keys
        info = {"endpoint": message.recipient, "keys": {"p256dh": keys.p256dh, "auth": keys.auth}}
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(message.recipient))
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
            return SendError(f"claves de la suscripción inválidas ({type(exc).__name__})", ErrorKind.PERMANENT)
        return classify_status(response.status_code)

    def _session(self) -> requests.Session:
        if self._http is None:
            self._http = requests.Session()
            # A push service never redirects; following one would bypass the endpoint allow-list.
            self._http.max_redirects = 0
        return self._http


def _contact(value: str) -> str:
    value = value.strip()
    return value if value.startswith(("mailto:", "https://")) else f"mailto:{value}"
