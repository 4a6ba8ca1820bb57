"""The three fake platforms on loopback ports, and a gateway whose tenant acme lives there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.providers.native import SqliteStore, Store
from gateway.testing.fakes import (
    FAKE_KEYS,
    emailreports_app,
    fake_states,
    messagesender_app,
    pilotstatus_app,
    sources_toml,
)
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.platforms import FAST, Platforms


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """The adapters never touch the native store's SQL: SQLite alone here, while the store's own
    tests and the isolation matrix run on both backends."""
    opened = await SqliteStore.open(tmp_path / "gateway.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
async def platforms() -> AsyncIterator[Platforms]:
    states = fake_states()
    apps = {"ps": pilotstatus_app, "ms": messagesender_app, "er": emailreports_app}
    servers = {}
    for name, state in states.items():
        state.now = fixed_clock
        servers[name] = TestServer(apps[name](state), host="127.0.0.1")
        await servers[name].start_server()
    yield Platforms(states, {name: int(server.port or 0) for name, server in servers.items()})
    for server in servers.values():
        await server.close()


@pytest.fixture
async def upstream(
    world: World, platforms: Platforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    path = tmp_path / "sources.toml"
    path.write_text(sources_toml(platforms.ports, tenant="acme", options=FAST))
    monkeypatch.setenv("FAKE_PS_KEY", FAKE_KEYS["ps"])
    monkeypatch.setenv("FAKE_MS_KEY", FAKE_KEYS["ms"])
    monkeypatch.setenv("FAKE_ER_KEY", FAKE_KEYS["er"])
    platforms.states["ms"].keys = {FAKE_KEYS["ms"]: "acme"}
    platforms.states["er"].keys = {FAKE_KEYS["er"]: "acme"}
    settings = Settings(
        store_url=world.store.url, demo=False, sources_file=path, request_deadline_seconds=3.0
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running
