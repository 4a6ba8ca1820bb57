"""WhatsApp and SMS messages and their status events, idempotent and in any order, set-wise.

A message's status only ever rises (see MessageStatus), so applying the same event twice, or an
older event after a newer one, changes nothing. A batch is applied as a set: its events are
merged per message first, the stored rows it touches are read once, and each message's move
between the status columns of its send-time bucket (and, for SMS, its campaign's counts and its
tenant's spend) is summed into one change per rollup row. A status for a message not yet known
waits in a pending table and is merged when the message arrives.

An SMS is charged once, when any sent or delivered status is first seen for it, whatever the
order (a `sent` arriving after a `failed` still shows that it was dispatched).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.domain.timewindows import BUCKET_SECONDS
from gateway.providers.native.ingest.lookup import bulk, lookup_rows, pairs
from gateway.providers.native.ingest.rollups import (
    CAMPAIGN_COUNTS,
    LEDGER,
    MESSAGE_BUCKETS,
    SMS_BUCKETS,
    TENANT_MESSAGE_BUCKETS,
    Deltas,
)
from gateway.providers.native.store import Transaction

__all__ = [
    "SMS",
    "WHATSAPP",
    "MessageRow",
    "MessageTable",
    "StatusRow",
    "apply_messages",
]

# SMS ranks (0 queued, 1 sent, 2 failed, 3 delivered) that show a message left the platform.
DISPATCHED = frozenset({1, 3})


@dataclass(frozen=True)
class MessageTable:
    table: str
    pending: str
    placement: tuple[str, ...]  # columns fixed at first sight besides tenant, send time, test
    charged: bool  # SMS: dispatch costs credits (placement[1])


WHATSAPP = MessageTable("messages", "pending_statuses", ("number_id",), charged=False)
SMS = MessageTable("sms_messages", "pending_sms_statuses", ("campaign_id", "credits"), charged=True)


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


class _Seen:
    """What a batch says of one message: its first message row, its highest status, and
    whether any status showed dispatch."""

    __slots__ = ("dispatched", "row", "status")

    def __init__(self, row: MessageRow | None, status: int) -> None:
        self.row = row
        self.status = status
        self.dispatched = status in DISPATCHED

    def see(self, row: MessageRow | None, status: int) -> None:
        if self.row is None:
            self.row = row
        if status > self.status:
            self.status = status
        if status in DISPATCHED:
            self.dispatched = True


def _merge(
    rows: Sequence[MessageRow], statuses: Sequence[StatusRow]
) -> dict[tuple[str, str], _Seen]:
    seen: dict[tuple[str, str], _Seen] = {}
    for row in rows:
        key = (row.tenant_id, row.external_id)
        found = seen.get(key)
        if found is None:
            seen[key] = _Seen(row, row.status)
        else:
            found.see(row, row.status)
    for status in statuses:
        key = (status.tenant_id, status.external_id)
        found = seen.get(key)
        if found is None:
            seen[key] = _Seen(None, status.status)
        else:
            found.see(None, status.status)
    return seen


async def apply_messages(
    db: Transaction,
    table: MessageTable,
    rows: Sequence[MessageRow],
    statuses: Sequence[StatusRow],
    deltas: Deltas,
) -> int:
    """Store messages and raise statuses, adding the rollups' changes to `deltas`; returns how
    many statuses wait for their message."""
    if not rows and not statuses:
        return 0
    seen = _merge(rows, statuses)
    stored = await _stored(db, table, list(seen))
    arriving = [key for key, s in seen.items() if key not in stored and s.row is not None]
    pending = await _take_pending(db, table, arriving) if arriving else {}
    inserts: list[tuple[object, ...]] = []
    updates: list[tuple[object, ...]] = []
    waiting: list[tuple[object, ...]] = []
    for key, batch in seen.items():
        old = stored.get(key)
        if old is not None:
            _raise(table, old, batch, updates, deltas)
        elif batch.row is not None:
            status, dispatched = pending.get(key, (0, False))
            batch.see(None, status)
            batch.dispatched = batch.dispatched or dispatched
            inserts.append(_insert(table, batch.row, batch, deltas))
        else:
            waiting.append((*key, batch.status, int(batch.dispatched)))
    columns = ("tenant_id", "external_id", "sent_at", "status", "is_test", *table.placement)
    if table.charged:
        columns += ("debited",)
    picks = ", ".join(f"c{i}" for i in range(len(columns)))
    await bulk(
        db,
        f"INSERT INTO {table.table} ({', '.join(columns)}) SELECT {picks} FROM {{source}}",
        ("TEXT", "TEXT", *["BIGINT"] * (len(columns) - 2)),
        inserts,
    )
    width = 3 if table.charged else 2
    await bulk(
        db,
        f"UPDATE {table.table} SET status = s.c0{', debited = s.c1' if table.charged else ''} "
        f"FROM {{source}} WHERE {table.table}.id = s.c{width - 1}",
        ["BIGINT"] * width,
        updates,
    )
    await _wait(db, table, waiting)
    return len(waiting)


def _count(
    table: MessageTable, deltas: Deltas, place: tuple[object, ...], moves: list[int]
) -> None:
    """Add one message's move between status columns to its bucket (and its campaign's)."""
    tenant_id, sent_at, group = place
    bucket = int(sent_at) // BUCKET_SECONDS  # type: ignore[call-overload]
    if table.charged:
        deltas.add_all(SMS_BUCKETS, (tenant_id, bucket), moves[:4])
        if group is not None:
            deltas.add_all(CAMPAIGN_COUNTS, (group,), moves[:4])
    else:
        deltas.add_all(MESSAGE_BUCKETS, (group, bucket), moves)
        deltas.add_all(TENANT_MESSAGE_BUCKETS, (tenant_id, bucket), moves)


def _insert(
    table: MessageTable, row: MessageRow, batch: _Seen, deltas: Deltas
) -> tuple[object, ...]:
    if not row.is_test:
        moves = [0] * 5
        moves[batch.status] = 1
        _count(table, deltas, (row.tenant_id, row.sent_at, row.placement[0]), moves)
        if table.charged and batch.dispatched:
            deltas.add(LEDGER, (row.tenant_id,), LEDGER.index("spent"), int(row.placement[1]))  # type: ignore[call-overload]
    values: tuple[object, ...] = (row.tenant_id, row.external_id, row.sent_at, batch.status)
    values += (int(row.is_test), *row.placement)
    return (*values, int(batch.dispatched)) if table.charged else values


def _raise(
    table: MessageTable,
    old: tuple[object, ...],
    batch: _Seen,
    updates: list[tuple[object, ...]],
    deltas: Deltas,
) -> None:
    # old: (external_id, id, tenant_id, sent_at, status, is_test, group[, credits, debited])
    _, row_id, tenant_id, sent_at, status, is_test, group = old[:7]
    before = int(status)  # type: ignore[call-overload]
    after = max(before, batch.status)
    was_dispatched = bool(old[8]) if table.charged else False
    dispatched = table.charged and (was_dispatched or batch.dispatched)
    if after == before and dispatched == was_dispatched:
        return
    if not is_test:
        if after != before:
            moves = [0] * 5
            moves[before] -= 1
            moves[after] += 1
            _count(table, deltas, (tenant_id, sent_at, group), moves)
        if dispatched and not was_dispatched:
            deltas.add(LEDGER, (tenant_id,), LEDGER.index("spent"), int(old[7]))  # type: ignore[call-overload]
    updates.append((after, int(dispatched), row_id) if table.charged else (after, row_id))


async def _stored(
    db: Transaction, table: MessageTable, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[object, ...]]:
    columns = "external_id, id, tenant_id, sent_at, status, is_test, " + ", ".join(
        (*table.placement, "debited") if table.charged else table.placement
    )
    found = await lookup_rows(
        db,
        f"SELECT {columns} FROM {table.table} WHERE tenant_id = ? AND external_id IN ({{keys}})",
        keys,
    )
    return {(str(t), k): tuple(row) for (t, k), row in found.items()}


async def _wait(db: Transaction, table: MessageTable, waiting: list[tuple[object, ...]]) -> None:
    """Keep statuses of messages not known yet, each at its highest (and, for SMS, whether any
    showed dispatch)."""
    now = int(time.time())
    pending = table.pending
    if table.charged:
        await bulk(
            db,
            f"INSERT INTO {pending} (tenant_id, external_id, status, dispatched, received_at) "
            "SELECT c0, c1, c2, c3, c4 FROM {source} WHERE true "
            "ON CONFLICT (tenant_id, external_id) DO UPDATE "
            f"SET status = CASE WHEN excluded.status > {pending}.status "
            f"THEN excluded.status ELSE {pending}.status END, "
            f"dispatched = CASE WHEN excluded.dispatched > {pending}.dispatched "
            f"THEN excluded.dispatched ELSE {pending}.dispatched END",
            ("TEXT", "TEXT", "BIGINT", "BIGINT", "BIGINT"),
            [(*w, now) for w in waiting],
        )
        return
    await bulk(
        db,
        f"INSERT INTO {pending} (tenant_id, external_id, status, received_at) "
        "SELECT c0, c1, c2, c3 FROM {source} WHERE true "
        "ON CONFLICT (tenant_id, external_id) DO UPDATE SET "
        f"status = excluded.status WHERE excluded.status > {pending}.status",
        ("TEXT", "TEXT", "BIGINT", "BIGINT"),
        [(*w[:3], now) for w in waiting],
    )


async def _take_pending(
    db: Transaction, table: MessageTable, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, bool]]:
    """Remove and return the statuses that arrived before these messages."""
    if await db.fetch_one(f"SELECT 1 FROM {table.pending} LIMIT 1") is None:
        return {}
    dispatched = "dispatched" if table.charged else "0"
    rows_in, params = pairs(db, list(keys))
    rows = await db.fetch_all(
        f"DELETE FROM {table.pending} WHERE (tenant_id, external_id) IN ({rows_in}) "
        f"RETURNING tenant_id, external_id, status, {dispatched}",
        params,
    )
    return {(row[0], row[1]): (row[2], bool(row[3])) for row in rows}
