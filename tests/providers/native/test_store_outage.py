"""A PostgreSQL store that goes down and comes back: the gateway answers with typed errors and a
failing health check while it is away, and serves again once it is back, without a restart."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict

from gateway.__main__ import main
from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind, default_scopes
from gateway.http.app import create_app
from gateway.http.appkeys import STORE, VERSIONS
from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native import Store, open_store
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSource, WebhookSources
from tests.support.gateway import TEMPLATE, Answer, Gateway, fixed_clock, serve
from tests.support.pg import create_database, postgres_server, set_running
from tests.support.sockets import PROTOCOL, Socket

NUMBER = "+5511900000001"


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


def pilot_event(message_id: str) -> bytes:
    event = {
        "event": "message.sent",
        "messageId": message_id,
        "from": NUMBER,
        "timestamp": "2026-11-21T10:00:00Z",
    }
    return json.dumps([event]).encode()


async def post_webhook(gateway: Gateway, source: WebhookSource, body: bytes) -> Answer:
    headers = {SIGNATURE_HEADER: sign(source.secret, body), "content-type": "application/json"}
    url = gateway.server.make_url(f"/webhooks/{source.name}")
    async with gateway.session.post(url, data=body, headers=headers) as response:
        return Answer(response.status, await response.json(), CIMultiDict(response.headers))


def told_to_retry(answer: Answer) -> None:
    """A webhook refused for an outage: 503 and Retry-After, in the webhook endpoint's shape."""
    assert answer.status == 503, answer.body
    assert answer.headers["retry-after"] == "5"
    assert answer.body["code"] == "UPSTREAM_UNAVAILABLE" and answer.body["retryAfter"] == 5
    # The outage's own fields, as on every surface (the export's says the same).
    assert set(answer.body) == {"error", "code", "retryAfter", "source"}


async def prepare(store: Store) -> tuple[str, WebhookSource]:
    tenancy = Tenancy(store)
    await tenancy.create_tenant("acme", "Acme")
    await tenancy.add_number("acme", NUMBER, "Sales")
    key = (await tenancy.create_key("acme", KeyKind.TENANT, default_scopes(KeyKind.TENANT))).key
    return key, await WebhookSources(store).create("acme", "pilotstatus")


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gateway.store"]


