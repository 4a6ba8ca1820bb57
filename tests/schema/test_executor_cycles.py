"""An operation's executor state is freed when the operation ends, without a collection: with a
thousand live subscriptions, every operation left in a reference cycle made the full
collections that pause the event loop longer and more frequent."""

from __future__ import annotations

import asyncio
import gc

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.schema.execution import GatewayExecutor
from tests.support.gateway import World, fixed_clock, serve
from tests.support.sockets import PROTOCOL, Socket

PERIODS = ("DAYS_7", "DAYS_30", "DAYS_90")


LIVE = "subscription($p: Period) { dashboard(period: $p) { totals { total } } }"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_closed_subscriptions_operation_state_needs_no_collection(world: World) -> None:
    """Sixty dashboards subscribed, answered and closed with the collector off: no operation's
    executor is left behind for a collection to find (each was, in a reference cycle of some
    forty objects, which a frozen one would have kept for good)."""
    settings = Settings(store_url=world.store.url, demo=False, max_sockets_per_key=10, rate_limit=0)
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        gc.collect()
        gc.disable()
        try:
            for _ in range(3):
                ws = await gateway.session.ws_connect(gateway.url, protocols=[PROTOCOL])
                socket = Socket(ws)
                key = world.keys["acme_sales"]
                await socket.send({"type": "connection_init", "payload": {"x-api-key": key}})
                assert (await socket.receive())["type"] == "connection_ack"
                for i in range(20):
                    payload = {"query": LIVE, "variables": {"p": PERIODS[i % 3]}}
                    await socket.send({"type": "subscribe", "id": str(i), "payload": payload})
                for _ in range(20):
                    assert (await socket.receive())["type"] == "next"
                await ws.close()
            await asyncio.sleep(0.3)  # the server side of each socket finishes
            left = [o for o in gc.get_objects() if isinstance(o, GatewayExecutor)]
        finally:
            gc.enable()
        assert left == []
