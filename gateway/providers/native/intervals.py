"""Sums over consecutive time intervals, read from 15-minute rollups and their hourly sums.

An interval's whole hours come from the hourly rollup, the quarters at its edges (a zone at :30
or :45) from the 15-minute one; the slivers of it that do not fill a bucket (a range starting
at 10:07, a zone whose midnight is off the grid) come from the rows the rollup was built from,
so every answer is exact and costs O(hours + edge quarters + sliver rows).

Sums already computed are kept (`KeptSums`) while their tenant's data version stands: a local
day is a UTC interval, and viewers in zones of one offset ask the same intervals, so a report
asked in a zone never seen before reads from the store only the days no zone asked yet.
"""

from __future__ import annotations

import itertools
import operator
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.domain.timewindows import BUCKET_SECONDS
from gateway.providers.native.store import Store
from gateway.providers.versions import TenantVersions

__all__ = ["KeptSums", "Rollup", "int_rows", "sum_intervals"]


@dataclass(frozen=True)
class Rollup:
    """A rollup table and, where it has one, the table of rows it sums.

    `where` filters every table (it may use `?` parameters); `group` names a column they share
    to answer per group (a number, a campaign), the parameters then being the groups' ids; the
    sums are SQL expressions over each table. `hours`, where there is one, holds the same sums
    per UTC hour (column `hour`, bucket // 4).
    """

    buckets: str
    bucket_sums: tuple[str, ...]
    where: str
    group: str | None = None
    rows: str | None = None
    row_time: str = "sent_at"
    row_sums: tuple[str, ...] = ()
    row_where: str = "1 = 1"
    hours: str | None = None


Sums = tuple[int, ...]
Interval = tuple[int, int]
# Per interval, each group's sums (a group with nothing in the interval is absent).
Known = dict[Interval, dict[object, Sums]]


class KeptSums:
    """Interval sums of each tenant's rollups, kept while the tenant's data version stands
    (ingest moves it in the same transaction as the data, so a kept sum is never stale), at
    most `max_sums` sums in all (one per interval and group): the sets asked least recently
    are dropped first. A sum takes some 150-250 bytes, so the default bound holds about 30 MB.
    """

    def __init__(self, versions: TenantVersions, max_sums: int = 150_000) -> None:
        self.versions = versions
        self.max_sums = max_sums
        self._sets: OrderedDict[tuple[object, ...], tuple[int, Known]] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        """Sums kept."""
        return self._size

    def get(self, key: tuple[object, ...], tenant_id: str) -> Known:
        found = self._sets.get(key)
        if found is None or found[0] != self.versions.version(tenant_id):
            return {}
        self._sets.move_to_end(key)
        return found[1]

    def put(self, key: tuple[object, ...], tenant_id: str, version: int, sums: Known) -> None:
        """Keep `sums`, computed at `version`: nothing if the tenant's data moved since."""
        if version != self.versions.version(tenant_id):
            return
        found = self._sets.get(key)
        if found is None or found[0] != version:
            if found is not None:
                self._size -= _count(found[1])
            found = self._sets[key] = (version, {})
        kept = found[1]
        for interval, groups in sums.items():
            self._size += len(groups) - len(kept.get(interval, ()))
            kept[interval] = groups
        self._sets.move_to_end(key)
        while self._size > self.max_sums and self._sets:
            _, (_, dropped) = self._sets.popitem(last=False)
            self._size -= _count(dropped)


def _count(known: Known) -> int:
    return sum(map(len, known.values()))


async def sum_intervals(
    store: Store,
    rollup: Rollup,
    params: Sequence[object],
    edges: Sequence[int],
    *,
    kept: KeptSums | None = None,
    tenant_id: str | None = None,
) -> dict[object, list[Sums]]:
    """For each group, the sums over [edges[i], edges[i+1]) for every i (Unix seconds).
    With `kept` (and the tenant whose data `rollup` and `params` read), intervals already
    summed at the tenant's current data version are not read again."""
    intervals = list(itertools.pairwise(edges))
    if kept is None or tenant_id is None:
        return await _sum_intervals(store, rollup, params, intervals)
    key = (tenant_id, rollup, tuple(params))
    version = kept.versions.version(tenant_id)
    known = kept.get(key, tenant_id)
    missing = [interval for interval in intervals if interval not in known]
    computed: Known = {}
    if missing:
        fresh = await _sum_intervals(store, rollup, params, missing)
        computed = {
            interval: {group: sums[i] for group, sums in fresh.items()}
            for i, interval in enumerate(missing)
        }
        if kept.versions.version(tenant_id) != version:  # the data moved meanwhile
            return await _sum_intervals(store, rollup, params, intervals)
        kept.put(key, tenant_id, version, computed)
    zero = (0,) * len(rollup.bucket_sums)
    per_interval = [computed[i] if i in computed else known[i] for i in intervals]
    groups = dict.fromkeys(group for sums in per_interval for group in sums)
    return {group: [sums.get(group, zero) for sums in per_interval] for group in groups}


