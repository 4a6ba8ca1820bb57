"""What real clients get with their default settings: a query or a mutation is answered whole,
as JSON (compressed, with an ETag, kept by the response cache), even where the client's Accept
lists a stream too; a subscription streams. urql and Apollo Client themselves (pinned in
tests/interop/clients/package.json) run against a live gateway, and their Accept headers,
as each sent them, are checked here by name."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSyntaxError, parse

from gateway.config.settings import Settings
from gateway.http.admission import _streams
from gateway.http.app import create_app
from gateway.http.negotiation import (
    Media,
    MediaType,
    accepted,
    may_stream,
    streams,
)
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.npm import installed

# The tests of a live gateway run on SQLite alone: the store plays no part in what is negotiated.
sqlite = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

CLIENTS = Path(__file__).parents[1] / "interop" / "clients"

# The Accept headers as each client's source at the pinned version writes them (@urql/core
# 6.0.3: dist/urql-core-chunk.mjs; @apollo/client 4.3.8: link/http/selectHttpOptionsAndBody.js,
# BaseHttpLink.js for subscriptions, incremental/handlers/defer20220824.js for @defer);
# test_urql_and_apollo_client_get_json_for_a_query checks the first two against what they send.
URQL_QUERY = (
    "application/graphql-response+json, application/graphql+json, application/json,"
    " text/event-stream, multipart/mixed"
)
URQL_SUBSCRIPTION = "text/event-stream, multipart/mixed"
APOLLO_QUERY = "application/graphql-response+json,application/json;q=0.9"
APOLLO_SUBSCRIPTION = (
    "multipart/mixed;boundary=graphql;subscriptionSpec=1.0,"
    "application/graphql-response+json,application/json;q=0.9"
)
APOLLO_DEFER = (
    "multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9"
)

GRAPHQL_RESPONSE = "application/graphql-response+json"
# A 90-day dashboard: large enough (some 9 KB) to be compressed.
QUERY = "{ dashboard(period: DAYS_90) { series { date total sent delivered read failed } } }"
SUBSCRIPTION = "subscription { dashboard(period: DAYS_7) { totals { total } } }"


@pytest.fixture
async def cached(world: World) -> AsyncIterator[Gateway]:
    """A gateway with its response cache on, as it runs by default."""
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=30, rate_limit=0)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def post(
    gateway: Gateway, key: str, query: str, accept: str
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the first bytes of the answer (a stream is left open no longer)."""
    headers = {
        "x-api-key": key,
        "content-type": "application/json",
        "accept": accept,
        "accept-encoding": "br, gzip",
    }
    body = {"query": query}
    async with gateway.session.post(gateway.url, json=body, headers=headers) as response:
        if response.content_type in ("text/event-stream", "multipart/mixed"):
            first = await asyncio.wait_for(response.content.readany(), 10)
        else:
            first = await response.read()
        return response.status, {k.lower(): v for k, v in response.headers.items()}, first


@sqlite
@pytest.mark.parametrize(
    "accept", [URQL_QUERY, APOLLO_QUERY, APOLLO_SUBSCRIPTION, APOLLO_DEFER, "*/*"]
)
async def test_a_query_is_one_json_answer_compressed_tagged_and_kept(
    cached: Gateway, world: World, accept: str
) -> None:
    key = world.keys["acme_sales"]
    status, headers, body = await post(cached, key, QUERY, accept)
    assert status == 200
    assert headers["content-type"].startswith((GRAPHQL_RESPONSE, "application/json"))
    assert headers["content-encoding"] == "br" and headers["x-cache"] == "miss"
    assert headers["etag"] and "no-store" not in headers.get("cache-control", "")
    assert len(json.loads(body)["data"]["dashboard"]["series"]) == 90
    again_status, again, _ = await post(cached, key, QUERY, accept)
    assert (again_status, again["x-cache"], again["etag"]) == (200, "hit", headers["etag"])


@sqlite
@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (URQL_SUBSCRIPTION, "text/event-stream"),
        (URQL_QUERY, "text/event-stream"),
        (APOLLO_SUBSCRIPTION, "multipart/mixed"),
    ],
)
async def test_a_subscription_streams_where_the_client_accepts_a_stream(
    cached: Gateway, world: World, accept: str, media: str
) -> None:
    status, headers, first = await post(cached, world.keys["acme_sales"], SUBSCRIPTION, accept)
    assert status == 200 and headers["content-type"].startswith(media), first
    assert "x-cache" not in headers


@sqlite
async def test_a_query_streams_only_for_a_client_that_takes_nothing_else(
    cached: Gateway, world: World
) -> None:
    status, headers, first = await post(
        cached, world.keys["acme_sales"], QUERY, "text/event-stream"
    )
    assert status == 200 and headers["content-type"].startswith("text/event-stream"), first


@sqlite
async def test_a_query_naming_subscription_as_a_field_is_still_json(
    cached: Gateway, world: World
) -> None:
    # Parsed (its text holds the word), then answered whole: the operation is a query.
    query = "{ billing { subscription { id } } }"
    status, headers, body = await post(cached, world.keys["acme_tenant"], query, URQL_QUERY)
    assert status == 200 and headers["content-type"].startswith(GRAPHQL_RESPONSE), body
    assert json.loads(body) == {"data": {"billing": None}}  # acme has no billing account


@sqlite
async def test_a_text_is_parsed_for_its_operation_once(gateway: Gateway, world: World) -> None:
    """The billing query's text holds `subscription`: the first request parses it to find that
    it is a query, the ones after take that from what was decided (the response cache is off
    here, so each request comes this far)."""
    query = "{ billing { subscription { id } } billingAgain: billing { brand } }"
    before = _streams.cache_info()
    for _ in range(3):
        status, headers, _ = await post(gateway, world.keys["acme_tenant"], query, URQL_QUERY)
        assert (status, headers["content-type"]) == (200, GRAPHQL_RESPONSE)
    after = _streams.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)


