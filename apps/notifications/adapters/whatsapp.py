"""WhatsApp through Evolution API: one `POST /message/sendText/{instance}` to one number (SPEC §9).

Every answer and transport failure (contract: research/evolution_api.md) is classified here: SendError permanent,
transient, or unknown outcome when the request may have reached WhatsApp (SPEC §8.7, §13: never resent on
WhatsApp). A taller's staff numbers are separate notification rows, one send each, so each number has its own
outcome, provider id and receipts.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from urllib.parse import quote

import httpx
from django.conf import settings

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.core.logging import mask_phone
from apps.core.phones import e164_to_whatsapp_digits
from apps.core.ports import OutboundMessage, SendResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Config:
    url: str
    api_key: str
    instance: str
    timeout: float
    version: str

    @property
    def complete(self) -> bool:
        return bool(self.url and self.api_key and self.instance)


def _config() -> _Config:
    return _Config(
        url=(settings.EVOLUTION_API_URL or "").rstrip("/"),
        api_key=settings.EVOLUTION_API_KEY or "",
        instance=settings.EVOLUTION_INSTANCE or "",
        timeout=float(settings.EVOLUTION_TIMEOUT),
        version=(settings.EVOLUTION_API_VERSION or "v2").lower(),
    )


# SendError codes the delivery service acts on: the number is not on WhatsApp (skip it for a while); the
# instance cannot send (pause it: its messages go to the next channel until it is open again).
NOT_ON_WHATSAPP = "not_on_whatsapp"
UNAUTHORIZED = "unauthorized"
CONNECTION_CLOSED = "connection_closed"
INSTANCE_DOWN_CODES = frozenset({UNAUTHORIZED, CONNECTION_CLOSED})

# 500 bodies that Evolution answers before anything reaches WhatsApp (research/evolution_api.md §1): the number
# lookup threw because the socket is down, or the instance is not loaded. Any other 5xx may come after the
# message left (a failed insert after sending, a proxy giving up), so its outcome is unknown.
_PRE_SEND_500 = ("Connection Closed", "Cannot read properties of undefined")


def send_text_body(version: str, number: str, text: str) -> dict:
    # No `delay`/`linkPreview`: both make the synchronous request longer (research §2, §7).
    if version == "v1":
        return {"number": number, "textMessage": {"text": text}}
    return {"number": number, "text": text}


def _excerpt(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return re.sub(r"\d{7,}", lambda m: mask_phone(m.group()), text)[:300]  # bodies may echo the number


def classify_response(status: int, body) -> SendError | None:
    """None for a 2xx; otherwise the SendError the answer means (research §1 lists the bodies)."""
    if 200 <= status < 300:
        return None
    response = body.get("response") if isinstance(body, dict) else None
    message = response.get("message", body) if isinstance(response, dict) else body
    detail = _excerpt(message)
    if status == 400:
        items = message if isinstance(message, list) else [message]
        missing = next((i for i in items if isinstance(i, dict) and i.get("exists") is False), None)
        if missing is not None:
            number = mask_phone(str(missing.get("number", "")))
            return SendError(f"El número {number} no tiene WhatsApp.", ErrorKind.PERMANENT, code=NOT_ON_WHATSAPP)
        if "Error: " in detail:  # a Baileys error before the message left ("Timed Out", "Connection Closed")
            code = CONNECTION_CLOSED if "Connection Closed" in detail else ""
            return SendError(f"WhatsApp no pudo enviar el mensaje ({detail}).", code=code)
        if "requires property" in detail:
            return SendError(
                f"Evolution API rechazó el cuerpo ({detail}): revise EVOLUTION_API_VERSION.", ErrorKind.PERMANENT
            )
        return SendError(f"Evolution API rechazó el mensaje (400: {detail}).", ErrorKind.PERMANENT)
    if status in (401, 403):
        return SendError(
            "API key de Evolution inválida: revise EVOLUTION_API_KEY.", ErrorKind.PERMANENT, code=UNAUTHORIZED
        )
    if status == 404:
        setting = "EVOLUTION_INSTANCE" if "instance does not exist" in detail else "EVOLUTION_API_URL"
        return SendError(f"Evolution API respondió 404 ({detail}): revise {setting}.", ErrorKind.PERMANENT)
    if status == 500 and "Connection Closed" in detail:
        return SendError(f"WhatsApp está desconectado en Evolution API ({detail}).", code=CONNECTION_CLOSED)
    if status == 429 or status == 503 or (status == 500 and any(text in detail for text in _PRE_SEND_500)):
        return SendError(f"Evolution API respondió {status} ({detail}).")
    if status >= 500:
        return SendError(
            f"Evolution API respondió {status} ({detail}): el mensaje pudo enviarse.", ErrorKind.UNKNOWN_OUTCOME
        )
    return SendError(f"Respuesta inesperada de Evolution API ({status}: {detail}).", ErrorKind.PERMANENT)


def classify_exception(exc: Exception) -> SendError:
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError):
        return SendError(f"No se pudo conectar con Evolution API ({name}).")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return SendError("EVOLUTION_API_URL no es una URL http(s) válida.", ErrorKind.PERMANENT)
    # Read/write timeouts and broken connections happen after the request may have reached Evolution.
    return SendError(f"Sin respuesta de Evolution API ({name}): el mensaje pudo enviarse.", ErrorKind.UNKNOWN_OUTCOME)


def _redact(err: SendError, secret: str) -> SendError:
    if not secret or secret not in err.message:
        return err
    return SendError(err.message.replace(secret, "***"), err.kind, code=err.code)


class WhatsAppSender:
    channel = "whatsapp"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._client_config: _Config | None = None

    def is_configured(self) -> bool:
        return _config().complete

    def send(self, message: OutboundMessage) -> SendResult:
        cfg = _config()
        if not cfg.complete:
            raise SendError(
                "WhatsApp no está configurado: faltan EVOLUTION_API_URL, EVOLUTION_API_KEY o EVOLUTION_INSTANCE.",
                ErrorKind.PERMANENT,
            )
        if not message.recipient:
            raise SendError("No hay un número de WhatsApp al que enviar.", ErrorKind.PERMANENT)
        instance = message.sender or cfg.instance
        try:
            return SendResult(provider_message_id=self._send_one(cfg, instance, message.recipient, message.body))
        except SendError as exc:
            error = _redact(exc, cfg.api_key)
            logger.warning("whatsapp send to %s failed: %s", mask_phone(message.recipient), error.message)
            raise error from exc

    def _send_one(self, cfg: _Config, instance: str, e164: str, text: str) -> str:
        body = send_text_body(cfg.version, e164_to_whatsapp_digits(e164), text)
        url = f"{cfg.url}/message/sendText/{quote(instance, safe='')}"
        try:
            response = self._client_for(cfg).post(url, json=body)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise classify_exception(exc) from exc
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        error = classify_response(response.status_code, payload)
        if error is not None:
            raise error
        key = payload.get("key") if isinstance(payload, dict) else None
        provider_id = str(key.get("id") or "") if isinstance(key, dict) else ""
        logger.info("whatsapp accepted for %s id=%s", mask_phone(e164), provider_id)
        return provider_id

    def set_webhook(self, instance: str, *, url: str, token: str, events: list[str]) -> tuple[bool, str]:
        """`POST /webhook/set/{instance}` (research §5) in the configured version's body: v2.1+ nests it under
        `webhook` and carries the token as a header; v1 is flat and has no headers, so the token goes in the URL."""
        cfg = _config()
        if not (cfg.url and cfg.api_key and instance):
            return False, "WhatsApp no está configurado (EVOLUTION_API_URL, EVOLUTION_API_KEY)."
        if cfg.version == "v1":
            separator = "&" if "?" in url else "?"
            body = {
                "enabled": True,
                "url": f"{url}{separator}token={quote(token, safe='')}",
                "webhook_by_events": False,
                "webhook_base64": False,
                "events": events,
            }
        else:
            body = {
                "webhook": {
                    "enabled": True,
                    "url": url,
                    "byEvents": False,
                    "base64": False,
                    "headers": {"X-Webhook-Token": token},
                    "events": events,
                }
            }
        try:
            response = self._client_for(cfg).post(
                f"{cfg.url}/webhook/set/{quote(instance, safe='')}", json=body, timeout=10
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return False, f"No se pudo contactar a Evolution API ({type(exc).__name__})."
        if response.status_code in (200, 201):
            return True, f"Evolution respondió {response.status_code}."
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        error = classify_response(response.status_code, payload)
        return False, _redact(error, cfg.api_key).message if error else f"Evolution respondió {response.status_code}."

    def connection_state(self, instance: str, *, timeout: float = 3.0) -> str:
        """`GET /instance/connectionState/{instance}` (research §3): open, connecting or close; `unknown` when
        Evolution cannot say (down, the instance not loaded, an unexpected answer). Never raises."""
        cfg = _config()
        if not (cfg.url and cfg.api_key and instance):
            return "unknown"
        url = f"{cfg.url}/instance/connectionState/{quote(instance, safe='')}"
        try:
            response = self._client_for(cfg).get(url, timeout=timeout)
            state = response.json().get("instance", {}).get("state") if response.status_code == 200 else None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, AttributeError):
            state = None
        return state if state in ("open", "connecting", "close") else "unknown"

    def _client_for(self, cfg: _Config) -> httpx.Client:
        """One pooled client, rebuilt when the settings it was built from change."""
        with self._lock:
            if self._client is None or self._client_config != cfg:
                if self._client is not None:
                    self._client.close()
                self._client = httpx.Client(
                    headers={"apikey": cfg.api_key},
                    timeout=httpx.Timeout(cfg.timeout, connect=min(10.0, cfg.timeout)),
                )
                self._client_config = cfg
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client, self._client_config = None, None
