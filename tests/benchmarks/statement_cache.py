"""What turning off asyncpg's statement cache costs (GATEWAY_STORE_STATEMENT_CACHE_SIZE=0, as
PgBouncer's transaction mode needs): the demo tenant's dashboards over HTTP with every cache of
the gateway off, so that each request reaches PostgreSQL, directly with the cache (512) and
without (0), and through PgBouncer in transaction mode without.

    python -m tests.benchmarks.statement_cache             # 8 clients, 5 s a round, 3 rounds
    python -m tests.benchmarks.statement_cache --seconds 2 --rounds 1      # quick

The set-ups take turns, round after round, so machine noise falls on all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.providers.native import open_store
from gateway.providers.native.demo import issue_demo_keys, seed_demo
from tests.support.pg import create_database, postgres_server
from tests.support.pgbouncer import pgbouncer

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
NUMBER_QUERY = (
    '{ dashboard(period: DAYS_30, timezone: "America/Sao_Paulo") '
    "{ totals { total sent delivered read failed } series { date sent delivered } } }"
)
TENANT_QUERY = (
    "{ sms { overview { messages { total delivered } } } "
    "campaigns(first: 10) { totalCount edges { node { name } } } }"
)


async def round_of(
    url: str, cache: int, keys: tuple[str, str], clients: int, seconds: float
) -> float:
    """Requests a second that `clients` clients get from a gateway on `url`'s store."""
    settings = Settings(
        store_url=url,
        store_statement_cache_size=cache,
        demo=False,
        cache_ttl_seconds=0,
        dashboard_memo=False,
        rate_limit=0,
    )
    server = TestServer(create_app(settings, clock=lambda: NOW), host="127.0.0.1")
    await server.start_server()
    done = 0
    try:
        async with aiohttp.ClientSession() as session:
            gateway = str(server.make_url("/graphql"))

            async def client(index: int, until: float) -> None:
                nonlocal done
                key, query = (keys[0], NUMBER_QUERY) if index % 2 else (keys[1], TENANT_QUERY)
                while time.monotonic() < until:
                    async with session.post(
                        gateway, json={"query": query}, headers={"x-api-key": key}
                    ) as response:
                        body = await response.json()
                        assert response.status == 200 and "errors" not in body, body
                    done += 1

            warm = time.monotonic() + 0.5
            await asyncio.gather(*(client(i, warm) for i in range(clients)))
            done = 0
            started = time.monotonic()
            await asyncio.gather(*(client(i, started + seconds) for i in range(clients)))
            return done / (time.monotonic() - started)
    finally:
        await server.close()


async def measure(clients: int, seconds: float, rounds: int) -> None:
    with ExitStack() as stack:
        server = stack.enter_context(postgres_server())
        bouncer = stack.enter_context(pgbouncer(server, pool_size=10))
        url = await create_database(server)
        store = await open_store(url)
        messages = await seed_demo(store, NOW)
        demo = await issue_demo_keys(store)
        await store.close()
        name = url.rsplit("/", 1)[1]
        setups = {
            "PostgreSQL, cache 512": (url, 512),
            "PostgreSQL, cache 0": (url, 0),
            "PgBouncer (transaction), cache 0": (f"{bouncer}/{name}", 0),
        }
        print(f"demo tenant: {messages:,} messages; {clients} clients, {seconds:g} s a round")
        rates: dict[str, list[float]] = {label: [] for label in setups}
        for _ in range(rounds):
            for label, (target, cache) in setups.items():
                keys = (demo.number_key, demo.tenant_key)
                rates[label].append(await round_of(target, cache, keys, clients, seconds))
        base = statistics.median(rates["PostgreSQL, cache 512"])
        for label, measured in rates.items():
            median = statistics.median(measured)
            print(f"{label:34} requests_per_s={median:.1f} ratio_to_cache={median / base:.2f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    asyncio.run(measure(options.clients, options.seconds, options.rounds))


if __name__ == "__main__":
    main()
