"""Looking up many (tenant, key) pairs at once, a tenant and a chunk of keys per query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from gateway.providers.native.store import Row, Transaction, placeholders

__all__ = ["CHUNK", "lookup", "lookup_rows"]

# SQLite allows 32766 bound parameters; IN lists stay well below.
CHUNK = 500


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
    for tenant, wanted in by_tenant.items():
        group = tenant if isinstance(tenant, tuple) else (tenant,)
        size = len(wanted) if db.arrays else CHUNK  # one array holds them all
        for start in range(0, len(wanted), size):
            chunk = wanted[start : start + size]
            if db.arrays:
                query = sql.format(keys="SELECT unnest(CAST(? AS TEXT[]))")
                rows = await db.fetch_all(query, (*group, *extra, chunk))
            else:
                rows = await db.fetch_all(
                    sql.format(keys=placeholders(chunk)), (*group, *extra, *chunk)
                )
            found.update(((tenant, row[0]), row) for row in rows)
    return found
