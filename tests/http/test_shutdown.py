"""SIGTERM lets the requests in flight finish before the gateway exits."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.domain.auth import KeyKind, default_scopes
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy
from gateway.testing.fakes import (
    FAKE_KEYS,
    emailreports_app,
    fake_states,
    messagesender_app,
    pilotstatus_app,
    sources_toml,
)
from tests.support.live import free_port


async def test_sigterm_drains_a_slow_request(tmp_path: Path) -> None:
    states = fake_states()
    states["er"].keys = {FAKE_KEYS["er"]: "acme"}
    states["er"].latency = 1.0
    fakes = [
        TestServer(app(states[name]), host="127.0.0.1")
        for name, app in (
            ("ps", pilotstatus_app),
            ("ms", messagesender_app),
            ("er", emailreports_app),
        )
    ]
    for fake in fakes:
        await fake.start_server()
    ports = {
        name: int(fake.port or 0) for name, fake in zip(("ps", "ms", "er"), fakes, strict=True)
    }
    (tmp_path / "sources.toml").write_text(sources_toml(ports, tenant="acme"))
    store = await SqliteStore.open(tmp_path / "gateway.sqlite3")
    await Tenancy(store).create_tenant("acme", "Acme")
    key = (
        await Tenancy(store).create_key("acme", KeyKind.TENANT, default_scopes(KeyKind.TENANT))
    ).key
    await store.close()
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_PORT": str(port),
        "GATEWAY_SOURCES_FILE": str(tmp_path / "sources.toml"),
        "FAKE_PS_KEY": FAKE_KEYS["ps"],
        "FAKE_MS_KEY": FAKE_KEYS["ms"],
        "FAKE_ER_KEY": FAKE_KEYS["er"],
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "serve",
        "--no-demo",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    try:
        assert server.stdout is not None
        await server.stdout.readline()  # serving
        async with aiohttp.ClientSession() as session:
            slow = asyncio.ensure_future(
                session.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ email { overall(pastDays: 7) { sent } } }"},
                    headers={"x-api-key": key},
                )
            )
            await asyncio.sleep(0.4)  # the request is waiting on the slow upstream
            server.send_signal(signal.SIGTERM)
            response = await slow
            body = await response.json()
            response.release()
        assert response.status == 200 and body["data"]["email"]["overall"]["sent"] > 0
        assert await asyncio.wait_for(server.wait(), timeout=20) == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
        for fake in fakes:
            await fake.close()
