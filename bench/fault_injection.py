"""Fault-injection proof of the delivery engine (SPEC §8, §13): faults injected into the whole product running on
this machine (bench/fault_stack.py), each run reporting what was lost and what was sent twice.

    .venv/bin/python bench/fault_injection.py kills      # 1,000 dispatches, the worker SIGKILLed 5 times
    .venv/bin/python bench/fault_injection.py redis      # Redis stopped 30 s during a stream of dispatches
    .venv/bin/python bench/fault_injection.py postgres   # PostgreSQL stopped and started during a stream
    .venv/bin/python bench/fault_injection.py all

Each scenario prints its figures in Spanish and a last line `RESULT {json}` (read by
tests/e2e/test_fault_injection.py); the exit status is 1 when a bar is missed. Every dispatch carries a token
(`Cliente F000123`) in its context, so the fake providers can tell a duplicate from another message.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_stack import Stack, wait_for  # noqa: E402

from apps.notifications.seed.examples import DISPATCH_EXAMPLE  # noqa: E402  (plain data, no Django needed)

URL = "/api/v1/notifications/events/dispatch/"
FINAL = ("sent", "delivered", "read", "failed")
SCENARIOS = ("kills", "redis", "postgres")


def dispatch_body(i: int) -> dict:
    """The seed's example (customer-001), its name carrying the dispatch's token."""
    return {**DISPATCH_EXAMPLE, "context": {**DISPATCH_EXAMPLE["context"], "nombre": f"Cliente F{i:06d}"}}


@dataclass
class Answer:
    index: int
    sent_at: float  # monotonic
    status: int
    ms: float
    dispatch_id: str | None = None
    error_shape_ok: bool = True
    code: str = ""


@dataclass
class Load:
    """Clients posting dispatches to gunicorn: `count` as fast as `threads` allow, or `rate` per second."""

    stack: Stack
    threads: int = 4
    answers: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    def _client(self) -> httpx.Client:
        if not hasattr(self._local, "client"):
            self._local.client = httpx.Client(
                base_url=f"http://127.0.0.1:{self.stack.web_port}",
                headers={"Authorization": f"Api-Key {self.stack.api_key}"},
                timeout=30,
            )
        return self._local.client

    def post(self, i: int) -> Answer:
        started = time.monotonic()
        try:
            response = self._client().post(URL, json=dispatch_body(i))
            status, body = response.status_code, _json(response)
        except httpx.HTTPError as exc:
            status, body = 0, {"transport_error": type(exc).__name__}
        answer = Answer(i, started, status, (time.monotonic() - started) * 1000)
        if status == 202:
            answer.dispatch_id = body.get("dispatch_id")
        else:
            errors = body.get("errors") if isinstance(body, dict) else None
            answer.error_shape_ok = bool(
                isinstance(body, dict) and body.get("type") in ("client_error", "server_error", "validation_error")
                and isinstance(errors, list) and errors and {"code", "detail", "attr"} <= set(errors[0])
            )  # fmt: skip
            answer.code = errors[0].get("code", "") if answer.error_shape_ok else ""
        with self._lock:
            self.answers.append(answer)
        return answer

    def burst(self, count: int, first: int = 0) -> None:
        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(self.post, range(first, first + count)))

    def stream(self, *, rate: float, seconds: float, first: int = 0, on_tick: Callable[[float], None] = None) -> None:
        """`rate` requests per second for `seconds`, each in its own thread so a slow answer never slows the rate."""
        start = time.monotonic()
        with ThreadPoolExecutor(max(self.threads, int(rate * 2))) as pool:
            for n in range(int(rate * seconds)):
                at = start + n / rate
                time.sleep(max(0.0, at - time.monotonic()))
                if on_tick:
                    on_tick(time.monotonic() - start)
                pool.submit(self.post, first + n)

    def warm_up(self) -> None:
        """A few dispatches first, not measured: each gunicorn worker's first request loads the URLconf, opens its
        database and broker connections. Their tokens (F9xxxxx) are sent like any other."""
        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(self.post, range(900000, 900000 + 2 * self.threads)))
        self.answers.clear()

    def accepted(self) -> list[str]:
        return [a.dispatch_id for a in self.answers if a.status == 202 and a.dispatch_id]


def _json(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return {"non_json": response.text[:200]}


def open_dispatches(ids: list[str]) -> int:
    from django.db import close_old_connections

    from apps.notifications.models import Dispatch

    close_old_connections()
    done = Dispatch.objects.filter(id__in=ids, status__in=FINAL).count()
    return len(ids) - done


def wait_until_final(ids: list[str], *, timeout: float) -> int:
    """How many of the dispatches are still not final after at most `timeout` seconds: the lost ones."""
    with contextlib.suppress(TimeoutError):
        wait_for(lambda: open_dispatches(ids) == 0, timeout=timeout, what="every dispatch to finish", interval=1)
    return open_dispatches(ids)


def duplicates(stack: Stack) -> dict:
    whatsapp, email = stack.whatsapp_tokens(), stack.email_tokens()
    return {
        "whatsapp_messages": sum(whatsapp.values()),
        "email_messages": sum(email.values()),
        "whatsapp_duplicates": sum(n - 1 for n in whatsapp.values() if n > 1),
        "email_duplicates": sum(n - 1 for n in email.values() if n > 1),
        "on_both_channels": len(set(whatsapp) & set(email)),
    }


def rows_sending() -> set[tuple[str, str]]:
    """(channel, row id) of every row a worker holds."""
    from apps.notifications.models import NotificationLog

    return {(c, str(i)) for c, i in NotificationLog.objects.filter(status="sending").values_list("channel", "id")}


def missing_rows(ids: list[str]) -> int:
    from apps.notifications.models import Dispatch, NotificationLog

    stored = set(map(str, Dispatch.objects.filter(id__in=ids).values_list("id", flat=True)))
    with_rows = set(map(str, NotificationLog.objects.filter(dispatch_id__in=ids).values_list("dispatch_id", flat=True)))
    return len(set(ids) - (stored & with_rows))


# --- the scenarios ----------------------------------------------------------------------------------------------


def scenario_kills(stack: Stack, *, dispatches: int, kills: int, every: float) -> dict:
    load = Load(stack)
    in_flight: set[tuple[str, str]] = set()
    kill_times: list[float] = []

    def killer():
        time.sleep(2)
        for _ in range(kills):
            time.sleep(random.uniform(every * 0.5, every * 1.5))
            stack.kill_worker()
            kill_times.append(time.monotonic())
            in_flight.update(rows_sending())  # what the dead worker held: only these may be duplicated
            time.sleep(1)
            stack.start_worker()

    started = time.monotonic()
    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    load.burst(dispatches)
    load_seconds = time.monotonic() - started
    thread.join()
    ids = load.accepted()
    lost = wait_until_final(ids, timeout=300)
    held = {channel: sum(1 for c, _ in in_flight if c == channel) for channel in ("whatsapp", "email")}
    result = {
        "scenario": "kills",
        "dispatches": dispatches,
        "accepted": len(ids),
        "not_accepted": len(load.answers) - len(ids),
        "kills": len(kill_times),
        "in_flight_at_kills": held,
        "lost": lost,
        "load_seconds": round(load_seconds, 1),
        "seconds_to_all_final": round(time.monotonic() - started, 1),
        **duplicates(stack),
    }
    result["ok"] = (
        result["lost"] == 0
        and result["not_accepted"] == 0
        and result["whatsapp_duplicates"] == 0
        and result["email_duplicates"] <= held["email"]
        and result["on_both_channels"] <= held["whatsapp"]
    )
    print(
        f"Trabajador matado {result['kills']} veces durante {dispatches} despachos: {len(ids)} aceptados, "
        f"{lost} perdidos; todos terminados en {result['seconds_to_all_final']} s.\n"
        f"En vuelo al morir: {held}. Duplicados: WhatsApp {result['whatsapp_duplicates']}, "
        f"email {result['email_duplicates']}; por los dos canales (WhatsApp incierto → email): "
        f"{result['on_both_channels']}."
    )
    return result


def stream_through_an_outage(
    stack: Stack, *, rate: float, before: float, outage: float, after: float, stop: Callable, start: Callable
) -> tuple[Load, dict[str, float]]:
    """Dispatches at `rate`/s; `stop()` after `before` seconds, `start()` `outage` seconds later. Returns the load
    and the monotonic times the service went "down" and came back "up"."""
    load = Load(stack)
    load.warm_up()
    marks: dict[str, float] = {}

    def on_tick(elapsed: float):
        if "down" not in marks and elapsed >= before:
            marks["down"] = time.monotonic()
            stop()
        elif "down" in marks and "up" not in marks and elapsed >= before + outage:
            start()
            marks["up"] = time.monotonic()

    load.stream(rate=rate, seconds=before + outage + after, on_tick=on_tick)
    return load, marks


def scenario_redis(stack: Stack, *, rate: float, before: float, outage: float, after: float) -> dict:
    load, marks = stream_through_an_outage(
        stack, rate=rate, before=before, outage=outage, after=after, stop=stack.redis.stop, start=stack.redis.start
    )
    ids = load.accepted()
    lost = wait_until_final(ids, timeout=180)
    final_at = time.monotonic()
    during = [a for a in load.answers if marks["down"] <= a.sent_at < marks["up"]]
    latencies = sorted(a.ms for a in load.answers)
    result = {
        "scenario": "redis",
        "requests": len(load.answers),
        "during_outage": len(during),
        "accepted": len(ids),
        "not_202": len(load.answers) - len(ids),
        "max_ms": round(max(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "max_ms_during_outage": round(max(a.ms for a in during), 1) if during else None,
        # When the slow answers came, in seconds after Redis went down (the outage lasts `outage` seconds).
        "over_500ms_at": [round(a.sent_at - marks["down"], 1) for a in load.answers if a.ms > 500][:20],
        "lost": lost,
        "seconds_after_redis_returned": round(final_at - marks["up"], 1),
        **duplicates(stack),
    }
    result["ok"] = (
        lost == 0
        and result["not_202"] == 0
        and result["max_ms"] <= 500
        and result["seconds_after_redis_returned"] <= 60
        and result["whatsapp_duplicates"] == 0
    )
    print(
        f"Redis caído {outage:.0f} s con {rate:.0f} despachos/s: {len(load.answers)} peticiones, "
        f"{result['not_202']} sin 202, latencia máxima {result['max_ms']} ms (p99 {result['p99_ms']} ms); "
        f"{lost} perdidos; todo enviado {result['seconds_after_redis_returned']} s después de volver Redis."
    )
    return result


def scenario_postgres(stack: Stack, *, rate: float, before: float, outage: float, after: float) -> dict:
    from django.db import connections

    load, marks = stream_through_an_outage(
        stack,
        rate=rate,
        before=before,
        outage=outage,
        after=after,
        stop=lambda: stack.postgres.stop("fast"),
        start=stack.postgres.start,
    )
    connections.close_all()  # this process's connection died with the server
    ids = load.accepted()
    by_status: dict[str, int] = {}
    for answer in load.answers:
        by_status[str(answer.status)] = by_status.get(str(answer.status), 0) + 1
    refused = [a for a in load.answers if a.status != 202]
    back = [a.sent_at - marks["up"] for a in load.answers if a.status == 202 and a.sent_at >= marks["up"]]
    lost = wait_until_final(ids, timeout=240)
    result = {
        "scenario": "postgres",
        "requests": len(load.answers),
        "by_status": by_status,
        "server_errors_500": sum(1 for a in load.answers if a.status == 500),
        "undocumented_errors": sum(1 for a in refused if not a.error_shape_ok or a.status not in (503,)),
        "codes": sorted({a.code for a in refused}),
        "accepted_without_row": missing_rows(ids),
        "first_202_after_restart_s": round(min(back), 2) if back else None,
        "lost": lost,
        **duplicates(stack),
    }
    result["ok"] = (
        result["server_errors_500"] == 0
        and result["undocumented_errors"] == 0
        and result["accepted_without_row"] == 0
        and back != []
        and lost == 0
        and result["whatsapp_duplicates"] == 0
    )
    print(
        f"PostgreSQL parado {outage:.0f} s con {rate:.0f} despachos/s: respuestas {by_status}, "
        f"errores 500: {result['server_errors_500']}, 202 sin su fila: {result['accepted_without_row']}; "
        f"primer 202 tras volver: {result['first_202_after_restart_s']} s; {lost} perdidos."
    )
    return result


def run(name: str, args: argparse.Namespace) -> dict:
    stack = Stack(latency=args.latency).start()
    try:
        if name == "kills":
            return scenario_kills(stack, dispatches=args.dispatches, kills=args.kills, every=args.kill_every)
        if name == "redis":
            return scenario_redis(stack, rate=args.rate, before=5, outage=args.outage, after=10)
        return scenario_postgres(stack, rate=args.rate, before=5, outage=args.pg_outage, after=15)
    finally:
        stack.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=[*SCENARIOS, "all"])
    parser.add_argument("--dispatches", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--kill-every", type=float, default=6.0, help="segundos entre muertes (±50 %%)")
    parser.add_argument("--rate", type=float, default=10.0, help="despachos por segundo (redis, postgres)")
    parser.add_argument("--outage", type=float, default=30.0, help="segundos sin Redis")
    parser.add_argument("--pg-outage", type=float, default=10.0, help="segundos sin PostgreSQL")
    parser.add_argument("--latency", type=float, default=0.02, help="segundos que tarda cada proveedor falso")
    args = parser.parse_args(argv)
    if args.scenario == "all":
        # One process per scenario: each has its own stack, and Django's settings are read once per process.
        rest = (argv if argv is not None else sys.argv[1:])[1:]
        codes = [subprocess.run([sys.executable, __file__, name, *rest], check=False).returncode for name in SCENARIOS]
        return max(codes)
    started = time.monotonic()
    result = run(args.scenario, args)
    result["run_seconds"] = round(time.monotonic() - started, 1)
    result["date"] = time.strftime("%Y-%m-%d")
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
