"""Keyset pages of a tenant's rows, shared by the lists the graph pages (numbers, campaigns).

A page is one indexed range read of size + 1 rows in the list's order (turned round when going
backward), so the extra row tells whether more lie beyond, and one probe whether any lie on the
cursor's side. Only the key and its direction differ between lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.providers.native.store import Row, Store

__all__ = ["Keyset"]


@dataclass(frozen=True)
class Keyset:
    table: str
    columns: tuple[str, ...]  # the list's order, its last column unique
    descending: bool  # the list's order: newest first, or oldest first

    @property
    def _key(self) -> str:
        return self.columns[0] if len(self.columns) == 1 else f"({', '.join(self.columns)})"

    @property
    def _slots(self) -> str:
        return "?" if len(self.columns) == 1 else f"({', '.join('?' * len(self.columns))})"

    def _beyond(self, forward: bool) -> str:
        """The comparison that holds for rows after a position in the given direction."""
        return "<" if forward == self.descending else ">"

    async def page(
        self,
        store: Store,
        where: Sequence[str],
        params: Sequence[object],
        *,
        size: int,
        after: Sequence[object] | None,
        before: Sequence[object] | None,
        backward: bool,
    ) -> tuple[list[Row], bool, bool]:
        """The page's rows in the list's order, has_next and has_previous."""
        clauses, values = list(where), list(params)
        if after is not None:
            clauses.append(f"{self._key} {self._beyond(True)} {self._slots}")
            values += after
        if before is not None:
            clauses.append(f"{self._key} {self._beyond(False)} {self._slots}")
            values += before
        order = "DESC" if backward != self.descending else "ASC"
        rows = await store.fetch_all(
            f"SELECT * FROM {self.table} WHERE {' AND '.join(clauses)} "
            f"ORDER BY {', '.join(f'{c} {order}' for c in self.columns)} LIMIT ?",
            [*values, size + 1],
        )
        more = len(rows) > size
        found = list(rows[:size])
        if backward:
            found.reverse()
            # Rows at or past `before` going forward: a next page.
            beyond = before is not None and await self._any(store, where, params, False, before)
            return found, beyond, more
        beyond = after is not None and await self._any(store, where, params, True, after)
        return found, more, beyond

    async def count(self, store: Store, where: Sequence[str], params: Sequence[object]) -> int:
        """How many rows the list holds, cursors aside."""
        row = await store.fetch_one(
            f"SELECT COUNT(*) AS n FROM {self.table} WHERE {' AND '.join(where)}", list(params)
        )
        return int(row["n"]) if row is not None else 0

    async def _any(
        self,
        store: Store,
        where: Sequence[str],
        params: Sequence[object],
        forward: bool,
        position: Sequence[object],
    ) -> bool:
        """Whether any row lies on the cursor's own side of `position` (or at it)."""
        op = ">=" if self._beyond(forward) == "<" else "<="
        clauses = [*where, f"{self._key} {op} {self._slots}"]
        found = await store.fetch_one(
            f"SELECT 1 AS found FROM {self.table} WHERE {' AND '.join(clauses)} LIMIT 1",
            [*params, *position],
        )
        return found is not None
