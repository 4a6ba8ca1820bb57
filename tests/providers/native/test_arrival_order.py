"""The same set of events gives the same numbers in every order and every batching: messages,
statuses, contacts, email, and credits, checked against each other and by brute force."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from gateway.domain.events import parse_event, sms_credits
from gateway.providers.native import Store
from gateway.providers.native.billing import billing_statuses
from gateway.providers.native.ingest import apply_events
from gateway.providers.native.tenancy import Tenancy

SMS_STATUSES = ["queued", "sent", "failed", "delivered"]
RANK = {name: rank for rank, name in enumerate(SMS_STATUSES)}
ORDERS = 6


def event_set(rng: random.Random) -> list[dict[str, Any]]:
    """Events of one tenant, without its name: an account, credits (negative ones too),
    SMS with statuses in any order (failed before sent among them), WhatsApp, contacts, email."""
    events: list[dict[str, Any]] = [
        {
            "type": "billing.account",
            "organizationId": "org",
            "billingStatus": "active",
            "pricingModel": "per_message",
            "available": 40,
            "included": 15,
        }
    ]
    events += [
        {"type": "billing.credits", "id": f"cr{i}", "pool": pool, "delta": delta}
        for i, (pool, delta) in enumerate(
            [("purchased", 25), ("included", 10), ("purchased", -70), ("included", -5)]
        )
    ]
    for i in range(60):
        at = f"2026-11-{20 + i % 3}T{i % 24:02d}:{i % 60:02d}:00Z"
        events.append(
            {
                "type": "sms.message",
                "messageId": f"s{i}",
                "campaignId": f"c{i % 4}" if i % 5 else None,
                "sentAt": at,
                "status": rng.choice(SMS_STATUSES),
                "kind": rng.choice(["sms", "sms", "mms"]),
                "length": rng.choice([10, 500, 1000]),
                "test": rng.random() < 0.1,
            }
        )
        for _ in range(rng.randrange(3)):
            status = rng.choice(SMS_STATUSES)
            events.append({"type": "sms.status", "messageId": f"s{i}", "status": status})
        number = "+5511900000009"
        events.append(
            {
                "type": "whatsapp.message",
                "number": number,
                "messageId": f"w{i}",
                "sentAt": at,
                "status": rng.choice(["sent", "delivered"]),
            }
        )
        events.append(
            {
                "type": "whatsapp.status",
                "messageId": f"w{i}",
                "status": rng.choice(["read", "failed", "delivered"]),
            }
        )
        events.append(
            {
                "type": "contact",
                "contactId": f"k{i}",
                "isTextable": i % 2 == 0,
                "isOptedIn": i % 3 != 0,
            }
        )
        kind = rng.choice(["sent", "open", "click", "soft_bounce", "hard_bounce", "unsubscribe"])
        email = {
            "type": "email",
            "event": kind,
            "campaignId": "e1",
            "recipient": f"r{rng.randrange(15)}",
            "at": at,
        }
        events.append({**email, "url": "https://x.io/a"} if kind == "click" else email)
    # The odd case of the issue: a queued message failed, then shown sent.
    events += [
        {
            "type": "sms.message",
            "messageId": "q",
            "sentAt": "2026-11-20T00:00:00Z",
            "status": "queued",
            "length": 10,
        },
        {"type": "sms.status", "messageId": "q", "status": "failed"},
        {"type": "sms.status", "messageId": "q", "status": "sent"},
    ]
    return [{k: v for k, v in e.items() if v is not None} for e in events]


def expected_credits(events: list[dict[str, Any]]) -> tuple[int, int]:
    """(available, included) by the ledger's rule, from the set alone."""
    statuses: dict[str, set[str]] = {}
    cost: dict[str, int] = {}
    for e in events:
        if e["type"] == "sms.message":
            statuses.setdefault(e["messageId"], set()).add(e["status"])
            if not e.get("test"):
                cost[e["messageId"]] = sms_credits(e.get("kind", "sms"), e["length"])
        elif e["type"] == "sms.status":
            statuses.setdefault(e["messageId"], set()).add(e["status"])
    spent = sum(c for m, c in cost.items() if statuses[m] & {"sent", "delivered"})
    deltas = Counter[str]()
    for e in events:
        if e["type"] == "billing.credits":
            deltas[e["pool"]] += e["delta"]
    included = max(15 + deltas["included"], 0)
    purchased = max(40 + deltas["purchased"], 0)
    from_included = min(spent, included)
    return purchased - (spent - from_included), included - from_included


