"""Writing messages and status events into the native store, idempotently and in any order.

A message's status only ever rises (see MessageStatus), so applying the same event twice, or an
older event after a newer one, changes nothing. The rollup triggers move a message between
status columns of its send-time bucket whenever its final status changes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import aiosqlite

from gateway.domain.messages import OutboundMessage, StatusUpdate
from gateway.providers.native.store import SqliteStore, placeholders

__all__ = ["record_messages", "record_statuses"]

# SQLite allows 32766 bound parameters; stay well below for IN lists.
_CHUNK = 500

_UPSERT_MESSAGE = """
INSERT INTO messages (tenant_id, number_id, external_id, sent_at, status, is_test)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant_id, external_id) DO UPDATE SET status = excluded.status
WHERE excluded.status > messages.status
"""

_RAISE_STATUS = """
UPDATE messages SET status = ?
WHERE tenant_id = ? AND external_id = ? AND status < ?
"""

_KEEP_PENDING = """
INSERT INTO pending_statuses (tenant_id, external_id, status, received_at) VALUES (?, ?, ?, ?)
ON CONFLICT (tenant_id, external_id) DO UPDATE SET status = excluded.status
WHERE excluded.status > pending_statuses.status
"""


async def record_messages(store: SqliteStore, messages: Sequence[OutboundMessage]) -> None:
    """Store messages in one transaction; a message seen before only has its status raised."""
    if not messages:
        return
    async with store.write() as db:
        pending = await _take_pending(db, messages)
        await db.executemany(
            _UPSERT_MESSAGE,
            [
                (
                    m.tenant_id,
                    m.number_id,
                    m.external_id,
                    int(m.sent_at.timestamp()),
                    max(int(m.status), pending.get((m.tenant_id, m.external_id), 0)),
                    int(m.is_test),
                )
                for m in messages
            ],
        )


async def record_statuses(store: SqliteStore, updates: Sequence[StatusUpdate]) -> int:
    """Apply status events in one transaction; returns how many wait for their message."""
    if not updates:
        return 0
    async with store.write() as db:
        await db.executemany(
            _RAISE_STATUS,
            [(int(u.status), u.tenant_id, u.external_id, int(u.status)) for u in updates],
        )
        known = await _known_ids(db, updates)
        now = int(time.time())
        waiting = [
            (u.tenant_id, u.external_id, int(u.status), now)
            for u in updates
            if (u.tenant_id, u.external_id) not in known
        ]
        await db.executemany(_KEEP_PENDING, waiting)
    return len(waiting)


async def _known_ids(
    db: aiosqlite.Connection, updates: Sequence[StatusUpdate]
) -> set[tuple[str, str]]:
    known: set[tuple[str, str]] = set()
    by_tenant: dict[str, list[str]] = {}
    for u in updates:
        by_tenant.setdefault(u.tenant_id, []).append(u.external_id)
    for tenant_id, ids in by_tenant.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            async with db.execute(
                "SELECT external_id FROM messages "
                f"WHERE tenant_id = ? AND external_id IN ({placeholders(chunk)})",
                (tenant_id, *chunk),
            ) as cursor:
                known.update((tenant_id, row[0]) for row in await cursor.fetchall())
    return known


async def _take_pending(
    db: aiosqlite.Connection, messages: Sequence[OutboundMessage]
) -> dict[tuple[str, str], int]:
    """Remove and return the statuses that arrived before these messages."""
    async with db.execute("SELECT 1 FROM pending_statuses LIMIT 1") as cursor:
        if await cursor.fetchone() is None:
            return {}
    found: dict[tuple[str, str], int] = {}
    keys = [(m.tenant_id, m.external_id) for m in messages]
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        condition = " OR ".join("(tenant_id = ? AND external_id = ?)" for _ in chunk)
        params = [value for key in chunk for value in key]
        async with db.execute(
            f"DELETE FROM pending_statuses WHERE {condition} "
            "RETURNING tenant_id, external_id, status",
            params,
        ) as cursor:
            found.update(((row[0], row[1]), row[2]) for row in await cursor.fetchall())
    return found
