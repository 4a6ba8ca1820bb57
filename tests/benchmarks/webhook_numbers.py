"""Webhook posts of 1,000 Pilot Status events as a tenant's numbers grow to its bound: what
registering unknown numbers, and refusing them past GATEWAY_MAX_NUMBERS_PER_TENANT, costs.

    python -m tests.benchmarks.webhook_numbers                  # 9 posts of each kind
    python -m tests.benchmarks.webhook_numbers --posts 3 --backends sqlite

Each post is timed from the client, on a fresh store per backend: `new`, 1,000 numbers the
tenant does not have yet (the tenant grows by 1,000 a post, up to posts x 1,000); `known`,
1,000 events from numbers it has; `refused`, 1,000 new numbers with the tenant at its bound
(every event refused TOO_MANY_NUMBERS, nothing stored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native import open_store
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSources
from tests.support.pg import create_database, postgres_server

BATCH = 1000


def body(prefix: str, numbers: str) -> bytes:
    """1,000 events, each from the number `numbers` followed by its index."""
    events = [
        {
            "event": "message.sent",
            "messageId": f"{prefix}-{i}",
            "from": f"{numbers}{i:04d}",
            "timestamp": "2026-11-21T10:00:00Z",
        }
        for i in range(BATCH)
    ]
    return json.dumps(events).encode()


async def measure(posts: int, server: str | None) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        url = str(Path(tmp) / "b.sqlite3") if server is None else await create_database(server)
        store = await open_store(url)
        await Tenancy(store).create_tenant("t", "T")
        source = await WebhookSources(store).create("t", "pilotstatus")
        await store.close()
        settings = Settings(
            store_url=store.url, demo=False, rate_limit=0, max_numbers_per_tenant=posts * BATCH
        )
        app = TestServer(create_app(settings), host="127.0.0.1")
        await app.start_server()
        target = app.make_url(f"/webhooks/{source.name}")
        times: dict[str, list[float]] = {"new": [], "known": [], "refused": []}
        try:
            async with aiohttp.ClientSession() as session:

                async def post(kind: str, data: bytes, status: int) -> None:
                    headers = {
                        SIGNATURE_HEADER: sign(source.secret, data),
                        "content-type": "application/json",
                    }
                    started = time.perf_counter()
                    async with session.post(target, data=data, headers=headers) as response:
                        answer = await response.read()
                    times[kind].append(time.perf_counter() - started)
                    assert response.status == status, answer

                for p in range(posts):
                    await post("new", body(f"n{p}", f"+1{p:04d}"), 200)
                for p in range(posts):
                    await post("known", body(f"k{p}", "+10000"), 200)
                for p in range(posts):
                    await post("refused", body(f"r{p}", f"+2{p:04d}"), 400)
        finally:
            await app.close()
    return times


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=9)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    print(f"webhook posts of {BATCH} Pilot Status events, {args.posts} of each kind")
    with ExitStack() as stack:
        for backend in args.backends.split(","):
            server = None
            if backend == "postgresql":
                server = stack.enter_context(postgres_server(durable=True))
            for kind, values in asyncio.run(measure(args.posts, server)).items():
                print(
                    f"  backend={backend:<10} {kind:<7} median_ms="
                    f"{statistics.median(values) * 1000:,.0f} min_ms={min(values) * 1000:,.0f} "
                    f"max_ms={max(values) * 1000:,.0f}"
                )


if __name__ == "__main__":
    main()
