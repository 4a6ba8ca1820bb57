"""Upstream calls go through the request's DataLoaders: batched, concurrent, each GET once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from gateway.domain.campaigns import Campaign, CampaignRef
from gateway.errors import GatewayError
from gateway.platforms.builtin.emailreports.provider import EmailReportsProvider
from gateway.schema.ids import encode_id
from tests.support.gateway import Gateway, World
from tests.support.platforms import Platforms


def reports_query(ids: Sequence[str]) -> str:
    fields = " ".join(
        f'c{i}: campaign(id: "{encode_id("EmailCampaign", "er", cid)}") {{ name ... on '
        "EmailCampaign { report { performance { sent opens { unique } } } } }"
        for i, cid in enumerate(ids)
    )
    return f"{{ {fields} }}"


async def test_fifty_reports_make_fifty_concurrent_calls_in_one_batch(
    upstream: Gateway, world: World, platforms: Platforms, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    original = EmailReportsProvider.load_campaigns

    async def observed(
        self: EmailReportsProvider, refs: Sequence[CampaignRef]
    ) -> list[Campaign | GatewayError | None]:
        batches.append(len(refs))
        return await original(self, refs)

    monkeypatch.setattr(EmailReportsProvider, "load_campaigns", observed)
    platforms.states["er"].latency = 0.05
    ids = [f"em-{i:03d}" for i in range(50)]
    answer = await upstream.query(world.keys["acme_tenant"], reports_query(ids))
    assert "errors" not in answer.body
    assert answer.data["c7"]["name"] == "Newsletter 7"
    state = platforms.states["er"]
    # Campaign and report share one GET per campaign; all fifty were in flight together.
    assert len(state.calls) == 50 and batches == [50]
    assert state.max_in_flight == 50


async def test_identical_requests_in_one_query_are_made_once(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    answer = await upstream.query(world.keys["acme_tenant"], reports_query(["em-001"] * 5))
    assert "errors" not in answer.body
    paths = [path for path, _ in platforms.states["er"].calls]
    assert sorted(paths) == ["/api/reports/email/em-001"]
    both = await upstream.query(
        world.keys["acme_tenant"],
        "{ a: email { overall(pastDays: 7) "
        "{ sent } } b: email { overall(pastDays: 7) { delivered } } }",
    )
    assert "errors" not in both.body
    assert [p for p, _ in platforms.states["er"].calls].count("/api/reports/email/overall") == 1


async def test_a_repeat_inside_the_sources_ttl_makes_no_upstream_call(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    query = reports_query([f"em-{i:03d}" for i in range(50)])
    first = await upstream.query(world.keys["acme_tenant"], query)
    calls = len(platforms.states["er"].calls)
    again = await upstream.query(world.keys["acme_tenant"], query)
    assert again.headers["x-cache"] == "hit" and again.body == first.body
    assert len(platforms.states["er"].calls) == calls == 50
    await asyncio.sleep(1.05)  # the sources of these tests keep answers 1 s
    later = await upstream.query(world.keys["acme_tenant"], query)
    assert later.headers.get("x-cache") != "hit" and len(platforms.states["er"].calls) == 100
