"""The suite's shared helpers: a fixed clock, two tenants' world, a gateway on a loopback port
queried over real HTTP, and ingest through the real path. Fixtures building them: conftest.py."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from gateway.domain.events import parse_event
from gateway.domain.messages import MessageStatus, OutboundMessage
from gateway.http.appkeys import VERSIONS
from gateway.providers.native import PostgresStore, SqliteStore, Store
from gateway.providers.native.ingest import IngestResult, apply_events, record_messages
from tests.support.pg import (
    create_database,
    drop_database,
)

# The gateways the suite starts as processes each listen for /metrics beside their public port:
# many run at once on one machine, so each takes a free port rather than the default 9090.
os.environ.setdefault("GATEWAY_METRICS_PORT", "0")

# 2026-11-22 15:00 UTC: a Sunday, 12:00 in Sao Paulo, 16:00 in Berlin, 20:45 in Kathmandu.
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


# The native store's tests run against both backends. PostgreSQL is a real server on a loopback
# port (tests/support/pg.py); it is skipped where it is not installed, except in CI
# (GATEWAY_REQUIRE_POSTGRES=1).
BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "gateway_template"


async def open_test_store(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Store:
    if backend == "sqlite":
        return await SqliteStore.open(tmp_path / "gateway.sqlite3")
    server = request.getfixturevalue("postgres")
    url = await create_database(server, template=TEMPLATE)
    request.addfinalizer(lambda: drop_database(server, url.rsplit("/", 1)[1]))
    return await PostgresStore.open(url, max_connections=4)


@dataclass
class World:
    """Two tenants: acme with numbers 'sales' and 'support', globex with 'main'."""

    store: Store
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


async def watched(gateway: Gateway, store: Store) -> None:
    """Until the gateway's store watch has seen each tenant's version as the store holds it now.
    A test that writes to the store directly and then expects a cached answer waits here: an
    answer kept before the watch sees the write is dropped when it does (on a busy machine,
    between the test's two requests)."""
    rows = await store.fetch_all("SELECT tenant_id, version FROM tenant_versions")
    app = gateway.server.app
    assert app is not None
    versions = app[VERSIONS]
    for _ in range(1000):  # the watch reads every store_watch_seconds: 10 s at most
        if all(versions.seen(str(row[0])) == int(row[1]) for row in rows):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the gateway's store watch did not see the store's versions in 10 s")


def ids(rows: Sequence[dict[str, Any]], field: str = "phoneNumber") -> list[Any]:
    return [row[field] for row in rows]


async def ingest(store: Store, *raw: dict[str, Any]) -> IngestResult:
    """Feed gateway events through the real ingest path; every event must be accepted."""
    result = await apply_events(store, [parse_event(r) for r in raw])
    assert result.rejected == [], result.rejected
    return result


# A real redis-server on a loopback port, for the shared-state tests; skipped where Debian's
# redis-server is absent, except in CI (GATEWAY_REQUIRE_REDIS=1).
REDIS = shutil.which("redis-server")


def record_spans() -> Any:
    """An in-memory exporter of every span this process finishes from now on. The tracer
    provider can be set once per process, so the first caller sets one and later callers add
    their exporter to it."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter
