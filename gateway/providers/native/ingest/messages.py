"""WhatsApp and SMS messages and their status events, idempotent and in any order.

A message's status only ever rises (see MessageStatus), so applying the same event twice, or an
older event after a newer one, changes nothing. The rollup triggers move a message between the
status columns of its send-time bucket whenever its final status changes. A status for a message
not yet known waits in a pending table and is merged when the message arrives.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.providers.native.ingest.lookup import CHUNK, lookup
from gateway.providers.native.store import Transaction, placeholders

__all__ = [
    "SMS",
    "WHATSAPP",
    "MessageRow",
    "MessageTable",
    "StatusRow",
    "raise_statuses",
    "upsert_messages",
]


@dataclass(frozen=True)
class MessageTable:
    table: str
    pending: str
    placement: tuple[str, ...]  # columns fixed at first sight besides tenant, send time, test


WHATSAPP = MessageTable("messages", "pending_statuses", ("number_id",))
SMS = MessageTable("sms_messages", "pending_sms_statuses", ("campaign_id", "credits"))


@dataclass(frozen=True)
class MessageRow:
    tenant_id: str
    external_id: str
    sent_at: int
    status: int
    is_test: bool
    placement: tuple[object, ...]


@dataclass(frozen=True)
class StatusRow:
    tenant_id: str
    external_id: str
    status: int


async def upsert_messages(db: Transaction, table: MessageTable, rows: Sequence[MessageRow]) -> None:
    """Store messages; one seen before only has its status raised."""
    if not rows:
        return
    pending = await _take_pending(db, table, [(r.tenant_id, r.external_id) for r in rows])
    columns = ("tenant_id", "external_id", "sent_at", "status", "is_test", *table.placement)
    await db.executemany(
        f"INSERT INTO {table.table} ({', '.join(columns)}) VALUES ({placeholders(columns)}) "
        "ON CONFLICT (tenant_id, external_id) DO UPDATE SET status = excluded.status "
        f"WHERE excluded.status > {table.table}.status",
        [
            (
                r.tenant_id,
                r.external_id,
                r.sent_at,
                max(r.status, pending.get((r.tenant_id, r.external_id), 0)),
                int(r.is_test),
                *r.placement,
            )
            for r in rows
        ],
    )


async def raise_statuses(db: Transaction, table: MessageTable, rows: Sequence[StatusRow]) -> int:
    """Raise known messages' statuses; keep the others pending. Returns how many wait."""
    if not rows:
        return 0
    await db.executemany(
        f"UPDATE {table.table} SET status = ? "
        "WHERE tenant_id = ? AND external_id = ? AND status < ?",
        [(r.status, r.tenant_id, r.external_id, r.status) for r in rows],
    )
    known = await _known(db, table, rows)
    now = int(time.time())
    waiting = [
        (r.tenant_id, r.external_id, r.status, now)
        for r in rows
        if (r.tenant_id, r.external_id) not in known
    ]
    await db.executemany(
        f"INSERT INTO {table.pending} (tenant_id, external_id, status, received_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, external_id) DO UPDATE SET "
        f"status = excluded.status WHERE excluded.status > {table.pending}.status",
        waiting,
    )
    return len(waiting)


async def _known(
    db: Transaction, table: MessageTable, rows: Sequence[StatusRow]
) -> set[tuple[str, str]]:
    found = await lookup(
        db,
        f"SELECT external_id, 1 FROM {table.table} WHERE tenant_id = ? "
        "AND external_id IN ({keys})",
        [(r.tenant_id, r.external_id) for r in rows],
    )
    return set(found)


async def _take_pending(
    db: Transaction, table: MessageTable, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Remove and return the statuses that arrived before these messages."""
    if await db.fetch_one(f"SELECT 1 FROM {table.pending} LIMIT 1") is None:
        return {}
    found: dict[tuple[str, str], int] = {}
    if db.arrays:
        rows = await db.fetch_all(
            f"DELETE FROM {table.pending} WHERE (tenant_id, external_id) IN "
            "(SELECT * FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]))) "
            "RETURNING tenant_id, external_id, status",
            ([t for t, _ in keys], [e for _, e in keys]),
        )
        return {(row[0], row[1]): row[2] for row in rows}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        condition = " OR ".join("(tenant_id = ? AND external_id = ?)" for _ in chunk)
        rows = await db.fetch_all(
            f"DELETE FROM {table.pending} WHERE {condition} "
            "RETURNING tenant_id, external_id, status",
            [value for key in chunk for value in key],
        )
        found.update(((row[0], row[1]), row[2]) for row in rows)
    return found
