"""The analytics reads at 10M log rows against the same reads at 1M, measured in one run: the ratio of the issue.

    make bench-analytics-scale

or by hand, with two databases that `bench/bench_analytics.py --keep` filled (1M and 10M rows):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ambacar_bench_10m \\
        .venv/bin/python bench/bench_analytics_scale.py postgres://postgres@127.0.0.1:5432/ambacar_bench_1m

Why one run: on a shared 2-core VM the speed of the machine drifts by tens of percent between runs minutes apart
(a `SELECT 1` took 0.12 ms in one run and 0.21 ms in the next), more than the difference the 1.5x bar is about.
Here every figure of the big database is taken between two of the small one: 5 alternating rounds, each the median
of --repeat runs after a warm-up, per subject and database; the figure is the median over rounds and the ratio is
big ÷ small of those medians (with the per-round ratios' range, for the noise). The reads are those of
bench_analytics.rollup_reads(): summary windows ending now and at the worst cut, health and recent. In process (no
HTTP), one connection per database, selected by swapping Django's default connection.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench_analytics import median_seconds, rollup_reads, worst_cut  # noqa: E402 - after the path

SMALL = "small"
BAR = 1.5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("small_database_url", help="the database with fewer rows (1M); DATABASE_URL holds more")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per figure and round (median)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (median)")
    return parser.parse_args()


@contextmanager
def on_database(alias: str) -> Iterator[None]:
    """Django's default connection is the one of `alias` meanwhile (the selectors use the default one)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    saved = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = connections[alias]
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS] = saved


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL"):
        print("Defina DATABASE_URL con la base de más filas (p. ej. postgres://…/ambacar_bench_10m).")
        return 2
    import dj_database_url
    import django

    django.setup()
    from django.db import DEFAULT_DB_ALIAS, connections

    from apps.notifications.models import NotificationLog

    small = dict(connections.settings[DEFAULT_DB_ALIAS])
    connection_keys = ("NAME", "HOST", "PORT", "USER", "PASSWORD")
    small.update({k: v for k, v in dj_database_url.parse(args.small_database_url).items() if k in connection_keys})
    connections.settings[SMALL] = small
    counts = {}
    for alias in (DEFAULT_DB_ALIAS, SMALL):
        with on_database(alias):
            counts[alias] = NotificationLog.objects.count()
            if not counts[alias]:
                print(
                    f"La base {connections.settings[alias]['NAME']} no tiene filas: "
                    "llénela con bench_analytics.py --keep."
                )
                return 2
    work = rollup_reads(worst_cut())
    samples: dict[str, dict[str, list[float]]] = {alias: {name: [] for name in work} for alias in counts}
    for _ in range(args.rounds):
        for name, fn in work.items():
            for alias in (SMALL, DEFAULT_DB_ALIAS):
                with on_database(alias):
                    samples[alias][name].append(median_seconds(fn, args.repeat))
    big_rows, small_rows = counts[DEFAULT_DB_ALIAS], counts[SMALL]
    print(f"# Lecturas de analítica: {big_rows:,} filas ÷ {small_rows:,} filas, en la misma corrida")
    print(
        f"{args.rounds} rondas alternadas (cada cifra entre dos de la otra base), cada una la mediana de "
        f"{args.repeat} corridas tras un calentamiento; ms = mediana de las rondas"
    )
    print()
    print("| medida | ms, base chica | ms, base grande | grande ÷ chica | rango por ronda |")
    print("|---|---:|---:|---:|---|")
    worst = 0.0
    for name in work:
        low, high = (statistics.median(samples[a][name]) for a in (SMALL, DEFAULT_DB_ALIAS))
        per_round = [h / lo for h, lo in zip(samples[DEFAULT_DB_ALIAS][name], samples[SMALL][name], strict=True)]
        ratio = high / low
        worst = max(worst, ratio)
        print(
            f"| `{name}` | {low * 1000:.2f} | {high * 1000:.2f} | {ratio:.2f} | "
            f"{min(per_round):.2f}–{max(per_round):.2f} |"
        )
    print()
    print(
        f"Barra: grande ÷ chica ≤ {BAR} en cada lectura: peor {worst:.2f} "
        f"({'cumple' if worst <= BAR else 'NO cumple'})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
