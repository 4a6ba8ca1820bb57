"""Rollup changes of one batch, summed per row and written once: one upsert per rollup row and
batch, in SQL both stores run (what per-row triggers did, one statement per changed message)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from gateway.providers.native.ingest.lookup import bulk
from gateway.providers.native.store import Transaction

__all__ = [
    "CAMPAIGN_COUNTS",
    "CONTACT_TOTALS",
    "EMAIL_BUCKETS",
    "EMAIL_COUNTS",
    "EMAIL_LINKS",
    "LEDGER",
    "MESSAGE_BUCKETS",
    "SMS_BUCKETS",
    "TENANT_MESSAGE_BUCKETS",
    "Deltas",
    "Rollup",
]


@dataclass(frozen=True)
class Rollup:
    """A table of counters: rows found by `key`, `carried` columns set when a row is first
    made, and `counters` that only ever move by deltas."""

    table: str
    key: tuple[str, ...]
    counters: tuple[str, ...]
    carried: tuple[str, ...] = ()

    @cached_property
    def columns(self) -> tuple[str, ...]:
        return (*self.key, *self.carried, *self.counters)

    @cached_property
    def types(self) -> tuple[str, ...]:
        return tuple("TEXT" if c in ("tenant_id", "url") else "BIGINT" for c in self.columns)

    @cached_property
    def upsert(self) -> str:
        """Add the rows of `{source}` (columns c0, c1, ... in `columns` order) to the table."""
        picks = ", ".join(f"c{i}" for i in range(len(self.columns)))
        moves = ", ".join(f"{c} = {self.table}.{c} + excluded.{c}" for c in self.counters)
        return (
            f"INSERT INTO {self.table} ({', '.join(self.columns)}) SELECT {picks} "
            f"FROM {{source}} WHERE true ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET {moves}"
        )

    def index(self, counter: str) -> int:
        return self.counters.index(counter)


STATUS_COUNTERS = ("queued", "sent", "failed", "delivered", "read")
MESSAGE_BUCKETS = Rollup("message_buckets", ("number_id", "bucket"), STATUS_COUNTERS)
TENANT_MESSAGE_BUCKETS = Rollup("tenant_message_buckets", ("tenant_id", "bucket"), STATUS_COUNTERS)
SMS_BUCKETS = Rollup("sms_buckets", ("tenant_id", "bucket"), STATUS_COUNTERS[:4])
CAMPAIGN_COUNTS = Rollup("campaign_counts", ("campaign_id",), STATUS_COUNTERS[:4])
CONTACT_TOTALS = Rollup("contact_totals", ("tenant_id",), ("total", "textable", "opted_out"))
LEDGER = Rollup("billing_ledger", ("tenant_id",), ("purchased", "included", "spent"))
EMAIL_COUNTS = Rollup(
    "email_counts",
    ("campaign_id",),
    (
        "sent",
        "opened",
        "clicked",
        "opens",
        "clicks",
        "soft_bounced",
        "hard_bounced",
        "unsubscribed",
    ),
)
EMAIL_BUCKETS = Rollup(
    "email_buckets",
    ("campaign_id", "bucket"),
    (
        "sent",
        "opens",
        "unique_opens",
        "clicks",
        "unique_clicks",
        "soft_bounces",
        "hard_bounces",
        "unsubscribes",
        "cohort_bounced",
    ),
    carried=("tenant_id",),
)
EMAIL_LINKS = Rollup("email_links", ("campaign_id", "url"), ("clicks", "unique_clicks"))


class Deltas:
    """The batch's changes to rollup rows: (rollup, key + carried values) -> one delta per
    counter."""

    def __init__(self) -> None:
        self._rows: dict[Rollup, dict[tuple[object, ...], list[int]]] = defaultdict(dict)

    def add(self, rollup: Rollup, row: tuple[object, ...], counter: int, amount: int = 1) -> None:
        rows = self._rows[rollup]
        values = rows.get(row)
        if values is None:
            values = rows[row] = [0] * len(rollup.counters)
        values[counter] += amount

    def add_all(self, rollup: Rollup, row: tuple[object, ...], amounts: Sequence[int]) -> None:
        rows = self._rows[rollup]
        values = rows.get(row)
        if values is None:
            rows[row] = list(amounts)
        else:
            for i, amount in enumerate(amounts):
                values[i] += amount

    async def write(self, db: Transaction) -> None:
        """One upsert per changed row, in key order (rows that net to nothing are skipped)."""
        for rollup, rows in self._rows.items():
            changed = [(*key, *values) for key, values in rows.items() if any(values)]
            if not changed:
                continue
            changed.sort(key=lambda row: row[: len(rollup.key)])
            await bulk(db, rollup.upsert, rollup.types, changed)
        self._rows.clear()
