"""The scale benchmark's store: a large tenant and a small one, written in bulk SQL in the native
store's own schema, every rollup summed from the rows it rolls up (what ingest would write)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from gateway.domain.auth import KeyKind
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy

__all__ = ["SMALL_CAMPAIGNS", "SMALL_NUMBERS", "Tenant", "build_store"]

DAY = 86400
SPAN_DAYS = 120
SMALL_NUMBERS, SMALL_CAMPAIGNS = 5, 50
SCOPES = frozenset({"analytics:read", "reports:read"})


@dataclass
class Tenant:
    name: str
    key: str
    number_ids: list[int]


async def _tenants(path: Path) -> dict[str, Tenant]:
    """Both tenants and a tenant-scoped key each, through the gateway's own code (which also
    migrates the new store)."""
    store = await SqliteStore.open(path)
    try:
        tenancy = Tenancy(store)
        found = {}
        for name in ("small", "large"):
            await tenancy.create_tenant(name, name.title())
            issued = await tenancy.create_key(name, KeyKind.TENANT, SCOPES)
            found[name] = Tenant(name, issued.key, [])
        return found
    finally:
        await store.close()


# Rows are made from a counter by a multiplicative hash, so every build is the same.
HASH = "((({i}) * 2654435761) % 4294967296)"


def _fill(db: sqlite3.Connection, tenant: str, numbers: int, campaigns: int, messages: int,
          now: int) -> None:  # fmt: skip
    span = SPAN_DAYS * DAY
    h = HASH.format(i="i")
    db.execute(
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?) "
        "INSERT INTO numbers (tenant_id, phone_number, display_name, created_at, source) "
        "SELECT ?, printf('+55119%08d', i), 'Line ' || i, ? - ?, 'native' FROM c",
        (numbers, tenant, now, span),
    )
    first, last = db.execute(
        "SELECT min(id), max(id) FROM numbers WHERE tenant_id = ?", (tenant,)
    ).fetchone()
    # Status by rank: 1 sent, 2 failed, 3 delivered, 4 read, a few still queued.
    db.execute(
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?) "
        "INSERT INTO messages (tenant_id, number_id, external_id, sent_at, status, is_test) "
        f"SELECT ?, ? + i % ?, ? || i, ? - 1 - {h} % ?, "
        f"CASE {h} % 20 WHEN 0 THEN 0 WHEN 1 THEN 2 WHEN 2 THEN 2 WHEN 3 THEN 1 "
        f"WHEN 4 THEN 1 ELSE 3 + ({h} / 20) % 2 END, 0 FROM c",
        (messages, tenant, first, last - first + 1, f"{tenant}-w", now, span),
    )
    db.execute(
        "INSERT INTO message_buckets (number_id, bucket, queued, sent, failed, delivered, read) "
        "SELECT number_id, sent_at / 900, sum(status = 0), sum(status = 1), sum(status = 2), "
        "sum(status = 3), sum(status = 4) FROM messages WHERE tenant_id = ? AND is_test = 0 "
        "GROUP BY number_id, sent_at / 900",
        (tenant,),
    )
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "tenant_message_buckets" in tables:  # store migration 8 on
        db.execute(
            "INSERT INTO tenant_message_buckets (tenant_id, bucket, queued, sent, failed, "
            "delivered, read) SELECT ?, bucket, sum(queued), sum(sent), sum(failed), "
            "sum(delivered), sum(read) FROM message_buckets WHERE number_id BETWEEN ? AND ? "
            "GROUP BY bucket",
            (tenant, first, last),
        )
    # Campaigns: one in ten by email; most completed.
    db.execute(
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?) "
        "INSERT INTO campaigns (tenant_id, channel, external_id, name, status, created_at, "
        "sent_at, completed_at) "
        "SELECT ?, CASE WHEN i % 10 = 9 THEN 'email' ELSE 'sms' END, 'c' || i, 'Campaign ' || i, "
        f"CASE {h} % 10 WHEN 0 THEN 'draft' WHEN 1 THEN 'sending' WHEN 2 THEN 'failed' "
        "ELSE 'completed' END, "
        f"? - 2 * 3600 - {h} % ?, ? - 3600 - {h} % ?, ? - {h} % ? FROM c",
        (campaigns, tenant, now, span, now, span, now, span),
    )
    c_first, c_count = db.execute(
        "SELECT min(id), count(*) FROM campaigns WHERE tenant_id = ?", (tenant,)
    ).fetchone()
    # SMS messages: 20 per campaign on average, sent an hour after the campaign was created.
    db.execute(
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?) "
        "INSERT INTO sms_messages (tenant_id, campaign_id, external_id, sent_at, status, "
        "is_test, credits, debited) "
        "SELECT ?, campaigns.id, ? || c.i, campaigns.created_at + 3600 + c.i % 600, "
        f"CASE {HASH.format(i='c.i')} % 10 WHEN 0 THEN 2 WHEN 1 THEN 1 ELSE 3 END, 0, 1, 0 "
        "FROM c JOIN campaigns ON campaigns.id = ? + (c.i * 7919) % ? "
        "WHERE campaigns.channel = 'sms'",
        (c_count * 20, tenant, f"{tenant}-s", c_first, c_count),
    )
    db.execute("UPDATE sms_messages SET debited = status IN (1, 3) WHERE tenant_id = ?", (tenant,))
    db.execute(
        "INSERT INTO sms_buckets (tenant_id, bucket, queued, sent, failed, delivered) "
        "SELECT tenant_id, sent_at / 900, sum(status = 0), sum(status = 1), sum(status = 2), "
        "sum(status = 3) FROM sms_messages WHERE tenant_id = ? GROUP BY tenant_id, sent_at / 900",
        (tenant,),
    )
    db.execute(
        "INSERT INTO campaign_counts (campaign_id, queued, sent, failed, delivered) "
        "SELECT campaign_id, sum(status = 0), sum(status = 1), sum(status = 2), sum(status = 3) "
        "FROM sms_messages WHERE tenant_id = ? GROUP BY campaign_id",
        (tenant,),
    )
    # Email: 20 recipients per email campaign, one in twenty bouncing (one in three of those
    # hard), the bounce ten minutes after the send.
    db.execute(
        "WITH RECURSIVE r(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM r WHERE j + 1 < 20) "
        "INSERT INTO email_recipients (campaign_id, recipient, tenant_id, sent_at, bounce, "
        "bounced_at) "
        "SELECT id, 'r' || j || '@example.com', tenant_id, sent_at, "
        "CASE WHEN (id + j) % 20 = 0 THEN 1 + ((id + j) % 3 = 0) ELSE 0 END, "
        "CASE WHEN (id + j) % 20 = 0 THEN sent_at + 600 END "
        "FROM campaigns, r WHERE tenant_id = ? AND channel = 'email'",
        (tenant,),
    )
    db.execute(
        "INSERT INTO email_counts (campaign_id, sent, soft_bounced, hard_bounced) "
        "SELECT campaign_id, count(*), sum(bounce = 1), sum(bounce = 2) FROM email_recipients "
        "WHERE tenant_id = ? GROUP BY campaign_id",
        (tenant,),
    )
    db.execute(
        "INSERT INTO email_buckets (campaign_id, bucket, tenant_id, sent, cohort_bounced) "
        "SELECT campaign_id, sent_at / 900, tenant_id, count(*), sum(bounce > 0) "
        "FROM email_recipients WHERE tenant_id = ? GROUP BY campaign_id, sent_at / 900",
        (tenant,),
    )
    db.execute(
        "INSERT INTO email_buckets (campaign_id, bucket, tenant_id, soft_bounces, hard_bounces) "
        "SELECT campaign_id, bounced_at / 900, tenant_id, sum(bounce = 1), sum(bounce = 2) "
        "FROM email_recipients WHERE tenant_id = ? AND bounce > 0 "
        "GROUP BY campaign_id, bounced_at / 900 "
        "ON CONFLICT (campaign_id, bucket) DO UPDATE SET "
        "soft_bounces = soft_bounces + excluded.soft_bounces, "
        "hard_bounces = hard_bounces + excluded.hard_bounces",
        (tenant,),
    )


async def build_store(
    path: Path, numbers: int, campaigns: int, messages: int, now: int
) -> dict[str, Tenant]:
    tenants = await _tenants(path)
    small_messages = max(messages * SMALL_NUMBERS // numbers, SMALL_NUMBERS)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA synchronous = OFF")
        with db:
            _fill(db, "large", numbers, campaigns, messages, now)
            _fill(db, "small", SMALL_NUMBERS, SMALL_CAMPAIGNS, small_messages, now)
        for tenant in tenants.values():
            rows = db.execute(
                "SELECT id FROM numbers WHERE tenant_id = ? ORDER BY id", (tenant.name,)
            )
            tenant.number_ids = [row[0] for row in rows]
        db.execute("ANALYZE")
    finally:
        db.close()
    return tenants
