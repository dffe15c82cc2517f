"""POST events/dispatch/ through gunicorn against a one-file Django + DRF no-op view (bench/noop_app.py), same run.

A second baseline, the floor (bench/floor_app.py), stores the body with one INSERT and publishes it with one LPUSH:
what any accept that answers only once its row is stored and its task published costs on the same stack.

One command from a fresh clone (local PostgreSQL and Redis; the script creates and seeds the database, installs wrk
with apt-get when it is missing, and empties the Redis database it was given at the end — give it one of its own):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ambacar_bench REDIS_URL=redis://127.0.0.1:6379/15 \\
        .venv/bin/python bench/bench_dispatch.py

Both apps run under the same gunicorn flags (2 sync workers, DEBUG off) and are driven by wrk (1 thread, 8
connections, 10 s rounds, three rounds alternating). The project runs as in production: real adapters configured
(never called: no worker runs) and tasks published to the Redis broker, where they stay until the final flush. Then a
paced run at 70 % of the project's peak gives the p95 a client sees below saturation.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.notifications.seed.examples import DISPATCH_EXAMPLE  # noqa: E402 - a plain dict, no Django

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
URL_PATH = "/api/v1/notifications/events/dispatch/"
BODY = DISPATCH_EXAMPLE  # the seed's example: plan whatsapp + email for customer-001

# Production runs behind a TLS proxy that says so (SECURE_PROXY_SSL_HEADER); without it DEBUG off redirects to https.
PROXY = {"X-Forwarded-Proto": "https"}

# wrk's Lua: POST the body; `done` prints one JSON line (wrk's own summary has no p95). With PACE_RPS set, `delay`
# spaces the thread's requests on a fixed schedule (LuaJIT's ffi gives the wall clock wrk's Lua lacks).
WRK_LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Forwarded-Proto"] = "https"
local key = os.getenv("BENCH_KEY")
if key and key ~= "" then wrk.headers["Authorization"] = "Api-Key " .. key end
local pace = tonumber(os.getenv("PACE_RPS") or "0")
local next_at = nil
if pace > 0 then
  function delay()
    local t = now_ms()
    if next_at == nil or next_at < t then next_at = t end
    local wait = next_at - t
    next_at = next_at + 1000 / pace
    return wait
  end
end
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "non2xx": %d, "errors": %d, "p50": %.3f, "p95": %.3f, "p99": %.3f}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk no quedó instalado")


def project_env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "INTERNAL_API_SECRET_KEY": "bench-internal",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Real adapters, configured so the plan keeps both channels; no worker runs, so nothing is ever sent.
        "EVOLUTION_API_URL": "http://127.0.0.1:9",
        "EVOLUTION_API_KEY": "bench",
        "EVOLUTION_INSTANCE": "bench",
        "EMAIL_HOST": "127.0.0.1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
    }


def database_create(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1].split("?", 1)[0]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


SETUP = """
import django
django.setup()
from rest_framework_api_key.models import APIKey
from apps.notifications.models import CustomerContactInfo
CustomerContactInfo.objects.update_or_create(customer_id="customer-001", defaults={
    "name": "Carlos Mendoza", "email": "carlos@example.com", "phone": "+593991234567", "is_active": True})
print(APIKey.objects.create_key(name="bench")[1])
"""


def prepare(env: dict[str, str]) -> str:
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "seed_initial_data", "-v", "0"], env=env, cwd=ROOT, check=True)
    out = subprocess.run([PYTHON, "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


FLOOR_TABLE = "bench_floor_accept"


def floor_table(database_url: str, *statements: str) -> None:
    """Run statements on the floor's table (only FLOOR_TABLE is formatted in)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.format(table=FLOOR_TABLE))


def floor_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The floor's table, created empty, and its environment (same database and Redis as the project)."""
    floor_table(
        database_url,
        "CREATE TABLE IF NOT EXISTS {table} (id uuid PRIMARY KEY, body jsonb NOT NULL)",
        "TRUNCATE {table}",
    )
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FLOOR_DATABASE_URL": database_url,
        "FLOOR_REDIS_URL": redis_url,
        "FLOOR_TABLE": FLOOR_TABLE,
    }


def serve(app: str, port: int, env: dict[str, str], log) -> subprocess.Popen:
    command = [
        GUNICORN,
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--no-control-socket",
    ]
    if app.startswith("config."):
        command += ["-c", "config/gunicorn.conf.py"]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)


