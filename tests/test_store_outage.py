"""A PostgreSQL store that goes down and comes back: the gateway answers with typed errors and a
failing health check while it is away, and serves again once it is back, without a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.app import create_app
from gateway.auth import KeyKind, default_scopes
from gateway.providers.native import open_store
from gateway.providers.native.tenancy import Tenancy
from gateway.settings import Settings
from tests.conftest import Gateway, fixed_clock, serve
from tests.pg import create_database, postgres_server, set_running


@pytest.fixture
def private_server() -> Iterator[str]:
    try:
        with postgres_server(private=True) as server:
            yield server
    except RuntimeError as error:
        pytest.skip(str(error))


async def readiness(gateway: Gateway, *, ready: bool = False) -> dict[str, Any]:
    """/readyz once it says what is expected (the store watch notices within a few polls)."""
    deadline = time.monotonic() + 10
    while True:
        async with gateway.session.get(gateway.server.make_url("/readyz")) as response:
            body: dict[str, Any] = await response.json()
        if (response.status == 200) == ready or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.05)


async def test_an_outage_is_typed_and_healed_by_the_pool(private_server: str) -> None:
    url = await create_database(private_server)
    store = await open_store(url)
    tenancy = Tenancy(store)
    await tenancy.create_tenant("acme", "Acme")
    key = (await tenancy.create_key("acme", KeyKind.TENANT, default_scopes(KeyKind.TENANT))).key
    await store.close()
    # No caches: every request must reach the store.
    settings = Settings(
        store_url=url, demo=False, cache_ttl_seconds=0, rate_limit=0, fast_path=False
    )
    query = "{ viewer { tenantId } sms { overview { messages { total } } } }"
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        health = gateway.url.replace("/graphql", "/healthz")
        answer = await gateway.query(key, query)
        assert answer.status == 200 and "errors" not in answer.body, answer.body

        await asyncio.to_thread(set_running, private_server, False)
        started = time.monotonic()
        async with gateway.session.get(health) as response:
            assert response.status == 503 and (await response.json())["store"] == "failing"
        # Alive, for a restart would not bring the store back, but not ready.
        assert (await readiness(gateway))["status"] == "store unreachable"
        async with gateway.session.get(gateway.server.make_url("/livez")) as response:
            assert response.status == 200
        answer = await gateway.query(key, query)
        assert answer.status == 503 and answer.codes == ["UPSTREAM_UNAVAILABLE"], answer.body
        assert answer.body["errors"][0]["extensions"]["source"] == "native"
        assert time.monotonic() - started < 30  # typed answers, not hangs

        await asyncio.to_thread(set_running, private_server, True)
        async with gateway.session.get(health) as response:
            assert response.status == 200, await response.text()
        assert (await readiness(gateway, ready=True))["status"] == "ready"
        answer = await gateway.query(key, query)
        assert answer.status == 200 and "errors" not in answer.body, answer.body
