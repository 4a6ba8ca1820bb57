"""The circuit breaker counts a source's failed calls, not their retries, so a client sees the
upstream's own error before the circuit opens; once the reset has passed, one request asking a
healed source twice gets both answers."""

from __future__ import annotations

import asyncio

from gateway.testing.fakes import Fault
from tests.support.gateway import Answer, Gateway, World
from tests.support.platforms import Platforms

# Two distinct MessageSender calls in one request.
TWO_CALLS = "{ sms { overview { messages { total } } } creditBalance { balance } }"


def codes(answer: Answer) -> list[tuple[str, int | None]]:
    return sorted(
        (e["extensions"]["code"], e["extensions"]["upstreamStatus"])
        for e in answer.body.get("errors", [])
    )


async def test_one_request_with_two_failing_calls_sees_the_upstreams_own_error(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    platforms.states["ms"].outage = Fault(status=500)
    answer = await upstream.query(world.keys["acme_tenant"], TWO_CALLS)
    # 2 calls of 3 tries each: 6 attempts, but 2 failures of the 4 that open the circuit.
    assert len(platforms.states["ms"].calls) == 6
    assert codes(answer) == [("UPSTREAM_ERROR", 500)] * 2
    assert all(e["message"] == "ms: Injected failure" for e in answer.body["errors"])


async def test_a_half_open_circuit_recovers_within_one_request(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    state = platforms.states["ms"]
    state.outage = Fault(status=503)
    for _ in range(2):  # 4 failed calls open it
        await upstream.query(world.keys["acme_tenant"], TWO_CALLS)
    refused = await upstream.query(world.keys["acme_tenant"], TWO_CALLS)
    assert codes(refused) == [("UPSTREAM_UNAVAILABLE", None)] * 2
    state.outage = None
    await asyncio.sleep(0.55)  # the tests' sources reset after 0.5 s
    healed = await upstream.query(world.keys["acme_tenant"], TWO_CALLS)
    assert "errors" not in healed.body, healed.body
    assert healed.data["creditBalance"] == {"balance": 24500}


async def test_a_failed_trial_refuses_the_calls_that_waited_for_it(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    state = platforms.states["ms"]
    state.outage = Fault(status=503)
    for _ in range(2):
        await upstream.query(world.keys["acme_tenant"], TWO_CALLS)
    await asyncio.sleep(0.55)
    calls = len(state.calls)
    still = await upstream.query(world.keys["acme_tenant"], TWO_CALLS)
    # The trial is one attempt; the other call waited for it and was refused.
    assert codes(still) == [("UPSTREAM_ERROR", 503), ("UPSTREAM_UNAVAILABLE", None)]
    assert len(state.calls) == calls + 1
