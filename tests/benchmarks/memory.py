"""Memory: the gateway's RSS after warm-up and after a minute of sustained, varied load.

    python -m tests.benchmarks.memory                      # 30 s warm-up, 60 s of load
    python -m tests.benchmarks.memory --warmup 1 --seconds 2   # quick

The load mixes dashboards over every period and a spread of timezones (so the response cache
fills and turns over), SMS and email reports, and bad requests, from 8 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from gateway.domain.auth import KeyKind, default_scopes
from gateway.providers.native import SqliteStore
from gateway.providers.native.demo import seed_demo
from gateway.providers.native.tenancy import Tenancy
from tests.benchmarks.http_throughput import Bench, start, wait_ready
from tests.support.live import free_port

ZONES = [
    "UTC",
    "America/Sao_Paulo",
    "Europe/Berlin",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "America/New_York",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "Africa/Nairobi",
]


def documents(rng: random.Random) -> tuple[str, dict[str, object]]:
    zone = rng.choice(ZONES)
    pick = rng.random()
    if pick < 0.5:
        period = rng.choice(["DAYS_7", "DAYS_30", "DAYS_90"])
        return (
            "query ($p: Period, $z: String) { numbersConnection(first: 20) { edges { node {"
            " dashboard(period: $p, timezone: $z)"
            " { totals { total deliveryRate } series { date sent } } } } } }",
            {"p": period, "z": zone},
        )
    if pick < 0.8:
        # Ranges starting on any of 280 days: the cache keeps filling and turning over.
        start = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"
        return (
            "query ($z: String, $s: String) { sms { overview(timezone: $z, startDate: $s) "
            "{ deliveryRate } trends(timezone: $z, startDate: $s) { date messages { total } } }"
            " email { overall(pastDays: 30, timezone: $z) { sent opens { rate } } } }",
            {"z": zone, "s": start},
        )
    return ('{ dashboard(timezone: "Nowhere/Land") { period } }', {})


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def load(url: str, key: str, seconds: float, clients: int = 8) -> int:
    deadline = time.monotonic() + seconds
    done = 0

    async def client(session: aiohttp.ClientSession, seed: int) -> None:
        nonlocal done
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            query, variables = documents(rng)
            async with session.post(
                url, json={"query": query, "variables": variables}, headers={"x-api-key": key}
            ) as response:
                await response.read()
                assert response.status == 200, response.status
                done += 1

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session, i) for i in range(clients)))
    return done


async def prepare(path: Path) -> str:
    store = await SqliteStore.open(path)
    try:
        await seed_demo(store, datetime.now(UTC))
        issued = await Tenancy(store).create_key(
            "demo", KeyKind.TENANT, default_scopes(KeyKind.TENANT)
        )
        return issued.key
    finally:
        await store.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # The warm-up fills the response cache, SQLite's page caches and the allocator's arenas:
    # what grows after it is what the measure is for.
    parser.add_argument("--warmup", type=float, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--target", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "store.sqlite3"
        key = asyncio.run(prepare(database))
        port = free_port()
        # A 16 MB response cache fills within the warm-up; its bound is what is then measured.
        os.environ["GATEWAY_CACHE_MEGABYTES"] = "16"
        try:
            bench = Bench(Path(tmp), ports={"hit": port})
            server = start("hit", bench)
        finally:
            del os.environ["GATEWAY_CACHE_MEGABYTES"]
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            asyncio.run(wait_ready(url, key))
            asyncio.run(load(url, key, args.warmup))
            before = rss_kib(server.pid)
            samples, requests = [before], 0
            step = min(5.0, args.seconds)
            elapsed = 0.0
            while elapsed < args.seconds:
                requests += asyncio.run(load(url, key, step))
                samples.append(rss_kib(server.pid))
                elapsed += step
        finally:
            server.terminate()
            server.wait(timeout=20)
    after = samples[-1]
    growth = (after - before) / before * 100
    print(
        f"memory: RSS of the gateway, {args.warmup:g} s warm-up, then {args.seconds:g} s of "
        f"mixed load ({requests} requests)"
    )
    print(
        f"  rss_before_kib={before} rss_after_kib={after} rss_max_kib={max(samples)} "
        f"median_kib={statistics.median(samples):.0f}"
    )
    print(f"  samples_kib={' '.join(str(kib) for kib in samples)}")
    print(
        f"  growth = {growth:.1f}% (target <= {args.target:g}%) "
        f"{'ok' if growth <= args.target else 'over target'}"
    )


if __name__ == "__main__":
    main()
