"""Shared fixtures: a temp-file store, seeded tenants, and a real gateway on a loopback port."""

from __future__ import annotations

import asyncio
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

from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind, default_scopes
from gateway.domain.events import parse_event
from gateway.domain.messages import MessageStatus, OutboundMessage
from gateway.http.app import create_app
from gateway.http.appkeys import VERSIONS
from gateway.providers.native import PostgresStore, SqliteStore, Store
from gateway.providers.native.ingest import IngestResult, apply_events, record_messages
from gateway.providers.native.tenancy import Tenancy
from tests.live import free_port
from tests.node import install_examples
from tests.pg import (
    create_database,
    drop_database,
    postgres_server,
    run_aside,
    with_database,
)

# The gateways the suite starts as processes each listen for /metrics beside their public port:
# many run at once on one machine, so each takes a free port rather than the default 9090.
os.environ.setdefault("GATEWAY_METRICS_PORT", "0")

# 2026-11-22 15:00 UTC: a Sunday, 12:00 in Sao Paulo, 16:00 in Berlin, 20:45 in Kathmandu.
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


# The native store's tests run against both backends. PostgreSQL is a real server on a loopback
# port (tests/pg.py); it is skipped where it is not installed, except in CI
# (GATEWAY_REQUIRE_POSTGRES=1).
BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "gateway_template"


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A running server whose TEMPLATE database holds every migration: each test's database is
    a copy of it, which is much faster than migrating each one."""
    try:
        server_cm = postgres_server()
        server = server_cm.__enter__()
    except (RuntimeError, subprocess.CalledProcessError) as error:
        if os.environ.get("GATEWAY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"GATEWAY_REQUIRE_POSTGRES=1 but no PostgreSQL server: {error}")
        pytest.skip(f"needs PostgreSQL (Debian's postgresql): {error}")
    try:
        drop_database(server, TEMPLATE)
        url = with_database(server, TEMPLATE)

        async def migrate() -> None:
            await (await PostgresStore.open(url)).close()

        run_aside(migrate())
        yield server
    finally:
        server_cm.__exit__(None, None, None)


async def open_test_store(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Store:
    if backend == "sqlite":
        return await SqliteStore.open(tmp_path / "gateway.sqlite3")
    server = request.getfixturevalue("postgres")
    url = await create_database(server, template=TEMPLATE)
    request.addfinalizer(lambda: drop_database(server, url.rsplit("/", 1)[1]))
    return await PostgresStore.open(url, max_connections=4)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_test_store(request, request.param, tmp_path)
    yield opened
    await opened.close()


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


@pytest.fixture
async def world(store: Store) -> World:
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
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=0, rate_limit=0)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


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


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The examples' pinned npm packages (examples/package-lock.json), installed once per run."""
    return install_examples()


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Schemathesis names its items by operation (`[Query.dashboard]`) and sets their node ids
    through the attribute pytest 8 read, which pytest 9 no longer does: all of them share one
    node id, and pytest-xdist, which schedules by node id, would run one of each test and drop
    the rest without a word. Each gets its own id here."""
    for item in items:
        if "[" not in item.name or item.nodeid.endswith("]"):
            continue
        unique = item.nodeid + item.name[item.name.index("[") :]
        if hasattr(item, "_id"):  # pytest 9 keeps node ids structured
            from _pytest.nodeid import NodeId

            item._id = NodeId.parse(unique)
        else:
            item._nodeid = unique  # type: ignore[attr-defined]
