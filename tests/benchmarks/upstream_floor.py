"""The upstream path against its floor: a number at Pilot Status's 30-day dashboard.

    python -m tests.benchmarks.upstream_floor                   # wrk if installed, 5 s x 3 rounds
    python -m tests.benchmarks.upstream_floor --seconds 1 --rounds 1 --loader python   # quick

Servers, each in its own process on loopback, measured in one run, rounds interleaved, all
asking one static Pilot Status on loopback:
  floor      an aiohttp handler that decodes the request, calls the upstream through a shared
             ClientSession, decodes its JSON and encodes the same answer with orjson: the least
             this stack does for the document
  upstream1  the gateway, 1 worker, answering the same document live (source TTL 0, so never
             from the response cache)
The gateway is judged by upstream1/floor (target >= 1/3, aim 1/2).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from collections.abc import Sequence

from tests.benchmarks.http_throughput import measure

KINDS = ("floor", "upstream1")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--loader", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    args = parser.parse_args(argv)
    figures = measure(KINDS, args.rounds, args.seconds, args.loader, args.connections, 100)
    print(
        f"upstream-floor: 30-day dashboard of a number at Pilot Status, {args.loader}, "
        f"{args.connections} connections, {args.rounds} rounds of {args.seconds:g} s, medians"
    )
    median = {kind: statistics.median(figures.rates[kind]) for kind in KINDS}
    for kind in KINDS:
        cpu = figures.cpu_ms[kind]
        spent = f" cpu_ms_per_request={statistics.median(cpu):.3f}" if cpu else ""
        print(f"  {kind:<9} requests_per_s={median[kind]:,.0f}{spent}")
    same = figures.sizes["floor"] == figures.sizes["upstream1"]
    print(f"  answers of the same size: {same} ({figures.sizes['upstream1']} bytes)")
    ratio = median["upstream1"] / median["floor"]
    print(f"  ratio upstream1/floor = {ratio:.3f} (target >= 0.333, aim 0.5)")


if __name__ == "__main__":
    main()