async def _sum_intervals(
    store: Store, rollup: Rollup, params: Sequence[object], intervals: Sequence[Interval]
) -> dict[object, list[Sums]]:
    whole, slivers = _split_intervals(intervals)
    count = len(intervals)
    zero = (0,) * len(rollup.bucket_sums)
    totals: dict[object, list[Sums]] = {}

    def add(group: object, index: int, values: Sums) -> None:
        series = totals.get(group)
        if series is None:
            series = totals[group] = [zero] * count
        known = series[index]
        # Most intervals are one read: the sums are taken as they are, not added to zeros.
        series[index] = values if known is zero else tuple(map(operator.add, known, values))

    select_group = rollup.group or "0"
    group_by = f"{rollup.group}, iv.i" if rollup.group else "iv.i"
    if whole:
        for group_id, index, *packed in await store.fetch_all(
            *_whole_buckets(rollup, params, whole)
        ):
            for sums in packed:
                if sums is not None:
                    add(group_id, index, tuple(map(int, sums.split(","))))
    if slivers and rollup.rows:
        sql = (
            f"WITH iv (i, lo, hi) AS (VALUES {int_rows(len(slivers), 3)}) "
            f"SELECT {select_group}, iv.i, {', '.join(f'SUM({s})' for s in rollup.row_sums)} "
            f"FROM iv JOIN {rollup.rows} ON {rollup.row_time} >= iv.lo "
            f"AND {rollup.row_time} < iv.hi "
            f"WHERE {rollup.where} AND {rollup.row_where} GROUP BY {group_by}"
        )
        for row in await store.fetch_all(sql, [*_flat(slivers), *params]):
            add(row[0], row[1], tuple(int(v or 0) for v in row[2:]))
    return totals


def _whole_buckets(
    rollup: Rollup, params: Sequence[object], whole: Sequence[tuple[int, int, int]]
) -> tuple[str, list[object]]:
    """One row per interval (and group): a correlated subquery over its whole hours and one
    over the quarters at each of its edges, each an index range scan whose sums come back
    packed in one string (measured several times cheaper than a join that SQLite groups
    through a temporary b-tree, and than a GROUP BY, on both stores). An empty range costs one
    index probe."""
    reads = [(rollup.buckets, "bucket")]
    ranges: list[tuple[int, ...]] = list(whole)
    if rollup.hours:
        reads = [(rollup.hours, "hour"), (rollup.buckets, "bucket"), (rollup.buckets, "bucket")]
        ranges = [(i, *_hours_and_edges(first, last)) for i, first, last in whole]
        # In a zone whose days begin on the hour no interval has edge quarters: no probes.
        used = [k for k in range(3) if any(r[1 + 2 * k] < r[2 + 2 * k] for r in ranges)]
        reads = [reads[k] for k in used]
        ranges = [(r[0], *(v for k in used for v in r[1 + 2 * k : 3 + 2 * k])) for r in ranges]
    packed = " || ',' || ".join(f"sum({s})" for s in rollup.bucket_sums)
    bounds = ", ".join(f"lo{k}, hi{k}" for k in range(len(reads)))
    intervals = f"iv (i, {bounds}) AS (VALUES {int_rows(len(ranges), 1 + 2 * len(reads))})"
    match = f"{rollup.group} = g.id" if rollup.group else rollup.where
    sums = ", ".join(
        f"(SELECT {packed} FROM {table} WHERE {match} AND {column} >= iv.lo{k} "
        f"AND {column} < iv.hi{k})"
        for k, (table, column) in enumerate(reads)
    )
    values: list[object] = [value for row in ranges for value in row]
    if rollup.group:
        groups = f", g (id) AS (VALUES {int_rows(len(params), 1)})"
        sql = f"WITH {intervals}{groups} SELECT g.id, iv.i, {sums} FROM g, iv"
        return sql, [*values, *params]
    sql = f"WITH {intervals} SELECT 0, iv.i, {sums} FROM iv"
    return sql, [*values, *(p for _ in reads for p in params)]


def _hours_and_edges(first: int, last: int) -> tuple[int, ...]:
    """Buckets [first, last) as whole hours [h0, h1) and the quarters before and after them,
    [first, h0 * 4) and [h1 * 4, last); ranges with nothing in them are empty."""
    start, end = -(-first // 4), last // 4
    if start >= end:  # no whole hour: quarters only
        return (0, 0, first, last, 0, 0)
    return (start, end, first, start * 4, end * 4, last)


def _split(edges: Sequence[int]) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """(interval, first bucket, end bucket) for whole buckets; (interval, lo, hi) in seconds for
    the slivers left over."""
    return _split_intervals(list(itertools.pairwise(edges)))


def _split_intervals(
    intervals: Sequence[Interval],
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    whole, slivers = [], []
    for i, (lo, hi) in enumerate(intervals):
        first = -(-lo // BUCKET_SECONDS)
        last = hi // BUCKET_SECONDS
        if first >= last:
            slivers.append((i, lo, hi))
            continue
        whole.append((i, first, last))
        if lo < first * BUCKET_SECONDS:
            slivers.append((i, lo, first * BUCKET_SECONDS))
        if last * BUCKET_SECONDS < hi:
            slivers.append((i, last * BUCKET_SECONDS, hi))
    return whole, slivers


def int_rows(count: int, width: int) -> str:
    """VALUES rows of integer parameters. The first row's casts type the columns: PostgreSQL
    would otherwise take untyped parameters in VALUES for text."""
    first = "(" + ", ".join("CAST(? AS BIGINT)" for _ in range(width)) + ")"
    rest = "(" + ", ".join("?" for _ in range(width)) + ")"
    return ", ".join([first, *[rest] * (count - 1)])


def _flat(triples: Sequence[tuple[int, int, int]]) -> list[int]:
    return [value for triple in triples for value in triple]
