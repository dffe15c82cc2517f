"""The fault-injection proof (bench/fault_injection.py) as part of the suite: the whole product on this machine, a
fault injected, and zero dispatches lost. Each scenario starts its own PostgreSQL cluster and redis-server, so
stopping them touches nothing else; docs/reliability.md records the figures of these runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import unavailable

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]


def run_scenario(*args: str, timeout: int) -> dict:
    if shutil.which("redis-server") is None:
        unavailable("redis-server no está instalado")
    if not (shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))):
        unavailable("initdb de PostgreSQL no está instalado")
    proc = subprocess.run(
        [sys.executable, "bench/fault_injection.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no result (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    result = json.loads(lines[-1].removeprefix("RESULT "))
    print(json.dumps(result, ensure_ascii=False))  # the figures, in the CI log
    return result


def test_worker_killed_five_times_during_1000_dispatches_loses_none_and_never_repeats_whatsapp():
    result = run_scenario("kills", "--dispatches", "1000", "--kills", "5", timeout=900)

    assert result["kills"] == 5
    assert result["accepted"] == 1000 and result["lost"] == 0
    assert result["whatsapp_duplicates"] == 0
    # Only a send in flight at a kill may be repeated (email), or fall back after an unknown outcome (WhatsApp).
    assert result["email_duplicates"] <= result["in_flight_at_kills"]["email"]
    assert result["on_both_channels"] <= result["in_flight_at_kills"]["whatsapp"]
    assert result["ok"]


def test_redis_down_30_seconds_every_request_answers_202_at_once_and_all_is_sent_within_a_minute():
    result = run_scenario("redis", "--outage", "30", timeout=600)

    assert result["during_outage"] >= 250 and result["not_202"] == 0
    assert result["max_ms"] <= 500
    assert result["lost"] == 0 and result["seconds_after_redis_returned"] <= 60
    assert result["whatsapp_duplicates"] == 0
    assert result["ok"]


def test_postgres_restarted_answers_503_never_500_and_service_resumes_by_itself():
    result = run_scenario("postgres", "--pg-outage", "10", timeout=600)

    assert result["by_status"].get("503", 0) > 0  # the outage was seen
    assert result["server_errors_500"] == 0 and result["undocumented_errors"] == 0
    assert result["codes"] == ["database_unavailable"]
    assert result["accepted_without_row"] == 0
    assert result["first_202_after_restart_s"] is not None and result["first_202_after_restart_s"] < 5
    assert result["lost"] == 0 and result["whatsapp_duplicates"] == 0
    assert result["ok"]
