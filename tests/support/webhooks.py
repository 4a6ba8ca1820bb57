"""Posting events to /webhooks/{source}, signed as a source signs them."""

from __future__ import annotations

import json
from typing import Any

from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native.webhook_sources import WebhookSource
from tests.support.gateway import Gateway


async def post(
    gateway: Gateway,
    source: WebhookSource,
    body: Any,
    *,
    secret: str | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {
        SIGNATURE_HEADER: sign(secret or source.secret, data),
        "content-type": "application/json",
    }
    async with gateway.session.post(
        gateway.server.make_url(f"/webhooks/{source.name}"), data=data, headers=headers
    ) as response:
        return response.status, await response.json()
