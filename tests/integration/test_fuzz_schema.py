"""Schemathesis against a live gunicorn on PostgreSQL: every operation of docs/openapi.yaml, the coverage and
fuzzing phases and the stateful links, with a fixed seed; zero 5xx and zero conformance failures, with
credentials and without. A bounded run (about two minutes); docs/reliability.md has the longer one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
import yaml
from django.core.management import call_command
from rest_framework_api_key.models import APIKey

from tests.services import database_url_for_test_db, free_port, postgres_or_fail, redis_db_url, redis_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "openapi.yaml"
CONFIG = ROOT / "tests" / "fuzz" / "schemathesis.toml"
# The server enqueues into its own Redis database and nothing consumes it: a fuzzed dispatch never leaves.
FUZZ_REDIS_DB = 15
INTERNAL_SECRET = "fuzz-internal-secret"
WEBHOOK_TOKEN = "fuzz-webhook-token"
# A VAPID pair made for these tests only: with it, GET push/vapid-public-key/ answers 200, not 503.
VAPID_PUBLIC_KEY = "BFlvD0fI4nc-kTKQ8MVTxIbG5MBVCCv8ZeH--UtnVflk7nTzeQMULaacF3Xg4YweLJudQ6u5kyvd2tdMwv8imus"
VAPID_PRIVATE_KEY = "hzhttE440geaVuRIak2rTQMvkgRFcTUI-WxgZzS8AtM"


def _server_env(broker_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="fuzz-secret-key-not-for-production",
        INTERNAL_API_SECRET_KEY=INTERNAL_SECRET,
        EVOLUTION_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
        VAPID_PUBLIC_KEY=VAPID_PUBLIC_KEY,
        VAPID_PRIVATE_KEY=VAPID_PRIVATE_KEY,
        VAPID_CONTACT_EMAIL="soporte@ambacar.ec",
        DATABASE_URL=database_url_for_test_db(),
        DB_CONN_MAX_AGE="0",
        REDIS_URL=broker_url,
        SECURE_SSL_REDIRECT="false",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    return env


@pytest.fixture
def live_api(transactional_db, tmp_path):
    """gunicorn, as the Dockerfile runs it, on the test database: the seed data and one API key."""
    postgres_or_fail()
    broker_url = redis_db_url(redis_or_fail(), FUZZ_REDIS_DB)
    redis.Redis.from_url(broker_url).flushdb()
    call_command("seed_initial_data", verbosity=0)
    _, key = APIKey.objects.create_key(name="fuzz")
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    log = open(log_path, "w+")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--timeout", "60", "--no-control-socket"],
        cwd=ROOT,
        env=_server_env(broker_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/api/v1/health/database/", log_path)
        yield type("LiveApi", (), {"url": url, "key": key, "log": log_path, "tmp": tmp_path})
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        redis.Redis.from_url(broker_url).flushdb()


def _wait_until_up(url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start:\n{log_path.read_text()}")


def schemathesis(api, *, name: str, seed: int, max_examples: int, headers: dict[str, str]) -> str:
    """`st run` on the committed schema; returns its output, failing the test on any failure or error."""
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", str(SCHEMA),
        "--url", api.url, "--phases", "examples,coverage,fuzzing,stateful", "--seed", str(seed),
        "--max-examples", str(max_examples), "--workers", "1", "--generation-database", "none",
        "--no-color", "--report", "junit", "--report-dir", str(api.tmp / name),
    ]  # fmt: skip
    for header, value in headers.items():
        command += ["--header", f"{header}: {value}"]
    result = subprocess.run(command, cwd=api.tmp, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{output}\n--- server log ---\n{api.log.read_text()[-20000:]}"
    return output


def _operation_count() -> int:
    paths = yaml.safe_load(SCHEMA.read_text())["paths"]
    return sum(method in ("get", "post", "put", "patch", "delete") for item in paths.values() for method in item)


def assert_clean_run(output: str) -> None:
    operations = _operation_count()
    assert f"Tested: {operations}" in output, output
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅ {phase}\b", output), f"phase {phase} did not pass:\n{output}"
    generated, passed = re.search(r"(\d+) generated, (\d+) passed", output).groups()
    assert int(generated) > 20 * operations and generated == passed, output
    print(output[output.rfind("SUMMARY") :])  # the figures, with `pytest -rP`


def test_fuzzing_with_credentials_finds_no_5xx_and_no_conformance_failure(live_api):
    headers = {
        "Authorization": f"Api-Key {live_api.key}",
        "X-Internal-Secret": INTERNAL_SECRET,
        "X-Webhook-Token": WEBHOOK_TOKEN,
    }
    assert_clean_run(schemathesis(live_api, name="with-credentials", seed=9, max_examples=25, headers=headers))


def test_fuzzing_without_credentials_finds_only_documented_answers(live_api):
    assert_clean_run(schemathesis(live_api, name="anonymous", seed=9, max_examples=10, headers={}))
