"""Ingest throughput: events per second through `gateway import`'s code path and through
webhooks, on a real store of each backend, side by side.

    python -m tests.benchmarks.ingest                 # 200,000 mixed events, 3 runs
    python -m tests.benchmarks.ingest --events 5000 --runs 1    # quick
    python -m tests.benchmarks.ingest --backends sqlite          # SQLite only

PostgreSQL runs on the server GATEWAY_TEST_POSTGRES_URL names, or on a throwaway one on a
loopback port (tests/support/pg.py); each run gets a fresh database there as SQLite gets a
fresh file.

The events mix WhatsApp messages and statuses, SMS messages and statuses, and email events,
with a share of replays and late statuses, as webhooks deliver them.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native import Store, open_store
from gateway.providers.native.importer import import_lines
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSources
from tests.support.pg import create_database, postgres_server

START = datetime(2026, 10, 1, tzinfo=UTC)


def events(count: int, seed: int = 1) -> Iterator[str]:
    rng = random.Random(seed)
    for i in range(count):
        at = (START + timedelta(seconds=rng.randrange(60 * 86400))).isoformat()
        roll = rng.random()
        event: dict[str, object]
        if roll < 0.25:
            event = {
                "type": "whatsapp.message",
                "tenant": "bench",
                "number": "+5511900000000",
                "messageId": f"w{i}",
                "sentAt": at,
            }
        elif roll < 0.4:
            event = {
                "type": "whatsapp.status",
                "tenant": "bench",
                "messageId": f"w{rng.randrange(i + 1)}",
                "status": rng.choice(["delivered", "read", "failed"]),
            }
        elif roll < 0.6:
            event = {
                "type": "sms.message",
                "tenant": "bench",
                "messageId": f"s{i}",
                "campaignId": f"c{rng.randrange(40)}",
                "sentAt": at,
                "status": "sent",
                "length": rng.choice([90, 600]),
            }
        elif roll < 0.7:
            event = {
                "type": "sms.status",
                "tenant": "bench",
                "messageId": f"s{rng.randrange(i + 1)}",
                "status": rng.choice(["delivered", "failed"]),
            }
        else:
            kind = rng.choice(["sent", "sent", "open", "open", "click", "soft_bounce"])
            event = {
                "type": "email",
                "tenant": "bench",
                "event": kind,
                "campaignId": f"e{rng.randrange(20)}",
                "recipient": f"r{rng.randrange(count // 4 + 1)}@x.io",
                "at": at,
            }
            if kind == "click":
                event["url"] = f"https://x.io/{rng.randrange(5)}"
        if rng.random() < 0.5:
            event["id"] = f"evt{i}"
        yield json.dumps(event)


async def fresh_store(tmp: str, server: str | None) -> Store:
    if server is None:
        return await open_store(Path(tmp) / "bench.sqlite3")
    return await open_store(await create_database(server))


async def run_once(lines: Sequence[str], server: str | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = await fresh_store(tmp, server)
        try:
            await Tenancy(store).create_tenant("bench", "Bench")
            summary = await import_lines(store, lines, io.StringIO())
            assert summary.rejected == 0 and summary.applied + summary.duplicates == len(lines)
            return summary.rate
        finally:
            await store.close()


async def webhook_rate(
    lines: Sequence[str], database: str | None, batch: int = 100, clients: int = 4
) -> float:
    """Events per second POSTed to a webhook source, `batch` events a request."""
    with tempfile.TemporaryDirectory() as tmp:
        store = await fresh_store(tmp, database)
        await Tenancy(store).create_tenant("bench", "Bench")
        source = await WebhookSources(store).create("bench", "gateway")
        await store.close()
        app = create_app(Settings(store_url=store.url, demo=False))
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        bodies = [
            ("[" + ",".join(lines[i : i + batch]) + "]").encode()
            for i in range(0, len(lines), batch)
        ]
        queue = list(reversed(bodies))
        url = server.make_url(f"/webhooks/{source.name}")
        try:
            async with aiohttp.ClientSession() as session:

                async def client() -> None:
                    while queue:
                        body = queue.pop()
                        async with session.post(
                            url,
                            data=body,
                            headers={
                                SIGNATURE_HEADER: sign(source.secret, body),
                                "content-type": "application/json",
                            },
                        ) as response:
                            assert response.status == 200, await response.text()

                started = time.perf_counter()
                await asyncio.gather(*(client() for _ in range(clients)))
                return len(lines) / (time.perf_counter() - started)
        finally:
            await server.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--target", type=float, default=60_000, help="import, SQLite (events/s)")
    parser.add_argument(
        "--ratio-target", type=float, default=0.8, help="import, PostgreSQL / SQLite"
    )
    parser.add_argument(
        "--webhook-target", type=float, default=25_000, help="webhooks, batches of 100 (events/s)"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    lines = list(events(args.events))
    with ExitStack() as stack:
        servers = {
            backend: (
                stack.enter_context(postgres_server(durable=True))
                if backend == "postgresql"
                else None
            )
            for backend in backends
        }
        # Runs alternate between the backends, so machine noise falls on both alike.
        rates: dict[str, list[float]] = {b: [] for b in backends}
        hooks: dict[str, list[float]] = {b: [] for b in backends}
        for _ in range(args.runs):
            for backend in backends:
                rates[backend].append(asyncio.run(run_once(lines, servers[backend])))
        for _ in range(args.runs):
            for backend in backends:
                hooks[backend].append(asyncio.run(webhook_rate(lines, servers[backend])))
    print(f"ingest: {args.events} mixed events through import, {args.runs} runs, fresh store each")
    medians = {b: statistics.median(rates[b]) for b in backends}
    hook_medians = {b: statistics.median(hooks[b]) for b in backends}
    for backend in backends:
        values = rates[backend]
        print(
            f"  backend={backend:<10} import events_per_s median={medians[backend]:,.0f} "
            f"min={min(values):,.0f} max={max(values):,.0f}"
        )
        print(
            f"  backend={backend:<10} webhook events_per_s median={hook_medians[backend]:,.0f} "
            f"min={min(hooks[backend]):,.0f} max={max(hooks[backend]):,.0f} "
            "(batches of 100 events, 4 concurrent senders)"
        )

    def verdict(value: float, target: float) -> str:
        return "ok" if value >= target else "under target"

    if "sqlite" in medians:
        sqlite, hook = medians["sqlite"], hook_medians["sqlite"]
        print(
            f"  target import (SQLite) >= {args.target:,.0f} events/s: "
            f"{verdict(sqlite, args.target)}"
        )
        print(
            f"  target webhooks (SQLite) >= {args.webhook_target:,.0f} events/s: "
            f"{verdict(hook, args.webhook_target)}"
        )
    if len(medians) > 1:
        ratio = medians["postgresql"] / medians["sqlite"]
        print(
            f"  import postgresql/sqlite = {ratio:.2f}, target >= {args.ratio_target}: "
            f"{verdict(ratio, args.ratio_target)}"
        )


if __name__ == "__main__":
    main()
