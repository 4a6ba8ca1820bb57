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
from gateway.providers.native.ingest.numbers import REGISTER, NumberRule, refuse_numbers
from gateway.providers.native.store import Store

__all__ = ["GroupCommit", "group_commit"]

# A group stops growing at this many events: a transaction's size, and so the wait of the
# first request in it, stay bounded.
GROUP_EVENTS = 5000

_Batch = tuple[Sequence[Event], NumberRule]
_Waiting = tuple[_Batch, "asyncio.Future[IngestResult]"]


class GroupCommit:
    """One per store and process; the store itself still serializes writes across processes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: list[_Waiting] = []
        self._drainer: asyncio.Task[None] | None = None

    async def apply(self, events: Sequence[Event], rule: NumberRule = REGISTER) -> IngestResult:
        """As apply_events, committed together with whatever else is waiting."""
        future: asyncio.Future[IngestResult] = asyncio.get_running_loop().create_future()
        self._queue.append(((events, rule), future))
        if self._drainer is None or self._drainer.done():
            # A task, not the caller: a caller that goes away must not leave the others waiting.
            self._drainer = asyncio.create_task(self._drain())
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._queue:
            group: list[_Waiting] = []
            size = 0
            while self._queue and (not group or size + len(self._queue[0][0][0]) <= GROUP_EVENTS):
                waiting = self._queue.pop(0)
                group.append(waiting)
                size += len(waiting[0][0])
            try:
                results = await self._apply_group([batch for batch, _ in group])
            except Exception as error:  # an outage: every caller in the group hears it
                for _, future in group:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), result in zip(group, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _apply_group(self, batches: list[_Batch]) -> list[IngestResult]:
        if len(batches) == 1:
            return [await apply_events(self.store, *batches[0])]
        store = self.store
        tenants = await _known_tenants(store, {e.tenant for b, _ in batches for e in b})
        results = [IngestResult() for _ in batches]
        good: list[list[tuple[int, Event]]] = []
        for result, (batch, _) in zip(results, batches, strict=True):
            good.append([(i, e) for i, e in enumerate(batch) if e.tenant in tenants])
            for i, e in enumerate(batch):
                if e.tenant not in tenants:
                    result.refuse(i, f"unknown tenant {e.tenant!r}")
        try:
            async with store.write() as db:
                check = await refuse_numbers(
                    db,
                    [([e for _, e in g], rule) for g, (_, rule) in zip(good, batches, strict=True)],
                )
                refused = check.refused
                admitted = [
                    [pair for at, pair in enumerate(g) if at not in out]
                    for g, out in zip(good, refused, strict=True)
                ]
                fresh = await _claim(db, [e for batch in admitted for _, e in batch])
                await _apply(db, fresh, check.known)
                await store.bump_versions(db, (e.tenant for e in fresh))
        except store.refusals:
            # One batch holds what the store refuses: each on its own, as if alone.
            return [await apply_events(store, *batch) for batch in batches]
        applied = {id(e) for e in fresh}
        for result, g, taken, out in zip(results, good, admitted, refused, strict=True):
            result.applied = sum(id(e) in applied for _, e in taken)
            result.duplicates = len(taken) - result.applied
            for at, (code, reason) in out.items():
                result.refuse(g[at][0], reason, code)
            result.rejected.sort()
        return results


_GROUPS: weakref.WeakKeyDictionary[Store, GroupCommit] = weakref.WeakKeyDictionary()


def group_commit(store: Store) -> GroupCommit:
    """The store's group commit in this process."""
    found = _GROUPS.get(store)
    if found is None:
        found = _GROUPS[store] = GroupCommit(store)
    return found
