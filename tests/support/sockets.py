"""A graphql-transport-ws client socket for the live subscription tests."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

PROTOCOL = "graphql-transport-ws"


BOARD = "subscription($n: ID) { dashboard(period: DAYS_7, number: $n) { totals { total read } } }"


class Socket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        message = await self.ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        answer: dict[str, Any] = json.loads(message.data)
        return answer

    async def quiet_for(self, seconds: float) -> bool:
        try:
            message = await self.ws.receive(timeout=seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"expected nothing, got {message.data!r}")