async def test_webhooks_and_exports_in_an_outage_are_told_to_retry(
    private_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = await create_database(private_server)
    store = await open_store(url)
    key, source = await prepare(store)
    await store.close()
    # Keys are kept by the gateway, so the export gets past them and reaches the store.
    settings = Settings(store_url=url, demo=False, rate_limit=0)
    export = "/export/campaigns.csv?startDate=2026-11-01&endDate=2026-11-22"
    caplog.set_level(logging.INFO)
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        async with gateway.session.get(
            gateway.server.make_url(export), headers={"x-api-key": key}
        ) as response:
            assert response.status == 200, await response.text()

        await asyncio.to_thread(set_running, private_server, False)
        for _ in range(5):
            told_to_retry(await post_webhook(gateway, source, pilot_event("outage-1")))
        async with gateway.session.get(
            gateway.server.make_url(export), headers={"x-api-key": key}
        ) as response:
            body = await response.json()
            assert response.status == 503 and response.headers["retry-after"] == "5", body
            assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        # The store watch goes on, and /readyz names the cause.
        unready = await readiness(gateway)
        assert unready["status"] == "store unreachable"
        # Refused once the server is down; reset (or told it is shutting down) while it stops,
        # which a loaded machine may catch.
        outage = {"ConnectionRefusedError", "ConnectionResetError", "CannotConnectNowError"}
        assert unready["reason"] in outage, unready

        await asyncio.to_thread(set_running, private_server, True)
        assert (await readiness(gateway, ready=True))["status"] == "ready"
        # The sender's retry is taken once.
        answer = await post_webhook(gateway, source, pilot_event("outage-1"))
        assert (answer.status, answer.body) == (200, {"accepted": 1, "duplicates": 0})
        answer = await post_webhook(gateway, source, pilot_event("outage-1"))
        assert (answer.status, answer.body) == (200, {"accepted": 0, "duplicates": 1})

    # One line when the outage began, one when it ended, with what it refused; no tracebacks.
    lines = outage_lines(caplog)
    assert len(lines) == 2, lines
    assert lines[0].startswith("the store is not answering")
    refused = int(re.search(r"; (\d+) calls refused", lines[1]).group(1))  # type: ignore[union-attr]
    assert lines[1].startswith("the store answers again") and refused >= 6
    assert not [r for r in caplog.records if r.exc_info], "no traceback for an outage"


@pytest.fixture
def quick_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A SQLite store that waits 0.2 s for a lock rather than 10."""
    monkeypatch.setattr("gateway.providers.native.sqlite.BUSY_TIMEOUT_MS", 200)


@contextmanager
def write_locked(path: Path) -> Iterator[None]:
    """Another process's write transaction holding the SQLite file (readers still read)."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_a_locked_sqlite_file_is_an_outage_not_a_refusal(
    tmp_path: Path, quick_lock: None, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "gateway.sqlite3"
    store = await open_store(path)
    _, source = await prepare(store)
    await store.close()
    settings = Settings(database=path, demo=False, cache_ttl_seconds=0, rate_limit=0)
    caplog.set_level(logging.INFO)
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        with write_locked(path):
            # Not 400 "refused by the store": the sender must send these events again.
            told_to_retry(await post_webhook(gateway, source, pilot_event("locked-1")))
        answer = await post_webhook(gateway, source, pilot_event("locked-1"))
        assert (answer.status, answer.body) == (200, {"accepted": 1, "duplicates": 0})
    lines = outage_lines(caplog)
    assert len(lines) == 2 and "OperationalError: database is locked" in lines[0], lines


def test_an_import_into_a_locked_store_stops_with_one_line(
    tmp_path: Path, quick_lock: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gateway.sqlite3"

    async def create() -> None:
        store = await open_store(path)
        await Tenancy(store).create_tenant("acme", "Acme")
        await store.close()

    asyncio.run(create())
    lines = tmp_path / "events.jsonl"
    event = {"type": "sms.message", "tenant": "acme", "messageId": "i1"}
    lines.write_text(json.dumps({**event, "sentAt": "2026-11-20T10:05:00Z"}) + "\n")
    with write_locked(path):
        assert main(["import", str(lines), "--database", str(path)]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors == [
        f"error: the store at {path} is not answering (OperationalError: database is locked)"
    ]
    assert not (tmp_path / "events.jsonl.rejected.jsonl").exists()
    assert main(["import", str(lines), "--database", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["applied"] == 1


async def test_a_live_subscription_hears_the_outage_typed_and_ends(private_server: str) -> None:
    url = await create_database(private_server)
    store = await open_store(url)
    tenancy = Tenancy(store)
    await tenancy.create_tenant("acme", "Acme")
    number = await tenancy.add_number("acme", NUMBER, "Sales")
    scopes = default_scopes(KeyKind.NUMBER)
    key = (await tenancy.create_key("acme", KeyKind.NUMBER, scopes, number_id=number.id)).key
    await store.close()
    live = {"query": "subscription { dashboard(period: DAYS_7) { totals { total } } }"}
    async for gateway in serve(create_app(Settings(store_url=url, demo=False), clock=fixed_clock)):
        app = gateway.server.app
        assert app is not None
        async with gateway.session.ws_connect(gateway.url, protocols=[PROTOCOL]) as ws:
            socket = Socket(ws)
            await socket.send({"type": "connection_init", "payload": {"x-api-key": key}})
            assert (await socket.receive())["type"] == "connection_ack"
            await socket.send({"type": "subscribe", "id": "1", "payload": live})
            assert (await socket.receive())["payload"]["data"]["dashboard"] is not None

            await asyncio.to_thread(set_running, private_server, False)
            app[VERSIONS].invalidate("acme")  # as another replica's webhook would, via Redis
            told = await socket.receive()
            [error] = told["payload"]["errors"]
            assert error["extensions"] == {
                "code": "UPSTREAM_UNAVAILABLE",
                "source": "native",
                "retryAfter": 5,
            }
            assert await socket.receive() == {"id": "1", "type": "complete"}

            # The client subscribes again once the store is back.
            await asyncio.to_thread(set_running, private_server, True)
            await readiness(gateway, ready=True)
            await socket.send({"type": "subscribe", "id": "2", "payload": live})
            again = await socket.receive()
            assert again["id"] == "2" and again["payload"]["data"]["dashboard"] is not None


async def test_queries_caught_by_the_store_closing_are_typed(postgres: str) -> None:
    url = await create_database(postgres, template=TEMPLATE)
    store = await open_store(url)
    key, _ = await prepare(store)
    await store.close()
    settings = Settings(store_url=url, demo=False, cache_ttl_seconds=0, rate_limit=0)
    query = "{ sms { overview { messages { total } } } campaigns(first: 5) { totalCount } }"
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        app = gateway.server.app
        assert app is not None
        assert (await gateway.query(key, query)).status == 200  # the key is known from now on
        closing = asyncio.Event()

        async def ask(gateway: Gateway, closing: asyncio.Event) -> list[str]:
            codes: list[str] = []
            after = 0
            while after < 5:  # five answers once the store began to close
                after += closing.is_set()
                codes += (await gateway.query(key, query)).codes or ["ok"]
            return codes

        askers = [asyncio.create_task(ask(gateway, closing)) for _ in range(8)]
        await asyncio.sleep(0.3)
        closed = asyncio.create_task(app[STORE].close())  # as at shutdown, mid-request
        closing.set()
        codes = [code for answers in await asyncio.gather(*askers) for code in answers]
        await closed
        assert "UPSTREAM_UNAVAILABLE" in codes and set(codes) <= {"ok", "UPSTREAM_UNAVAILABLE"}
