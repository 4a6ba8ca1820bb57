"""Single flight: identical upstream reads in flight at once, from any request, share one call."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from gateway.errors import GatewayError, UpstreamTimeout
from gateway.providers.upstream.http import DEADLINE, TOUCHED

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Answers = Sequence[Any]  # one answer per key: a value, None, or that key's GatewayError


class _Flight:
    """One batch call under way, the keys it answers and how many requests wait on it."""

    def __init__(self, task: asyncio.Task[Answers], keys: list[Hashable]) -> None:
        self.task = task
        self.index = {key: i for i, key in enumerate(keys)}
        self.waiting = 0
        self.touched: set[str] = set()


class SingleFlight:
    """The upstream calls in flight across requests, by (source, what is asked, key). Every key
    a loader passes names its tenant (and its number or campaign), and the credential an
    upstream call uses follows from those and the source, so two requests share a call only
    when they would have sent the very same one: another tenant's never. The call runs as a
    task of its own, so that a request that goes away (cancelled, or past its deadline) stops
    waiting without taking the call from those still waiting; the last one to go cancels it."""

    def __init__(self) -> None:
        self._flights: dict[tuple[str, str, Hashable], _Flight] = {}

    async def call(
        self,
        source: str,
        method: str,
        keys: Sequence[K],
        load: Callable[[Sequence[K]], Awaitable[Answers]],
    ) -> list[Any]:
        """Answers for `keys`, in order: from calls already in flight where there are, and
        from one new call of `load` for the rest."""
        if len(keys) == 1:  # a request's one dashboard, say: the common case, made short
            return [await self._one(source, method, keys[0], load)]
        flights: list[_Flight | None] = [self._flights.get((source, method, key)) for key in keys]
        missing = [key for key, flight in zip(keys, flights, strict=True) if flight is None]
        if missing:
            started = self._start(source, method, missing, load)
            flights = [flight or started for flight in flights]
        joined = [flight for flight in flights if flight is not None]
        unique = list({id(flight): flight for flight in joined}.values())
        for each in unique:
            each.waiting += 1
        try:
            outcomes = {id(each): await self._wait(source, each) for each in unique}
        finally:
            for each in unique:
                self._leave(source, method, each)
        answers: list[Any] = []
        for key, flight in zip(keys, joined, strict=True):
            outcome = outcomes[id(flight)]
            if isinstance(outcome, GatewayError):
                answers.append(outcome)
            else:
                answers.append(outcome[flight.index[key]])
        return answers

    async def _one(
        self,
        source: str,
        method: str,
        key: K,
        load: Callable[[Sequence[K]], Awaitable[Answers]],
    ) -> Any:
        flight = self._flights.get((source, method, key)) or self._start(
            source, method, [key], load
        )
        flight.waiting += 1
        try:
            outcome = await self._wait(source, flight)
        finally:
            self._leave(source, method, flight)
        return outcome if isinstance(outcome, GatewayError) else outcome[flight.index[key]]

    def _start(
        self,
        source: str,
        method: str,
        keys: list[K],
        load: Callable[[Sequence[K]], Awaitable[Answers]],
    ) -> _Flight:
        # The call records the sources it touched in a set of its own, which every request
        # sharing it adds to its own (its answer's cache lifetime depends on them).
        context = contextvars.copy_context()
        touched: set[str] = set()
        context.run(TOUCHED.set, touched)
        task = asyncio.get_running_loop().create_task(_answers(load, keys), context=context)
        flight = _Flight(task, list(keys))
        flight.touched = touched
        for key in keys:
            self._flights[source, method, key] = flight

        def landed(_: asyncio.Task[Answers]) -> None:
            for key in keys:
                if self._flights.get((source, method, key)) is flight:
                    del self._flights[source, method, key]

        task.add_done_callback(landed)
        return flight

    async def _wait(self, source: str, flight: _Flight) -> Answers | GatewayError:
        """The flight's answers, within this request's own deadline."""
        task = flight.task
        if not task.done():
            deadline = DEADLINE.get()
            if deadline is None:
                await asyncio.shield(task)
            elif not await _done_within(task, deadline - time.monotonic()):
                return UpstreamTimeout(
                    f"{source} did not answer within the request's deadline",
                    source=source,
                    upstreamStatus=None,
                )
        answers = task.result()  # what the call raised, if it failed (or was cancelled)
        touched = TOUCHED.get()
        if touched is not None:
            touched.update(flight.touched)
        return answers

    def _leave(self, source: str, method: str, flight: _Flight) -> None:
        flight.waiting -= 1
        if flight.waiting > 0 or flight.task.done():
            return
        # No request wants the call any longer. Taken out of the table at once, so that a
        # request arriving before the task has wound down starts a call of its own.
        flight.task.cancel()
        for key in flight.index:
            if self._flights.get((source, method, key)) is flight:
                del self._flights[source, method, key]


async def _done_within(task: asyncio.Task[Answers], left: float) -> bool:
    """Whether `task` is done within `left` seconds. Waiting stops at the deadline, or when
    the waiter is cancelled, without touching the task (others may wait on it): what
    wait_for over shield does, with one timer and one future instead of their machinery."""
    if left <= 0:
        return False
    loop = asyncio.get_running_loop()
    woken: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not woken.done():
            woken.set_result(None)

    timer = loop.call_later(left, wake)
    task.add_done_callback(wake)
    try:
        await woken
    finally:
        timer.cancel()
        task.remove_done_callback(wake)
    return task.done()


async def _answers(load: Callable[[Sequence[K]], Awaitable[Answers]], keys: list[K]) -> Answers:
    # A GatewayError for the whole batch is every key's answer, as the loaders take it.
    try:
        return list(await load(keys))
    except GatewayError as error:
        return [error] * len(keys)
