"""Campaigns seeded in a store."""

from __future__ import annotations

from typing import Any

from tests.support.gateway import World, ingest


async def seed(world: World, count: int) -> None:
    events: list[dict[str, Any]] = []
    for i in range(count):
        channel = "email" if i % 2 else "sms"
        cid = f"c{i:03}"
        events.append(
            {
                "type": "campaign",
                "tenant": "acme",
                "channel": channel,
                "campaignId": cid,
                "name": f"Campaign {i:03}",
                "status": "completed",
                "createdAt": f"2026-10-{1 + i % 28:02}T{i % 24:02}:00:00Z",
            }
        )
        if channel == "email":
            events.append(
                {
                    "type": "email",
                    "tenant": "acme",
                    "event": "click",
                    "campaignId": cid,
                    "recipient": "r",
                    "at": "2026-11-01T00:00:00Z",
                    "url": "https://x.io",
                }
            )
        else:
            events.append(
                {
                    "type": "sms.message",
                    "tenant": "acme",
                    "messageId": f"m{i}",
                    "campaignId": cid,
                    "sentAt": "2026-11-01T00:00:00Z",
                }
            )
    await ingest(world.store, *events)
