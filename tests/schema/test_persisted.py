"""Automatic persisted queries (Apollo's protocol), GET for them, and HTTP caching headers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.view import _caching_headers
from gateway.providers.native.webhook_sources import WebhookSources
from tests.support.gateway import NOW, Gateway, World, fixed_clock, serve
from tests.support.webhooks import post

QUERY = "query Week { dashboard(period: DAYS_7) { totals { total } } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
PERSISTED = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}


@pytest.fixture
async def cached(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=30)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def send(gateway: Gateway, key: str, payload: dict[str, Any]) -> tuple[int, Any]:
    async with gateway.session.post(gateway.url, json=payload, headers={"x-api-key": key}) as r:
        return r.status, await r.json()


async def test_a_hash_is_unknown_until_the_query_comes_with_it(
    cached: Gateway, world: World
) -> None:
    key = world.keys["acme_sales"]
    status, body = await send(cached, key, {"extensions": PERSISTED})
    assert status == 200 and body["errors"][0]["message"] == "PersistedQueryNotFound"
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    status, registered = await send(cached, key, {"query": QUERY, "extensions": PERSISTED})
    assert status == 200 and registered["data"]["dashboard"]["totals"]["total"] == 0
    status, body = await send(cached, key, {"extensions": PERSISTED, "operationName": "Week"})
    assert (status, body) == (200, registered)


@pytest.mark.parametrize(
    ("extensions", "code"),
    [
        ({"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}, "BAD_USER_INPUT"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "nope"}}, "BAD_USER_INPUT"),
        ({"persistedQuery": {"version": 2, "sha256Hash": HASH}}, "PERSISTED_QUERY_NOT_SUPPORTED"),
    ],
)
async def test_a_wrong_hash_or_version_is_refused(
    cached: Gateway, world: World, extensions: dict[str, Any], code: str
) -> None:
    status, body = await send(
        cached, world.keys["acme_sales"], {"query": QUERY, "extensions": extensions}
    )
    assert status == 400 and body["errors"][0]["extensions"]["code"] == code


async def test_get_persisted_queries_carry_an_etag_and_revalidate_to_304(
    cached: Gateway, world: World
) -> None:
    key = world.keys["acme_sales"]
    await send(cached, key, {"query": QUERY, "extensions": PERSISTED})
    params = {"extensions": json.dumps(PERSISTED), "operationName": "Week"}
    headers = {"x-api-key": key}
    async with cached.session.get(cached.url, params=params, headers=headers) as response:
        assert response.status == 200
        assert (await response.json())["data"]["dashboard"]["totals"]["total"] == 0
        etag = response.headers["etag"]
        # Native answers change as soon as ingest moves the data: revalidate every time.
        assert response.headers["cache-control"] == "private, no-cache"
    revalidate = {**headers, "if-none-match": etag}
    async with cached.session.get(cached.url, params=params, headers=revalidate) as response:
        assert response.status == 304 and response.headers["etag"] == etag
        assert await response.read() == b""

    # New data: the same request is a new answer with a new ETag.
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    # Stamped on the app's clock: the week it answers for is the week before NOW.
    sent = NOW.isoformat()
    event = {"event": "message.sent", "messageId": "w1", "from": "+5511900000001"}
    status, _ = await post(cached, source, [{**event, "timestamp": sent}])
    assert status == 200
    async with cached.session.get(cached.url, params=params, headers=revalidate) as response:
        assert response.status == 200 and response.headers["etag"] != etag


async def test_answers_with_errors_are_not_to_be_stored(cached: Gateway, world: World) -> None:
    answer = await cached.query(
        world.keys["acme_sales"], '{ dashboard(timezone: "Mars/Base") { period } }'
    )
    assert answer.codes == ["BAD_USER_INPUT"]
    assert answer.headers["cache-control"] == "no-store" and "etag" not in answer.headers


def test_upstream_answers_may_be_kept_for_their_ttl() -> None:
    headers = _caching_headers(b"{}", 20.0, {"ms"})
    assert headers["cache-control"] == "private, max-age=20"
    assert _caching_headers(b"{}", 20.0, {"ms", "native"})["cache-control"] == "private, no-cache"
    assert headers["etag"] != _caching_headers(b"{ }", 20.0, {"ms"})["etag"]
