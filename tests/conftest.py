"""Shared fixtures: a temp-file store, seeded tenants, and a real gateway on a loopback port."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind, default_scopes
from gateway.http.app import create_app
from gateway.providers.native import PostgresStore, Store
from gateway.providers.native.tenancy import Tenancy
from tests.support.live import free_port
from tests.support.node import install_examples
from tests.support.pg import (
    drop_database,
    postgres_server,
    run_aside,
    with_database,
)

# The gateways the suite starts as processes each listen for /metrics beside their public port:
# many run at once on one machine, so each takes a free port rather than the default 9090.
os.environ.setdefault("GATEWAY_METRICS_PORT", "0")
from tests.support.gateway import (
    BACKENDS,
    REDIS,
    TEMPLATE,
    Gateway,
    World,
    fixed_clock,
    open_test_store,
    serve,
)

# The gateways the suite starts as processes each listen for /metrics beside their public port:
# many run at once on one machine, so each takes a free port rather than the default 9090.
os.environ.setdefault("GATEWAY_METRICS_PORT", "0")


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


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_test_store(request, request.param, tmp_path)
    yield opened
    await opened.close()


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


@pytest.fixture
async def gateway(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    # Most tests change the store and ask again at once: the response cache, whose staleness
    # across connections is bounded by the watch, has tests of its own (test_cache.py).
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=0, rate_limit=0)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


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
