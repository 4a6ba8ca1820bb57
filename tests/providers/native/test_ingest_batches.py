"""A batch's rollup changes are all written, whatever else in the batch netted to nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.providers.native.billing import billing_statuses
from tests.support.gateway import World, ingest

CONTACT = {"type": "contact", "tenant": "acme", "contactId": "c1", "isTextable": True}
ACCOUNT = {
    "type": "billing.account",
    "tenant": "acme",
    "organizationId": "org-1",
    "billingStatus": "active",
    "pricingModel": "full_service",
    "available": 100,
    "included": 10,
}
CREDITS = {"type": "billing.credits", "tenant": "acme", "id": "buy-1", "pool": "purchased"}


def sms(message_id: str) -> dict[str, Any]:
    return {
        "type": "sms.message",
        "tenant": "acme",
        "messageId": message_id,
        "sentAt": "2026-11-20T12:07:00Z",
        "status": "sent",
    }


async def test_a_rollup_that_nets_to_nothing_leaves_the_batch_s_others_written(
    world: World,
) -> None:
    store = world.store
    await ingest(store, ACCOUNT, CONTACT)
    # The contact with a new address and the same flags: its totals move by nothing; the
    # credits and the SMS (one credit, from the included pool) in the same batch still count.
    moved = {**CONTACT, "email": "c1@example.com"}
    await ingest(store, moved, {**CREDITS, "delta": 1000}, sms("a"))
    again = {**CONTACT, "email": "c1@example.org"}
    await ingest(store, {**CREDITS, "id": "buy-2", "delta": 5}, again, sms("b"))
    totals = await store.fetch_one("SELECT total, textable, opted_out FROM contact_totals")
    assert totals is not None and tuple(totals) == (1, 1, 0)
    credits = (await billing_statuses(store, ["acme"]))["acme"].credits
    assert (credits.available, credits.included) == (1105, 8)
    sent = await store.fetch_one("SELECT SUM(sent) FROM sms_buckets WHERE tenant_id = 'acme'")
    assert sent is not None and sent[0] == 2


async def test_one_message_sent_twice_in_a_batch_counts_once_at_its_highest_status(
    world: World,
) -> None:
    store = world.store
    delivered, sent = {**sms("a"), "status": "delivered"}, sms("a")
    await ingest(store, delivered, sent, {**sms("b"), "status": "queued"}, {**sms("b")})
    rows = await store.fetch_all(
        "SELECT external_id, status FROM sms_messages ORDER BY external_id", []
    )
    assert [tuple(row) for row in rows] == [("a", 3), ("b", 1)]  # delivered, sent
    counts = await store.fetch_one(
        "SELECT SUM(queued), SUM(sent), SUM(failed), SUM(delivered) FROM sms_buckets", []
    )
    assert counts is not None and tuple(counts) == (0, 1, 0, 1)


async def test_messages_in_one_15_minute_bucket_share_one_rollup_row(world: World) -> None:
    # 12:07 and 12:14:59 fall in the bucket of 12:00; 12:15 starts the next.
    store = world.store
    times = ("2026-11-20T12:07:00Z", "2026-11-20T12:14:59Z", "2026-11-20T12:15:00Z")
    await ingest(store, *({**sms(f"m{i}"), "sentAt": at} for i, at in enumerate(times)))
    rows = await store.fetch_all("SELECT bucket, sent FROM sms_buckets ORDER BY bucket", [])
    noon = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()) // 900
    assert [tuple(row) for row in rows] == [(noon, 2), (noon + 1, 1)]
