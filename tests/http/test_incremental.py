"""@defer and @stream over HTTP and the socket: a slow platform's part comes after the parts
that are ready, in multipart/mixed as Apollo Client reads it, in server-sent events and as
`next` messages, with the rules of a whole answer (codes, scopes, cost, deadline)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from gateway.domain.auth import ANALYTICS_READ, KeyKind
from gateway.providers.native.tenancy import Tenancy
from gateway.testing.fakes import Fault
from tests.support.gateway import World
from tests.support.parts import (
    APOLLO,
    Part,
    Upstreams,
    event_parts,
    multipart_parts,
    upstreams,
)
from tests.support.sockets import PROTOCOL, Socket

SLOW = 2.0  # seconds MessageSender takes to answer, in the tests that make it slow

DASHBOARD = """query Dashboard {
  numbersConnection(first: 2) { edges { node { phoneNumber } } }
  email { overall(pastDays: 30) { sent } }
  ... @defer(label: "sms") {
    sms { overview(startDate: "2025-03-25", endDate: "2025-04-24") { deliveryRate } }
  }
}"""
WHOLE = DASHBOARD.replace('... @defer(label: "sms") {', "... {")


@pytest.fixture
async def platforms(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Upstreams]:
    async for running in upstreams(world, tmp_path, monkeypatch, request_deadline_seconds=5.0):
        yield running


def _sms(part: Part) -> dict[str, Any]:
    [entry] = part.body["incremental"]
    return dict(entry)


async def test_the_first_part_arrives_before_the_slow_platform_answers(
    platforms: Upstreams, world: World
) -> None:
    ms = platforms.states["ms"]
    ms.latency = SLOW
    # MessageSender answers SLOW seconds after it is asked, at the earliest: a part that
    # arrived before then did not wait for it.
    first, last = await multipart_parts(platforms.gateway, world.keys["acme_tenant"], DASHBOARD)
    assert first.at < SLOW <= last.at, (first.at, last.at)
    assert len(ms.calls) == 1
    assert first.body["hasNext"] is True
    assert first.body["data"]["email"]["overall"]["sent"] > 0
    assert len(first.body["data"]["numbersConnection"]["edges"]) == 2
    assert "sms" not in first.body["data"]
    assert last.body["hasNext"] is False
    entry = _sms(last)
    assert entry["path"] == [] and entry["label"] == "sms"
    assert entry["data"]["sms"]["overview"]["deliveryRate"] > 0
    # Relative to the slow part in the same run: the first came at native speed.
    assert first.at < last.at / 3, (first.at, last.at)


async def test_the_same_document_is_one_whole_answer_to_a_client_that_takes_json(
    platforms: Upstreams, world: World
) -> None:
    deferred = await platforms.gateway.query(world.keys["acme_tenant"], DASHBOARD)
    whole = await platforms.gateway.query(world.keys["acme_tenant"], WHOLE)
    assert deferred.status == 200
    assert deferred.headers["content-type"].startswith("application/json")
    assert "hasNext" not in deferred.body
    assert deferred.body == whole.body
    assert deferred.data["sms"]["overview"]["deliveryRate"] > 0


async def test_server_sent_events_carry_the_same_parts(platforms: Upstreams, world: World) -> None:
    platforms.states["ms"].latency = SLOW
    parts, names = await event_parts(platforms.gateway, world.keys["acme_tenant"], DASHBOARD)
    assert names == ["next", "next", "complete"]
    first, last = parts
    assert first.body["hasNext"] is True and "sms" not in first.body["data"]
    assert _sms(last)["data"]["sms"]["overview"]["deliveryRate"] > 0
    assert first.at < last.at / 3, (first.at, last.at)


async def test_a_socket_sends_each_part_as_a_next_message(
    platforms: Upstreams, world: World
) -> None:
    gateway = platforms.gateway
    async with gateway.session.ws_connect(gateway.url, protocols=[PROTOCOL]) as ws:
        socket = Socket(ws)
        await socket.send(
            {"type": "connection_init", "payload": {"x-api-key": world.keys["acme_tenant"]}}
        )
        assert (await socket.receive())["type"] == "connection_ack"
        await socket.send({"id": "1", "type": "subscribe", "payload": {"query": DASHBOARD}})
        first, second, done = [await socket.receive() for _ in range(3)]
    assert first["type"] == second["type"] == "next"
    assert first["payload"]["hasNext"] is True and "sms" not in first["payload"]["data"]
    [entry] = second["payload"]["incremental"]
    assert entry["data"]["sms"]["overview"]["deliveryRate"] > 0
    assert second["payload"]["hasNext"] is False
    assert done == {"id": "1", "type": "complete"}


async def test_a_failing_platform_fails_its_own_part_only(
    platforms: Upstreams, world: World
) -> None:
    platforms.states["ms"].outage = Fault(status=500)
    first, last = await multipart_parts(platforms.gateway, world.keys["acme_tenant"], DASHBOARD)
    assert "errors" not in first.body
    assert first.body["data"]["email"]["overall"]["sent"] > 0
    entry = _sms(last)
    assert entry["data"] == {"sms": {"overview": None}}
    [error] = entry["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_ERROR"
    assert error["extensions"]["source"] == "ms"
    assert error["path"] == ["sms", "overview"]


async def test_a_deferred_part_keeps_the_requests_deadline(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async for running in upstreams(
        world, tmp_path, monkeypatch, options="timeout_seconds = 30.0", request_deadline_seconds=1.0
    ):
        running.states["ms"].latency = 10.0
        first, last = await multipart_parts(running.gateway, world.keys["acme_tenant"], DASHBOARD)
        assert first.body["hasNext"] is True and "errors" not in first.body
        [error] = _sms(last)["errors"]
        assert error["extensions"]["code"] == "UPSTREAM_TIMEOUT"
        assert last.at < 3.0  # the deadline's 1 s, not the platform's 10 s


async def test_a_deferred_field_needs_its_scope_like_any_other(
    platforms: Upstreams, world: World
) -> None:
    # analytics:read alone: the numbers, but no reports (sms needs reports:read).
    issued = await Tenancy(world.store).create_key(
        "acme", KeyKind.TENANT, frozenset({ANALYTICS_READ})
    )
    query = """{ numbersConnection(first: 1) { edges { node { phoneNumber } } }
      ... @defer { sms { overview(startDate: "2025-03-25", endDate: "2025-04-24") {
        deliveryRate } } } }"""
    first, last = await multipart_parts(platforms.gateway, issued.key, query)
    assert first.body["data"]["numbersConnection"]["edges"]
    codes = [e["extensions"]["code"] for e in _sms(last)["errors"]]
    assert codes == ["FORBIDDEN"]
    assert platforms.states["ms"].calls == []


async def test_a_deferred_part_is_priced_like_the_rest(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async for running in upstreams(world, tmp_path, monkeypatch):
        key = world.keys["acme_tenant"]
        whole = await running.gateway.query(key, WHOLE)
        assert whole.codes == []
    # The whole document's cost, from the refusal one below it gives.
    async for running in upstreams(world, tmp_path, monkeypatch, max_cost=1):
        refused = await running.gateway.query(key, WHOLE)
        cost = refused.body["errors"][0]["extensions"]["cost"]
    async for running in upstreams(world, tmp_path, monkeypatch, max_cost=cost):
        parts = await multipart_parts(running.gateway, key, DASHBOARD)
        assert len(parts) == 2
        assert all("errors" not in part.body for part in parts), [p.body for p in parts]
    # One below: refused before anything runs, as a whole answer, like the whole document.
    async for running in upstreams(world, tmp_path, monkeypatch, max_cost=cost - 1):
        headers = {"x-api-key": key, "accept": APOLLO}
        gateway = running.gateway
        async with gateway.session.post(
            gateway.url, json={"query": DASHBOARD}, headers=headers
        ) as response:
            assert response.headers["content-type"].startswith("application/json")
            refused = await response.json()
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["BAD_USER_INPUT"]
        assert refused["errors"][0]["extensions"]["cost"] == cost
        assert running.states["ms"].calls == []


async def test_a_streamed_list_comes_item_by_item_at_its_index(
    platforms: Upstreams, world: World
) -> None:
    query = """{ numbersConnection(first: 3) {
      edges @stream(initialCount: 1) { node { phoneNumber } } } }"""
    parts = await multipart_parts(platforms.gateway, world.keys["acme_tenant"], query)
    first, *rest = parts
    edges = first.body["data"]["numbersConnection"]["edges"]
    assert len(edges) == 1
    for part in rest:
        for entry in part.body.get("incremental", []):
            # Each entry's path names the index its first item takes in the list.
            assert entry["path"] == ["numbersConnection", "edges", len(edges)]
            edges.extend(entry["items"])
    # Three numbers (two native, one at Pilot Status), oldest registered first.
    phones = [edge["node"]["phoneNumber"] for edge in edges]
    assert phones[:2] == ["+5511900000001", "+5511900000002"] and len(phones) == 3
    assert parts[-1].body["hasNext"] is False


async def test_parts_are_counted_by_outcome(platforms: Upstreams, world: World) -> None:
    def counted(code: str) -> float:
        value = REGISTRY.get_sample_value(
            "gateway_graphql_incremental_payloads_total", {"code": code}
        )
        return value or 0.0

    ok, failed = counted("OK"), counted("UPSTREAM_ERROR")
    platforms.states["ms"].outage = Fault(status=500)
    await multipart_parts(platforms.gateway, world.keys["acme_tenant"], DASHBOARD)
    assert counted("OK") == ok + 1  # the initial part
    assert counted("UPSTREAM_ERROR") == failed + 1


async def test_a_client_that_asks_only_for_parts_gets_a_plain_query_as_one(
    platforms: Upstreams, world: World
) -> None:
    accept = "multipart/mixed;deferSpec=20220824"
    [part] = await multipart_parts(
        platforms.gateway, world.keys["acme_tenant"], WHOLE, accept=accept
    )
    assert part.body["data"]["sms"]["overview"]["deliveryRate"] > 0


async def test_an_answer_in_parts_needs_a_key(platforms: Upstreams) -> None:
    gateway = platforms.gateway
    headers = {"accept": APOLLO}
    async with gateway.session.post(
        gateway.url, json={"query": DASHBOARD}, headers=headers
    ) as response:
        body = json.loads(await response.text())
    assert response.status == 401
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_batch_with_a_deferred_operation_is_answered_whole(
    platforms: Upstreams, world: World
) -> None:
    gateway = platforms.gateway
    headers = {"x-api-key": world.keys["acme_tenant"], "accept": APOLLO}
    batch = [{"query": DASHBOARD}, {"query": "{ __typename }"}]
    async with gateway.session.post(gateway.url, json=batch, headers=headers) as response:
        assert response.headers["content-type"].startswith("application/json")
        answers = await response.json()
    assert answers[0]["data"]["sms"]["overview"]["deliveryRate"] > 0
    assert answers[1] == {"data": {"__typename": "Query"}}


async def test_an_invalid_deferred_document_is_refused_whole(
    platforms: Upstreams, world: World
) -> None:
    gateway = platforms.gateway
    headers = {"x-api-key": world.keys["acme_tenant"], "accept": APOLLO}
    body = {"query": DASHBOARD.replace("deliveryRate", "nope")}
    async with gateway.session.post(gateway.url, json=body, headers=headers) as response:
        assert response.headers["content-type"].startswith("application/json")
        answer = await response.json()
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["BAD_USER_INPUT"]
    assert "data" not in answer


async def test_a_syntax_error_in_a_deferred_document_is_refused_whole(
    platforms: Upstreams, world: World
) -> None:
    gateway = platforms.gateway
    headers = {"x-api-key": world.keys["acme_tenant"], "accept": APOLLO}
    body = {"query": "{ ... @defer { sms { "}
    async with gateway.session.post(gateway.url, json=body, headers=headers) as response:
        answer = await response.json()
    assert response.headers["content-type"].startswith("application/json")
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_socket_operation_has_a_deadline_of_its_own(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The socket connects, then waits past a deadline's length before it asks: its
    # operation's upstream calls still have the whole deadline.
    async for running in upstreams(world, tmp_path, monkeypatch, request_deadline_seconds=1.0):
        gateway = running.gateway
        async with gateway.session.ws_connect(gateway.url, protocols=[PROTOCOL]) as ws:
            socket = Socket(ws)
            await socket.send(
                {"type": "connection_init", "payload": {"x-api-key": world.keys["acme_tenant"]}}
            )
            assert (await socket.receive())["type"] == "connection_ack"
            await asyncio.sleep(1.2)
            await socket.send({"id": "1", "type": "subscribe", "payload": {"query": DASHBOARD}})
            first, second = [await socket.receive() for _ in range(2)]
        assert "errors" not in first["payload"]
        [entry] = second["payload"]["incremental"]
        assert "errors" not in entry, entry
        assert entry["data"]["sms"]["overview"]["deliveryRate"] > 0


async def test_with_incremental_delivery_off_the_directives_are_unknown(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async for running in upstreams(world, tmp_path, monkeypatch, incremental_delivery=False):
        key = world.keys["acme_tenant"]
        refused = await running.gateway.query(key, DASHBOARD)
        assert refused.codes == ["BAD_USER_INPUT"]
        assert "defer" in refused.body["errors"][0]["message"]
        for _ in range(2):  # the second one on the lean path
            whole = await running.gateway.query(key, WHOLE)
            assert whole.codes == [] and whole.data["sms"]["overview"]["deliveryRate"] > 0
