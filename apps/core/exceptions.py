"""The two error types of the service.

ApplicationError: valid input that cannot be served (→ HTTP 422 by default, or the status given).
SendError: a channel adapter failed; `permanent` says whether retrying the same channel can help.
"""

from __future__ import annotations

from typing import Any


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
    def __init__(self, message: str, *, permanent: bool = False, unknown_outcome: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        # The provider may have acted (e.g. a read timeout after the request was sent):
        # never resend on the same channel, but do fall back.
        self.unknown_outcome = unknown_outcome

    def __repr__(self) -> str:
        return f"SendError({self.message!r}, permanent={self.permanent}, unknown_outcome={self.unknown_outcome})"
