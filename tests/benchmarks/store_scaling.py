"""Store scaling: the 90-day dashboard of one number over HTTP, at two message counts and on
both native-store backends, side by side.

    python -m tests.benchmarks.store_scaling                      # 10k vs 1M messages
    python -m tests.benchmarks.store_scaling --sizes 1000,20000 --runs 5   # quick
    python -m tests.benchmarks.store_scaling --backends sqlite    # SQLite only

Every store is served at once and the requests go round them in turn, so machine noise falls on
all sides alike; the figures to judge are ratios of medians. The PostgreSQL stores are copies of
the SQLite ones (`gateway migrate-store`'s code), on the server GATEWAY_TEST_POSTGRES_URL names or
on a throwaway one on a loopback port (tests/support/pg.py).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind
from gateway.domain.messages import MessageStatus, OutboundMessage
from gateway.http.app import create_app
from gateway.providers.native import PostgresStore, SqliteStore
from gateway.providers.native.copy import copy_store
from gateway.providers.native.ingest import record_messages
from gateway.providers.native.tenancy import Tenancy
from tests.support.pg import create_database, postgres_server

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
QUERY = (
    '{ dashboard(period: DAYS_90, timezone: "America/Sao_Paulo") { totals { total sent '
    "delivered read failed deliveryRate readRate } series { date total sent delivered read "
    "failed } } }"
)


async def build_store(path: Path, messages: int) -> str:
    """A store with `messages` messages of one number over the last 90 days; returns a key."""
    store = await SqliteStore.open(path)
    try:
        tenancy = Tenancy(store)
        await tenancy.create_tenant("bench", "Bench")
        number = await tenancy.add_number("bench", "+5511900000000")
        rng = random.Random(messages)
        span = 89 * 86400  # inside the 90 local days ending today in any zone
        batch: list[OutboundMessage] = []
        for i in range(messages):
            batch.append(
                OutboundMessage(
                    tenant_id="bench",
                    number_id=number.id,
                    external_id=f"m{i}",
                    sent_at=NOW - timedelta(seconds=rng.randrange(span)),
                    status=MessageStatus(rng.choice((1, 2, 3, 3, 4, 4, 4))),
                )
            )
            if len(batch) == 20_000:
                await record_messages(store, batch)
                batch = []
        await record_messages(store, batch)
        issued = await tenancy.create_key(
            "bench", KeyKind.NUMBER, frozenset({"analytics:read"}), number_id=number.id
        )
        return issued.key
    finally:
        await store.close()


Side = tuple[str, int]  # (backend, messages)


async def copy_to_postgres(path: Path, server: str) -> str:
    url = await create_database(server)
    source, target = await SqliteStore.open(path), await PostgresStore.open(url)
    try:
        await copy_store(source, target, chunk=100_000)
    finally:
        await source.close()
        await target.close()
    return url


async def measure(
    sizes: Sequence[int], runs: int, warmup: int, backends: Sequence[str], server: str | None
) -> dict[Side, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        servers: dict[Side, TestServer] = {}
        keys: dict[int, str] = {}
        for size in sizes:
            started = time.perf_counter()
            path = Path(tmp) / f"store-{size}.sqlite3"
            keys[size] = await build_store(path, size)
            print(f"  built store with {size} messages in {time.perf_counter() - started:.1f}s")
            urls = {"sqlite": f"sqlite:///{path}"}
            if "postgresql" in backends:
                assert server is not None
                started = time.perf_counter()
                urls["postgresql"] = await copy_to_postgres(path, server)
                print(f"  copied it to PostgreSQL in {time.perf_counter() - started:.1f}s")
            for backend in backends:
                # The caches off: this measures the store.
                settings = Settings(
                    store_url=urls[backend], demo=False, cache_ttl_seconds=0, dashboard_memo=False
                )
                side = (backend, size)
                servers[side] = TestServer(
                    create_app(settings, clock=lambda: NOW), host="127.0.0.1"
                )
                await servers[side].start_server()
        timings: dict[Side, list[float]] = {side: [] for side in servers}
        try:
            async with aiohttp.ClientSession() as session:
                for round_ in range(warmup + runs):
                    for side, running in servers.items():
                        started = time.perf_counter()
                        async with session.post(
                            running.make_url("/graphql"),
                            json={"query": QUERY},
                            headers={"x-api-key": keys[side[1]]},
                        ) as response:
                            body = await response.json()
                        elapsed = time.perf_counter() - started
                        assert response.status == 200 and "errors" not in body, body
                        assert body["data"]["dashboard"]["totals"]["total"] == side[1]
                        if round_ >= warmup:
                            timings[side].append(elapsed * 1000)
        finally:
            for running in servers.values():
                await running.close()
        return timings


def report(timings: dict[Side, list[float]], target: float) -> str:
    sides = sorted(timings, key=lambda side: (side[0] != "sqlite", side[1]))
    sizes = sorted({size for _, size in sides})
    backends = sorted({backend for backend, _ in sides}, key=lambda b: b != "sqlite")
    lines = [
        f"store-scaling: 90-day dashboard over HTTP, one number, "
        f"{len(timings[sides[0]])} runs each, interleaved"
    ]
    medians = {}
    for side in sides:
        values = sorted(timings[side])
        medians[side] = statistics.median(values)
        p90 = values[int(len(values) * 0.9) - 1] if len(values) >= 10 else values[-1]
        lines.append(
            f"  backend={side[0]:<10} messages={side[1]:<9} median_ms={medians[side]:.2f} "
            f"p90_ms={p90:.2f}"
        )
    for backend in backends:
        ratio = medians[backend, sizes[-1]] / medians[backend, sizes[0]]
        verdict = "ok" if ratio <= target else "over target"
        lines.append(
            f"  {backend} ratio {sizes[-1]}/{sizes[0]} = {ratio:.2f} (target <= {target}) {verdict}"
        )
    if len(backends) > 1:
        for size in sizes:
            ratio = medians["postgresql", size] / medians["sqlite", size]
            lines.append(f"  postgresql/sqlite at {size} messages = {ratio:.2f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="10000,1000000", help="comma-separated message counts, smallest first"
    )
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--target", type=float, default=1.5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = args.backends.split(",")
    if "postgresql" not in backends:
        timings = asyncio.run(measure(sizes, args.runs, args.warmup, backends, None))
    else:
        with postgres_server(durable=True) as server:
            timings = asyncio.run(measure(sizes, args.runs, args.warmup, backends, server))
    print(report(timings, args.target))


if __name__ == "__main__":
    main()
