"""Projection of the Core service's customers and vehicles: batches accepted by the webhooks, upserted in bulk.

On PostgreSQL a stored batch is applied by one statement over its payload (apps.synchronization.sql, 10,000
items in ~0.2–0.4 s). Elsewhere (SQLite), and as the reference that path is tested against, each sync below locks
the existing rows of a batch in one query, then writes new rows with one `bulk_create` and
changed rows with one upsert (split only by the database's parameter limit): no per-row queries. An item older
than the stored row (`updated_at` < `source_updated_at`) is skipped; an item without `updated_at` always applies.

Changed rows are written with `INSERT … ON CONFLICT (external id) DO UPDATE` rather than `bulk_update`: the
rows are known to exist and are locked, so every insert is a conflict and the statement is a plain bulk update,
but one that grows linearly. `bulk_update` builds a CASE with a branch per row for every field; 1000 changed
customers took 1.6–2.5 s that way against ~0.1 s with the upsert (PostgreSQL 16 and SQLite 3.40).
New rows use a plain `bulk_create`: a row inserted meanwhile by a concurrent sync makes it fail (unique
violation) and the task runs the batch again, so the stale check is never bypassed.

An accepted batch is never lost: `sync_batches_relay_pending` (run by the outbox sweep every minute) enqueues
batches the broker never got and batches whose message it lost, and `sync_batches_purge` (run by the daily purge)
deletes finished batches, whose payload is a copy of personal data, after LOG_RETENTION_DAYS.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from celery.result import AsyncResult
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.core.logging import current_request_id
from apps.core.queue import task_publish
from apps.notifications.models import CustomerContactInfo, Vehicle
from apps.synchronization.models import SyncBatch
from apps.synchronization.sql import SQL_SYNCS
from config.celery import app

logger = logging.getLogger(__name__)

CUSTOMER_FIELDS = ("name", "email", "phone", "is_active")
VEHICLE_FIELDS = ("plate", "brand", "model", "year", "vin", "color", "mileage", "is_active")
# Bookkeeping written with every changed row.
_SYNC_FIELDS = ("synced_at", "source_updated_at", "updated_at")


def _counts() -> dict[str, int]:
    return dict.fromkeys(
        ("created", "updated", "unchanged", "skipped_stale", "placeholders_created", "placeholders_filled"), 0
    )


def _source_time(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"updated_at inválido: {value!r}")
    return parsed


def _is_stale(stored: datetime | None, incoming: datetime | None) -> bool:
    return stored is not None and incoming is not None and incoming < stored


def _apply(row, item: dict, fields: Iterable[str]) -> bool:
    """Copy the fields the item carries onto the row; True when any value changed."""
    changed = False
    for name in fields:
        if name in item and getattr(row, name) != item[name]:
            setattr(row, name, item[name])
            changed = True
    return changed


def _touch(row, *, incoming: datetime | None, now: datetime) -> None:
    if incoming is not None:
        row.source_updated_at = incoming
    row.synced_at = now
    row.updated_at = now


def _bulk_write_changed(model, rows: list, *, unique_field: str, fields: Iterable[str]) -> None:
    """Write rows that exist (and are locked by this transaction) in one upsert statement per batch."""
    model.objects.bulk_create(rows, update_conflicts=True, unique_fields=[unique_field], update_fields=list(fields))


def customers_sync(*, items: list[dict]) -> dict[str, int]:
    """Upsert validated customer items (unique `customer_id`); fills placeholders left by vehicle syncs."""
    counts = _counts()
    now = timezone.now()
    with transaction.atomic():
        existing = {
            row.customer_id: row
            for row in CustomerContactInfo.objects.select_for_update().filter(
                customer_id__in=[item["customer_id"] for item in items]
            )
        }
        to_create, to_update = [], []
        for item in items:
            incoming = _source_time(item.get("updated_at"))
            row = existing.get(item["customer_id"])
            if row is None:
                row = CustomerContactInfo(customer_id=item["customer_id"])
                _apply(row, item, CUSTOMER_FIELDS)
                _touch(row, incoming=incoming, now=now)
                to_create.append(row)
                continue
            if _is_stale(row.source_updated_at, incoming):
                counts["skipped_stale"] += 1
                continue
            changed = _apply(row, item, CUSTOMER_FIELDS)
            if row.is_placeholder:
                row.is_placeholder = False
                counts["placeholders_filled"] += 1
                changed = True
            if incoming is not None and incoming != row.source_updated_at:
                changed = True
            if not changed:
                counts["unchanged"] += 1
                continue
            _touch(row, incoming=incoming, now=now)
            to_update.append(row)
        CustomerContactInfo.objects.bulk_create(to_create)
        _bulk_write_changed(
            CustomerContactInfo,
            to_update,
            unique_field="customer_id",
            fields=[*CUSTOMER_FIELDS, "is_placeholder", *_SYNC_FIELDS],
        )
    counts["created"] = len(to_create)
    counts["updated"] = len(to_update)
    return counts


def vehicles_sync(*, items: list[dict]) -> dict[str, int]:
    """Upsert validated vehicle items (unique `vehicle_id`); an unknown owner becomes a placeholder customer."""
    counts = _counts()
    now = timezone.now()
    with transaction.atomic():
        existing = {
            row.vehicle_id: row
            for row in Vehicle.objects.select_for_update().filter(vehicle_id__in=[item["vehicle_id"] for item in items])
        }
        fresh = []
        for item in items:
            incoming = _source_time(item.get("updated_at"))
            row = existing.get(item["vehicle_id"])
            if row is not None and _is_stale(row.source_updated_at, incoming):
                counts["skipped_stale"] += 1
            else:
                fresh.append((item, row, incoming))

        # One query resolves every owner; the unknown ones are created as placeholders in one insert.
        owners = dict(
            CustomerContactInfo.objects.filter(
                customer_id__in={item["customer_id"] for item, _, _ in fresh}
            ).values_list("customer_id", "id")
        )
        placeholders = []
        for item, _, _ in fresh:
            if item["customer_id"] not in owners:
                placeholder = CustomerContactInfo(
                    id=uuid.uuid4(), customer_id=item["customer_id"], name="", is_placeholder=True, synced_at=now
                )
                owners[placeholder.customer_id] = placeholder.id
                placeholders.append(placeholder)
        CustomerContactInfo.objects.bulk_create(placeholders)

        to_create, to_update = [], []
        for item, row, incoming in fresh:
            # Careful: Vehicle.customer_id is the owner's primary key; item["customer_id"] is the external id.
            owner_pk = owners[item["customer_id"]]
            if row is None:
                row = Vehicle(vehicle_id=item["vehicle_id"], customer_id=owner_pk)
                _apply(row, item, VEHICLE_FIELDS)
                _touch(row, incoming=incoming, now=now)
                to_create.append(row)
                continue
            changed = _apply(row, item, VEHICLE_FIELDS)
            if row.customer_id != owner_pk:
                row.customer_id = owner_pk
                changed = True
            if incoming is not None and incoming != row.source_updated_at:
                changed = True
            if not changed:
                counts["unchanged"] += 1
                continue
            _touch(row, incoming=incoming, now=now)
            to_update.append(row)
        Vehicle.objects.bulk_create(to_create)
        _bulk_write_changed(
            Vehicle, to_update, unique_field="vehicle_id", fields=[*VEHICLE_FIELDS, "customer", *_SYNC_FIELDS]
        )
    counts["created"] = len(to_create)
    counts["updated"] = len(to_update)
    counts["placeholders_created"] = len(placeholders)
    return counts


SYNCS = {SyncBatch.Kind.CUSTOMERS: customers_sync, SyncBatch.Kind.VEHICLES: vehicles_sync}
# The task of each kind, by its stable name (apps.synchronization.tasks).
SYNC_TASKS = {
    SyncBatch.Kind.CUSTOMERS: "synchronization.sync_customers",
    SyncBatch.Kind.VEHICLES: "synchronization.sync_vehicles",
}


# --- batches ----------------------------------------------------------------------------------------


def sync_batch_accept(*, kind: str, items: list[dict]) -> SyncBatch:
    """Store a validated batch and enqueue its task after commit (the task id is known up front)."""
    with transaction.atomic():
        batch = SyncBatch.objects.create(
            kind=kind,
            task_id=uuid.uuid4(),
            item_count=len(items),
            payload=items,
            request_id=current_request_id(),
        )
        transaction.on_commit(lambda: sync_batch_enqueue(batch))
    return batch


def sync_batch_enqueue(batch: SyncBatch) -> bool:
    """Hand a batch to the broker; if the broker is down it keeps its status (and is logged) for the relay sweep."""
    try:
        task_publish(SYNC_TASKS[batch.kind], args=[str(batch.id)], task_id=str(batch.task_id))
    except Exception:  # the broker is down or unreachable: the batch is safe in the database
        logger.warning("broker unavailable; sync batch %s (%s) stays %s", batch.id, batch.kind, batch.status)
        return False
    # In eager mode the task has already run and the batch is done: only a pending batch becomes queued.
    SyncBatch.objects.filter(id=batch.id, status=SyncBatch.Status.PENDING).update(
        status=SyncBatch.Status.QUEUED, updated_at=timezone.now()
    )
    return True


def sync_batch_apply(batch: SyncBatch) -> dict[str, int]:
    """PostgreSQL: one statement over the stored payload (apps.synchronization.sql); other databases: the ORM."""
    if connection.vendor == "postgresql":
        return SQL_SYNCS[batch.kind](batch_id=batch.id, now=timezone.now())
    return SYNCS[batch.kind](items=batch.payload)


def sync_batch_process(*, batch_id: str, kind: str) -> dict[str, int]:
    """Apply a batch once: a redelivered task finds it done and returns the stored counts."""
    with transaction.atomic():
        # The payload (up to 10,000 items) is read by the database itself on PostgreSQL (apps.synchronization.sql).
        batch = SyncBatch.objects.select_for_update().defer("payload").get(id=batch_id)
        if batch.kind != kind:
            raise ValueError(f"El lote {batch_id} es de {batch.kind}, no de {kind}.")
        if batch.status == SyncBatch.Status.DONE:
            return batch.result
        result = sync_batch_apply(batch)
        batch.status = SyncBatch.Status.DONE
        batch.result = result
        batch.processed_at = timezone.now()
        batch.save(update_fields=["status", "result", "processed_at", "updated_at"])
    logger.info("sync batch %s (%s, %d items) done: %s", batch.id, kind, batch.item_count, result)
    return result


def sync_batch_fail(*, batch_id: str, error: str) -> None:
    SyncBatch.objects.filter(id=batch_id).exclude(status=SyncBatch.Status.DONE).update(
        status=SyncBatch.Status.FAILED,
        result={"error": error},
        processed_at=timezone.now(),
        updated_at=timezone.now(),
    )


# --- sweeps (Beat: relay_pending_notifications, purge_old_notification_logs) --------------------------

# A batch younger than this is still being enqueued by its own request's on_commit hook.
RELAY_GRACE = timedelta(seconds=5)
RELAY_BATCH = 200
PURGE_BATCH = 500


def sync_batches_relay_pending(
    *, now: datetime | None = None, batch: int = RELAY_BATCH, broker_reset: bool = False
) -> int:
    """Enqueue batches the broker never got or lost; returns how many reached the broker.

    Why: the webhook answers 202 once the batch is stored, even with the broker down (SPEC §7, §8.4), so a
    batch left `pending` (publish failed) or `queued` without a message (Redis restarted without persistence)
    would otherwise never be applied. `pending` batches older than RELAY_GRACE and `queued` batches untouched
    for NOTIFICATION_STUCK_AFTER_SECONDS are sent again under their own task id; a duplicate message is harmless
    because `sync_batch_process` returns the stored result of a done batch. `done` and `failed` are final.

    Safe twice at once (PostgreSQL): the rows are locked with SKIP LOCKED for the whole loop, and each one
    leaves the candidate set before the lock is released (`pending` becomes `queued`; a re-sent `queued` batch
    gets a fresh `updated_at`, which also restarts its lease). A batch its task is applying right now is locked
    by that task and skipped. The first publish that fails stops the sweep: the broker is down, the next sweep
    (a minute later) tries again instead of waiting out a connect timeout per batch. With `broker_reset` (the
    broker lost its queues, apps.core.queue.broker_was_reset) every `queued` batch is sent again at once.
    """
    now = now or timezone.now()
    pending_cutoff = now - RELAY_GRACE
    lease = now if broker_reset else now - timedelta(seconds=settings.NOTIFICATION_STUCK_AFTER_SECONDS)
    relayed = 0
    with transaction.atomic():
        # skip_locked: a concurrent sweep takes other rows instead of waiting for these. The payload (up to
        # 10,000 customers' data) is not needed to publish the task: only the columns the task message needs.
        batches = list(
            SyncBatch.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=SyncBatch.Status.PENDING, created_at__lte=pending_cutoff)
                | Q(status=SyncBatch.Status.QUEUED, updated_at__lt=lease)
            )
            .only("id", "kind", "status", "task_id", "created_at")
            .order_by("created_at")[:batch]
        )
        for sync_batch in batches:
            if not sync_batch_enqueue(sync_batch):
                break  # the broker is still down; the next sweep tries again
            if sync_batch.status == SyncBatch.Status.QUEUED:
                # Its lease starts again (in eager mode the batch is already done and stays so).
                SyncBatch.objects.filter(id=sync_batch.id, status=SyncBatch.Status.QUEUED).update(updated_at=now)
            relayed += 1
    if batches:
        logger.info("relay: %s of %s sync batches enqueued", relayed, len(batches))
    return relayed


def sync_batches_purge(*, now: datetime | None = None, batch: int = PURGE_BATCH) -> int:
    """Delete `done` and `failed` batches created more than LOG_RETENTION_DAYS ago; returns how many.

    Why: a batch's payload is a copy of customers' personal data (names, phones, emails, possibly values
    superseded since) that the projection no longer needs once applied; it is kept only for the status
    endpoint's fallback and for audit, as long as the notification logs (the same retention knob). `pending`
    and `queued` batches are never deleted, however old: nothing accepted is lost. Deleted in slices so one
    statement never holds many large rows; safe twice at once (a row already deleted counts once).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LOG_RETENTION_DAYS)
    finished = SyncBatch.objects.filter(
        status__in=[SyncBatch.Status.DONE, SyncBatch.Status.FAILED], created_at__lt=cutoff
    )
    deleted = 0
    while ids := list(finished.order_by().values_list("id", flat=True)[:batch]):
        count, _ = finished.filter(id__in=ids).delete()
        deleted += count
    if deleted:
        logger.info("purge: %s sync batches older than %s days deleted", deleted, settings.LOG_RETENTION_DAYS)
    return deleted


