"""Handing work to Celery by task name.

Services publish by the stable names of SPEC §8 instead of importing the tasks modules, which import the
services: the arrows go tasks → services, never back. The task is looked up in the app's registry (not
`send_task`) so that the embedded eager mode still runs it in-process.
"""

from __future__ import annotations

from config.celery import app


def task_publish(name: str, *, args: list, task_id: str | None = None) -> None:
    """Publish one task; raises whatever the broker raises (callers keep the work in the database for a sweep)."""
    _task(name).apply_async(args=args, task_id=task_id, retry=False)


def _task(name: str):
    try:
        return app.tasks[name]
    except KeyError:
        # A worker imports the tasks modules at start-up; the web process on its first publish (autodiscovery).
        app.loader.import_default_modules()
        return app.tasks[name]
