"""Request ids that follow a request into its tasks, the dispatch and notification a log line is about, JSON logs,
and keeping personal data out of logs."""

import contextvars
import logging
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from pythonjsonlogger import json as jsonlogger

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# The dispatch and notification a worker is delivering: every log line of that delivery names them.
_subject_var: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar("log_subject", default=())


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


@contextmanager
def log_subject_scope(**ids: str | None) -> Iterator[None]:
    """Log lines inside the block carry these ids (`dispatch_id`, `notification_id`) as fields."""
    merged = dict(_subject_var.get()) | {name: str(value) for name, value in ids.items() if value}
    token = _subject_var.set(tuple(merged.items()))
    try:
        yield
    finally:
        _subject_var.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        for name, value in _subject_var.get():
            setattr(record, name, value)
        return True


SUBJECT_FIELDS = ("dispatch_id", "notification_id")


class JsonFormatter(jsonlogger.JsonFormatter):
    """LOG_FORMAT=json: one object per line with time, level, logger, message, request_id, and dispatch_id /
    notification_id where known (an exception's traceback in `exc_info`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        log_record["request_id"] = getattr(record, "request_id", request_id_var.get())
        for name in SUBJECT_FIELDS:
            if getattr(record, name, None):
                log_record[name] = getattr(record, name)


def _is_database_error(value: object) -> bool:
    from django.db import DatabaseError

    return isinstance(value, DatabaseError) or (
        isinstance(value, BaseException) and type(value).__module__.startswith("psycopg")
    )


def _without_text(exc: BaseException) -> str:
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None) or "?"
    return f"SQLSTATE {sqlstate}; texto de PostgreSQL omitido"


def _database_error_summary(exc: BaseException) -> str:
    cause = exc.__cause__ if exc.__cause__ is not None and _is_database_error(exc.__cause__) else exc
    return f"{type(cause).__module__}.{type(cause).__qualname__} ({_without_text(exc)})"


class DatabaseErrorTextFilter(logging.Filter):
    """PostgreSQL's error text quotes the data it refused (jsonb's `CONTEXT: JSON data, line 1: {"Nombre": …`
    copies a customer's name): a logged database error keeps its class, SQLSTATE and traceback, never its text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_is_database_error(arg) for arg in record.args):
            record.args = tuple(_database_error_summary(arg) if _is_database_error(arg) else arg for arg in record.args)
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = _redacted_traceback(record.exc_info[1])
        return True


def _printed_chain(exc: BaseException) -> list[BaseException]:
    """The exceptions a traceback prints: each cause, or each context that was not suppressed."""
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ if exc.__cause__ is not None else (None if exc.__suppress_context__ else exc.__context__)
    return chain


def _redacted_traceback(exc: BaseException) -> str | None:
    """The traceback as logging prints it, each database error's message replaced; None if there is none."""
    chain = _printed_chain(exc)
    if not any(_is_database_error(e) for e in chain):
        return None
    formatted = part = traceback.TracebackException.from_exception(exc)
    for value in chain:
        if part is None:
            break
        if _is_database_error(value):
            # TracebackException keeps the message it prints in `_str` (CPython 3.11 to 3.13).
            part._str = _without_text(value)
        part = part.__cause__ or part.__context__
    return "".join(formatted.format()).rstrip("\n")


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
