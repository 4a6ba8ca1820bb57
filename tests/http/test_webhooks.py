"""Webhooks: signed per source, translated per platform, stored before the 200."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.config.settings import Settings
from gateway.http.app import STORE, create_app
from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native.webhook_sources import WebhookSource, WebhookSources
from tests.support.gateway import Answer, Gateway, World, serve
from tests.support.webhooks import post


async def totals(gateway: Gateway, world: World) -> Answer:
    return await gateway.query(
        world.keys["acme_sales"],
        "{ dashboard(period: DAYS_7) { totals { total sent delivered read failed } } }",
    )


async def test_pilot_status_events_build_the_dashboard(gateway: Gateway, world: World) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    base = {"messageId": "wamid.1", "from": "+5511900000001"}
    status, body = await post(
        gateway,
        source,
        [
            {**base, "event": "message.read", "timestamp": "2026-11-21T10:05:00Z", "eventId": "e3"},
            {**base, "event": "message.sent", "timestamp": "2026-11-21T10:00:00Z", "eventId": "e1"},
        ],
    )
    assert (status, body) == (200, {"accepted": 2, "duplicates": 0})
    # Retried, and a late delivered: nothing changes.
    status, body = await post(
        gateway,
        source,
        [
            {**base, "event": "message.read", "timestamp": "2026-11-21T10:05:00Z", "eventId": "e3"},
            {**base, "event": "message.delivered", "timestamp": "2026-11-21T10:01:00Z"},
        ],
    )
    assert (status, body) == (200, {"accepted": 1, "duplicates": 1})
    answer = await totals(gateway, world)
    assert answer.data["dashboard"]["totals"] == {
        "total": 1,
        "sent": 1,
        "delivered": 1,
        "read": 1,
        "failed": 0,
    }


async def test_messagesender_and_email_events(gateway: Gateway, world: World) -> None:
    sms = await WebhookSources(world.store).create("acme", "messagesender", "ms-acme")
    status, _ = await post(
        gateway,
        sms,
        [
            {
                "event": "campaign.created",
                "campaign": {
                    "id": "c1",
                    "name": "Launch",
                    "status": "sending",
                    "createdAt": "2026-11-20T09:00:00Z",
                },
            },
            {
                "event": "message.queued",
                "messageId": "s1",
                "campaignId": "c1",
                "timestamp": "2026-11-20T09:30:00Z",
            },
            {"event": "message.delivered", "messageId": "s1", "timestamp": "2026-11-20T09:31:00Z"},
            {"event": "contact.created", "contact": {"id": "p1", "isTextable": True}},
        ],
    )
    assert status == 200
    mail = await WebhookSources(world.store).create("acme", "email")
    status, _ = await post(
        gateway,
        mail,
        [
            {
                "event": "email.sent",
                "campaignId": "n1",
                "email": "a@x.io",
                "timestamp": "2026-11-20T09:00:00Z",
            },
            {
                "event": "email.bounced",
                "bounceType": "soft",
                "campaignId": "n1",
                "email": "a@x.io",
                "timestamp": "2026-11-20T09:01:00Z",
            },
        ],
    )
    assert status == 200
    answer = await gateway.query(
        world.keys["acme_tenant"],
        """{ sms { overview { messages {
      total delivered } contacts { total } campaigns { sending } } } email { overall(pastDays: 7)
      { sent delivered bounces { soft } } } }""",
    )
    assert answer.data == {
        "sms": {
            "overview": {
                "messages": {"total": 1, "delivered": 1},
                "contacts": {"total": 1},
                "campaigns": {"sending": 1},
            }
        },
        "email": {"overall": {"sent": 1, "delivered": 0, "bounces": {"soft": 1}}},
    }


async def test_bad_signature_or_unknown_source_is_401(gateway: Gateway, world: World) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    event = {
        "event": "message.sent",
        "messageId": "m",
        "from": "+5511900000001",
        "timestamp": "2026-11-21T10:00:00Z",
    }
    status, body = await post(gateway, source, event, secret="whsec_wrong")
    assert status == 401 and body["code"] == "UNAUTHENTICATED"
    ghost = WebhookSource("ghost", "acme", "pilotstatus", source.secret)
    assert (await post(gateway, ghost, event))[0] == 401
    await WebhookSources(world.store).revoke(source.name)
    assert (await post(gateway, source, event))[0] == 401
    assert (await totals(gateway, world)).data["dashboard"]["totals"]["total"] == 0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not JSON"),
        (b'{"event": "message.sent"}', "missing messageId"),
        (
            b'{"event": "message.exploded", "messageId": "m", "timestamp": "2026-11-21T10:00:00Z"}',
            "status must be one of",
        ),
        (b'{"event": "sms.whatever"}', "unknown Pilot Status event"),
        (
            b'[{"type": "whatsapp.status", "messageId": "m", "status": "read"}, 7]',
            "must be a JSON object",
        ),
        (
            b'{"type": "whatsapp.status", "tenant": "globex", "messageId": "m", "status": "read"}',
            "tenant does not match",
        ),
    ],
)
async def test_malformed_bodies_are_400_and_store_nothing(
    gateway: Gateway, world: World, body: bytes, fragment: str
) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    status, answer = await post(gateway, source, None, raw=body)
    assert status == 400 and answer["code"] == "BAD_USER_INPUT"
    assert fragment in answer["error"], answer
    rows = await world.store.fetch_all("SELECT * FROM pending_statuses")
    assert rows == []


async def test_stale_or_tampered_signatures_are_refused(gateway: Gateway, world: World) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    body = json.dumps(
        {
            "event": "message.sent",
            "messageId": "m",
            "from": "+5511900000001",
            "timestamp": "2026-11-21T10:00:00Z",
        }
    ).encode()
    url = gateway.server.make_url(f"/webhooks/{source.name}")
    cases = {
        "too old": sign(source.secret, body, int(time.time()) - 3600),
        "from the future": sign(source.secret, body, int(time.time()) + 3600),
        "bad signature": sign(source.secret, body + b" "),
        "malformed": "sha256=abc",
    }
    for name, header in cases.items():
        async with gateway.session.post(
            url, data=body, headers={SIGNATURE_HEADER: header, "content-type": "application/json"}
        ) as response:
            answer = await response.json()
        assert response.status == 401 and answer["code"] == "UNAUTHENTICATED", name
    assert await world.store.fetch_all("SELECT * FROM messages") == []


async def test_a_body_over_the_size_limit_is_413_and_stores_nothing(
    world: World, tmp_path: Path
) -> None:
    app = create_app(Settings(store_url=world.store.url, demo=False, max_body_kib=1))
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    events = [
        {
            "event": "message.sent",
            "messageId": f"m{i}",
            "from": "+5511900000001",
            "timestamp": "2026-11-21T10:00:00Z",
        }
        for i in range(40)
    ]
    async for running in serve(app):
        status, answer = await post(running, source, events)
        assert status == 413 and answer["code"] == "BAD_USER_INPUT"
        assert "larger than the limit of 1024 bytes" in answer["error"]
        status, _ = await post(running, source, events[:2])
        assert status == 200
    rows = await world.store.fetch_all("SELECT external_id FROM messages")
    assert sorted(row[0] for row in rows) == ["m0", "m1"]


async def test_a_batch_with_an_event_out_of_range_is_400_not_500(
    gateway: Gateway, world: World
) -> None:
    source = await WebhookSources(world.store).create("acme", "messagesender")
    account = {
        "type": "billing.account",
        "organizationId": "o",
        "billingStatus": "active",
        "pricingModel": "per_message",
        "available": 9223372036854775808,
    }
    contact = {"type": "contact", "contactId": "c1"}
    status, body = await post(gateway, source, [contact, account])
    assert status == 400 and body["code"] == "BAD_USER_INPUT"
    # The second event of the array: named by its 0-based index, and said to be one.
    assert body["error"].startswith("event at index 1: billing.account.available")
    assert [(e["event"], e["code"]) for e in body["events"]] == [(1, "BAD_USER_INPUT")]


async def test_concurrent_batches_share_one_commit(gateway: Gateway, world: World) -> None:
    source = await WebhookSources(world.store).create("acme", "messagesender")
    store = gateway.server.app[STORE]
    writes = 0
    real_write = store.write

    def counted_write() -> Any:
        nonlocal writes
        writes += 1
        return real_write()

    bodies = [[{"type": "contact", "contactId": f"c{i}-{j}"} for j in range(20)] for i in range(8)]
    bodies[7][0] = bodies[6][0]  # one event in two requests: it counts once
    store.write = counted_write  # type: ignore[method-assign]
    try:
        answers = await asyncio.gather(*(post(gateway, source, body) for body in bodies))
    finally:
        store.write = real_write  # type: ignore[method-assign]
    assert all(status == 200 for status, _ in answers)
    assert sum(body["accepted"] for _, body in answers) == 159
    assert sum(body["duplicates"] for _, body in answers) == 1
    assert writes < len(bodies)  # requests that came while one was written were grouped
    row = await world.store.fetch_one("SELECT total FROM contact_totals WHERE tenant_id = 'acme'")
    assert row is not None and row[0] == 159
