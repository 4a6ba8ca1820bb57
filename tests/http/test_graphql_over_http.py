"""GraphQL over HTTP: graphql-http's own server audits pass against a live gateway, and the
answer's media type is negotiated (application/graphql-response+json, application/json, 406),
with the spec's status codes for request errors, through the response cache too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from tests.interop import install, node
from tests.support.gateway import Gateway, World, fixed_clock, serve

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture(scope="session")
def interop() -> Path:
    return install()


@pytest.fixture
async def cached(world: World) -> AsyncIterator[Gateway]:
    """A gateway with its response cache on, as it runs by default."""
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=30, rate_limit=0)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def test_the_graphql_over_http_audits_pass(
    interop: Path, cached: Gateway, world: World
) -> None:
    code, out, err = await node("audit.mjs", cached.url, world.keys["acme_tenant"])
    assert code == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    failed = [r for r in results if r["status"] != "ok"]
    assert failed == [], failed
    levels = {
        level: sum(r["name"].startswith(level) for r in results)
        for level in ("MUST", "SHOULD", "MAY")
    }
    # 61 audits in graphql-http 1.23.1; a new version's new audits show up here.
    assert levels == {"MUST": 13, "SHOULD": 23, "MAY": 25}, levels


async def post(
    gateway: Gateway, key: str, body: dict[str, Any], accept: str | None
) -> tuple[int, str, dict[str, Any], dict[str, str]]:
    headers = {"x-api-key": key, "content-type": "application/json"}
    if accept is not None:
        headers["accept"] = accept
    async with gateway.session.post(gateway.url, json=body, headers=headers) as response:
        answer = await response.json(content_type=None)
        return response.status, response.content_type, answer, dict(response.headers)


@pytest.mark.parametrize(
    ("accept", "status", "media"),
    [
        (GRAPHQL_RESPONSE, 200, GRAPHQL_RESPONSE),
        ("application/json", 200, "application/json"),
        (None, 200, "application/json"),
        ("*/*", 200, "application/json"),
        # Accepted with equal q, the newer type is preferred; a higher q decides otherwise.
        (f"application/json, {GRAPHQL_RESPONSE}", 200, GRAPHQL_RESPONSE),
        (f"application/json;q=1, {GRAPHQL_RESPONSE};q=0.5", 200, "application/json"),
        (f"{GRAPHQL_RESPONSE};charset=utf-8", 200, GRAPHQL_RESPONSE),
        ("text/html, application/xhtml+xml, */*;q=0.8", 200, "application/json"),
        # Apollo Client's Accept for queries: no incremental delivery here, so JSON.
        ("multipart/mixed;deferSpec=20220824, application/json", 200, "application/json"),
        ("text/plain", 406, "application/json"),
        (f"{GRAPHQL_RESPONSE};charset=latin1", 406, "application/json"),
        ("application/json;q=0", 406, "application/json"),
    ],
)
async def test_the_answer_is_in_the_media_type_the_client_accepts(
    gateway: Gateway, world: World, accept: str | None, status: int, media: str
) -> None:
    query = {"query": "{ viewer { tenantId } }"}
    got, content_type, body, _ = await post(gateway, world.keys["acme_tenant"], query, accept)
    assert (got, content_type) == (status, media), body
    if status == 406:
        assert "data" not in body and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert GRAPHQL_RESPONSE in body["errors"][0]["message"]
    else:
        assert body == {"data": {"viewer": {"tenantId": "acme"}}}


@pytest.mark.parametrize(
    ("accept", "status"),
    [(GRAPHQL_RESPONSE, 400), ("application/json", 200), (None, 400), ("*/*", 400)],
)
@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ viewer { "},  # does not parse
        {"query": "{ viewer { noSuchField } }"},  # does not validate
        {"query": "query ($d: Int!) { campaigns(first: $d) { totalCount } }"},  # no $d
    ],
)
async def test_request_errors_have_no_data_and_the_spec_s_status(
    gateway: Gateway, world: World, accept: str | None, status: int, body: dict[str, Any]
) -> None:
    """400 in application/graphql-response+json; 200 for a client that named application/json,
    as the spec says; 400 still for clients that named no type (the gateway's status code from
    before it negotiated, which they may rely on)."""
    got, _, answer, _ = await post(gateway, world.keys["acme_tenant"], body, accept)
    assert got == status, answer
    assert "data" not in answer and answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_kept_answer_is_kept_per_media_type(cached: Gateway, world: World) -> None:
    key, query = world.keys["acme_tenant"], {"query": "{ viewer { tenantId } }"}
    first = await post(cached, key, query, "application/json")
    again = await post(cached, key, query, "application/json")
    assert (first[1], first[3]["x-cache"], again[3]["x-cache"]) == (
        "application/json",
        "miss",
        "hit",
    )
    newer = await post(cached, key, query, GRAPHQL_RESPONSE)
    assert (newer[1], newer[3]["x-cache"]) == (GRAPHQL_RESPONSE, "miss")
    newer_again = await post(cached, key, query, GRAPHQL_RESPONSE)
    assert (newer_again[1], newer_again[3]["x-cache"]) == (GRAPHQL_RESPONSE, "hit")
    assert newer_again[2] == first[2] == {"data": {"viewer": {"tenantId": "acme"}}}


async def test_a_refusal_is_in_the_negotiated_type_without_data(
    gateway: Gateway, world: World
) -> None:
    status, media, body, _ = await post(
        gateway, "agk_unknown", {"query": "{ viewer { tenantId } }"}, GRAPHQL_RESPONSE
    )
    assert (status, media) == (401, GRAPHQL_RESPONSE)
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("accept", [None, "application/json", GRAPHQL_RESPONSE])
async def test_a_subscription_over_plain_http_is_a_typed_error_never_kept(
    cached: Gateway, world: World, accept: str | None
) -> None:
    query = {"query": "subscription { dashboard(period: DAYS_7) { totals { total } } }"}
    for _ in range(2):
        status, _, body, headers = await post(cached, world.keys["acme_sales"], query, accept)
        assert status == 400 and "data" not in body, body
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "text/event-stream" in error["message"]
        assert headers.get("x-cache") != "hit"
