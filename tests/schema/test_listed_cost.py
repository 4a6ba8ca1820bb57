"""The deprecated unpaged `numbers` priced at what it will hold for the caller: the tenant's
count of numbers up to the cap, one (or none) for a number-scoped key; the count read with one
indexed COUNT per change of the tenant's data, on both stores."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from graphql import parse

from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind, default_scopes
from gateway.domain.numbers import NumberPageRequest
from gateway.http.app import create_app
from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native import NativeProvider, open_store
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSources
from gateway.schema import build_schema
from gateway.schema.bounds import Bounds
from gateway.schema.cost import operation_cost, selects_capped_lists
from tests.support.gateway import Gateway, World, fixed_clock, serve, watched
from tests.support.pg import create_database, postgres_server, set_running

DASHBOARDS = "{ numbers { dashboard(period: DAYS_90) { series { date total } } } }"
# A number's 90-day dashboard: the field and its 90 days folded, then its series of 90 points
# of two fields each.
EACH = 1 + 90 + (1 + 90 * 2)
CAP = 4
PROTOCOL = "graphql-transport-ws"
SCHEMA = build_schema()._schema


def priced(numbers: int) -> int:
    return 1 + numbers * EACH


async def running(world: World, **limits: Any) -> AsyncIterator[Gateway]:
    settings = Settings(
        store_url=world.store.url, demo=False, cache_ttl_seconds=0, rate_limit=0, **limits
    )
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        yield gateway


async def add_numbers(world: World, tenant: str, count: int) -> None:
    tenancy = Tenancy(world.store)
    known = len(await tenancy.list_numbers(tenant))
    for n in range(known, known + count):
        await tenancy.add_number(tenant, f"+49000000{n:04}")


async def refused_at(gateway: Gateway, key: str, query: str = DASHBOARDS) -> int:
    """The estimate the gateway's cost refusal names."""
    answer = await gateway.query(key, query)
    assert answer.data is None and answer.codes == ["BAD_USER_INPUT"], answer.body
    extensions = answer.body["errors"][0]["extensions"]
    assert extensions["limit"] == "maxCost"
    return int(extensions["cost"])


def test_the_estimate_prices_the_list_at_the_count_given_up_to_the_cap() -> None:
    document = parse(DASHBOARDS)
    bounds = Bounds(max_listed_numbers=CAP)
    assert operation_cost(SCHEMA, document, bounds=bounds, listed=0) == priced(0)
    assert operation_cost(SCHEMA, document, bounds=bounds, listed=1) == priced(1)
    assert operation_cost(SCHEMA, document, bounds=bounds, listed=3) == priced(3)
    assert operation_cost(SCHEMA, document, bounds=bounds, listed=CAP) == priced(CAP)
    assert operation_cost(SCHEMA, document, bounds=bounds, listed=CAP + 1) == priced(CAP)
    # Not counted (no caller): at the cap, as before.
    assert operation_cost(SCHEMA, document, bounds=bounds) == priced(CAP)


def test_the_documents_that_need_the_count_are_told_from_their_text() -> None:
    assert selects_capped_lists(parse(DASHBOARDS))
    assert selects_capped_lists(parse("{ organization { all: numbers { id } } }"))
    assert selects_capped_lists(parse("{ ...F } fragment F on Query { numbers { id } }"))
    assert not selects_capped_lists(parse("{ numbersConnection(first: 3) { totalCount } }"))
    # A cycle of fragments (validation refuses it later) is read without recursing.
    cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A viewer { id } }"
    assert not selects_capped_lists(parse(cycle))


async def test_a_tenant_of_five_numbers_asks_ninety_days_of_each_within_the_default_limit(
    gateway: Gateway, world: World
) -> None:
    await add_numbers(world, "acme", 3)
    assert priced(5) <= Settings().max_cost < priced(Settings().max_listed_numbers)
    answer = await gateway.query(world.keys["acme_tenant"], DASHBOARDS)
    assert "errors" not in answer.body, answer.body
    assert len(answer.data["numbers"]) == 5
    assert all(len(n["dashboard"]["series"]) == 90 for n in answer.data["numbers"])


async def test_the_estimate_follows_the_tenant_s_count_up_to_the_cap(world: World) -> None:
    async for strict in running(world, max_cost=1, max_listed_numbers=CAP):
        assert await refused_at(strict, world.keys["globex_tenant"]) == priced(1)
        await add_numbers(world, "acme", 1)  # 3 numbers
        await watched(strict, world.store)
        assert await refused_at(strict, world.keys["acme_tenant"]) == priced(3)
        await add_numbers(world, "acme", 2)  # CAP + 1 numbers: priced at the cap
        await watched(strict, world.store)
        assert await refused_at(strict, world.keys["acme_tenant"]) == priced(CAP)
        organization = "{ organization { numbers { id } } }"
        assert await refused_at(strict, world.keys["acme_tenant"], organization) == 1 + 1 + CAP
    # At the limit the cap+1 tenant runs, and answers TOO_MANY_RESULTS as before.
    async for gateway in running(world, max_cost=priced(CAP), max_listed_numbers=CAP):
        answer = await gateway.query(world.keys["acme_tenant"], DASHBOARDS)
        assert answer.codes == ["TOO_MANY_RESULTS"], answer.body


