"""`Idempotency-Key` for dispatch requests (IETF draft semantics, as Stripe/Novu/Knock do).

Same key + same body within 24 h → the stored response again; same key + another body → 422;
while the first request is still being processed → 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.notifications.models import IdempotencyRecord

KEY_TTL = timedelta(hours=24)
# A request that died mid-way (process killed) must not block its key forever.
IN_FLIGHT_TIMEOUT = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict


def body_fingerprint(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key_validate(key: str) -> str:
    key = key.strip().strip('"')
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise ApplicationError(
            "invalid_idempotency_key",
            f"Idempotency-Key debe tener entre 1 y {MAX_KEY_LENGTH} caracteres ASCII imprimibles.",
            status_code=400,
            attr="Idempotency-Key",
        )
    return key


def idempotency_begin(*, client: str, key: str, fingerprint: str) -> tuple[IdempotencyRecord | None, Replay | None]:
    """Reserve the key (committed at once, so a concurrent request sees it) or return what to replay."""
    now = timezone.now()
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(client=client, key=key, fingerprint=fingerprint), None
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
            if existing is None:
                continue
            expired = existing.created_at < now - KEY_TTL
            abandoned = existing.response_status is None and existing.created_at < now - IN_FLIGHT_TIMEOUT
            if expired or abandoned:
                IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
                continue
            if existing.fingerprint != fingerprint:
                raise ApplicationError(
                    "idempotency_key_reused",
                    "Esta Idempotency-Key ya se usó con otro cuerpo de petición; use una clave nueva.",
                    attr="Idempotency-Key",
                ) from None
            if existing.response_status is None:
                raise ApplicationError(
                    "idempotency_request_in_flight",
                    "La petición original con esta Idempotency-Key aún se está procesando; reintente en un momento.",
                    status_code=409,
                    attr="Idempotency-Key",
                ) from None
            return None, Replay(existing.response_status, existing.response_body)
    raise ApplicationError(
        "idempotency_request_in_flight",
        "La Idempotency-Key está en uso; reintente en un momento.",
        status_code=409,
        attr="Idempotency-Key",
    )


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: dict, dispatch_id=None) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=status, response_body=body, dispatch_id=dispatch_id
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget a key whose request was malformed or crashed, so the client may retry it."""
    IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).delete()


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict
    replayed: bool = False


def idempotent_accept(*, client: str, key: str | None, payload, accept: Callable[[], tuple[dict, object]]) -> Outcome:
    """Run `accept` (→ 202 body, dispatch id) in a transaction, at most once per `Idempotency-Key`.

    The 202 (or a 422) is stored in the dispatch's own transaction, so a replay never misses an
    accepted dispatch; a malformed request (400) or a crash releases the key for a corrected retry.
    """
    from apps.core.exception_handler import application_error_response

    if key is None:
        # The acceptance writes in one statement on PostgreSQL (dispatch_sql): no transaction to open.
        body, _ = accept()
        return Outcome(202, body)
    key = idempotency_key_validate(key)
    record, replay = idempotency_begin(client=client, key=key, fingerprint=body_fingerprint(payload))
    if replay is not None:
        return Outcome(replay.status, replay.body, replayed=True)
    try:
        with transaction.atomic():
            body, dispatch_id = accept()
            idempotency_complete(record=record, status=202, body=body, dispatch_id=dispatch_id)
    except ApplicationError as exc:
        if exc.status_code == 422:
            idempotency_complete(record=record, status=422, body=application_error_response(exc).data)
        else:
            idempotency_release(record=record)
        raise
    except Exception:
        idempotency_release(record=record)
        raise
    return Outcome(202, body)


def idempotency_purge_expired() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEY_TTL).delete()
    return deleted
