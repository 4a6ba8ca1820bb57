"""Sums over consecutive time intervals, read from 15-minute rollups and their hourly sums.

An interval's whole hours come from the hourly rollup, the quarters at its edges (a zone at :30
or :45) from the 15-minute one; the slivers of it that do not fill a bucket (a range starting
at 10:07, a zone whose midnight is off the grid) come from the rows the rollup was built from,
so every answer is exact and costs O(hours + edge quarters + sliver rows).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.domain.timewindows import BUCKET_SECONDS
from gateway.providers.native.store import Store

__all__ = ["Rollup", "int_rows", "sum_intervals"]


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


async def sum_intervals(
    store: Store, rollup: Rollup, params: Sequence[object], edges: Sequence[int]
) -> dict[object, list[Sums]]:
    """For each group, the sums over [edges[i], edges[i+1]) for every i (Unix seconds)."""
    whole, slivers = _split(edges)
    count = len(edges) - 1
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
    whole, slivers = [], []
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
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
