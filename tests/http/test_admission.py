"""What a request without a valid key can make the gateway do: little, at a bounded rate, in
linear time. Each test here is one way of trying for more, as an attacker would."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import get_introspection_query

from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind, default_scopes
from gateway.http.app import create_app, metrics_app
from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.observability.metrics import MAX_OPERATION_NAMES
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSources
from tests.adversarial.attacks import fragment_bomb, heavy_batch, introspection_amplified
from tests.support.gateway import Answer, Gateway, World, fixed_clock, serve

INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)


def guarded(world: World, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "store_url": world.store.url,
        "demo": False,
        "cache_ttl_seconds": 0,
        "rate_limit": 0,
        "anonymous_rate_limit": 1,
        "anonymous_rate_limit_burst": 4,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
async def door(world: World) -> AsyncIterator[Gateway]:
    async for running in serve(create_app(guarded(world), clock=fixed_clock)):
        yield running


async def raw(gateway: Gateway, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    sent = {"content-type": "application/json", **(headers or {})}
    async with gateway.session.post(gateway.url, data=body, headers=sent) as response:
        return Answer(response.status, await response.json(), response.headers)  # type: ignore[arg-type]


async def test_requests_without_a_valid_key_have_a_rate_per_address(
    door: Gateway, world: World
) -> None:
    schema = "{ __schema { queryType { name } } }"
    known = world.keys["acme_tenant"]
    assert (await door.query(known, "{ viewer { tenantId } }")).status == 200
    # The burst of four, spent by introspection and by unknown keys alike.
    assert (await door.query(None, schema)).status == 200
    assert (await door.query("agk_made-up", schema)).status == 401
    assert (await door.query("agk_made-up-too", "{ viewer { tenantId } }")).status == 401
    assert (await door.query(None, "{ viewer { tenantId } }")).status == 401
    refused = await door.query(None, schema)
    assert refused.status == 429 and refused.codes == ["RATE_LIMITED"]
    assert refused.headers["retry-after"] == "1"
    # No key is looked up now, not even a good one; a key this process knows is served as ever.
    assert (await door.query("agk_another", schema)).status == 429
    assert (await door.query(world.keys["acme_sales"], schema)).status == 429
    assert (await door.query(known, "{ viewer { tenantId } }")).status == 200


async def test_a_valid_key_spends_nothing_of_its_address_rate(door: Gateway, world: World) -> None:
    for key in world.keys.values():
        assert (await door.query(key, "{ __typename }")).status == 200
    for _ in range(4):
        assert (await door.query(None, "{ __typename }")).status == 200


async def test_the_address_rate_holds_across_replicas(world: World, redis_url: str) -> None:
    settings = guarded(world, redis_url=redis_url)
    async for a in serve(create_app(settings, clock=fixed_clock)):
        async for b in serve(create_app(settings, clock=fixed_clock)):
            statuses = [(await g.query(None, "{ __typename }")).status for g in (a, b, a, b, a)]
            assert statuses == [200, 200, 200, 200, 429]


async def test_introspection_counts_toward_cost_and_depth(door: Gateway) -> None:
    # GraphiQL's own schema query goes, without a key, within the default limits.
    full = await door.query(None, INTROSPECTION)
    assert full.status == 200 and full.data["__schema"]["queryType"]["name"] == "Query"
    # Five of them under aliases cost too much; fifty are too many fields even to estimate.
    for aliases, limit in ((5, "maxCost"), (50, "maxFields")):
        answer = await door.query(None, introspection_amplified(aliases))
        assert answer.status == 400 and answer.data is None
        assert answer.body["errors"][0]["extensions"]["limit"] == limit
    deep = "{ __schema { types { fields { type { " + "ofType { " * 12 + "name" + " }" * 16 + " }"
    answer = await door.query(None, deep)
    assert answer.status == 400 and answer.body["errors"][0]["extensions"]["limit"] == "maxDepth"


async def test_doubling_fragments_are_refused_in_linear_time(door: Gateway, world: World) -> None:
    started = time.perf_counter()
    for key in (None, world.keys["acme_tenant"]):
        answer = await door.query(key, fragment_bomb(18))
        assert answer.status == 400 and answer.codes == ["BAD_USER_INPUT"]
        assert answer.body["errors"][0]["extensions"]["limit"] == "maxFields"
    # Walking its 2^18 paths took 10 s on a quiet machine; measuring it once per fragment takes
    # milliseconds. The bound leaves room for a busy machine, not for the walk.
    assert time.perf_counter() - started < 5.0


async def test_a_long_document_without_a_key_is_read_only_to_its_limits(
    door: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Introspection needs a few hundred tokens; a document without a key is parsed within
    those limits, so that 240 KB of tokens (or of a comment) is refused before it is lexed."""
    from graphql import parse

    seen: list[tuple[int | None, int | None]] = []

    def observed(text: str, **options: Any) -> Any:
        seen.append((options.get("max_tokens"), options.get("max_source_length")))
        return parse(text, **options)

    monkeypatch.setattr("gateway.schema.documents.parse", observed)
    settings = Settings()
    limits = (settings.anonymous_max_tokens, settings.anonymous_max_document_kib * 1024)
    for document in ("{ " + "a " * 120_000 + "}", "{ a #" + "x" * 240_000 + "\n }"):
        answer = await door.query(None, document)
        assert answer.status == 401 and answer.codes == ["UNAUTHENTICATED"]
    # A short document is parsed within the token limit for callers without a key.
    assert (await door.query(None, "{ __schema { " + "a " * 2000 + "} }")).status == 401
    assert seen == [limits] * 3


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
        b'[{"query": "{ __typename }", "variables": ' + b"[" * 5_000 + b"]" * 5_000 + b"}]",
    ],
    ids=["query", "batch", "variables"],
)
async def test_deeply_nested_json_is_a_cheap_400(
    door: Gateway, world: World, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    for headers in ({}, {"x-api-key": world.keys["acme_tenant"]}):
        answer = await raw(door, body, headers)
        assert answer.status == 400 and answer.codes == ["BAD_USER_INPUT"], answer.body
    assert "Traceback" not in caplog.text


async def test_deeply_nested_json_in_a_get_is_a_400(door: Gateway, world: World) -> None:
    params = {"query": "{ __typename }", "variables": "[" * 1100 + "]" * 1100}
    headers = {"x-api-key": world.keys["acme_tenant"]}
    async with door.session.get(door.url, params=params, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_signed_webhook_nested_too_deep_is_a_400_in_its_own_shape(
    door: Gateway, world: World
) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    body = b"[" * 100_000 + b"]" * 100_000
    url = str(door.server.make_url(f"/webhooks/{source.name}"))
    headers = {SIGNATURE_HEADER: sign(source.secret, body), "content-type": "application/json"}
    async with door.session.post(url, data=body, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["code"] == "BAD_USER_INPUT"


async def test_bad_webhook_signatures_have_a_rate_per_address(door: Gateway, world: World) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    url = str(door.server.make_url(f"/webhooks/{source.name}"))
    statuses = []
    for _ in range(6):
        headers = {SIGNATURE_HEADER: "t=1,sha256=00", "content-type": "application/json"}
        async with door.session.post(url, data=b"[]", headers=headers) as response:
            statuses.append(response.status)
    assert statuses == [401] * 4 + [429] * 2


async def test_only_the_credential_that_authenticated_is_remembered(
    door: Gateway, world: World
) -> None:
    issued = await Tenancy(world.store).create_key(
        "acme", KeyKind.TENANT, default_scopes(KeyKind.TENANT)
    )
    for blank in ("\u00a0", "\u3000", "\u2028"):
        headers = {"x-api-key": blank, "x-api-key-id": issued.key_id}
        async with door.session.post(
            door.url, json={"query": "{ viewer { tenantId } }"}, headers=headers
        ) as response:
            assert response.status == 200
            assert (await response.json())["data"]["viewer"]["tenantId"] == "acme"
        async with door.session.post(
            door.url, json={"query": "{ viewer { tenantId } }"}, headers={"x-api-key": blank}
        ) as response:
            assert response.status == 401, blank


async def test_metrics_do_not_grow_with_what_clients_name(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The names seen are the process's: this test's own fill of them is undone after it.
    monkeypatch.setattr("gateway.observability.metrics._names", set())
    async for door in serve(create_app(guarded(world, metrics_public=True), clock=fixed_clock)):
        metrics = str(door.server.make_url("/metrics"))
        key = world.keys["acme_tenant"]
        for i in range(3):
            await door.query(None, f"query Invented{i} {{ __typename }}")
        for i in range(MAX_OPERATION_NAMES + 20):
            await door.query(key, f"query Named{i:04d} {{ __typename }}")
        async with door.session.get(metrics) as response:
            text = await response.text()
    assert "Invented" not in text and 'operation="unauthenticated"' in text
    names = {line.split('operation="')[1].split('"')[0] for line in text.splitlines()
             if line.startswith("gateway_graphql_operations_total{")}  # fmt: skip
    # (Other tests' operations are in the process's metrics too: only this test's are counted.)
    assert len({name for name in names if name.startswith("Named")}) <= MAX_OPERATION_NAMES
    assert 'operation="other"' in text


async def test_metrics_can_ask_for_a_token(world: World) -> None:
    """On the public port, where an operator keeps them, and on their own listener alike."""
    settings = guarded(world, metrics_token="s3cret", metrics_public=True)
    apps = (create_app(settings, clock=fixed_clock), metrics_app(settings))
    for app in apps:
        async for gateway in serve(app):
            metrics = str(gateway.server.make_url("/metrics"))
            async with gateway.session.get(metrics) as response:
                assert response.status == 401
            headers = {"authorization": "Bearer s3cret"}
            async with gateway.session.get(metrics, headers=headers) as response:
                assert response.status == 200 and "gateway_http_requests" in await response.text()


async def test_metrics_are_off_the_public_port_by_default(door: Gateway) -> None:
    async with door.session.get(door.server.make_url("/metrics")) as response:
        assert response.status == 404
        assert (await response.json())["code"] == "NOT_FOUND"


async def test_persisted_queries_are_registered_only_with_a_key(
    door: Gateway, world: World
) -> None:
    query = "query Kept { __typename }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    body = json.dumps({"query": query, "extensions": extensions}).encode()
    assert (await raw(door, body)).status == 200  # answered, as introspection, but not kept
    hash_only = json.dumps({"extensions": extensions}).encode()
    keyed = {"x-api-key": world.keys["acme_tenant"]}
    assert (await raw(door, hash_only, keyed)).codes == ["PERSISTED_QUERY_NOT_FOUND"]
    assert (await raw(door, body, keyed)).status == 200
    assert (await raw(door, hash_only, keyed)).body == {"data": {"__typename": "Query"}}


async def test_a_batch_shares_one_cost_limit(door: Gateway, world: World) -> None:
    """Each 366-day comparison is within the limit alone; ten of them at once are not."""
    batch = json.loads(heavy_batch(operations=10, aliases=1))
    answer = await raw(door, json.dumps(batch).encode(), {"x-api-key": world.keys["acme_tenant"]})
    assert answer.status == 200
    answers: Any = answer.body  # a batch answers a list
    outcomes = [bool(item.get("errors")) for item in answers]
    assert outcomes[0] is False and outcomes[-1] is True
    refused = answers[-1]["errors"][0]
    assert refused["extensions"]["limit"] == "maxCost"
    assert "other operations left" in refused["message"]


async def test_a_slow_body_is_a_408(world: World, tmp_path: Path) -> None:
    import asyncio

    settings = guarded(world, body_timeout_seconds=0.3)
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        host, port = gateway.server.host, gateway.server.port
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 5)
        assert b" 408 " in status
        writer.close()
