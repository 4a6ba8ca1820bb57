"""Live subscriptions share their questions: one read per distinct question per round, rounds
gathered per tenant, unchanged answers sent to nobody, and keys that see differently never
sharing an answer."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import timedelta
from types import FunctionType, ModuleType
from typing import Any

import pytest

from gateway.http.appkeys import CONFIGURATION, QUESTIONS
from gateway.providers.native.webhook_sources import WebhookSource, WebhookSources
from gateway.schema.execution import GatewayExecutor
from gateway.schema.ids import encode_id
from gateway.schema.questions import LiveQuestions
from tests.support.gateway import NOW, Gateway, World
from tests.support.sockets import BOARD, PROTOCOL, Socket
from tests.support.streams import multipart
from tests.support.webhooks import post

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

PHONES = {"sales": "+5511900000001", "support": "+5511900000002"}


async def opened(gateway: Gateway, key: str) -> AsyncIterator[Socket]:
    async with gateway.session.ws_connect(gateway.url, protocols=[PROTOCOL]) as ws:
        socket = Socket(ws)
        await socket.send({"type": "connection_init", "payload": {"x-api-key": key}})
        assert (await socket.receive())["type"] == "connection_ack"
        yield socket


async def subscribe(socket: Socket, operation: str, number: str | None) -> dict[str, Any]:
    payload = {"query": BOARD, "variables": {"n": number}}
    await socket.send({"type": "subscribe", "id": operation, "payload": payload})
    answer = await socket.receive()
    assert answer["id"] == operation, answer
    return answer


def total(answer: dict[str, Any]) -> int:
    assert answer["type"] == "next", answer
    value: int = answer["payload"]["data"]["dashboard"]["totals"]["total"]
    return value


@pytest.fixture
async def source(world: World) -> WebhookSource:
    return await WebhookSources(world.store).create("acme", "pilotstatus")


async def message(gateway: Gateway, source: WebhookSource, number: str, message_id: str) -> None:
    sent = (NOW - timedelta(hours=1)).isoformat()
    event = {"event": "message.sent", "messageId": message_id, "from": PHONES[number]}
    assert (await post(gateway, source, [{**event, "timestamp": sent}]))[0] == 200


async def until(holds: Callable[[], bool], seconds: float = 5) -> None:
    """Until `holds()` (the gateway's own tasks, such as a round, get there in their time)."""
    deadline = time.monotonic() + seconds
    while not holds():
        assert time.monotonic() < deadline, "never came to hold"
        await asyncio.sleep(0.01)


async def emptied(questions: LiveQuestions) -> None:
    await until(lambda: not len(questions) and not questions.tenants)


async def test_subscribers_of_one_question_share_one_read_per_change(
    gateway: Gateway, world: World, source: WebhookSource
) -> None:
    questions = gateway.server.app[QUESTIONS]
    sales = encode_id("WhatsAppNumber", "native", world.numbers["sales"])
    async for first in opened(gateway, world.keys["acme_tenant"]):
        async for second in opened(gateway, world.keys["acme_tenant"]):
            for n in range(3):
                assert total(await subscribe(first, f"a{n}", sales)) == 0
            for n in range(2):
                assert total(await subscribe(second, f"b{n}", sales)) == 0
            assert (len(questions), questions.reads) == (1, 1)
            await message(gateway, source, "sales", "w1")
            pushed = [await first.receive() for _ in range(3)]
            pushed += [await second.receive() for _ in range(2)]
            assert [total(answer) for answer in pushed] == [1] * 5
            assert questions.reads == 2
            # A change elsewhere in the tenant is read once more, and sent to nobody.
            await message(gateway, source, "support", "w2")
            await until(lambda: questions.reads == 3)
            assert await first.quiet_for(0.3) and await second.quiet_for(0.01)
            for n in range(3):
                await first.send({"type": "complete", "id": f"a{n}"})
        # The second socket went away without completing its subscriptions.
        await emptied(questions)


async def test_a_burst_of_changes_is_read_in_one_round(
    gateway: Gateway, world: World, source: WebhookSource
) -> None:
    questions = gateway.server.app[QUESTIONS]
    questions.interval = 1.0  # every post of the burst lands within it
    async for socket in opened(gateway, world.keys["acme_sales"]):
        assert total(await subscribe(socket, "1", None)) == 0
        for n in range(5):
            await message(gateway, source, "sales", f"burst{n}")
        assert total(await socket.receive()) == 5
        assert questions.reads == 2
        assert await socket.quiet_for(1.5)
        assert questions.reads == 2
    await emptied(questions)


def codes(answer: dict[str, Any]) -> list[str]:
    errors = answer["payload"]["errors"] if answer["type"] == "next" else answer["payload"]
    return [error["extensions"]["code"] for error in errors]


async def test_keys_that_would_see_differently_never_share_an_answer(
    gateway: Gateway, world: World
) -> None:
    questions = gateway.server.app[QUESTIONS]
    support = encode_id("WhatsAppNumber", "native", world.numbers["support"])
    async for tenant in opened(gateway, world.keys["acme_tenant"]):
        assert total(await subscribe(tenant, "1", support)) == 0
        # The same arguments from keys that may not see the number, or lack the scope.
        async for sales in opened(gateway, world.keys["acme_sales"]):
            assert codes(await subscribe(sales, "1", support)) == ["NOT_FOUND"]
        async for no_scopes in opened(gateway, world.keys["acme_no_scopes"]):
            assert codes(await subscribe(no_scopes, "1", support)) == ["FORBIDDEN"]
        async for other in opened(gateway, world.keys["globex_tenant"]):
            assert codes(await subscribe(other, "1", support)) == ["NOT_FOUND"]
        await until(lambda: len(questions) == 1)
        assert (len(questions), questions.reads) == (1, 4)
    await emptied(questions)


async def test_an_unchanged_answer_is_sent_to_no_stream(
    gateway: Gateway, world: World, source: WebhookSource
) -> None:
    parts = multipart(gateway, world.keys["acme_sales"], BOARD)
    assert (await anext(parts))["payload"]["data"]["dashboard"]["totals"]["total"] == 0
    events = server_sent_events(gateway, world.keys["acme_sales"], BOARD)
    assert (await anext(events))["data"]["dashboard"]["totals"]["total"] == 0
    questions = gateway.server.app[QUESTIONS]
    await message(gateway, source, "support", "x1")  # the tenant's data moves, not the number's
    await until(lambda: questions.reads == 2)
    await message(gateway, source, "sales", "x2")
    # The next thing each stream says is the change, nothing before it.
    assert (await anext(parts))["payload"]["data"]["dashboard"]["totals"]["total"] == 1
    assert (await anext(events))["data"]["dashboard"]["totals"]["total"] == 1
    await parts.aclose()
    await events.aclose()
    await emptied(questions)


async def server_sent_events(
    gateway: Gateway, key: str, query: str
) -> AsyncGenerator[dict[str, Any], None]:
    """graphql-sse's distinct-connections mode read line by line: each `next` event's data."""
    headers = {"x-api-key": key, "accept": "text/event-stream"}
    async with gateway.session.post(gateway.url, json={"query": query}, headers=headers) as sent:
        assert sent.status == 200, await sent.text()
        event = ""
        while True:
            async with asyncio.timeout(10):
                line = (await sent.content.readline()).decode()
            if line.startswith("event: "):
                event = line[len("event: ") :].strip()
            elif line.startswith("data: ") and event == "next":
                yield json.loads(line[len("data: ") :])


async def test_subscribers_after_a_reload_ask_through_the_new_configuration(
    gateway: Gateway, world: World
) -> None:
    questions = gateway.server.app[QUESTIONS]
    live = gateway.server.app[CONFIGURATION]
    async for before in opened(gateway, world.keys["acme_sales"]):
        assert total(await subscribe(before, "1", None)) == 0
        assert await live.reload()  # as on SIGHUP: a new registry of sources
        async for after in opened(gateway, world.keys["acme_sales"]):
            assert total(await subscribe(after, "1", None)) == 0
            # The same question, through two configurations: asked of each.
            assert (len(questions), questions.reads) == (2, 2)
    await emptied(questions)


def tracked(root: object) -> int:
    """The objects the garbage collector tracks among those `root` holds (classes, modules and
    functions apart: they are shared by everything)."""
    seen: set[int] = set()
    stack, count = [root], 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type | ModuleType | FunctionType):
            continue
        seen.add(id(item))
        if gc.is_tracked(item):
            count += 1
            stack.extend(gc.get_referents(item))
    return count


