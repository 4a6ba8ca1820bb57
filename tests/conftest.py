"""Shared fixtures: a temp-file store, seeded tenants, and a real gateway on a loopback port."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from gateway.app import create_app
from gateway.auth import KeyKind, default_scopes
from gateway.domain.events import parse_event
from gateway.domain.messages import MessageStatus, OutboundMessage
from gateway.providers.native import SqliteStore
from gateway.providers.native.ingest import IngestResult, apply_events, record_messages
from gateway.providers.native.tenancy import Tenancy
from gateway.settings import Settings
from tests.live import free_port

# 2026-11-22 15:00 UTC: a Sunday, 12:00 in Sao Paulo, 16:00 in Berlin, 20:45 in Kathmandu.
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "gateway.sqlite3")
    yield opened
    await opened.close()


@dataclass
class World:
    """Two tenants: acme with numbers 'sales' and 'support', globex with 'main'."""

    store: SqliteStore
    numbers: dict[str, int]
    keys: dict[str, str]

    async def send(
        self,
        number: str,
        external_id: str,
        sent_at: datetime,
        status: MessageStatus = MessageStatus.DELIVERED,
        *,
        is_test: bool = False,
    ) -> None:
        tenant = "globex" if number == "main" else "acme"
        await record_messages(
            self.store,
            [
                OutboundMessage(
                    tenant_id=tenant,
                    number_id=self.numbers[number],
                    external_id=external_id,
                    sent_at=sent_at,
                    status=status,
                    is_test=is_test,
                )
            ],
        )


@pytest.fixture
async def world(store: SqliteStore) -> World:
    tenancy = Tenancy(store)
    await tenancy.create_tenant("acme", "Acme")
    await tenancy.create_tenant("globex", "Globex")
    numbers = {
        "sales": (await tenancy.add_number("acme", "+5511900000001", "Sales")).id,
        "support": (await tenancy.add_number("acme", "+5511900000002", "Support")).id,
        "main": (await tenancy.add_number("globex", "+4930900000003", "Main")).id,
    }

    async def key(
        tenant: str, kind: KeyKind, number: str | None = None, scopes: frozenset[str] | None = None
    ) -> str:
        issued = await tenancy.create_key(
            tenant,
            kind,
            default_scopes(kind) if scopes is None else scopes,
            number_id=numbers[number] if number else None,
        )
        return issued.key

    keys = {
        "acme_tenant": await key("acme", KeyKind.TENANT),
        "acme_sales": await key("acme", KeyKind.NUMBER, "sales"),
        "acme_unlinked": await key("acme", KeyKind.NUMBER),
        "acme_no_scopes": await key("acme", KeyKind.TENANT, scopes=frozenset()),
        "globex_tenant": await key("globex", KeyKind.TENANT),
        "globex_main": await key("globex", KeyKind.NUMBER, "main"),
    }
    return World(store, numbers, keys)


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: CIMultiDict[str]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def codes(self) -> list[str]:
        return [e["extensions"]["code"] for e in self.body.get("errors", [])]


class Gateway:
    """A gateway served on a loopback port, queried over real HTTP."""

    def __init__(self, server: TestServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session
        self.url = str(server.make_url("/graphql"))

    async def query(
        self,
        key: str | None,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        header: str = "x-api-key",
    ) -> Answer:
        headers = {header: key} if key else {}
        async with self.session.post(
            self.url, json={"query": query, "variables": variables}, headers=headers
        ) as response:
            return Answer(response.status, await response.json(), CIMultiDict(response.headers))


async def serve(app: web.Application) -> AsyncIterator[Gateway]:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Gateway(server, session)
    await server.close()


@pytest.fixture
async def gateway(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    # Most tests change the store and ask again at once: the response cache, whose staleness
    # across connections is bounded by the watch, has tests of its own (test_cache.py).
    settings = Settings(database=world.store.path, demo=False, cache_ttl_seconds=0, rate_limit=0)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


def ids(rows: Sequence[dict[str, Any]], field: str = "phoneNumber") -> list[Any]:
    return [row[field] for row in rows]


async def ingest(store: SqliteStore, *raw: dict[str, Any]) -> IngestResult:
    """Feed gateway events through the real ingest path; every event must be accepted."""
    result = await apply_events(store, [parse_event(r) for r in raw])
    assert result.rejected == [], result.rejected
    return result


# A real redis-server on a loopback port, for the shared-state tests; skipped where Debian's
# redis-server is absent, except in CI (GATEWAY_REQUIRE_REDIS=1).
REDIS = shutil.which("redis-server")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    if REDIS is None:
        if os.environ.get("GATEWAY_REQUIRE_REDIS") == "1":
            pytest.fail("GATEWAY_REQUIRE_REDIS=1 but redis-server is missing")
        pytest.skip("needs Debian's redis-server")
    port = free_port()
    server = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            probe = subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
            )
            if probe.stdout.strip() == "PONG":
                break
            subprocess.run(["sleep", "0.05"], check=True)
        yield f"redis://127.0.0.1:{port}/0", server
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait()


@pytest.fixture
def redis_url(redis_server: tuple[str, subprocess.Popen[bytes]]) -> str:
    return redis_server[0]