# --- task status -----------------------------------------------------------------------------------


def _error_text(value) -> str | None:
    if value is None:
        return None
    return f"{type(value).__name__}: {value}" if isinstance(value, BaseException) else str(value)


def sync_task_status(*, task_id: str) -> dict:
    """Celery's view of a task; a sync batch whose result expired from the backend still reports its outcome."""
    result = AsyncResult(task_id, app=app)
    state = result.state
    if state == "SUCCESS":
        return {"task_id": task_id, "status": state, "result": result.result, "error": None}
    if state in ("FAILURE", "RETRY"):
        return {"task_id": task_id, "status": state, "result": None, "error": _error_text(result.result)}
    if state == "PENDING":
        batch = SyncBatch.objects.filter(task_id=task_id).only("status", "result").first()
        if batch is not None and batch.status == SyncBatch.Status.DONE:
            return {"task_id": task_id, "status": "SUCCESS", "result": batch.result, "error": None}
        if batch is not None and batch.status == SyncBatch.Status.FAILED:
            error = (batch.result or {}).get("error")
            return {"task_id": task_id, "status": "FAILURE", "result": None, "error": error}
        return {"task_id": task_id, "status": "PENDING", "result": None, "error": None}
    # STARTED, or a custom state: no result yet.
    return {"task_id": task_id, "status": state, "result": None, "error": None}
