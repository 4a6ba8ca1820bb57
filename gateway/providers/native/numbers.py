"""A tenant's WhatsApp numbers in the native store, a page at a time."""

from __future__ import annotations

from gateway.domain.numbers import NumberPageRequest
from gateway.providers.native.store import Store
from gateway.providers.native.tenancy import NumberRecord, number_record

__all__ = ["count_numbers", "numbers_page"]


async def numbers_page(
    store: Store, page: NumberPageRequest
) -> tuple[list[NumberRecord], bool, bool]:
    """Oldest registered first. Going forward the numbers after `after` are read in id order;
    going backward those before `before` in reverse (then turned round), so either way one
    indexed range read of (tenant_id, id) of size + 1 rows tells whether more lie beyond, and
    one probe whether any lie on the cursor's side. Returns (records, has_next, has_previous)."""
    where, params = _filters(page)
    if page.after is not None:
        where.append("id > ?")
        params.append(page.after)
    if page.before is not None:
        where.append("id < ?")
        params.append(page.before)
    order = "DESC" if page.backward else "ASC"
    rows = await store.fetch_all(
        f"SELECT * FROM numbers WHERE {' AND '.join(where)} ORDER BY id {order} LIMIT ?",
        [*params, page.size + 1],
    )
    more = len(rows) > page.size
    found = [number_record(row) for row in rows[: page.size]]
    if page.backward:
        found.reverse()
        beyond = page.before is not None and await _any(store, page, ">=", page.before)
        return found, beyond, more
    beyond = page.after is not None and await _any(store, page, "<=", page.after)
    return found, more, beyond


async def count_numbers(store: Store, page: NumberPageRequest) -> int:
    """How many numbers the list holds, cursors aside."""
    where, params = _filters(page)
    row = await store.fetch_one(
        f"SELECT COUNT(*) AS n FROM numbers WHERE {' AND '.join(where)}", params
    )
    return int(row["n"]) if row is not None else 0


def _filters(page: NumberPageRequest) -> tuple[list[str], list[object]]:
    where: list[str] = ["tenant_id = ?"]
    params: list[object] = [page.tenant_id]
    if page.only is not None:
        where.append("id = ?")
        params.append(page.only)
    return where, params


async def _any(store: Store, page: NumberPageRequest, op: str, position: int) -> bool:
    where, params = _filters(page)
    where.append(f"id {op} ?")
    found = await store.fetch_one(
        f"SELECT 1 AS found FROM numbers WHERE {' AND '.join(where)} LIMIT 1",
        [*params, position],
    )
    return found is not None
