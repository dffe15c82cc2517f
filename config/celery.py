"""The Celery app (`celery -A config worker ...`). Queues, routes and reliability settings: SPEC §8."""

import os
import time
from collections.abc import Mapping
from functools import cached_property

import django
from celery import Celery, signals
from django import db
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from apps.core.metrics import metrics_flush
from config.env import require_production_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class DjangoCelerySettings(Mapping):
    """The CELERY_* Django settings, read once when Celery loads its configuration. Celery looks each setting up
    under two names in each of its maps: on Django's settings object every miss raised and caught AttributeError
    through LazySettings, about 2 % of a dispatch's CPU (docs/benchmarks.md §1e). A setting changed at run time goes
    through `app.conf`, as the tests do, which Celery keeps above this map."""

    @cached_property
    def _values(self) -> dict:
        from django.conf import settings

        return {name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")}

    def __getitem__(self, key):
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)


app = Celery("config")
app.config_from_object(DjangoCelerySettings(), namespace="CELERY")

app.conf.update(
    task_queues=(Queue("notifications"), Queue("sync"), Queue("maintenance")),
    task_default_queue="notifications",
    task_routes={
        "notifications.send_notification_task": {"queue": "notifications"},
        "notifications.check_maintenance_reminders": {"queue": "maintenance"},
        "notifications.retry_failed_notifications": {"queue": "maintenance"},
        "notifications.relay_pending_notifications": {"queue": "maintenance"},
        "notifications.purge_old_notification_logs": {"queue": "maintenance"},
        "notifications.probe_channels": {"queue": "maintenance"},
        "analytics.fold_rollup": {"queue": "maintenance"},
        "synchronization.*": {"queue": "sync"},
    },
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # A task is acknowledged only when it finishes, and requeued if its worker dies: the claim
    # on the NotificationLog row makes the redelivery harmless.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # task_time_limit / task_soft_time_limit come from settings (NOTIFICATION_TASK_TIME_LIMIT).
    # Longest retry countdown (~30*2^2*1.2 s) + longest task (300 s) stays far below the visibility timeout.
    # A request must never hang on a dead broker (celery#4296): fail fast, the row waits in the
    # database and the relay sweep enqueues it later.
    broker_transport_options={
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    },
    result_backend_transport_options={"visibility_timeout": 3600},
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

app.autodiscover_tasks()


@app.on_after_configure.connect
def _django_ready(sender, **kwargs):
    """`celery -A config call|result|inspect …` build the result backend, whose models need Django's app registry;
    a worker and beat get it from Celery's Django fixup, the other commands did not ("Apps aren't loaded yet")."""
    if not apps.ready:
        django.setup()


# import_modules is sent when a worker or beat loads the task modules, before anything touches the
# database or the broker. beat_init comes too late: the scheduler (and its tables) is built first.
@signals.import_modules.connect
def _refuse_half_configured_start(**kwargs):
    try:
        require_production_settings()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows exceptions of signal receivers; SystemExit stops the process.
        raise SystemExit(str(exc)) from exc


@signals.task_postrun.connect
def _close_broken_database_connections(**kwargs):
    """The worker keeps its database connections between tasks (CELERY_DB_REUSE_MAX). One that saw an error or
    outlived CONN_MAX_AGE is checked and closed here, as Django does at the end of a request; a healthy one is left
    alone, since checking it would cost a round trip at the start of the next task."""
    for conn in db.connections.all(initialized_only=True):
        if conn.errors_occurred or (conn.close_at is not None and time.monotonic() >= conn.close_at):
            conn.close_if_unusable_or_obsolete()


@signals.worker_process_shutdown.connect
def _write_the_last_metrics(**kwargs):
    """A prefork child leaves with os._exit, which skips atexit: the counters it summed since its last write
    (apps.core.metrics) go out here. The solo and threads pools run in the main process, where atexit does it."""
    metrics_flush()
