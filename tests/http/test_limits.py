"""Operation limits, the body size limit, and the production switches (introspection, CORS)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.ratelimit import RateLimiter
from tests.support.gateway import Gateway, World, fixed_clock, serve

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
async def strict(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        max_depth=2,
        max_aliases=3,
        max_tokens=80,
        max_body_kib=2,
        max_cost=30,
        max_batch_operations=2,
        introspection=False,
        cors_origins=["https://dash.example"],
        rate_limit=2,
        rate_limit_burst=3,
        rate_limit_overrides={"globex": 0},
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("{ numbers { dashboard { series { date } } } }", "maximum operation depth of 2"),
        (
            "{ a: viewer { tenantId } b: viewer { tenantId } c: viewer { tenantId } "
            "d: viewer { tenantId } }",
            "aliases found. Allowed: 3",
        ),
        ("{ " + "viewer { tenantId } " * 30 + "}", "more than 80 tokens"),
    ],
)
async def test_operations_over_a_limit_are_refused_before_running(
    strict: Gateway, world: World, document: str, fragment: str
) -> None:
    answer = await strict.query(world.keys["acme_tenant"], document)
    assert answer.status == 400 and answer.data is None
    assert answer.codes[0] == "BAD_USER_INPUT" and fragment in answer.body["errors"][0]["message"]


async def test_a_body_over_the_limit_is_413_with_a_typed_error(
    strict: Gateway, world: World
) -> None:
    answer = await strict.query(
        world.keys["acme_tenant"], "{ viewer { tenantId } }", {"padding": "x" * 4000}
    )
    assert answer.status == 413 and answer.codes == ["BAD_USER_INPUT"]
    assert answer.body["errors"][0]["extensions"]["limit"] == "max_body_kib"
    # In the media type the client negotiated, as every other refusal.
    headers = {"x-api-key": world.keys["acme_tenant"], "accept": GRAPHQL_RESPONSE}
    body = {"query": "{ viewer { tenantId } }", "variables": {"padding": "x" * 4000}}
    async with strict.session.post(strict.url, json=body, headers=headers) as response:
        assert response.status == 413 and response.content_type == GRAPHQL_RESPONSE


async def test_introspection_can_be_turned_off(strict: Gateway, world: World) -> None:
    anonymous = await strict.query(None, "{ __schema { queryType { name } } }")
    assert anonymous.status == 401
    keyed = await strict.query(world.keys["acme_tenant"], "{ __schema { queryType { name } } }")
    assert keyed.status == 400 and "introspection has been disabled" in str(keyed.body)


async def test_cors_allows_only_the_configured_origins(strict: Gateway, world: World) -> None:
    preflight = {"origin": "https://dash.example", "access-control-request-method": "POST"}
    async with strict.session.options(strict.url, headers=preflight) as response:
        assert response.status == 204
        assert response.headers["access-control-allow-origin"] == "https://dash.example"
        assert "x-api-key" in response.headers["access-control-allow-headers"]
    headers = {"origin": "https://dash.example", "x-api-key": world.keys["acme_tenant"]}
    async with strict.session.post(
        strict.url, json={"query": "{ viewer { tenantId } }"}, headers=headers
    ) as response:
        assert response.headers["access-control-allow-origin"] == "https://dash.example"
    headers["origin"] = "https://evil.example"
    async with strict.session.post(
        strict.url, json={"query": "{ viewer { tenantId } }"}, headers=headers
    ) as response:
        assert "access-control-allow-origin" not in response.headers


async def test_cors_lets_browsers_send_trace_context_and_read_the_answer_headers(
    strict: Gateway, world: World
) -> None:
    preflight = {
        "origin": "https://dash.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-api-key, traceparent, tracestate",
    }
    async with strict.session.options(strict.url, headers=preflight) as response:
        allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-api-key", "traceparent", "tracestate"} <= allowed
    headers = {"origin": "https://dash.example", "x-api-key": world.keys["acme_tenant"]}
    async with strict.session.post(
        strict.url, json={"query": "{ viewer { tenantId } }"}, headers=headers
    ) as response:
        exposed = response.headers["access-control-expose-headers"]
    assert {"etag", "retry-after", "x-request-id", "x-cache"} <= {
        h.strip() for h in exposed.split(",")
    }


async def test_a_key_over_its_rate_gets_429_with_retry_after(strict: Gateway, world: World) -> None:
    query = "{ viewer { tenantId } }"
    answers = [await strict.query(world.keys["acme_tenant"], query) for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.codes == ["RATE_LIMITED"]
    assert refused.body["errors"][0]["extensions"]["retryAfter"] == 1
    assert refused.headers["retry-after"] == "1"
    # Another key of the same tenant has a bucket of its own; tenant globex has no limit.
    assert (await strict.query(world.keys["acme_sales"], query)).status == 200
    for _ in range(6):
        assert (await strict.query(world.keys["globex_tenant"], query)).status == 200


def test_buckets_refill_at_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2, burst=2, overrides={"vip": 10}, clock=lambda: now[0])
    assert limiter.take("t", "k") == 0 and limiter.take("t", "k") == 0
    assert limiter.take("t", "k") == pytest.approx(0.5)
    now[0] = 0.5
    assert limiter.take("t", "k") == 0
    assert limiter.rate_for("t", "vip") == 10 and limiter.rate_for("vip", "k") == 10


async def test_an_operation_over_the_cost_limit_is_refused_naming_its_cost(
    strict: Gateway, world: World
) -> None:
    # A page of 14 numbers: 1 + 14 x (edges, cursor) = 29, under 30; with __typename: 43.
    key = world.keys["acme_tenant"]
    page = "numbersConnection(first: 14) { edges { cursor"
    assert (await strict.query(key, f"{{ {page} }} }} }}")).status == 200
    answer = await strict.query(
        key,
        f"query($x: Boolean!) {{ {page} @include(if: $x) __typename }} }} }}",
        {"x": True},
    )
    assert answer.status == 400 and answer.data is None
    error = answer.body["errors"][0]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "limit": "maxCost",
        "cost": 43,
        "maxCost": 30,
    }
    assert "estimated cost is 43, over the limit of 30" in error["message"]


async def test_batches_answer_each_operation_and_are_limited_and_rate_counted(
    strict: Gateway, world: World
) -> None:
    headers = {"x-api-key": world.keys["acme_tenant"]}
    one = {"query": "{ viewer { tenantId } }"}
    async with strict.session.post(strict.url, json=[one, one], headers=headers) as response:
        assert response.status == 200
        assert [a["data"]["viewer"]["tenantId"] for a in await response.json()] == ["acme"] * 2
    async with strict.session.post(strict.url, json=[one] * 3, headers=headers) as response:
        body = await response.json()
        assert (
            response.status == 400 and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        )
        assert "3 operations, over the limit of 2" in body["errors"][0]["message"]
    # The batch of two took two of the burst of three, the refused batch none.
    assert (await strict.query(world.keys["acme_tenant"], one["query"])).status == 200
    assert (await strict.query(world.keys["acme_tenant"], one["query"])).status == 429
