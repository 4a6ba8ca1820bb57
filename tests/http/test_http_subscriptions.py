"""Subscriptions over HTTP: graphql-sse's own client (server-sent events) and Apollo's multipart
subscriptions, read with aiohttp's multipart reader, get live dashboards under the same key,
scopes, rate and share of sockets as the websocket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.providers.native.tenancy import Tenancy
from gateway.schema.ids import encode_id
from tests.interop import HERE, install
from tests.support.gateway import NOW, Gateway, World, fixed_clock, serve
from tests.support.streams import MULTIPART, multipart

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

BOARD = "subscription { dashboard(period: DAYS_7) { totals { total } } }"


@pytest.fixture(scope="session")
def interop() -> Path:
    return install()


@pytest.fixture
async def strict(world: World) -> AsyncIterator[Gateway]:
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        cache_ttl_seconds=0,
        rate_limit=1,
        rate_limit_burst=3,
        max_sockets_per_key=2,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


class SseClient:
    """graphql-sse's client in a Node process, each event it gets a JSON line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def subscribe(
        cls,
        gateway: Gateway,
        key: str,
        query: str,
        count: int,
        variables: dict[str, Any] | None = None,
    ) -> SseClient:
        process = await asyncio.create_subprocess_exec(
            "node",
            "sse.mjs",
            gateway.url,
            key,
            query,
            json.dumps(variables or {}),
            str(count),
            cwd=HERE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def event(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(10):
            line = await self.process.stdout.readline()
        assert line, "the client ended without another event"
        event: dict[str, Any] = json.loads(line)
        return event

    async def ended(self) -> int:
        async with asyncio.timeout(10):
            return await self.process.wait()


async def test_graphql_sse_s_client_gets_a_dashboard_each_time_it_changes(
    interop: Path, gateway: Gateway, world: World
) -> None:
    client = await SseClient.subscribe(gateway, world.keys["acme_sales"], BOARD, count=2)
    assert await client.event() == {"next": {"data": {"dashboard": {"totals": {"total": 0}}}}}
    await world.send("sales", "s1", NOW - timedelta(hours=1))
    assert await client.event() == {"next": {"data": {"dashboard": {"totals": {"total": 1}}}}}
    assert await client.ended() == 0


async def test_graphql_sse_runs_a_query_as_one_result_and_refuses_a_bad_key(
    interop: Path, gateway: Gateway, world: World
) -> None:
    client = await SseClient.subscribe(
        gateway, world.keys["acme_tenant"], "{ viewer { tenantId } }", count=5
    )
    assert await client.event() == {"next": {"data": {"viewer": {"tenantId": "acme"}}}}
    assert await client.event() == {"complete": True}
    refused = await SseClient.subscribe(gateway, "agk_unknown", BOARD, count=1)
    event = await refused.event()
    assert event["status"] == 401, event
    assert await client.ended() == await refused.ended() == 0


async def test_multipart_subscriptions_push_changes_and_end_when_the_key_is_revoked(
    gateway: Gateway, world: World
) -> None:
    parts = multipart(gateway, world.keys["acme_sales"], BOARD)
    first = await anext(parts)
    assert first == {"payload": {"data": {"dashboard": {"totals": {"total": 0}}}}}
    await world.send("sales", "m1", NOW - timedelta(hours=1))
    second = await anext(parts)
    assert second["payload"]["data"]["dashboard"]["totals"] == {"total": 1}
    # The store watch sees the revocation and ends the stream, as it closes sockets.
    await Tenancy(world.store).revoke_key(world.keys["acme_sales"])
    last = [part async for part in parts]
    assert [[e["extensions"]["code"] for e in p["payload"]["errors"]] for p in last] == [
        ["UNAUTHENTICATED"]
    ]


async def test_a_stream_is_held_to_the_key_s_scopes(gateway: Gateway, world: World) -> None:
    query = "subscription ($n: ID) { dashboard(number: $n) { totals { total } } }"
    number = encode_id("WhatsAppNumber", "native", world.numbers["sales"])
    parts = multipart(gateway, world.keys["acme_no_scopes"], query, {"n": number})
    first = await anext(parts)
    assert first["payload"]["data"] is None
    assert [e["extensions"]["code"] for e in first["payload"]["errors"]] == ["FORBIDDEN"]
    await parts.aclose()


async def stream_status(gateway: Gateway, key: str, accept: str) -> tuple[int, dict[str, Any]]:
    headers = {"x-api-key": key, "accept": accept}
    async with gateway.session.post(gateway.url, json={"query": BOARD}, headers=headers) as sent:
        return sent.status, await sent.json() if sent.status != 200 else {}


async def test_streams_and_sockets_share_a_key_s_bound_and_rate(
    strict: Gateway, world: World
) -> None:
    key = world.keys["acme_sales"]
    held = [multipart(strict, key, BOARD), multipart(strict, key, BOARD)]
    for parts in held:
        await anext(parts)
    # Two held, the key's share: a third is refused, whichever protocol it speaks.
    status, body = await stream_status(strict, key, "text/event-stream")
    assert status == 429, body
    assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "limit": "maxSocketsPerKey"}
    socket = await strict.session.ws_connect(strict.url, protocols=["graphql-transport-ws"])
    await socket.send_json({"type": "connection_init", "payload": {"x-api-key": key}})
    closed = await socket.receive(timeout=5)
    assert closed.data == 4429
    await socket.close()
    for parts in held:
        await parts.aclose()
    # Every stream counted against the key's rate (a burst of 3): the next is over it.
    await asyncio.sleep(0.1)
    status, body = await stream_status(strict, key, MULTIPART)
    assert status == 429 and body["errors"][0]["extensions"]["code"] == "RATE_LIMITED", body


async def test_a_stream_needs_a_key_even_for_introspection(gateway: Gateway) -> None:
    headers = {"accept": "text/event-stream"}
    body = {"query": "{ __typename }"}
    async with gateway.session.post(gateway.url, json=body, headers=headers) as response:
        assert response.status == 401
        answer = await response.json()
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_events_are_framed_with_line_feeds_alone(gateway: Gateway, world: World) -> None:
    # Readers that split events on a blank line of LFs (GraphQL Tools' executor-http, under Hive
    # Gateway's and stitching's subscriptions over HTTP) must see each event end.
    headers = {"x-api-key": world.keys["acme_tenant"], "accept": "text/event-stream"}
    body = {"query": "{ viewer { tenantId } }"}
    async with gateway.session.post(gateway.url, json=body, headers=headers) as response:
        assert response.status == 200 and response.content_type == "text/event-stream"
        sent = await response.read()
    assert b"\r" not in sent
    events = [event for event in sent.decode().split("\n\n") if event]
    assert events[0] == 'event: next\ndata: {"data":{"viewer":{"tenantId":"acme"}}}'
    assert events[-1] == "event: complete\ndata: "


async def test_a_batch_asked_as_a_stream_is_a_bad_request(gateway: Gateway, world: World) -> None:
    headers = {"x-api-key": world.keys["acme_tenant"], "accept": "text/event-stream"}
    batch = [{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    async with gateway.session.post(gateway.url, json=batch, headers=headers) as response:
        assert response.status == 400
        body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
