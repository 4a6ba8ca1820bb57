"""The live questions' rounds: however many questions and subscribers a round has, the loop gets
a turn every few reads and every slice of woken subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import suppress

from gateway.providers.versions import TenantVersions
from gateway.schema.questions import READS_AT_ONCE, WAKE_SLICE, LiveQuestions


async def per_turn(count: Callable[[], int], work: asyncio.Future[list[int]]) -> list[int]:
    """How far `count()` moved in each turn of the loop until `work` is done."""
    moves, last = [], count()
    while not work.done():
        await asyncio.sleep(0)
        moves.append(count() - last)
        last = count()
    await work
    return moves


async def test_a_round_of_many_questions_reads_a_few_between_turns_of_the_loop() -> None:
    versions = TenantVersions()
    questions = LiveQuestions(versions, interval=0.0)

    async def read() -> int:
        return versions.version("t")

    followers = [questions.follow("t", n, read, settled=True) for n in range(60)]
    for follower in followers:
        assert await anext(follower) == 0
    versions.invalidate("t")
    round_ = asyncio.ensure_future(asyncio.gather(*(anext(f) for f in followers)))
    moves = await per_turn(lambda: questions.reads, round_)
    assert round_.result() == [1] * 60 and questions.reads == 120
    # Every question was read once, at most READS_AT_ONCE between two turns of the loop.
    assert sum(moves) == 60 and max(moves) <= READS_AT_ONCE, moves
    for follower in followers:
        await follower.aclose()
    assert (len(questions), questions.tenants) == (0, 0)


async def test_a_changed_answer_wakes_its_subscribers_a_slice_at_a_time() -> None:
    versions = TenantVersions()
    questions = LiveQuestions(versions, interval=0.0)
    woken = 0

    async def read() -> int:
        return versions.version("t")

    async def take(follower: AsyncGenerator[int, None]) -> int:
        nonlocal woken
        answer = await anext(follower)
        woken += 1
        return answer

    followers = [questions.follow("t", "one", read, settled=True) for _ in range(4 * WAKE_SLICE)]
    for follower in followers:
        assert await anext(follower) == 0
    assert (len(questions), questions.reads) == (1, 1)
    versions.invalidate("t")
    fanned = asyncio.ensure_future(asyncio.gather(*(take(f) for f in followers)))
    moves = await per_turn(lambda: woken, fanned)
    assert fanned.result() == [1] * len(followers) and questions.reads == 2
    assert sum(moves) == len(followers) and max(moves) <= WAKE_SLICE, moves
    for follower in followers:
        await follower.aclose()
    assert (len(questions), questions.tenants) == (0, 0)


async def test_an_unchanged_answer_wakes_nobody() -> None:
    versions = TenantVersions()
    questions = LiveQuestions(versions, interval=0.0)

    async def read() -> str:
        return "the same"

    follower = questions.follow("t", "one", read, settled=True)
    assert await anext(follower) == "the same"
    waiting = asyncio.ensure_future(anext(follower))
    for _ in range(3):
        versions.invalidate("t")
        await asyncio.sleep(0.02)
    assert questions.reads == 4 and not waiting.done()
    waiting.cancel()  # the subscriber leaves while waiting
    with suppress(asyncio.CancelledError):
        await waiting
    assert (len(questions), questions.tenants) == (0, 0)


async def test_subscribers_that_come_and_go_leave_nothing_behind() -> None:
    versions = TenantVersions()
    questions = LiveQuestions(versions, interval=0.0)

    async def read() -> str:
        return "seldom changes"

    holder = questions.follow("t", "one", read, settled=True)
    await anext(holder)
    held = asyncio.ensure_future(anext(holder))
    for _ in range(100):
        visitor = questions.follow("t", "one", read, settled=True)
        await anext(visitor)
        waiting = asyncio.ensure_future(anext(visitor))
        await asyncio.sleep(0)
        assert questions.waiting == 2
        waiting.cancel()
        with suppress(asyncio.CancelledError):
            await waiting
    assert (len(questions), questions.waiting, questions.reads) == (1, 1, 1)
    held.cancel()
    with suppress(asyncio.CancelledError):
        await held
    assert (len(questions), questions.tenants, questions.waiting) == (0, 0, 0)


class Unbuildable(Exception):
    def __init__(self, message: str, detail: int) -> None:
        super().__init__(message)
        self.detail = detail


async def test_every_subscriber_gets_the_question_s_error_even_one_that_cannot_be_copied() -> None:
    questions = LiveQuestions(TenantVersions(), interval=0.0)

    async def read(_: object = None) -> str:
        raise Unbuildable("no", 1)

    followers = [questions.follow("t", "one", read, settled=True) for _ in range(2)]
    raised = await asyncio.gather(*(anext(f) for f in followers), return_exceptions=True)
    assert [type(error) for error in raised] == [Unbuildable, Unbuildable]
    assert all(isinstance(e, Unbuildable) and e.detail == 1 for e in raised)
    assert (len(questions), questions.tenants, questions.reads) == (0, 0, 1)
