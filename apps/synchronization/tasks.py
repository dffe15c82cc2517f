"""Sync tasks (queue `sync` by name, see config/celery.py): thin, they take a batch id and call a service.

The batch itself (the customers' or vehicles' data) stays in the database: task arguments never carry
phone numbers or emails (SPEC §8).
"""

import logging

from celery import shared_task
from django.db import DatabaseError

from apps.core.logging import request_id_scope
from apps.synchronization.models import SyncBatch
from apps.synchronization.services import sync_batch_fail, sync_batch_process

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
RETRY_BASE_SECONDS = 5


def _run(task, batch_id: str, kind: str) -> dict:
    request_id = SyncBatch.objects.filter(id=batch_id).values_list("request_id", flat=True).first()
    with request_id_scope(request_id):
        return _process(task, batch_id, kind)


def _process(task, batch_id: str, kind: str) -> dict:
    try:
        return sync_batch_process(batch_id=batch_id, kind=kind)
    except DatabaseError as exc:
        # Lock timeouts, deadlocks, a row inserted by a concurrent sync (unique violation): the whole
        # batch runs again, and on the next pass the stale check sees the other sync's rows.
        if task.request.retries < MAX_RETRIES:
            logger.warning("sync batch %s: %s; retrying", batch_id, type(exc).__name__)
            raise task.retry(exc=exc, countdown=RETRY_BASE_SECONDS * 2**task.request.retries) from exc
        sync_batch_fail(batch_id=batch_id, error=f"{type(exc).__name__}: {exc}")
        raise
    except Exception as exc:
        sync_batch_fail(batch_id=batch_id, error=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(bind=True, name="synchronization.sync_customers", track_started=True, max_retries=MAX_RETRIES)
def sync_customers(self, batch_id: str) -> dict:
    return _run(self, batch_id, SyncBatch.Kind.CUSTOMERS)


@shared_task(bind=True, name="synchronization.sync_vehicles", track_started=True, max_retries=MAX_RETRIES)
def sync_vehicles(self, batch_id: str) -> dict:
    return _run(self, batch_id, SyncBatch.Kind.VEHICLES)