async def test_a_live_dashboard_keeps_as_little_for_the_collector_at_90_days_as_at_7(
    gateway: Gateway, world: World
) -> None:
    # A full collection walks every answer the live questions hold: a thousand dashboards kept
    # as a model per day held the loop 250-400 ms. Their days are now kept in flat tuples the
    # collector does not track, so the longest period keeps no more than the shortest.
    questions = gateway.server.app[QUESTIONS]
    sales = encode_id("WhatsAppNumber", "native", world.numbers["sales"])
    board = (
        "subscription($n: ID, $p: Period!) { dashboard(number: $n, period: $p) "
        "{ totals { total } series { date sent } } }"
    )
    async for socket in opened(gateway, world.keys["acme_tenant"]):
        for operation, period in (("7", "DAYS_7"), ("90", "DAYS_90")):
            payload = {"query": board, "variables": {"n": sales, "p": period}}
            await socket.send({"type": "subscribe", "id": operation, "payload": payload})
            answer = await socket.receive()
            assert answer["type"] == "next", answer
            assert len(answer["payload"]["data"]["dashboard"]["series"]) == int(period[5:])
        gc.collect()  # what a collection leaves tracked, as the next full one will find it
        kept = {len(a.model.series): tracked(a) for a in questions.answers("acme")}  # type: ignore[attr-defined]
        assert sorted(kept) == [7, 90]
        assert kept[90] <= kept[7], kept


def executors_kept() -> int:
    """What the live executors' caches hold, over all of them."""
    return sum(
        len(e._relevant_sub_fields) + len(e._completers)
        for e in gc.get_objects()
        if isinstance(e, GatewayExecutor)
    )


async def test_a_live_subscription_keeps_no_more_after_many_answers_than_after_one(
    gateway: Gateway, world: World, source: WebhookSource
) -> None:
    # Each answer is executed by a copy of the subscription's executor; the copies shared its
    # caches, which grew by every answer for the life of the subscription.
    sales = encode_id("WhatsAppNumber", "native", world.numbers["sales"])
    async for socket in opened(gateway, world.keys["acme_tenant"]):
        assert total(await subscribe(socket, "a", sales)) == 0
        await message(gateway, source, "sales", "k1")
        assert total(await socket.receive()) == 1
        after_one = executors_kept()
        for n in range(2, 7):
            await message(gateway, source, "sales", f"k{n}")
            assert total(await socket.receive()) == n
        assert executors_kept() == after_one
