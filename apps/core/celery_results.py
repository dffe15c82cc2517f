"""django-celery-results' database backend, made to survive a database outage.

Celery stores a task's state after its body has run. When PostgreSQL is down at that moment the store raises
outside the task's body, and with the solo pool that stops the worker ("Unrecoverable error"): every queued
notification would wait for someone to restart it. A state that could not be stored is logged instead; what
matters is kept in our own rows (notification logs, sync batches), which the sweeps finish once the database
is back.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django_celery_results.backends import DatabaseBackend as DjangoDatabaseBackend

logger = logging.getLogger(__name__)


class DatabaseBackend(DjangoDatabaseBackend):
    def store_result(self, task_id, result, state, traceback=None, request=None, **kwargs):
        try:
            return super().store_result(task_id, result, state, traceback, request, **kwargs)
        except DatabaseError as exc:
            logger.warning("task %s: state %s not stored, the database is unavailable (%s)", task_id, state, exc)
            return result
