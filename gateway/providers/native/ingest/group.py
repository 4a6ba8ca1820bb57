"""Group commit: batches that arrive while another is being written (concurrent webhook
requests) are applied together, in one transaction with one commit, and each caller is answered
once that commit is done."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence

from gateway.domain.events import Event
from gateway.providers.native.ingest import (
    IngestResult,
    _apply,
    _claim,
    _known_tenants,
    apply_events,
)
from gateway.providers.native.store import Store

__all__ = ["GroupCommit", "group_commit"]

# A group stops growing at this many events: a transaction's size, and so the wait of the
# first request in it, stay bounded.
GROUP_EVENTS = 5000

_Waiting = tuple[Sequence[Event], "asyncio.Future[IngestResult]"]


class GroupCommit:
    """One per store and process; the store itself still serializes writes across processes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: list[_Waiting] = []
        self._drainer: asyncio.Task[None] | None = None

    async def apply(self, events: Sequence[Event]) -> IngestResult:
        """As apply_events, committed together with whatever else is waiting."""
        future: asyncio.Future[IngestResult] = asyncio.get_running_loop().create_future()
        self._queue.append((events, future))
        if self._drainer is None or self._drainer.done():
            # A task, not the caller: a caller that goes away must not leave the others waiting.
            self._drainer = asyncio.create_task(self._drain())
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._queue:
            group: list[_Waiting] = []
            size = 0
            while self._queue and (not group or size + len(self._queue[0][0]) <= GROUP_EVENTS):
                waiting = self._queue.pop(0)
                group.append(waiting)
                size += len(waiting[0])
            try:
                results = await self._apply_group([events for events, _ in group])
            except Exception as error:  # an outage: every caller in the group hears it
                for _, future in group:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), result in zip(group, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _apply_group(self, batches: list[Sequence[Event]]) -> list[IngestResult]:
        if len(batches) == 1:
            return [await apply_events(self.store, batches[0])]
        store = self.store
        tenants = await _known_tenants(store, {e.tenant for b in batches for e in b})
        results = [IngestResult() for _ in batches]
        good: list[list[Event]] = []
        for result, batch in zip(results, batches, strict=True):
            good.append([e for e in batch if e.tenant in tenants])
            result.rejected = [
                (i, f"unknown tenant {e.tenant!r}")
                for i, e in enumerate(batch)
                if e.tenant not in tenants
            ]
        try:
            async with store.write() as db:
                fresh = await _claim(db, [e for batch in good for e in batch])
                await _apply(db, fresh)
                await store.bump_versions(db, (e.tenant for e in fresh))
        except store.refusals:
            # One batch holds what the store refuses: each on its own, as if alone.
            return [await apply_events(store, batch) for batch in batches]
        applied = {id(e) for e in fresh}
        for result, batch in zip(results, good, strict=True):
            result.applied = sum(id(e) in applied for e in batch)
            result.duplicates = len(batch) - result.applied
        return results


_GROUPS: weakref.WeakKeyDictionary[Store, GroupCommit] = weakref.WeakKeyDictionary()


def group_commit(store: Store) -> GroupCommit:
    """The store's group commit in this process."""
    found = _GROUPS.get(store)
    if found is None:
        found = _GROUPS[store] = GroupCommit(store)
    return found
