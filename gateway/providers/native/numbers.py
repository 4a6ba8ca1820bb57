"""A tenant's WhatsApp numbers in the native store, a page at a time."""

from __future__ import annotations

from gateway.domain.numbers import NumberPageRequest
from gateway.providers.native.keyset import Keyset
from gateway.providers.native.store import Store
from gateway.providers.native.tenancy import NumberRecord, number_record

__all__ = ["count_numbers", "numbers_page"]


NUMBERS = Keyset("numbers", ("id",), descending=False)


async def numbers_page(
    store: Store, page: NumberPageRequest
) -> tuple[list[NumberRecord], bool, bool]:
    """Oldest registered first, one indexed range read of (tenant_id, id) either way (see
    Keyset). Returns (records, has_next, has_previous)."""
    rows, has_next, has_previous = await NUMBERS.page(
        store,
        *_filters(page),
        size=page.size,
        after=None if page.after is None else (page.after,),
        before=None if page.before is None else (page.before,),
        backward=page.backward,
    )
    return [number_record(row) for row in rows], has_next, has_previous


async def count_numbers(store: Store, page: NumberPageRequest) -> int:
    """How many numbers the list holds, cursors aside."""
    return await NUMBERS.count(store, *_filters(page))


def _filters(page: NumberPageRequest) -> tuple[list[str], list[object]]:
    where: list[str] = ["tenant_id = ?"]
    params: list[object] = [page.tenant_id]
    if page.only is not None:
        where.append("id = ?")
        params.append(page.only)
    return where, params