async def snapshot(store: Store, tenant: str) -> dict[str, Any]:
    """Every rollup of one tenant, by external ids (row ids differ between tenants)."""

    async def rows(sql: str) -> list[tuple[Any, ...]]:
        found = await store.fetch_all(sql, (tenant,))
        return sorted(tuple(r) for r in found if any(v for v in tuple(r)[2:]))

    credits = (await billing_statuses(store, [tenant]))[tenant].credits
    return {
        "credits": (credits.available, credits.included),
        "sms": await rows(
            "SELECT 'b', bucket, queued, sent, failed, delivered FROM sms_buckets "
            "WHERE tenant_id = ?"
        ),
        "campaigns": await rows(
            "SELECT 'c', c.external_id, n.queued, n.sent, n.failed, n.delivered "
            "FROM campaign_counts AS n JOIN campaigns AS c ON c.id = n.campaign_id "
            "WHERE c.tenant_id = ?"
        ),
        "whatsapp": await rows(
            "SELECT 'w', b.bucket, b.queued, b.sent, b.failed, b.delivered, b.read "
            "FROM message_buckets AS b JOIN numbers AS n ON n.id = b.number_id "
            "WHERE n.tenant_id = ?"
        ),
        "contacts": await rows(
            "SELECT 't', 'all', total, textable, opted_out FROM contact_totals WHERE tenant_id = ?"
        ),
        "email": await rows(
            "SELECT 'e', c.external_id, n.sent, n.opened, n.clicked, n.opens, n.clicks, "
            "n.soft_bounced, n.hard_bounced, n.unsubscribed FROM email_counts AS n "
            "JOIN campaigns AS c ON c.id = n.campaign_id WHERE c.tenant_id = ?"
        ),
        "email_buckets": await rows(
            "SELECT 'e', bucket, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces,"
            " hard_bounces, unsubscribes, cohort_bounced FROM email_buckets WHERE tenant_id = ?"
        ),
        "links": await rows(
            "SELECT 'l', l.url, l.clicks, l.unique_clicks FROM email_links AS l "
            "JOIN campaigns AS c ON c.id = l.campaign_id WHERE c.tenant_id = ?"
        ),
    }


async def test_every_order_and_batching_gives_the_same_numbers(store: Store) -> None:
    rng = random.Random(13)
    events = event_set(rng)
    tenancy = Tenancy(store)
    snapshots = []
    for order in range(ORDERS):
        tenant = f"t{order}"
        await tenancy.create_tenant(tenant, tenant)
        shuffled = [{**e, "tenant": tenant} for e in events]
        if order:  # the first keeps the order as written
            rng.shuffle(shuffled)
        start = 0
        while start < len(shuffled):  # batches of 1 to 80, each in its own transaction
            size = rng.randint(1, 80)
            result = await apply_events(store, [parse_event(e) for e in shuffled[start:][:size]])
            assert result.rejected == []
            start += size
        # Half of it again: every replay counts once (the ids or the content say so).
        again = rng.sample(shuffled, len(shuffled) // 2)
        assert (await apply_events(store, [parse_event(e) for e in again])).applied == 0
        snapshots.append(await snapshot(store, tenant))
    for other in snapshots[1:]:
        assert other == snapshots[0]
    assert snapshots[0]["credits"] == expected_credits(events)
    # And the SMS counts by brute force: every non-test message once, at its highest status.
    final: dict[str, int] = {}
    for e in events:
        if e["type"] in ("sms.message", "sms.status"):
            final[e["messageId"]] = max(final.get(e["messageId"], 0), RANK[e["status"]])
    tests = {e["messageId"] for e in events if e["type"] == "sms.message" and e.get("test")}
    by_status = Counter(s for m, s in final.items() if m not in tests)
    totals = [sum(row[2 + i] for row in snapshots[0]["sms"]) for i in range(4)]
    assert totals == [by_status[i] for i in range(4)]
