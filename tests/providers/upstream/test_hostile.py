"""Broken or hostile upstream answers: each is a typed UPSTREAM_ERROR (or the documented code)
with its source, in bounded time, and never takes the rest of the answer down."""

from __future__ import annotations

import time
from email.utils import format_datetime
from typing import Any

import orjson
import pytest

from gateway.testing import fakes
from gateway.testing.fakes import FAKE_KEYS, Fault
from tests.support.gateway import NOW, Answer, Gateway, World
from tests.support.platforms import Platforms

OVERVIEW = "{ viewer { tenantId } sms { overview { messages { total } contacts { total } } } }"
DASHBOARD = "{ numbers { phoneNumber dashboard(period: DAYS_7) { totals { total sent } } } }"


def error_of(answer: Answer, path: list[str | int]) -> dict[str, Any]:
    [error] = [e for e in answer.body["errors"] if e["path"] == path]
    return {"message": error["message"], **error["extensions"]}


async def test_an_answer_past_the_cap_is_refused_while_it_streams(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    state = platforms.states["ms"]
    state.faults.append(Fault(stream=200 * 2**20))
    started = time.monotonic()
    answer = await upstream.query(world.keys["acme_tenant"], OVERVIEW)
    error = error_of(answer, ["sms", "overview"])
    assert (error["code"], error["source"], error["upstreamStatus"]) == (
        "UPSTREAM_ERROR",
        "ms",
        200,
    )
    assert "256 KiB limit" in error["message"]
    # Reading stopped near the cap: the rest was never sent, let alone parsed.
    assert state.streamed < 8 * 2**20 and time.monotonic() - started < 2
    assert answer.data["viewer"] == {"tenantId": "acme"}


async def test_a_declared_length_past_the_cap_is_refused_unread(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    platforms.states["ms"].faults.append(Fault(body=b" " * (300 * 1024)))
    answer = await upstream.query(world.keys["acme_tenant"], OVERVIEW)
    assert "256 KiB limit" in error_of(answer, ["sms", "overview"])["message"]


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        (Fault(body=b"[" * 100_000 + b"]" * 100_000), "UPSTREAM_ERROR", 200),
        (Fault(body=b'{"messages": ' + b"[" * 1000 + b"]" * 1000 + b"}"), "UPSTREAM_ERROR", 200),
        (
            Fault(status=400, body=b'{"error": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
            "BAD_USER_INPUT",
            400,
        ),
        (
            Fault(status=500, body=b'{"error": ' + b"[" * 1000 + b"]" * 1000 + b"}"),
            "UPSTREAM_ERROR",
            500,
        ),
    ],
)
async def test_deeply_nested_json_is_the_upstreams_error(
    upstream: Gateway, world: World, platforms: Platforms, fault: Fault, code: str, status: int
) -> None:
    platforms.states["ms"].outage = fault
    answer = await upstream.query(world.keys["acme_tenant"], OVERVIEW)
    error = error_of(answer, ["sms", "overview"])
    assert (error["code"], error["source"], error["upstreamStatus"]) == (code, "ms", status)
    assert answer.data["viewer"] == {"tenantId": "acme"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"campaigns": {}, "messages": {}, "contacts": {}},
        {"messages": {"total": 1, "sent": 1, "delivered": 1}},
    ],
)
async def test_an_overview_missing_documented_keys_is_not_zeros(
    upstream: Gateway, world: World, platforms: Platforms, body: dict[str, Any]
) -> None:
    platforms.states["ms"].faults.append(Fault(body=orjson.dumps(body)))
    answer = await upstream.query(world.keys["acme_tenant"], OVERVIEW)
    error = error_of(answer, ["sms", "overview"])
    assert (error["code"], error["source"]) == ("UPSTREAM_ERROR", "ms")
    assert "unexpected shape" in error["message"]
    assert answer.data["sms"] is None or answer.data["sms"]["overview"] is None


