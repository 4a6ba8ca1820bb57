"""Ingest of SMS, email, contact, campaign and billing events: idempotent, order-proof, exact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.domain.events import parse_event, sms_credits
from gateway.providers.native import Store
from gateway.providers.native.billing import billing_statuses
from gateway.providers.native.ingest import apply_events
from tests.support.gateway import World, ingest

ACCOUNT = {
    "type": "billing.account",
    "tenant": "acme",
    "organizationId": "org-1",
    "billingStatus": "active",
    "pricingModel": "full_service",
    "available": 100,
    "included": 10,
}


def sms(message_id: str, status: str = "sent", **extra: Any) -> dict[str, Any]:
    return {
        "type": "sms.message",
        "tenant": "acme",
        "messageId": message_id,
        "sentAt": "2026-11-20T12:00:00Z",
        "status": status,
        **extra,
    }


async def one(store: Store, sql: str, *params: object) -> tuple[Any, ...]:
    row = await store.fetch_one(sql, params)
    assert row is not None
    return tuple(row)


@pytest.mark.parametrize(
    ("kind", "length", "credits"),
    [("sms", 0, 1), ("sms", 480, 1), ("sms", 481, 2), ("sms", 1440, 3), ("mms", 5000, 2)],
)
def test_credit_rules(kind: str, length: int, credits: int) -> None:
    assert sms_credits(kind, length) == credits


async def test_credits_spend_included_first_and_only_once_dispatched(world: World) -> None:
    store = world.store
    await ingest(store, ACCOUNT)
    await ingest(store, sms("a", "sent", length=1000))  # 3 credits: all included
    await ingest(store, sms("b", "queued"))  # not dispatched: free for now
    await ingest(store, sms("c", "failed"))  # failed before dispatch: free
    await ingest(store, sms("d", "delivered", kind="mms"))  # 2: 7 included left -> 5
    await ingest(store, sms("e", "sent", test=True))  # test sends are free
    status = (await billing_statuses(store, ["acme"]))["acme"]
    assert (status.credits.included, status.credits.available) == (5, 100)
    await ingest(store, sms("f", "sent", length=3000))  # 7 credits: 5 included + 2 purchased
    await ingest(
        store, {"type": "sms.status", "tenant": "acme", "messageId": "b", "status": "delivered"}
    )  # now dispatched: 1 purchased
    await ingest(
        store, {"type": "sms.status", "tenant": "acme", "messageId": "f", "status": "failed"}
    )  # failed after dispatch: stays charged
    status = (await billing_statuses(store, ["acme"]))["acme"]
    assert (status.credits.included, status.credits.available, status.credits.total) == (0, 97, 97)
    await ingest(
        store,
        {
            "type": "billing.credits",
            "tenant": "acme",
            "id": "buy-1",
            "pool": "purchased",
            "delta": 1000,
        },
    )
    assert (await billing_statuses(store, ["acme"]))["acme"].credits.available == 1097


async def test_event_ids_and_identical_lines_count_once(world: World) -> None:
    click = {
        "type": "email",
        "tenant": "acme",
        "event": "click",
        "campaignId": "e1",
        "recipient": "a@x.io",
        "at": "2026-11-20T12:00:00Z",
        "url": "https://x.io/a",
    }
    first = await ingest(world.store, click, {**click, "id": "evt-1"})
    again = await ingest(world.store, click, {**click, "id": "evt-1"}, {**click, "id": "evt-2"})
    assert (first.applied, first.duplicates) == (2, 0)
    assert (again.applied, again.duplicates) == (1, 2)
    assert await one(world.store, "SELECT clicks, unique_clicks FROM email_links") == (3, 1)


async def test_unknown_tenant_is_rejected_and_others_are_kept(world: World) -> None:
    events = [parse_event(sms("ok")), parse_event({**sms("x"), "tenant": "nobody"})]
    result = await apply_events(world.store, events)
    assert result.applied == 1 and result.rejected == [(1, "unknown tenant 'nobody'")]


async def test_sms_statuses_in_any_order_and_before_the_message(world: World) -> None:
    await ingest(
        world.store,
        {"type": "sms.status", "tenant": "acme", "messageId": "m", "status": "delivered"},
        {"type": "sms.status", "tenant": "acme", "messageId": "m", "status": "sent"},
    )
    await ingest(world.store, sms("m", "queued", campaignId="c1"))
    await ingest(
        world.store, {"type": "sms.status", "tenant": "acme", "messageId": "m", "status": "failed"}
    )
    assert await one(world.store, "SELECT status FROM sms_messages") == (3,)
    assert await one(
        world.store, "SELECT queued, sent, failed, delivered FROM campaign_counts"
    ) == (0, 0, 0, 1)
    assert await one(world.store, "SELECT sum(delivered), sum(queued) FROM sms_buckets") == (1, 0)


async def test_campaign_status_never_moves_back(world: World) -> None:
    base = {
        "type": "campaign",
        "tenant": "acme",
        "channel": "sms",
        "campaignId": "c1",
        "name": "Launch",
        "createdAt": "2026-11-01T00:00:00Z",
    }
    await ingest(
        world.store,
        {**base, "status": "completed"},
        {**base, "status": "sending", "name": "Launch!"},
    )
    assert await one(world.store, "SELECT name, status FROM campaigns") == ("Launch!", "completed")


async def test_contact_totals_follow_updates(world: World) -> None:
    contact = {"type": "contact", "tenant": "acme", "contactId": "c1", "isTextable": True}
    await ingest(world.store, contact, {**contact, "contactId": "c2", "isOptedIn": False})
    # c1 stops being textable and opts out; c2 stays textable and opted out.
    await ingest(world.store, {**contact, "isTextable": False, "isOptedIn": False})
    assert await one(world.store, "SELECT total, textable, opted_out FROM contact_totals") == (
        2,
        1,
        2,
    )


def email(kind: str, recipient: str, at: str, **extra: str) -> dict[str, Any]:
    return {
        "type": "email",
        "tenant": "acme",
        "event": kind,
        "campaignId": "e1",
        "recipient": recipient,
        "at": at,
        **extra,
    }


async def test_email_recipients_count_once_and_late_events_move_buckets(world: World) -> None:
    store = world.store
    await ingest(
        store,
        email("sent", "a", "2026-11-20T10:00:00Z"),
        email("sent", "b", "2026-11-20T10:00:00Z"),
        email("sent", "c", "2026-11-20T10:00:00Z"),
        email("open", "a", "2026-11-21T09:00:00Z"),
        email("open", "a", "2026-11-21T09:30:00Z"),
        email("soft_bounce", "b", "2026-11-20T10:05:00Z"),
        email("hard_bounce", "b", "2026-11-20T11:00:00Z"),
        email("soft_bounce", "b", "2026-11-20T10:01:00Z"),
        email("click", "a", "2026-11-21T09:01:00Z", url="https://x.io/1"),
        email("click", "a", "2026-11-21T09:02:00Z", url="https://x.io/1"),
    )
    # A late open from the day before moves a's first open to the 20th.
    await ingest(store, email("open", "a", "2026-11-20T18:00:00Z"))
    counts = await one(
        store,
        "SELECT sent, opened, clicked, opens, clicks, soft_bounced, hard_bounced FROM email_counts",
    )
    assert counts == (3, 1, 1, 3, 2, 0, 1)
    by_bucket = {
        row[0]: tuple(row[1:])
        for row in await store.fetch_all(
            "SELECT bucket, unique_opens, hard_bounces, soft_bounces, cohort_bounced "
            "FROM email_buckets "
            "WHERE unique_opens <> 0 OR hard_bounces <> 0 OR soft_bounces <> 0 "
            "OR cohort_bounced <> 0"
        )
    }

    def bucket(iso: str) -> int:
        return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp()) // 900

    assert by_bucket == {
        bucket("2026-11-20T18:00:00"): (1, 0, 0, 0),
        bucket("2026-11-20T11:00:00"): (0, 1, 0, 0),
        bucket("2026-11-20T10:00:00"): (0, 0, 0, 1),
    }
