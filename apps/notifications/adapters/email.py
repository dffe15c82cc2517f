"""Email through Django's mail backend (SMTP in production): text body plus an escaped HTML alternative.

One backend connection is opened lazily and reused across messages; a dropped connection is reopened once.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME

from apps.core.exceptions import SendError
from apps.core.ports import OutboundMessage, SendResult

_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class EmailSender:
    channel = "email"

    def __init__(self):
        self._connection = None
        self._config = None

    def is_configured(self) -> bool:
        if settings.EMAIL_BACKEND != _SMTP_BACKEND:
            return True  # console/locmem/file backends need nothing else
        return bool(settings.EMAIL_HOST)

    def _current_config(self) -> tuple:
        return (
            settings.EMAIL_BACKEND,
            settings.EMAIL_HOST,
            settings.EMAIL_PORT,
            settings.EMAIL_HOST_USER,
            settings.EMAIL_USE_TLS,
            settings.EMAIL_USE_SSL,
            settings.EMAIL_TIMEOUT,
        )

    def _get_connection(self):
        config = self._current_config()
        if self._connection is None or config != self._config:
            self.close()
            self._connection = get_connection(timeout=settings.EMAIL_TIMEOUT, fail_silently=False)
            self._config = config
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            # Closing a dead connection must not fail a send.
            with contextlib.suppress(Exception):
                self._connection.close()
        self._connection = None

    def send(self, message: OutboundMessage) -> SendResult:
        if not self.is_configured():
            raise SendError("El email no está configurado (EMAIL_HOST vacío).", permanent=True)
        if not message.recipients:
            raise SendError("La notificación no tiene destinatarios de email.", permanent=True)
        from_email = message.extra.get("from_email") or settings.DEFAULT_FROM_EMAIL
        message_id = make_msgid(domain=DNS_NAME)
        try:
            email = EmailMultiAlternatives(
                subject=message.subject,
                body=message.body,
                from_email=from_email,
                to=list(message.recipients),
                headers={"Message-ID": message_id, "X-Notification-Id": message.notification_id},
            )
            if message.html_body:
                email.attach_alternative(message.html_body, "text/html")
            self._send_with_reconnect(email)
        except BadHeaderError as exc:
            raise SendError(f"Cabecera de email inválida: {exc}", permanent=True) from exc
        except ValueError as exc:  # e.g. a newline in an address
            raise SendError(f"Dirección de email inválida: {exc}", permanent=True) from exc
        return SendResult(provider_message_id=message_id)

    def _send_with_reconnect(self, email: EmailMultiAlternatives) -> None:
        for attempt in (1, 2):
            connection = self._get_connection()
            email.connection = connection
            try:
                # Opened here, the connection stays open after send_messages() for the next message.
                connection.open()
                email.send(fail_silently=False)
                return
            except smtplib.SMTPServerDisconnected as exc:
                # A reused connection the server closed while idle: reopen once, then give up for now.
                self.close()
                if attempt == 2:
                    raise SendError(f"El servidor SMTP cerró la conexión: {exc}") from exc
            except smtplib.SMTPRecipientsRefused as exc:
                codes = {code for code, _ in exc.recipients.values()}
                permanent = all(code >= 500 for code in codes)
                raise SendError(
                    f"Destinatario rechazado por el servidor SMTP ({sorted(codes)}).", permanent=permanent
                ) from exc
            except smtplib.SMTPAuthenticationError as exc:
                self.close()
                raise SendError(
                    "Credenciales SMTP rechazadas: revise EMAIL_HOST_USER/PASSWORD.", permanent=True
                ) from exc
            except smtplib.SMTPResponseException as exc:
                self.close()
                raise SendError(
                    f"El servidor SMTP respondió {exc.smtp_code}: {_text(exc.smtp_error)}",
                    permanent=exc.smtp_code >= 500,
                ) from exc
            except (TimeoutError, ConnectionError, OSError, smtplib.SMTPException) as exc:
                self.close()
                raise SendError(f"No se pudo contactar al servidor SMTP: {type(exc).__name__}: {exc}") from exc


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