def _dashboard(sent: int, failed: int) -> bytes:
    counts = {"sent": sent, "delivered": 0, "read": 0, "failed": failed}
    return orjson.dumps({"period": "7d", "totals": counts, "series": []})


@pytest.mark.parametrize(
    "body", [_dashboard(3_000_000_000, 0), _dashboard(2_000_000_000, 2_000_000_000)]
)
async def test_counts_beyond_int_are_the_upstreams_error_with_its_source(
    upstream: Gateway, world: World, platforms: Platforms, body: bytes
) -> None:
    platforms.states["ps"].faults.append(Fault(body=body))
    answer = await upstream.query(world.keys["acme_tenant"], DASHBOARD)
    numbers = answer.data["numbers"]
    index = [n["phoneNumber"] for n in numbers].index("+5511955550199")
    error = error_of(answer, ["numbers", index, "dashboard"])
    assert (error["code"], error["source"], error["upstreamStatus"]) == (
        "UPSTREAM_ERROR",
        "ps",
        200,
    )
    assert "Int" in error["message"]
    assert sum(n["dashboard"] is not None for n in numbers) == 2  # the native ones


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1e309", 3600.0),
        ("86400", 3600.0),
        ("soon", 1.0),
        ("nan", 1.0),
        ("-5", 1.0),
        (None, 1.0),
        ("120", 120.0),
    ],
)
async def test_retry_after_is_always_a_sensible_number(
    upstream: Gateway, world: World, platforms: Platforms, header: str | None, expected: float
) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    platforms.states["ms"].outage = Fault(status=429, error="Too many requests", headers=headers)
    answer = await upstream.query(world.keys["acme_tenant"], OVERVIEW)
    error = error_of(answer, ["sms", "overview"])
    assert (error["code"], error["retryAfter"]) == ("RATE_LIMITED", expected)


async def test_retry_after_as_an_http_date(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    later = format_datetime(NOW.replace(year=2099), usegmt=True)
    platforms.states["ms"].outage = Fault(status=429, headers={"Retry-After": later})
    answer = await upstream.query(world.keys["acme_tenant"], OVERVIEW)
    assert error_of(answer, ["sms", "overview"])["retryAfter"] == 3600.0


async def test_an_upstreams_error_detail_reaches_the_message_bounded_and_without_the_key(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    problem = {
        "type": "https://example.com/problems/invalid",
        "title": "Invalid request",
        "status": 422,
        "detail": f"the key {FAKE_KEYS['ms']} may not ask for this\n" + "x" * 5000,
        "validation": [{"message": "startDate must be a date"}, {"nested": [[[1]]]}],
    }
    platforms.states["ms"].faults.append(
        Fault(status=422, body=orjson.dumps(problem), content_type="application/problem+json")
    )
    answer = await upstream.query(world.keys["acme_tenant"], OVERVIEW)
    error = error_of(answer, ["sms", "overview"])
    assert (error["code"], error["upstreamStatus"]) == ("UPSTREAM_ERROR", 422)
    message = error["message"]
    assert message.startswith("ms: Invalid request; the key [redacted] may not ask for this x")
    assert FAKE_KEYS["ms"] not in str(answer.body) and "\n" not in message
    assert len(message) <= 320


async def test_an_upstream_script_link_is_never_served(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    portals = {
        "customer_portal": "javascript:alert(document.domain)//",
        "subscription_management": "https://billing.example/manage",
    }
    billing = {**fakes.BILLING, "portal_urls": portals}
    platforms.states["ms"].faults.append(Fault(body=orjson.dumps(billing)))
    answer = await upstream.query(
        world.keys["acme_tenant"],
        "{ billing { customerPortalUrl subscriptionManagementUrl billingStatus } }",
    )
    assert answer.data["billing"] == {
        "customerPortalUrl": None,
        "subscriptionManagementUrl": "https://billing.example/manage",
        "billingStatus": "active",
    }
