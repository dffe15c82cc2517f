"""Celery tasks of analytics (thin: they call apps.analytics.rollup)."""

from celery import shared_task

from apps.analytics.rollup import rollup_available, rollup_fold


@shared_task(name="analytics.fold_rollup")
def fold_rollup() -> None:
    """Folds the pending deltas into the rollup (per day, hour and 5-minute slot). Reads are exact without it: it
    keeps pending short."""
    if rollup_available():
        rollup_fold()
