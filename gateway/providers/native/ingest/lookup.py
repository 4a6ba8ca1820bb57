"""Looking up many (tenant, key) pairs at once, one query per tenant whatever the count."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence

from gateway.providers.native.store import Row, Transaction

__all__ = ["bulk", "lookup", "lookup_rows", "pairs"]


async def lookup(
    db: Transaction,
    sql: str,
    keys: Iterable[tuple[str, str]],
    extra: tuple[object, ...] = (),
) -> dict[tuple[str, str], int]:
    """Run `sql` for each tenant's keys; it selects (key, integer) with the parameters
    (tenant, *extra, *keys) and has `{keys}` where the IN list of keys goes."""
    found = await lookup_rows(db, sql, keys, extra)
    return {(str(tenant), key): row[1] for (tenant, key), row in found.items()}


async def lookup_rows(
    db: Transaction,
    sql: str,
    keys: Iterable[tuple[object, str]],
    extra: tuple[object, ...] = (),
) -> dict[tuple[object, str], Row]:
    """As lookup, the whole rows: `sql` selects the key first. The group (a tenant, a
    campaign's id) is what the query's first parameter takes, or a tuple of its first ones."""
    by_tenant: dict[object, list[str]] = defaultdict(list)
    for tenant, key in keys:
        by_tenant[tenant].append(key)
    found: dict[tuple[object, str], Row] = {}
    # One parameter carries the whole list: PostgreSQL's array, SQLite's JSON array; so the
    # statement is the same whatever the count, prepared once.
    query = sql.format(
        keys="SELECT unnest(CAST(? AS TEXT[]))" if db.arrays else "SELECT value FROM json_each(?)"
    )
    for tenant, wanted in by_tenant.items():
        group = tenant if isinstance(tenant, tuple) else (tenant,)
        rows = await db.fetch_all(
            query, (*group, *extra, wanted if db.arrays else json.dumps(wanted))
        )
        found.update(((tenant, row[0]), row) for row in rows)
    return found


def pairs(
    db: Transaction,
    rows: Sequence[Sequence[object]],
    types: Sequence[str] = ("TEXT", "TEXT"),
) -> tuple[str, tuple[object, ...]]:
    """A subquery of `rows` (tuples of the given SQL types) and its parameters, for
    `(a, b, ...) IN (...)`: one parameter per column on PostgreSQL, one on SQLite."""
    if db.arrays:
        arrays = ", ".join(f"CAST(? AS {t}[])" for t in types)
        return f"SELECT * FROM unnest({arrays})", tuple(list(c) for c in zip(*rows, strict=True))
    picks = ", ".join(f"value ->> {i}" for i in range(len(types)))
    return f"SELECT {picks} FROM json_each(?)", (json.dumps(rows),)


async def bulk(
    db: Transaction, sql: str, types: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    """Run `sql` over a batch's rows, given as the subquery `{source}` with columns c0, c1, ...
    of the given SQL types (TEXT, BIGINT). PostgreSQL reads the whole batch as one array per
    column (one statement, one round trip); SQLite, in process, runs the same statement once
    per row, which costs it less than decoding the batch from one parameter would."""
    if not rows:
        return
    names = ", ".join(f"c{i}" for i in range(len(types)))
    if db.arrays:
        arrays = ", ".join(f"CAST(? AS {t}[])" for t in types)
        source = f"(SELECT * FROM unnest({arrays}) AS u ({names})) AS s"
        await db.execute(sql.format(source=source), [list(c) for c in zip(*rows, strict=True)])
        return
    picks = ", ".join(f"? AS c{i}" for i in range(len(types)))
    await db.executemany(sql.format(source=f"(SELECT {picks}) AS s"), rows)
