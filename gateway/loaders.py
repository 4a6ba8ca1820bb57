"""Per-request DataLoaders over the provider registry: one batched provider call per tick."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

from aiodataloader import DataLoader

from gateway.domain.numbers import DashboardRequest, NumberDashboard, NumberRef, WhatsAppNumber
from gateway.errors import GatewayError
from gateway.providers.base import ProviderRegistry

__all__ = ["Loaders"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchResult = list[V | GatewayError]

_MISSING = GatewayError("the source gave no answer for this key")


class SourceLoader(DataLoader[K, V | GatewayError], Generic[K, V]):
    """A DataLoader that splits each batch by source and calls each source's batch method once."""

    def __init__(
        self,
        source_of: Callable[[K], str],
        call: Callable[[str, Sequence[K]], Awaitable[Sequence[V | GatewayError]]],
    ) -> None:
        super().__init__()
        self._source_of = source_of
        self._call = call

    async def batch_load_fn(self, keys: Sequence[K]) -> BatchResult[V]:
        by_source: dict[str, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            by_source[self._source_of(key)].append(index)
        results: list[V | GatewayError] = [_MISSING] * len(keys)
        for source, indexes in by_source.items():
            try:
                answers = await self._call(source, [keys[i] for i in indexes])
            except GatewayError as error:
                answers = [error] * len(indexes)
            for i, answer in zip(indexes, answers, strict=True):
                results[i] = answer
        return results

    async def get(self, key: K) -> V:
        # aiodataloader raises the GatewayError answered for this key instead of returning it.
        value = await self.load(key)
        assert not isinstance(value, GatewayError)
        return value


class Loaders:
    """The DataLoaders of one request; built in the view's get_context, never shared."""

    def __init__(self, registry: ProviderRegistry) -> None:
        self.numbers: SourceLoader[NumberRef, WhatsAppNumber | None] = SourceLoader(
            lambda ref: ref.source,
            lambda source, refs: registry.numbers(source).load_numbers(refs),
        )
        self.dashboards: SourceLoader[DashboardRequest, NumberDashboard] = SourceLoader(
            lambda request: request.number.source,
            lambda source, requests: registry.numbers(source).load_dashboards(requests),
        )
