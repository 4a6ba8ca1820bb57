"""Live questions: each distinct question a tenant's live subscriptions ask, read once per change
of the tenant's data and its answer shared by every subscriber asking it.

A question is a subscription field with its resolved arguments and whatever of the caller's key
decides the answer (see gateway.schema.live): two keys that would see different answers never
share one. Subscribers join and leave; a question with none left is dropped, and a tenant with no
question left has no task waiting for it.

Changes arriving in a burst are read once: a tenant's round starts INTERVAL seconds after the
first change of a burst and reads every question of the tenant, READS_AT_ONCE at a time, giving
the loop a turn between questions. A question whose answer is unchanged wakes nobody; a changed
one wakes its subscribers WAKE_SLICE at a time, so that a thousand of them never hold the loop
together. A subscriber that is slow to take an answer is given only the newest.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from contextlib import suppress
from typing import TypeVar, cast

from gateway.providers.versions import TenantVersions

__all__ = ["INTERVAL", "READS_AT_ONCE", "WAKE_SLICE", "LiveQuestions"]

log = logging.getLogger("gateway.live")

INTERVAL = 0.25  # seconds a burst of changes is gathered into one round
READS_AT_ONCE = 4  # questions of one tenant read at the same time
WAKE_SLICE = 20  # subscribers woken per turn of the loop

T = TypeVar("T")
Read = Callable[[], Awaitable[object]]


class Question:
    """One question, its newest answer (a value, or the error every subscriber gets) and who is
    waiting for the next."""

    def __init__(self, settled: bool) -> None:
        # Whether an equal value means an equal answer: not so when subscribers' selections
        # read more through their own loaders (a campaign's figures), then every round is news.
        self.settled = settled
        self.readers: dict[object, Read] = {}  # each subscriber's way to read it, alike
        self.answer: object = None
        self.round = 0  # how many answers were given
        self.waiting: list[asyncio.Future[None]] = []
        self.first: asyncio.Future[bool] | None = None
        self._lock = asyncio.Lock()  # reads in order: an older one never lands after a newer

    async def refresh(self) -> bool:
        """Read the answer again; whether any subscriber was woken for it."""
        async with self._lock:
            read = next(iter(self.readers.values()), None)
            if read is None:
                return False
            try:
                value = await read()
            except Exception as error:  # each subscriber raises it, as its own read would have
                value = error
            if self.round and self.settled and _same(value, self.answer):
                return False
            self.answer = value
            self.round += 1
            waiting, self.waiting = self.waiting, []
            for woken, waiter in enumerate(waiting, 1):
                if not waiter.done():
                    waiter.set_result(None)
                if woken % WAKE_SLICE == 0:
                    await asyncio.sleep(0)
            return True

    async def next_round(self, seen: int) -> None:
        """Return once an answer newer than round `seen` is out."""
        while self.round == seen:
            waiter = asyncio.get_running_loop().create_future()
            self.waiting.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done() or waiter.cancelled():
                    # Left before the answer: a question that seldom changes must not keep
                    # a waiter for every subscriber that came and went.
                    with suppress(ValueError):
                        self.waiting.remove(waiter)


class _Tenant:
    def __init__(self) -> None:
        self.questions: dict[Hashable, Question] = {}
        self.pump: asyncio.Task[None] | None = None


class LiveQuestions:
    """The questions of this process's live subscriptions, by tenant."""

    def __init__(self, versions: TenantVersions, interval: float = INTERVAL) -> None:
        self.versions = versions
        self.interval = interval
        self._tenants: dict[str, _Tenant] = {}
        self.reads = 0  # questions read since start, for tests and benchmarks

    def __len__(self) -> int:
        return sum(len(tenant.questions) for tenant in self._tenants.values())

    @property
    def waiting(self) -> int:
        """Subscribers waiting for a new answer, over every question."""
        return sum(
            len(question.waiting)
            for tenant in self._tenants.values()
            for question in tenant.questions.values()
        )

    def answers(self, tenant_id: str) -> list[object]:
        """The newest answer of each of a tenant's questions, for tests and benchmarks."""
        tenant = self._tenants.get(tenant_id)
        return [] if tenant is None else [q.answer for q in tenant.questions.values()]

    @property
    def tenants(self) -> int:
        """Tenants with a task waiting for their changes."""
        return len(self._tenants)

    async def follow(
        self, tenant_id: str, key: Hashable, read: Callable[[], Awaitable[T]], *, settled: bool
    ) -> AsyncGenerator[T, None]:
        """The answers to `key` as they change, the first at once: read by `read` (or by
        another subscriber's read of the same question) once per round."""
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            tenant = self._tenants[tenant_id] = _Tenant()
            # The version is taken before the first read: a change during it makes a round.
            since = self.versions.version(tenant_id)
            tenant.pump = asyncio.create_task(self._pump(tenant_id, tenant, since))
        question = tenant.questions.get(key)
        if question is None:
            question = tenant.questions[key] = Question(settled)
        me = object()
        question.readers[me] = self._counted(read)
        try:
            if question.first is None:
                question.first = asyncio.ensure_future(question.refresh())
            # Shielded: a first subscriber that leaves does not cancel the others' first answer.
            await asyncio.shield(question.first)
            seen = 0
            while True:
                await question.next_round(seen)
                seen, answer = question.round, question.answer
                if isinstance(answer, Exception):
                    raise _own(answer)
                yield cast(T, answer)
        finally:
            self._leave(tenant_id, key, question, me)

    def _counted(self, read: Callable[[], Awaitable[object]]) -> Read:
        async def counted() -> object:
            self.reads += 1
            return await read()

        return counted

    def _leave(self, tenant_id: str, key: Hashable, question: Question, me: object) -> None:
        question.readers.pop(me, None)
        tenant = self._tenants.get(tenant_id)
        if question.readers or tenant is None:
            return
        if tenant.questions.get(key) is question:
            del tenant.questions[key]
        if question.first is not None and not question.first.done():
            question.first.cancel()
        if not tenant.questions:
            del self._tenants[tenant_id]
            if tenant.pump is not None:
                tenant.pump.cancel()

    async def _pump(self, tenant_id: str, tenant: _Tenant, since: int) -> None:
        while True:
            await self.versions.moved(tenant_id, since)
            await asyncio.sleep(self.interval)  # the rest of the burst
            since = self.versions.version(tenant_id)
            try:
                await self._round(list(tenant.questions.values()))
            except Exception:  # a bug in one round must not end every later one
                log.exception("a live round of tenant %s failed", tenant_id)

    async def _round(self, questions: list[Question]) -> None:
        pending = iter(questions)

        async def reader() -> None:
            for question in pending:
                await question.refresh()
                await asyncio.sleep(0)

        await asyncio.gather(*(reader() for _ in range(min(READS_AT_ONCE, len(questions)))))

    async def close(self) -> None:
        """Stop every tenant's task (the subscriptions themselves end with their sockets)."""
        tenants, self._tenants = list(self._tenants.values()), {}
        for tenant in tenants:
            if tenant.pump is not None:
                tenant.pump.cancel()
                with suppress(asyncio.CancelledError):
                    await tenant.pump


def _same(value: object, answer: object) -> bool:
    if isinstance(value, Exception) or isinstance(answer, Exception):
        return False
    try:
        return bool(value == answer)
    except Exception:  # a value that cannot be compared is news
        return False


def _own(error: Exception) -> Exception:
    """A copy of `error` for one subscriber to raise: its traceback is not every other's."""
    try:
        return copy.copy(error)
    except Exception:  # an exception that cannot be rebuilt from its args
        return error
