"""The whole benchmark suite, one benchmark after another, each printing its figures and ratio.

    python -m tests.benchmarks            # the full suite (about 17 minutes on 2 cores)
    python -m tests.benchmarks --quick    # small sizes: checks that everything runs

The store-scaling benchmark builds a store of 10M messages for its largest size.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from tests.benchmarks import (
    compression,
    fanout,
    http_throughput,
    ingest,
    live_fanout,
    memory,
    report_miss,
    scale,
    statement_cache,
    store_scaling,
    upstream_floor,
    workload,
)

Run = tuple[str, Callable[[Sequence[str] | None], None], list[str], list[str]]

SUITE: list[Run] = [
    ("realistic workload", workload.main, [], ["--quick"]),
    (
        "http throughput and workers",
        http_throughput.main,
        [],
        [
            "--seconds",
            "0.5",
            "--rounds",
            "1",
            "--loader",
            "python",
            "--messages",
            "500",
            "--kinds",
            "plain,hit,miss,default,upstream2",
        ],
    ),
    (
        "upstream path against its floor",
        upstream_floor.main,
        [],
        ["--seconds", "0.5", "--rounds", "1", "--loader", "python", "--connections", "4"],
    ),
    (
        "store scaling",
        store_scaling.main,
        ["--sizes", "10000,10000000", "--target", "1.3"],
        ["--sizes", "500,5000", "--runs", "3", "--warmup", "1"],
    ),
    ("ingest", ingest.main, [], ["--events", "3000", "--runs", "1"]),
    ("fan-out", fanout.main, [], ["--reports", "5", "--runs", "1", "--latency", "0.01"]),
    ("live fan-out", live_fanout.main, [], ["--sizes", "2,20", "--seconds", "1"]),
    ("memory", memory.main, [], ["--warmup", "1", "--seconds", "2"]),
    (
        "compression",
        compression.main,
        [],
        ["--rounds", "3", "--calls", "300", "--messages", "200"],
    ),
    (
        "statement cache and PgBouncer",
        statement_cache.main,
        [],
        ["--clients", "4", "--seconds", "0.3", "--rounds", "1"],
    ),
    ("reports on a miss", report_miss.main, [], ["--quick"]),
    (
        "scale",
        scale.main,
        [],
        ["--numbers", "60", "--campaigns", "300", "--messages", "6000", "--runs", "2"],
    ),
]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds each")
    args = parser.parse_args(argv)
    for name, run, full, quick in SUITE:
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        run(quick if args.quick else full)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