@sqlite
async def test_a_document_that_does_not_parse_is_a_json_request_error(
    cached: Gateway, world: World
) -> None:
    query = "subscription { dashboard("
    status, headers, body = await post(cached, world.keys["acme_sales"], query, URQL_QUERY)
    assert (status, headers["content-type"]) == (400, GRAPHQL_RESPONSE)
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def tokens(document: str) -> int:
    """The fewest max_tokens that parse `document`."""
    return next(n for n in range(1, 1000) if _parses(document, n))


def _parses(document: str, max_tokens: int) -> bool:
    try:
        parse(document, max_tokens=max_tokens)
    except GraphQLSyntaxError:
        return False
    return True


@sqlite
async def test_a_subscription_at_the_token_limit_streams_and_past_it_is_refused_as_json(
    world: World,
) -> None:
    limit = tokens(SUBSCRIPTION)
    settings = Settings(
        store_url=world.store.url, demo=False, rate_limit=0, max_tokens=limit, cache_ttl_seconds=30
    )
    async for limited in serve(create_app(settings, clock=fixed_clock)):
        key = world.keys["acme_sales"]
        status, headers, first = await post(limited, key, SUBSCRIPTION, URQL_QUERY)
        assert (status, headers["content-type"]) == (200, "text/event-stream"), first
        past = SUBSCRIPTION.replace("{ total }", "{ total total }")
        assert tokens(past) == limit + 1
        status, headers, body = await post(limited, key, past, URQL_QUERY)
        assert (status, headers["content-type"]) == (400, GRAPHQL_RESPONSE), body
        assert json.loads(body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_each_client_s_accept_gives_a_whole_answer_and_its_stream() -> None:
    graphql_response = Media(MediaType.GRAPHQL_RESPONSE)
    event_stream, multipart = Media(MediaType.EVENT_STREAM), Media(MediaType.MULTIPART)
    assert accepted(URQL_QUERY).whole == graphql_response
    assert accepted(URQL_QUERY).stream == event_stream
    assert accepted(URQL_SUBSCRIPTION).first == event_stream  # only a stream: a stream
    assert accepted(APOLLO_QUERY).first == graphql_response
    assert accepted(APOLLO_SUBSCRIPTION).stream == multipart
    assert accepted(APOLLO_DEFER).stream == Media(MediaType.MULTIPART_INCREMENTAL)
    assert accepted(APOLLO_DEFER).first == graphql_response  # parts only when asked for
    assert accepted("text/event-stream, application/json;q=0").whole is None


def test_what_streams_beside_json_is_a_subscription() -> None:
    assert streams(parse(SUBSCRIPTION), None)
    assert not streams(parse(QUERY), None)
    two = "query Q { viewer { tenantId } } subscription S { dashboard { totals { total } } }"
    assert streams(parse(two), "S") and not streams(parse(two), "Q")
    assert not streams(parse(two), None)  # which one is unclear: a whole answer, with the error
    deferred = "{ viewer { tenantId ... @defer { scopes } } }"
    assert not streams(parse(deferred), None)  # in parts only if asked: choose_delivery
    # The test on the text never misses a subscription.
    for text in (SUBSCRIPTION, two):
        assert may_stream(text)
    assert not may_stream(QUERY) and not may_stream(deferred)


@pytest.fixture(scope="session")
def clients() -> Path:
    installed(CLIENTS, "urql and Apollo Client")
    return CLIENTS


async def run_clients(gateway: Gateway, key: str) -> dict[str, dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        "node",
        "clients.mjs",
        gateway.url,
        key,
        QUERY,
        SUBSCRIPTION,
        cwd=CLIENTS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    return {line["client"]: line for line in lines}


@sqlite
async def test_urql_and_apollo_client_get_json_for_a_query_and_a_stream_for_a_subscription(
    clients: Path, cached: Gateway, world: World
) -> None:
    ran = await run_clients(cached, world.keys["acme_sales"])
    urql, apollo = ran["urql"], ran["apollo"]
    for client in (urql, apollo):
        assert client["error"] is None and client["escaped"] == [], client
        assert len(client["data"]["dashboard"]["series"]) == 90
    # urql's two requests: its default Accept, answered as JSON, compressed and tagged, then
    # the same answer again from the gateway's response cache.
    assert [e["accept"] for e in urql["exchanges"]] == [URQL_QUERY, URQL_QUERY]
    first, again = (e["headers"] for e in urql["exchanges"])
    assert first["content-type"].startswith(GRAPHQL_RESPONSE), first
    assert first["content-encoding"] in ("br", "gzip") and first["etag"], first
    assert (first["x-cache"], again["x-cache"], again["etag"]) == ("miss", "hit", first["etag"])
    assert urql["againSame"]
    [answer] = apollo["exchanges"]
    assert answer["accept"] == APOLLO_QUERY
    assert answer["headers"]["content-type"].startswith(GRAPHQL_RESPONSE)
    # Their subscriptions stream: urql's (fetchSubscriptions) as server-sent events, Apollo
    # Client's as multipart; each resolves its first answer, and the client ends it.
    for name, accept, media in (
        ("urqlSubscription", URQL_SUBSCRIPTION, "text/event-stream"),
        ("apolloSubscription", APOLLO_SUBSCRIPTION, "multipart/mixed"),
    ):
        client = ran[name]
        assert client["error"] is None, client
        assert client["data"]["dashboard"]["totals"]["total"] == 0, client
        [answer] = client["exchanges"]
        assert answer["accept"] == accept
        assert answer["headers"]["content-type"].startswith(media), answer
