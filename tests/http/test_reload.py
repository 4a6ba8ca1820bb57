"""SIGHUP reloads the sources file and the trusted documents: a real gateway process, fake
upstreams on loopback ports, a request in flight across the swap, and a bad file refused."""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from gateway.cli import main
from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind
from gateway.http.app import create_app
from gateway.http.appkeys import CONFIGURATION, SETTINGS, STORE
from gateway.providers.native.tenancy import Tenancy
from gateway.testing.fakes import FakeState, messagesender_app
from tests.support.cli import empty_store
from tests.support.gateway import serve
from tests.support.live import LiveGateway, start_gateway

KEY = "ms_reload_key"
REPORTS = frozenset({"analytics:read", "reports:read"})
SMS = "query Sms($start: String) { sms { overview(startDate: $start) { messages { total } } } }"
FIRST, SECOND = "{ viewer { tenantId } }", "{ viewer { tenantId } __typename }"


def sources(port: int) -> str:
    return f"""[sources.ms]
platform = "messagesender"
base_url = "http://127.0.0.1:{port}"
retries = 0

[tenants.acme]
sms = "ms"
credentials = {{ ms = "RELOAD_MS_KEY" }}
"""


def days_ago(days: int) -> str:
    # The gateway process and the fake upstreams both run on the system clock.
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


def sms(days: int) -> dict[str, object]:
    return {"query": SMS, "variables": {"start": days_ago(days)}}


def manifest(*bodies: str) -> str:
    return json.dumps({hashlib.sha256(b.encode()).hexdigest(): b for b in bodies})


def by_id(body: str) -> dict[str, object]:
    return {"documentId": "sha256:" + hashlib.sha256(body.encode()).hexdigest()}


async def fake_messagesender(latency: float = 0.0) -> tuple[FakeState, TestServer]:
    state = FakeState(keys={KEY: "acme"}, latency=latency)
    server = TestServer(messagesender_app(state), host="127.0.0.1")
    await server.start_server()
    return state, server


def tenant_key(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    empty_store(data_dir)
    store = ["--data-dir", str(data_dir)]
    assert main(["tenants", "create", "acme", *store]) == 0
    assert main(["keys", "create", "--tenant", "acme", "--json", *store]) == 0
    key = json.loads(capsys.readouterr().out.splitlines()[-1])["key"]
    assert isinstance(key, str)
    return key


async def post(
    session: aiohttp.ClientSession, gateway: LiveGateway, key: str, body: dict[str, object]
) -> dict[str, object]:
    async with session.post(gateway.url, json=body, headers={"x-api-key": key}) as response:
        answer = await response.json()
        assert isinstance(answer, dict)
        return answer


async def logged(gateway: LiveGateway, text: str, times: int = 1) -> str:
    deadline = time.monotonic() + 15
    while gateway.log.read_text().count(text) < times:
        assert time.monotonic() < deadline, gateway.log.read_text()
        await asyncio.sleep(0.05)
    return gateway.log.read_text()


@pytest.fixture
async def platforms() -> AsyncIterator[tuple[FakeState, TestServer, FakeState, TestServer]]:
    old, old_server = await fake_messagesender(latency=1.0)
    new, new_server = await fake_messagesender()
    yield old, old_server, new, new_server
    await old_server.close()
    await new_server.close()


async def test_sighup_swaps_sources_and_documents_and_refuses_a_bad_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    platforms: tuple[FakeState, TestServer, FakeState, TestServer],
) -> None:
    old, old_server, new, new_server = platforms
    key = await asyncio.to_thread(tenant_key, tmp_path, capsys)
    sources_file, documents = tmp_path / "sources.toml", tmp_path / "documents.json"
    sources_file.write_text(sources(int(old_server.port or 0)))
    documents.write_text(manifest(FIRST))
    env = {"RELOAD_MS_KEY": KEY, "GATEWAY_TRUSTED_DOCUMENTS": str(documents)}
    gateway = await asyncio.to_thread(
        start_gateway, tmp_path, "--no-demo", "--sources-file", str(sources_file),
        env=env, wait_for="charts at",
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session:
            assert "errors" in await post(session, gateway, key, by_id(SECOND))
            # A request in flight at the old MessageSender when the files change ...
            in_flight = asyncio.create_task(post(session, gateway, key, sms(1)))
            while old.in_flight == 0:
                assert not in_flight.done(), in_flight.result()
                await asyncio.sleep(0.01)
            sources_file.write_text(sources(int(new_server.port or 0)))
            documents.write_text(manifest(FIRST, SECOND))
            gateway.process.send_signal(signal.SIGHUP)
            await logged(gateway, "reloaded: configuration 2")
            # ... new requests go to the new one, and the new manifest's documents are known,
            answer = await post(session, gateway, key, sms(2))
            assert "errors" not in answer and len(new.calls) == 1
            assert (await post(session, gateway, key, by_id(SECOND)))["data"] is not None
            # ... while the one in flight finishes on the old, its session still open.
            finished = await in_flight
            assert "errors" not in finished and len(old.calls) == 1 and len(new.calls) == 1

            sources_file.write_text("[sources.ms\n")
            gateway.process.send_signal(signal.SIGHUP)
            log = await logged(gateway, "reload refused")
            [refused] = [line for line in log.splitlines() if "reload refused" in line]
            assert "sources.toml" in refused and "Traceback" not in log
            answer = await post(session, gateway, key, sms(3))
            assert "errors" not in answer and len(new.calls) == 2
    finally:
        code, log = gateway.stop()
    assert code == 0, log


async def test_a_bad_manifest_keeps_the_old_configuration_and_old_sessions_close(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    platforms: tuple[FakeState, TestServer, FakeState, TestServer],
) -> None:
    old, old_server, new, new_server = platforms
    monkeypatch.setenv("RELOAD_MS_KEY", KEY)
    sources_file, documents = tmp_path / "sources.toml", tmp_path / "documents.json"
    sources_file.write_text(sources(int(old_server.port or 0)))
    documents.write_text(manifest(FIRST))
    old.latency = 0.0
    settings = Settings(
        data_dir=tmp_path,
        demo=False,
        sources_file=sources_file,
        trusted_documents=documents,
    )
    app = create_app(settings)
    async for gateway in serve(app):
        key = (await Tenancy(app[STORE]).create_key("acme", KeyKind.TENANT, REPORTS)).key
        await asyncio.sleep(3 * app[SETTINGS].store_watch_seconds)  # the watch sees the new key
        live = app[CONFIGURATION]
        live.retire_after = 0.1  # rather than the request deadline and a second
        first = live.in_use
        asked = [await gateway.query(key, SMS, {"start": days_ago(1)}) for _ in range(2)]
        assert all("errors" not in a.body for a in asked) and len(old.calls) == 1  # cached
        documents.write_text('{"0000": "{ viewer { tenantId } }"}')
        assert await live.reload() is False and live.in_use is first
        documents.write_text(manifest(FIRST, SECOND))
        sources_file.write_text(sources(int(new_server.port or 0)))
        assert await live.reload() is True and live.in_use.generation == 2
        # The cached answer came from the old source: asked again, the new one answers.
        assert "errors" not in (await gateway.query(key, SMS, {"start": days_ago(1)})).body
        assert (len(old.calls), len(new.calls)) == (1, 1)
        old_session = first.registry.get("ms").client.session  # type: ignore[attr-defined]
        await asyncio.sleep(0.2)
        assert old_session.closed and len(live.in_use.trusted.bodies) == 2
