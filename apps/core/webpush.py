"""Web Push subscriptions, checked without touching the database: the endpoint (an SSRF gate) and the keys.

The worker POSTs to every stored endpoint, so an endpoint is a server-side request target chosen by a
client (SSRF). `push_endpoint_validate` is the one gate: https on 443, a host in PUSH_ALLOWED_HOSTS
(dot-boundary match), no IP literal, no userinfo. The subscribe API calls it, and the push adapter again at
send time (the allow-list may have changed since).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from apps.core.exceptions import ApplicationError

ENDPOINT_MAX_LENGTH = 1000
P256_POINT_LENGTH = 65  # 0x04 || X (32 bytes) || Y (32 bytes)
AUTH_SECRET_LENGTH = 16

# Lower-case LDH labels separated by single dots: no trailing dot, no percent-encoding, no IDN tricks.
_HOST_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
# base64url (padding optional); the standard alphabet is accepted too, as pywebpush does.
_B64_RE = re.compile(r"^[A-Za-z0-9_\-+/]+={0,2}$")

# The codes push_endpoint_validate answers with (the OpenAPI schema lists them).
PUSH_ENDPOINT_CODES = (
    "invalid_push_endpoint",
    "push_endpoint_not_https",
    "push_endpoint_userinfo",
    "push_endpoint_ip_literal",
    "push_endpoint_port",
    "push_endpoint_host_not_allowed",
)


def _endpoint_error(code: str, detail: str) -> ApplicationError:
    return ApplicationError(code, detail, status_code=400, attr="endpoint")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    # Forms that resolvers read as IPv4 ("2130706433", "127.1", "0x7f.1"): no real TLD is numeric.
    last_label = host.rsplit(".", 1)[-1]
    return last_label.isdigit() or last_label.startswith("0x")


def push_host_allowed(host: str, allowed_hosts: Iterable[str] | None = None) -> bool:
    """`.example.com` allows the domain and its subdomains; `example.com` allows exactly that host.

    The match respects the dot boundary: `.googleapis.com` does not allow `evilgoogleapis.com`, and
    `fcm.googleapis.com` does not allow `xfcm.googleapis.com` nor `fcm.googleapis.com.attacker.io`.
    """
    host = host.lower()
    entries = settings.PUSH_ALLOWED_HOSTS if allowed_hosts is None else allowed_hosts
    for raw in entries:
        entry = raw.strip().lower().removeprefix("*")
        if entry.startswith("."):
            domain = entry[1:]
            if domain and (host == domain or host.endswith(entry)):
                return True
        elif entry and host == entry:
            return True
    return False


def push_endpoint_validate(endpoint: str) -> None:
    """Raise ApplicationError (400, attr "endpoint") unless the endpoint is a safe push-service URL.

    Rules: `https` on port 443 (an explicit `:443` is fine), a host allowed by PUSH_ALLOWED_HOSTS,
    no IP literal (v4 or v6), no userinfo. With PUSH_ALLOW_INSECURE_ENDPOINTS (local testing only),
    `http` and any port are accepted; the host rules still apply.
    """
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise _endpoint_error("invalid_push_endpoint", "El endpoint de la suscripción está vacío.")
    if len(endpoint) > ENDPOINT_MAX_LENGTH:
        raise _endpoint_error(
            "invalid_push_endpoint", f"El endpoint no puede tener más de {ENDPOINT_MAX_LENGTH} caracteres."
        )
    if not endpoint.isascii() or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in endpoint):
        raise _endpoint_error(
            "invalid_push_endpoint", "El endpoint contiene espacios, caracteres de control o no ASCII."
        )
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise _endpoint_error("invalid_push_endpoint", "El endpoint no es una URL válida.") from None

    insecure = settings.PUSH_ALLOW_INSECURE_ENDPOINTS
    if parts.scheme != "https" and not (insecure and parts.scheme == "http"):
        raise _endpoint_error("push_endpoint_not_https", "El endpoint debe usar https.")
    if "@" in parts.netloc:
        raise _endpoint_error("push_endpoint_userinfo", "El endpoint no puede incluir usuario ni contraseña.")
    host = parts.hostname or ""
    if not host:
        raise _endpoint_error("invalid_push_endpoint", "El endpoint no tiene host.")
    if _is_ip_literal(host):
        raise _endpoint_error(
            "push_endpoint_ip_literal", "El endpoint debe usar el nombre del servicio push, no una dirección IP."
        )
    if not insecure and port not in (None, 443):
        raise _endpoint_error("push_endpoint_port", "El endpoint debe usar el puerto 443.")
    if not _HOST_RE.match(host):
        raise _endpoint_error("invalid_push_endpoint", f"El host '{host}' no es un nombre de dominio válido.")
    if not push_host_allowed(host):
        raise _endpoint_error(
            "push_endpoint_host_not_allowed",
            f"El host '{host}' no es un servicio push permitido (PUSH_ALLOWED_HOSTS).",
        )


def b64url_decode(value: str) -> bytes:
    """Decode base64url with or without padding (standard alphabet tolerated); ValueError otherwise."""
    text = (value or "").strip()
    if not text or not _B64_RE.match(text):
        raise ValueError("not base64url")
    text = text.rstrip("=").replace("+", "-").replace("/", "_")
    if len(text) % 4 == 1:
        raise ValueError("impossible base64 length")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def p256_point_decode(value: str) -> bytes:
    """The 65-byte uncompressed P-256 point encoded in `value`; ValueError if it is not one on the curve."""
    raw = b64url_decode(value)
    if len(raw) != P256_POINT_LENGTH or raw[0] != 0x04:
        raise ValueError(f"expected a {P256_POINT_LENGTH}-byte uncompressed point, got {len(raw)} bytes")
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # raises ValueError off the curve
    return raw


def push_keys_validate(*, p256dh: str, auth: str) -> tuple[str, str]:
    """Check the subscription keys and return them as canonical base64url without padding.

    p256dh: the browser's ECDH public key, an uncompressed P-256 point on the curve; auth: a 16-byte
    secret. Raises ApplicationError (400) with attr "p256dh" or "auth".
    """
    try:
        point = p256_point_decode(p256dh)
    except ValueError:
        raise ApplicationError(
            "invalid_p256dh",
            "La clave p256dh debe ser un punto P-256 sin comprimir (65 bytes) en base64url.",
            status_code=400,
            attr="p256dh",
        ) from None
    try:
        secret = b64url_decode(auth)
    except ValueError:
        secret = b""
    if len(secret) != AUTH_SECRET_LENGTH:
        raise ApplicationError(
            "invalid_auth",
            f"La clave auth debe ser un secreto de {AUTH_SECRET_LENGTH} bytes en base64url.",
            status_code=400,
            attr="auth",
        )
    return b64url_encode(point), b64url_encode(secret)