def wait_ready(port: int, key: str) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{URL_PATH}",
        data=json.dumps(BODY).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Api-Key {key}", **PROXY},
    )
    for _ in range(100):
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a local URL
                if response.status == 202:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    sys.exit(f"el servidor del puerto {port} no respondió 202")


def drive(wrk: str, script: str, port: int, key: str, seconds: int, pace: float = 0) -> dict:
    env = {**os.environ, "BENCH_BODY": json.dumps(BODY), "BENCH_KEY": key, "PACE_RPS": str(pace)}
    out = subprocess.run(
        [wrk, "-t1", "-c8", f"-d{seconds}s", "--timeout", "10s", "-s", script, f"http://127.0.0.1:{port}{URL_PATH}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    result["rps"] = result["requests"] / result["seconds"]
    if result["non2xx"] or result["errors"]:
        print(f"  aviso: {result['non2xx']} respuestas no 2xx, {result['errors']} errores de conexión")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18801)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ambacar_bench")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    wrk = ensure_wrk()
    database_create(database_url)
    env = project_env(database_url, redis_url)
    key = prepare(env)

    workdir = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    script = workdir / "post.lua"
    script.write_text(WRK_LUA)
    noop_port, floor_port, project_port = args.port, args.port + 1, args.port + 2
    log = (workdir / "gunicorn.log").open("w")
    servers = [
        serve("bench.noop_app:application", noop_port, {**os.environ, "PYTHONPATH": str(ROOT)}, log),
        serve("bench.floor_app:application", floor_port, floor_env(database_url, redis_url), log),
        serve("config.wsgi:application", project_port, env, log),
    ]
    try:
        wait_ready(noop_port, "")
        wait_ready(floor_port, "")
        wait_ready(project_port, key)
        # Warm-up: imports, connections, the configuration snapshot.
        for port, port_key in ((noop_port, ""), (floor_port, ""), (project_port, key)):
            drive(wrk, str(script), port, port_key, 3)
        noop, floor, project = [], [], []
        for round_number in range(1, args.rounds + 1):
            noop.append(drive(wrk, str(script), noop_port, "", args.seconds))
            floor.append(drive(wrk, str(script), floor_port, "", args.seconds))
            project.append(drive(wrk, str(script), project_port, key, args.seconds))
            print(
                f"ronda {round_number}: no-op {noop[-1]['rps']:8.1f} req/s (p50 {noop[-1]['p50']:.2f} ms) | "
                f"piso {floor[-1]['rps']:7.1f} req/s (p50 {floor[-1]['p50']:.2f} ms) | "
                f"dispatch {project[-1]['rps']:7.1f} req/s (p50 {project[-1]['p50']:.2f} ms, "
                f"p95 {project[-1]['p95']:.2f} ms)"
            )
        noop_rps = statistics.median(r["rps"] for r in noop)
        floor_rps = statistics.median(r["rps"] for r in floor)
        peak = statistics.median(r["rps"] for r in project)
        target = 0.7 * peak
        paced = drive(wrk, str(script), project_port, key, args.seconds, pace=target)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        log.close()
        import redis

        redis.Redis.from_url(redis_url).flushdb()  # the tasks nobody consumed
        floor_table(database_url, "DROP TABLE IF EXISTS {table}")

    print(f"no-op (línea base, mediana de {args.rounds}): {noop_rps:.1f} req/s")
    floor_share = 100 * floor_rps / noop_rps
    print(f"piso: un INSERT y un LPUSH (mediana):   {floor_rps:.1f} req/s ({floor_share:.1f} % de la no-op)")
    print(f"dispatch (mediana de {args.rounds}):           {peak:.1f} req/s")
    print(f"razón dispatch / no-op:                 {100 * peak / noop_rps:.1f} %  (meta ≥ 20 %)")
    print(f"razón dispatch / piso:                  {100 * peak / floor_rps:.1f} %")
    print(
        f"dispatch a 70 % del pico ({target:.0f} req/s pedidas, {paced['rps']:.1f} logradas): "
        f"p50 {paced['p50']:.2f} ms, p95 {paced['p95']:.2f} ms (meta ≤ 25 ms)"
    )
    print(f"registro de gunicorn: {workdir / 'gunicorn.log'}")


if __name__ == "__main__":
    main()
