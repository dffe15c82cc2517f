"""`celery -A config beat ... DatabaseScheduler` (the seed's command) starts and finds the seeded schedule."""

import subprocess
import sys

import pytest
from django.core.management import call_command

from tests.e2e.conftest import ROOT, wait_for, worker_env
from tests.services import free_port, postgres_or_fail, redis_db_url, redis_or_fail

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_beat_with_database_scheduler_sends_the_seeded_tasks(transactional_db, tmp_path):
    postgres_or_fail()
    call_command("seed_initial_data", verbosity=0)
    env = worker_env(
        broker_url=redis_db_url(redis_or_fail(), 11), smtp_port=free_port(), evolution_url="http://127.0.0.1:9"
    )
    log_path = tmp_path / "beat.log"
    with open(log_path, "w+") as log:
        beat = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "-l",
                "info",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "--pidfile",
                str(tmp_path / "beat.pid"),
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: "Sending due task relay_pending_notifications" in log_path.read_text(),
                # An interval schedule first fires one interval after beat starts.
                timeout=100,
                what="beat to send the every-minute relay task",
            )
        finally:
            beat.terminate()
            beat.wait(timeout=20)
    text = log_path.read_text()
    assert "DatabaseScheduler" in text
    assert "notifications.relay_pending_notifications" in text
