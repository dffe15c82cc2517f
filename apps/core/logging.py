"""Request ids that follow a request into its tasks, and masking of personal data in logs."""

import contextvars
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def current_request_id() -> str:
    """The id of the request (or task) being served, "" outside one: what a stored row keeps."""
    request_id = request_id_var.get()
    return "" if request_id == "-" else request_id


@contextmanager
def request_id_scope(request_id: str | None) -> Iterator[None]:
    """Log lines inside the block carry `request_id` (a task continuing a request's work); an empty one
    leaves the current id alone. Reset on exit: a worker thread runs many tasks."""
    token = request_id_var.set(request_id) if request_id else None
    try:
        yield
    finally:
        if token is not None:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def mask_email(value: str) -> str:
    if not value or "@" not in value:
        return "***" if value else ""
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 6:
        return "***"
    return f"{value[:4]}{'*' * (len(value) - 7)}{value[-3:]}"


def mask_recipient(value: str) -> str:
    """Mask an email, a phone number or a list of them ("a@b.c, +5939…")."""
    parts = [p.strip() for p in (value or "").split(",") if p.strip()]
    return ", ".join(mask_email(p) if "@" in p else mask_phone(p) for p in parts)
