"""Store scaling: the 90-day dashboard of one number over HTTP, at two message counts, side by side.

    python -m tests.benchmarks.store_scaling                      # 10k vs 1M messages
    python -m tests.benchmarks.store_scaling --sizes 1000,20000 --runs 5   # quick

Both stores are served at once and the requests alternate between them, so machine noise falls
on both sides alike; the figure to judge is the ratio of medians.
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

from gateway.app import create_app
from gateway.auth import KeyKind
from gateway.domain.messages import MessageStatus, OutboundMessage
from gateway.providers.native import SqliteStore
from gateway.providers.native.ingest import record_messages
from gateway.providers.native.tenancy import Tenancy
from gateway.settings import Settings

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


async def measure(sizes: Sequence[int], runs: int, warmup: int) -> dict[int, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        servers, keys = {}, {}
        for size in sizes:
            started = time.perf_counter()
            path = Path(tmp) / f"store-{size}.sqlite3"
            keys[size] = await build_store(path, size)
            print(
                f"  built store with {size} messages in {time.perf_counter() - started:.1f}s",
                flush=True,
            )
            # The caches off: this measures the store.
            app = create_app(
                Settings(database=path, demo=False, cache_ttl_seconds=0, dashboard_memo=False),
                clock=lambda: NOW,
            )
            servers[size] = TestServer(app, host="127.0.0.1")
            await servers[size].start_server()
        timings: dict[int, list[float]] = {size: [] for size in sizes}
        try:
            async with aiohttp.ClientSession() as session:
                for round_ in range(warmup + runs):
                    for size in sizes:
                        started = time.perf_counter()
                        async with session.post(
                            servers[size].make_url("/graphql"),
                            json={"query": QUERY},
                            headers={"x-api-key": keys[size]},
                        ) as response:
                            body = await response.json()
                        elapsed = time.perf_counter() - started
                        assert response.status == 200 and "errors" not in body, body
                        assert body["data"]["dashboard"]["totals"]["total"] == size
                        if round_ >= warmup:
                            timings[size].append(elapsed * 1000)
        finally:
            for server in servers.values():
                await server.close()
        return timings


def report(timings: dict[int, list[float]], target: float) -> str:
    sizes = sorted(timings)
    lines = [
        f"store-scaling: 90-day dashboard over HTTP, one number, "
        f"{len(timings[sizes[0]])} runs each, interleaved"
    ]
    medians = {}
    for size in sizes:
        values = sorted(timings[size])
        medians[size] = statistics.median(values)
        p90 = values[int(len(values) * 0.9) - 1] if len(values) >= 10 else values[-1]
        lines.append(f"  messages={size:<9} median_ms={medians[size]:.2f} p90_ms={p90:.2f}")
    ratio = medians[sizes[-1]] / medians[sizes[0]]
    verdict = "ok" if ratio <= target else "over target"
    lines.append(f"  ratio {sizes[-1]}/{sizes[0]} = {ratio:.2f} (target <= {target}) {verdict}")
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
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(report(asyncio.run(measure(sizes, args.runs, args.warmup)), args.target))


if __name__ == "__main__":
    main()