async def test_the_cost_limit_holds_at_the_count_s_price_and_one_number_past_it(
    world: World,
) -> None:
    await add_numbers(world, "acme", 1)  # 3 numbers
    async for gateway in running(world, max_cost=priced(3), max_listed_numbers=CAP):
        for _ in range(2):  # the second time on the fast path, its estimate kept
            answer = await gateway.query(world.keys["acme_tenant"], DASHBOARDS)
            assert "errors" not in answer.body, answer.body
            assert len(answer.data["numbers"]) == 3
        await add_numbers(world, "acme", 1)
        await watched(gateway, world.store)
        assert await refused_at(gateway, world.keys["acme_tenant"]) == priced(4)


async def test_a_number_scoped_key_is_priced_at_its_one_number(world: World) -> None:
    await add_numbers(world, "acme", 2)
    async for strict in running(world, max_cost=1):
        assert await refused_at(strict, world.keys["acme_sales"]) == priced(1)
        # A key linked to no number lists none: the field alone, within a limit of 1.
        answer = await strict.query(world.keys["acme_unlinked"], DASHBOARDS)
        assert priced(0) == 1 and answer.body == {"data": {"numbers": []}}
    async for gateway in running(world, max_cost=priced(1)):
        answer = await gateway.query(world.keys["acme_sales"], DASHBOARDS)
        assert "errors" not in answer.body, answer.body
        assert len(answer.data["numbers"]) == 1


async def test_tenants_of_different_sizes_asking_one_document_each_get_their_own_estimate(
    world: World,
) -> None:
    # globex (1 number) is within the limit, acme (2) is not; the fast path keeps the estimate
    # of a document it ran, and must not hand globex's to acme, nor acme's refusal to globex.
    async for gateway in running(world, max_cost=priced(1)):
        for tenant in ("globex", "globex", "acme", "globex", "acme", "acme", "globex"):
            if tenant == "acme":
                assert await refused_at(gateway, world.keys["acme_tenant"]) == priced(2)
                continue
            answer = await gateway.query(world.keys["globex_tenant"], DASHBOARDS)
            assert "errors" not in answer.body, answer.body
            assert len(answer.data["numbers"]) == 1


async def test_a_number_registered_by_a_webhook_moves_the_next_estimate_counted_once(
    world: World, monkeypatch: Any
) -> None:
    counted: list[str] = []
    count_numbers = NativeProvider.count_numbers

    async def observed(self: NativeProvider, page: NumberPageRequest) -> int:
        counted.append(page.tenant_id)
        return await count_numbers(self, page)

    monkeypatch.setattr(NativeProvider, "count_numbers", observed)
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    async for gateway in running(world, max_cost=priced(2)):
        for _ in range(2):
            answer = await gateway.query(world.keys["acme_tenant"], DASHBOARDS)
            assert "errors" not in answer.body, answer.body
        assert counted == ["acme"]  # once while the tenant's data stands
        # Documents without `numbers` count nothing.
        answer = await gateway.query(world.keys["acme_tenant"], "{ viewer { tenantId } }")
        assert counted == ["acme"]
        event = {
            "event": "message.sent",
            "messageId": "w1",
            "from": "+4900000777",
            "timestamp": "2026-11-21T10:00:00Z",
        }
        data = json.dumps(event).encode()
        headers = {SIGNATURE_HEADER: sign(source.secret, data), "content-type": "application/json"}
        url = gateway.server.make_url(f"/webhooks/{source.name}")
        async with gateway.session.post(url, data=data, headers=headers) as response:
            assert response.status == 200, await response.text()
        assert await refused_at(gateway, world.keys["acme_tenant"]) == priced(3)
        assert counted == ["acme", "acme"]


@pytest.fixture
def private_server() -> Iterator[str]:
    try:
        with postgres_server(private=True) as server:
            yield server
    except RuntimeError as error:
        pytest.skip(str(error))


async def test_a_store_that_cannot_count_answers_typed(private_server: str) -> None:
    url = await create_database(private_server)
    store = await open_store(url)
    tenancy = Tenancy(store)
    await tenancy.create_tenant("acme", "Acme")
    await tenancy.add_number("acme", "+5511900000001", "Sales")
    key = (await tenancy.create_key("acme", KeyKind.TENANT, default_scopes(KeyKind.TENANT))).key
    await store.close()
    settings = Settings(store_url=url, demo=False, cache_ttl_seconds=0, rate_limit=0)
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        await asyncio.to_thread(set_running, private_server, False)
        try:
            answer = await gateway.query(key, DASHBOARDS)
        finally:
            await asyncio.to_thread(set_running, private_server, True)
        assert answer.status == 503 and answer.codes == ["UPSTREAM_UNAVAILABLE"], answer.body
        assert answer.body["errors"][0]["extensions"]["source"] == "native"


async def test_a_query_on_a_socket_is_priced_at_the_tenant_s_count(world: World) -> None:
    async for gateway in running(world, max_cost=priced(2)):
        async with gateway.session.ws_connect(gateway.url, protocols=[PROTOCOL]) as ws:
            init = {"type": "connection_init", "payload": {"x-api-key": world.keys["acme_tenant"]}}
            await ws.send_str(json.dumps(init))
            assert json.loads((await ws.receive(timeout=5)).data)["type"] == "connection_ack"
            asked = {"id": "1", "type": "subscribe", "payload": {"query": DASHBOARDS}}
            await ws.send_str(json.dumps(asked))
            answer = json.loads((await ws.receive(timeout=10)).data)
            assert answer["type"] == "next", answer
            assert "errors" not in answer["payload"], answer
            assert len(answer["payload"]["data"]["numbers"]) == 2
