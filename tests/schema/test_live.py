"""Live dashboards over graphql-transport-ws: answers pushed when ingest changes the figures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from gateway.providers.native.webhook_sources import WebhookSources
from gateway.schema.ids import encode_id
from tests.support.gateway import NOW, Gateway, World
from tests.support.sockets import BOARD, PROTOCOL, Socket
from tests.support.webhooks import post


async def connect(gateway: Gateway, payload: dict[str, Any] | None) -> AsyncIterator[Socket]:
    async with gateway.session.ws_connect(gateway.url, protocols=[PROTOCOL]) as ws:
        socket = Socket(ws)
        if payload is not None:
            await socket.send({"type": "connection_init", "payload": payload})
        yield socket


@pytest.fixture
async def sales(gateway: Gateway, world: World) -> AsyncIterator[Socket]:
    async for socket in connect(gateway, {"x-api-key": world.keys["acme_sales"]}):
        assert (await socket.receive())["type"] == "connection_ack"
        yield socket


async def test_a_number_dashboard_is_pushed_when_a_webhook_changes_it(
    gateway: Gateway, world: World, sales: Socket
) -> None:
    await sales.send({"type": "subscribe", "id": "1", "payload": {"query": BOARD}})
    first = await sales.receive()
    assert first == {
        "type": "next",
        "id": "1",
        "payload": {"data": {"dashboard": {"totals": {"total": 0, "read": 0}}}},
    }
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    sent = (NOW - timedelta(hours=1)).isoformat()
    event = {"messageId": "w1", "from": "+5511900000001", "timestamp": sent}
    assert (await post(gateway, source, [{**event, "event": "message.sent"}]))[0] == 200
    pushed = await sales.receive()
    assert pushed["payload"]["data"]["dashboard"]["totals"] == {"total": 1, "read": 0}
    # The same event again changes nothing, so nothing is sent; a read is sent.
    assert (await post(gateway, source, [{**event, "event": "message.sent"}]))[0] == 200
    assert await sales.quiet_for(0.8)
    assert (await post(gateway, source, [{**event, "event": "message.read"}]))[0] == 200
    pushed = await sales.receive()
    assert pushed["payload"]["data"]["dashboard"]["totals"] == {"total": 1, "read": 1}
    # The client ends the subscription; the socket stays open for others.
    await sales.send({"type": "complete", "id": "1"})
    await sales.send({"type": "ping"})
    assert (await sales.receive())["type"] == "pong"


async def test_ingest_by_another_process_reaches_subscribers_of_a_tenant_key(
    gateway: Gateway, world: World
) -> None:
    number = encode_id("WhatsAppNumber", "native", world.numbers["support"])
    async for socket in connect(gateway, {"x-api-key": world.keys["acme_tenant"]}):
        assert (await socket.receive())["type"] == "connection_ack"
        payload = {"query": BOARD, "variables": {"n": number}}
        await socket.send({"type": "subscribe", "id": "s", "payload": payload})
        assert (await socket.receive())["payload"]["data"]["dashboard"]["totals"]["total"] == 0
        # Written through another connection, as an import or another worker would: the store
        # watch sees it.
        await world.send("support", "x1", NOW - timedelta(hours=2))
        pushed = await socket.receive()
        assert pushed["payload"]["data"]["dashboard"]["totals"]["total"] == 1
        # Another tenant's data moving sends nothing here.
        await world.send("main", "g1", NOW - timedelta(hours=2))
        assert await socket.quiet_for(0.8)


async def test_keys_are_checked_at_connection_and_ids_at_subscription(
    gateway: Gateway, world: World
) -> None:
    async for socket in connect(gateway, {"x-api-key": "agk_nope"}):
        message = await socket.ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 4403
    async for socket in connect(gateway, None):  # subscribing before connection_init
        await socket.send({"type": "subscribe", "id": "1", "payload": {"query": BOARD}})
        message = await socket.ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 4401
    other = encode_id("WhatsAppNumber", "native", world.numbers["main"])
    async for socket in connect(gateway, {"x-api-key": world.keys["acme_tenant"]}):
        assert (await socket.receive())["type"] == "connection_ack"
        payload = {"query": BOARD, "variables": {"n": other}}
        await socket.send({"type": "subscribe", "id": "1", "payload": payload})
        answer = await socket.receive()
        assert answer["type"] in ("next", "error")
        errors = answer["payload"]["errors"] if answer["type"] == "next" else answer["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]


async def test_open_subscriptions_are_closed_when_the_gateway_stops(
    world: World, tmp_path: Any
) -> None:
    from gateway.config.settings import Settings
    from gateway.http.app import create_app
    from tests.support.gateway import fixed_clock, serve

    settings = Settings(store_url=world.store.url, demo=False)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        async with running.session.ws_connect(running.url, protocols=[PROTOCOL]) as ws:
            socket = Socket(ws)
            await socket.send(
                {"type": "connection_init", "payload": {"x-api-key": world.keys["acme_sales"]}}
            )
            assert (await socket.receive())["type"] == "connection_ack"
            await socket.send({"type": "subscribe", "id": "1", "payload": {"query": BOARD}})
            assert (await socket.receive())["type"] == "next"
            stopping = asyncio.ensure_future(running.server.close())
            message = await ws.receive(timeout=10)
            assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 1001
            await asyncio.wait_for(stopping, 10)


async def test_a_socket_holds_a_bounded_number_of_subscriptions(
    gateway: Gateway, sales: Socket
) -> None:
    from gateway.http.view import MAX_SUBSCRIPTIONS

    for n in range(MAX_SUBSCRIPTIONS):
        await sales.send({"type": "subscribe", "id": str(n), "payload": {"query": BOARD}})
        assert (await sales.receive())["type"] == "next"
    await sales.send({"type": "subscribe", "id": "over", "payload": {"query": BOARD}})
    refused = await sales.receive()
    assert refused["type"] == "error" and refused["id"] == "over"
    assert refused["payload"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "limit": "maxSubscriptions",
    }
    # Completing one makes room again.
    await sales.send({"type": "complete", "id": "0"})
    await sales.send({"type": "subscribe", "id": "again", "payload": {"query": BOARD}})
    assert (await sales.receive())["id"] == "again"


@pytest.mark.parametrize("frame", ["42", "[1]", '"text"', "null"])
async def test_a_message_that_is_no_object_closes_the_socket_with_4400(
    gateway: Gateway, world: World, frame: str
) -> None:
    async for socket in connect(gateway, {"x-api-key": world.keys["acme_sales"]}):
        assert (await socket.receive())["type"] == "connection_ack"
        await socket.ws.send_str(frame)
        message = await socket.ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 4400
    # The gateway is unharmed.
    assert (await gateway.query(world.keys["acme_sales"], "{ viewer { tenantId } }")).status == 200
