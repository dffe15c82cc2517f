"""The two error types of the service.

ApplicationError: valid input that cannot be served (→ HTTP 422 by default, or the status given).
SendError: a channel adapter failed; its ErrorKind says whether the same channel may be tried again.
"""

from __future__ import annotations

from typing import Any

from apps.core.constants import ErrorKind


class ApplicationError(Exception):
    def __init__(
        self,
        code: str,
        detail: str,
        *,
        status_code: int = 422,
        attr: str | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status_code = status_code
        self.attr = attr
        self.extra = extra or {}


class SendError(Exception):
    """A channel adapter could not send. `kind` says what the delivery service may do with the channel next:

    - TRANSIENT: nothing reached the provider, or it refused for now; the same channel may be tried again;
    - PERMANENT: it will never work for this message (a bad address, a misconfigured channel); give up on it;
    - UNKNOWN_OUTCOME: the request may have been acted on (a read timeout, a 5xx after sending); whether the
      channel may be tried again is the channel's policy (apps.notifications.services.delivery), not the adapter's.

    `code` is a machine-readable reason for the cases the service acts on (e.g. `not_on_whatsapp`,
    `subscription_gone`); empty otherwise.
    """

    def __init__(self, message: str, kind: str = ErrorKind.TRANSIENT, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.kind = ErrorKind(kind)
        self.code = code

    def __repr__(self) -> str:
        return f"SendError({self.message!r}, {self.kind.value!r}, code={self.code!r})"
