"""Upstream faults: each maps to its code with source and upstream status, leaves the other
fields of the query intact, and costs bounded time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from prometheus_client import REGISTRY as REGISTRY_METRICS

from gateway.http.appkeys import CONFIGURATION
from gateway.testing.fakes import FAKE_KEYS, Fault
from tests.support.gateway import Answer, Gateway, World
from tests.support.platforms import Platforms

QUERY = """{ viewer { tenantId } sms { overview { messages { total } } }
  email { overall(pastDays: 7) { sent } } }"""


async def ask(upstream: Gateway, world: World) -> tuple[Answer, float]:
    started = time.monotonic()
    answer = await upstream.query(world.keys["acme_tenant"], QUERY)
    return answer, time.monotonic() - started


async def get_json(gateway: Gateway, path: str) -> Any:
    async with gateway.session.get(gateway.server.make_url(path)) as response:
        return await response.json()


def only_error(answer: Answer) -> dict[str, Any]:
    [error] = answer.body["errors"]
    assert error["path"] == ["sms", "overview"]
    return dict(error["extensions"])


async def test_5xx_then_success_is_retried(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    platforms.states["ms"].faults.extend([Fault(status=503), Fault(status=502)])
    answer, _ = await ask(upstream, world)
    assert "errors" not in answer.body
    assert answer.data["sms"]["overview"]["messages"]["total"] == 48500
    assert len(platforms.states["ms"].calls) == 3


async def test_429_retry_after_is_honoured_when_it_fits(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    platforms.states["ms"].faults.append(Fault(status=429, retry_after=0.3))
    answer, took = await ask(upstream, world)
    assert "errors" not in answer.body and took >= 0.3


async def test_429_beyond_the_deadline_is_rate_limited_at_once(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    platforms.states["ms"].faults.append(
        Fault(status=429, retry_after=120, error="Too many requests")
    )
    answer, took = await ask(upstream, world)
    assert took < 1.0
    extensions = only_error(answer)
    assert extensions == {
        "code": "RATE_LIMITED",
        "retryAfter": 120.0,
        "source": "ms",
        "upstreamStatus": 429,
    }
    assert answer.data["viewer"] == {"tenantId": "acme"}
    assert answer.data["email"]["overall"]["sent"] > 0
    assert len(platforms.states["ms"].calls) == 1


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        (Fault(status=500), "UPSTREAM_ERROR", 500),
        (Fault(malformed=True), "UPSTREAM_ERROR", 200),
        (Fault(drop=True), "UPSTREAM_ERROR", None),
        (Fault(delay=5.0), "UPSTREAM_TIMEOUT", None),
    ],
)
async def test_persistent_faults_map_to_codes_within_bounded_time(
    upstream: Gateway,
    world: World,
    platforms: Platforms,
    fault: Fault,
    code: str,
    status: int | None,
) -> None:
    platforms.states["ms"].outage = fault
    answer, took = await ask(upstream, world)
    extensions = only_error(answer)
    assert (extensions["code"], extensions["source"], extensions["upstreamStatus"]) == (
        code,
        "ms",
        status,
    )
    assert answer.data["viewer"] == {"tenantId": "acme"}
    assert answer.data["email"]["overall"]["sent"] > 0
    # Within the 3 s request deadline, whatever the upstream does.
    assert took < 3.5


@pytest.mark.parametrize(
    ("status", "body_code", "code"),
    [
        (400, None, "BAD_USER_INPUT"),
        (401, None, "UPSTREAM_ERROR"),
        (402, None, "PAYMENT_REQUIRED"),
        (403, None, "FORBIDDEN"),
        (403, "TENANT_SCOPE_NOT_ALLOWED", "TENANT_SCOPE_NOT_ALLOWED"),
        (404, None, "NOT_FOUND"),
        (409, None, "NUMBER_NOT_LINKED"),
    ],
)
async def test_documented_error_statuses_map_to_codes(
    upstream: Gateway,
    world: World,
    platforms: Platforms,
    status: int,
    body_code: str | None,
    code: str,
) -> None:
    platforms.states["ms"].faults.append(Fault(status=status, code=body_code, error="Nope"))
    answer, _ = await ask(upstream, world)
    extensions = only_error(answer)
    assert (extensions["code"], extensions["upstreamStatus"]) == (code, status)
    assert answer.body["errors"][0]["message"] == "ms: Nope"
    assert len(platforms.states["ms"].calls) == 1  # 4xx answers are final


async def test_pilot_status_scope_errors(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    platforms.states["ps"].keys[FAKE_KEYS["ps"]] = "unlinked"
    query = "{ numbers { phoneNumber dashboard(period: DAYS_7) { totals { total } } } }"
    answer = await upstream.query(world.keys["acme_tenant"], query)
    assert answer.codes == ["NUMBER_NOT_LINKED"]
    platforms.states["ps"].keys[FAKE_KEYS["ps"]] = "tenant"
    answer = await upstream.query(world.keys["acme_tenant"], query)
    assert answer.codes == ["TENANT_SCOPE_NOT_ALLOWED"]
    # The native numbers' dashboards are there all the same.
    assert sum(n["dashboard"] is not None for n in answer.data["numbers"]) == 2


async def test_the_circuit_opens_and_closes_again(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    state = platforms.states["ms"]
    state.outage = Fault(status=503)
    # Each request makes one call (3 tries): the breaker counts calls, so the 4th opens it, and
    # each of them still sees the upstream's own answer.
    failed = [await ask(upstream, world) for _ in range(4)]
    assert [only_error(answer)["code"] for answer, _ in failed] == ["UPSTREAM_ERROR"] * 4
    assert len(state.calls) == 12
    third, took = await ask(upstream, world)
    assert only_error(third)["code"] == "UPSTREAM_UNAVAILABLE"
    assert len(state.calls) == 12 and took < 0.5  # refused without calling
    app = upstream.server.app
    assert app is not None
    client = app[CONFIGURATION].in_use.registry.get("ms").client  # type: ignore[attr-defined]
    assert client.breaker.state == "open"
    # /healthz and /metrics say so: the gateway is degraded, not down.
    health = await get_json(upstream, "/healthz")
    assert health["status"] == "degraded" and health["store"] == "ok"
    assert health["sources"]["ms"] == {
        "platform": "messagesender",
        "circuit": "open",
        "lastCall": "503",
    }
    # The native source has no breaker: its entry says only whether the store answers.
    assert health["sources"]["native"] == {"platform": "native", "lastCall": "ok"}
    assert REGISTRY_METRICS.get_sample_value("gateway_upstream_circuit_open", {"source": "ms"}) == 1
    failures = {"source": "ms", "status": "503"}
    assert (REGISTRY_METRICS.get_sample_value("gateway_upstream_calls_total", failures) or 0) >= 4
    state.outage = None
    await asyncio.sleep(0.5)
    healed, _ = await ask(upstream, world)
    assert "errors" not in healed.body and client.breaker.state == "closed"
    assert (await get_json(upstream, "/healthz"))["status"] == "ok"
    assert REGISTRY_METRICS.get_sample_value("gateway_upstream_circuit_open", {"source": "ms"}) == 0


async def test_sessions_close_with_the_app(world: World, upstream: Gateway) -> None:
    app = upstream.server.app
    assert app is not None
    clients = [app[CONFIGURATION].in_use.registry.get(name).client for name in ("ps", "ms", "er")]  # type: ignore[attr-defined]
    await upstream.server.close()
    assert all(client.session.closed for client in clients)
