"""Email through Django's mail backend (SMTP in production): text body plus an escaped HTML alternative.

One backend connection is opened lazily and reused across messages; a connection the server dropped while idle
is reopened once. Failures are classified by the SMTP phase they happen in: before the end of the message's
data nothing was delivered (transient or permanent by the reply code); a timeout or a dropped connection after
the final "." may follow an accepted message (RFC 1047), so its outcome is unknown. Every attempt of one
notification carries the same Message-ID, so a mailbox that got the message already can drop a resend.
The From is the message's `sender` (the taller's, resolved at acceptance: services/email_senders.py), else
DEFAULT_FROM_EMAIL; one with a line break is refused as a permanent error before anything is sent.
"""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.utils import DNS_NAME

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.core.ports import OutboundMessage, SendResult

_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class _DataPhase:
    """Remembers whether the end of the current message's data ("<CRLF>.<CRLF>") has been written."""

    data_ended = False

    def mail(self, *args, **kwargs):
        self.data_ended = False  # a new message starts
        return super().mail(*args, **kwargs)

    def send(self, s):
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.data_ended = True


class _SMTP(_DataPhase, smtplib.SMTP):
    pass


class _SMTPSSL(_DataPhase, smtplib.SMTP_SSL):
    pass


class PhaseTrackingBackend(SMTPBackend):
    """Django's SMTP backend whose connection knows the phase a failure happened in."""

    @property
    def connection_class(self):
        return _SMTPSSL if self.use_ssl else _SMTP


def message_id_for(notification_id: str) -> str:
    return f"<{notification_id}@{DNS_NAME}>"


class EmailSender:
    channel = "email"
    # Django's SMTP backend sends under a lock: one connection per worker thread (adapters/__init__.py).
    per_thread = True

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
            backend = (
                "apps.notifications.adapters.email.PhaseTrackingBackend"
                if settings.EMAIL_BACKEND == _SMTP_BACKEND
                else None
            )
            self._connection = get_connection(backend, timeout=settings.EMAIL_TIMEOUT, fail_silently=False)
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
            raise SendError("El email no está configurado (EMAIL_HOST vacío).", ErrorKind.PERMANENT)
        if not message.recipient:
            raise SendError("La notificación no tiene destinatario de email.", ErrorKind.PERMANENT)
        from_email = message.sender or settings.DEFAULT_FROM_EMAIL
        if any(char in from_email for char in "\r\n\0"):
            # A header injection whoever wrote the row: no mail server would make this right on a retry.
            raise SendError("El remitente del email tiene un salto de línea: no se envía.", ErrorKind.PERMANENT)
        message_id = message_id_for(message.notification_id)
        try:
            email = EmailMultiAlternatives(
                subject=message.subject,
                body=message.body,
                from_email=from_email,
                to=[message.recipient],
                headers={"Message-ID": message_id, "X-Notification-Id": message.notification_id},
            )
            if message.html_body:
                email.attach_alternative(message.html_body, "text/html")
            self._send_with_reconnect(email)
        except BadHeaderError as exc:
            raise SendError(f"Cabecera de email inválida: {exc}", ErrorKind.PERMANENT) from exc
        except ValueError as exc:  # e.g. a newline in an address
            raise SendError(f"Dirección de email inválida: {exc}", ErrorKind.PERMANENT) from exc
        return SendResult(provider_message_id=message_id)

    def _open(self):
        connection = self._get_connection()
        try:
            # Opened here, the connection stays open after send_messages() for the next message.
            connection.open()
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise SendError(
                "Credenciales SMTP rechazadas: revise EMAIL_HOST_USER/PASSWORD.", ErrorKind.PERMANENT
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendError(f"No se pudo contactar al servidor SMTP: {type(exc).__name__}: {exc}") from exc
        return connection

    def _send_with_reconnect(self, email: EmailMultiAlternatives) -> None:
        for attempt in (1, 2):
            connection = self._open()
            email.connection = connection
            try:
                email.send(fail_silently=False)
                return
            except smtplib.SMTPRecipientsRefused as exc:
                codes = {code for code, _ in exc.recipients.values()}
                kind = ErrorKind.PERMANENT if all(code >= 500 for code in codes) else ErrorKind.TRANSIENT
                raise SendError(f"Destinatario rechazado por el servidor SMTP ({sorted(codes)}).", kind) from exc
            except smtplib.SMTPResponseException as exc:
                # The server answered no (to MAIL FROM, or to the data itself): nothing was delivered.
                self.close()
                kind = ErrorKind.PERMANENT if exc.smtp_code >= 500 else ErrorKind.TRANSIENT
                raise SendError(f"El servidor SMTP respondió {exc.smtp_code}: {_text(exc.smtp_error)}", kind) from exc
            except (OSError, smtplib.SMTPException) as exc:
                after_data = getattr(connection.connection, "data_ended", False)
                self.close()
                if after_data:
                    raise SendError(
                        f"El servidor SMTP no confirmó el mensaje ({type(exc).__name__}): pudo entregarse.",
                        ErrorKind.UNKNOWN_OUTCOME,
                    ) from exc
                # Nothing was delivered. A reused connection the server closed while idle: reopen once.
                if attempt == 2 or not isinstance(exc, smtplib.SMTPServerDisconnected):
                    raise SendError(f"Falló la conexión con el servidor SMTP: {type(exc).__name__}: {exc}") from exc


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
