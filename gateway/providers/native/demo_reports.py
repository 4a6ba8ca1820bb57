"""Demo data for the reports: contacts, billing, SMS and email campaigns, fed through ingest."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from gateway.domain.events import parse_event
from gateway.providers.native.ingest import apply_events
from gateway.providers.native.store import Store

__all__ = ["demo_events", "seed_reports"]

Raw = dict[str, Any]

SMS_NAMES = [
    "Spring Sale",
    "Loyalty Points",
    "Weekend Brunch",
    "New Blend Launch",
    "Flash Deal",
    "Holiday Hours",
    "Bring a Friend",
    "Cold Brew Week",
]
EMAIL_NAMES = ["Monthly Newsletter", "Roaster's Notes", "Subscription Offer", "Recipe Digest"]
LINKS = [
    "https://democoffee.example/shop",
    "https://democoffee.example/blog",
    "https://democoffee.example/subscribe",
]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _contacts(tenant: str, now: datetime, rng: random.Random) -> Iterator[Raw]:
    for i in range(1500):
        yield {
            "type": "contact",
            "tenant": tenant,
            "contactId": f"c{i}",
            "phone": f"+55119{rng.randrange(10**7, 10**8)}",
            "email": f"person{i}@example.com",
            "isTextable": rng.random() < 0.92,
            "isOptedIn": rng.random() > 0.03,
            "createdAt": _iso(now - timedelta(days=rng.uniform(0, 120))),
        }


def _billing(tenant: str) -> Raw:
    return {
        "type": "billing.account",
        "tenant": tenant,
        "id": "demo-billing",
        "organizationId": "3f4e5c6d-7a8b-9012-cdef-1234567890ab",
        "brand": "amplifi",
        "billingStatus": "active",
        "pricingModel": "full_service",
        "subscription": {
            "id": "sub_demo",
            "plan_type": "full_service",
            "billing_interval": "monthly",
            "status": "active",
            "provider": "amplifi",
        },
        "portalUrls": {"customer_portal": None, "subscription_management": None},
        "creditProducts": [
            {
                "id": "prod_10k",
                "name": "10,000 Credits",
                "credits_amount": 10000,
                "price_cents": 4900,
            }
        ],
        "available": 24500,
        "included": 10000,
    }


def _sms_campaign(
    tenant: str, index: int, created: datetime, status: str, now: datetime, rng: random.Random
) -> Iterator[Raw]:
    campaign_id = f"sms-{index}"
    name = f"{SMS_NAMES[index % len(SMS_NAMES)]} #{index // len(SMS_NAMES) + 1}"
    send = created + timedelta(hours=rng.uniform(1, 30))
    yield {
        "type": "campaign",
        "tenant": tenant,
        "channel": "sms",
        "campaignId": campaign_id,
        "name": name,
        "status": status,
        "createdAt": _iso(created),
        "completedAt": _iso(send + timedelta(hours=2)) if status == "completed" else None,
    }
    if status in ("draft", "scheduled", "canceled") or send > now:
        return
    failure = rng.uniform(0.003, 0.03)
    kind = "mms" if rng.random() < 0.15 else "sms"
    for i in range(rng.randrange(150, 900) if status != "failed" else 40):
        sent_at = send + timedelta(seconds=rng.randrange(3600))
        roll = rng.random()
        final = (
            "failed"
            if roll < failure or status == "failed"
            else ("sent" if roll < failure + 0.01 else "delivered")
        )
        if status == "sending" and rng.random() < 0.3:
            final = "queued"
        yield {
            "type": "sms.message",
            "tenant": tenant,
            "messageId": f"{campaign_id}-{i}",
            "campaignId": campaign_id,
            "sentAt": _iso(sent_at),
            "status": final,
            "kind": kind,
            "length": rng.choice([90, 160, 300, 520, 980]),
        }


def _email_campaign(
    tenant: str, index: int, sent: datetime, now: datetime, rng: random.Random
) -> Iterator[Raw]:
    campaign_id = f"email-{index}"
    yield {
        "type": "campaign",
        "tenant": tenant,
        "channel": "email",
        "campaignId": campaign_id,
        "name": f"{EMAIL_NAMES[index % len(EMAIL_NAMES)]} #{index // len(EMAIL_NAMES) + 1}",
        "status": "completed",
        "createdAt": _iso(sent - timedelta(days=2)),
        "sentAt": _iso(sent),
        "completedAt": _iso(sent + timedelta(minutes=20)),
    }
    open_share = rng.uniform(0.25, 0.45)

    def event(kind: str, recipient: str, at: datetime, **extra: str) -> Raw | None:
        if at > now:
            return None
        return {
            "type": "email",
            "tenant": tenant,
            "event": kind,
            "campaignId": campaign_id,
            "recipient": recipient,
            "at": _iso(at),
            **extra,
        }

    for r in range(rng.randrange(800, 2000)):
        recipient = f"person{rng.randrange(1500)}.{r}@example.com"
        at = sent + timedelta(seconds=rng.randrange(1200))
        found = [event("sent", recipient, at)]
        roll = rng.random()
        if roll < 0.035:
            kind = "hard_bounce" if roll < 0.02 else "soft_bounce"
            found.append(event(kind, recipient, at + timedelta(minutes=rng.uniform(1, 90))))
        elif rng.random() < open_share:
            opened = at + timedelta(hours=rng.expovariate(1 / 8))
            found += [
                event("open", recipient, opened + timedelta(hours=rng.expovariate(1 / 20) * k))
                for k in range(1 + (rng.random() < 0.4))
            ]
            if rng.random() < 0.3:
                found.append(
                    event("click", recipient, opened + timedelta(minutes=2), url=rng.choice(LINKS))
                )
            if rng.random() < 0.01:
                found.append(event("unsubscribe", recipient, opened + timedelta(minutes=5)))
        yield from (e for e in found if e is not None)


def demo_events(tenant: str, now: datetime, seed: int = 11) -> Iterator[Raw]:
    """Every event of the demo reports, entities before the traffic that needs them."""
    rng = random.Random(seed)
    yield from _contacts(tenant, now, rng)
    yield _billing(tenant)
    for index in range(24):
        created = now - timedelta(days=118 - index * 5, hours=rng.uniform(0, 10))
        status = "completed"
        if index == 23:
            status = "sending"
        elif index in (7, 15):
            status = rng.choice(["failed", "canceled"])
        yield from _sms_campaign(tenant, index, created, status, now, rng)
    yield from _sms_campaign(tenant, 24, now - timedelta(hours=3), "scheduled", now, rng)
    yield from _sms_campaign(tenant, 25, now - timedelta(days=1), "draft", now, rng)
    yield {
        "type": "billing.credits",
        "tenant": tenant,
        "id": "demo-topup",
        "pool": "purchased",
        "delta": 10000,
        "reason": "10,000 Credits",
    }
    for day in range(110, -1, -1):
        for i in range(rng.randrange(20, 70)):
            sent_at = now - timedelta(days=day, seconds=rng.randrange(86400))
            if sent_at <= now:
                yield {
                    "type": "sms.message",
                    "tenant": tenant,
                    "messageId": f"tx-{day}-{i}",
                    "sentAt": _iso(sent_at),
                    "length": 120,
                    "test": rng.random() < 0.02,
                    "status": "delivered" if rng.random() < 0.97 else "failed",
                }
    for index in range(16):
        yield from _email_campaign(tenant, index, now - timedelta(days=115 - index * 7.3), now, rng)


async def seed_reports(store: Store, tenant: str, now: datetime) -> int:
    """Feed the demo events through ingest; returns how many were applied."""
    applied, batch = 0, []
    for raw in demo_events(tenant, now):
        batch.append(parse_event(raw))
        if len(batch) == 5000:
            applied += (await apply_events(store, batch)).applied
            batch = []
    applied += (await apply_events(store, batch)).applied
    return applied
