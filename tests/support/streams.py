"""Apollo's multipart subscriptions, read with aiohttp's multipart reader."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp

from tests.support.gateway import Gateway

MULTIPART = 'multipart/mixed;subscriptionSpec="1.0", application/json'


async def multipart(
    gateway: Gateway, key: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncGenerator[dict[str, Any], None]:
    """Apollo's multipart subscription protocol, read part by part as it streams; heartbeats
    (empty parts) are left out."""
    headers = {"x-api-key": key, "accept": MULTIPART}
    body = {"query": query, "variables": variables}
    async with gateway.session.post(gateway.url, json=body, headers=headers) as response:
        assert response.status == 200, await response.text()
        assert response.headers["content-type"].startswith("multipart/mixed")
        reader = aiohttp.MultipartReader.from_response(response)
        while True:
            async with asyncio.timeout(10):
                part = await reader.next()
            if part is None:
                return
            assert isinstance(part, aiohttp.BodyPartReader)
            message = await part.json()
            if message:
                yield message
