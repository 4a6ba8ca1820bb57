"""Cache hints (@cacheControl on types and fields): an answer's Cache-Control max-age is the
shortest hint of the fields it holds, within what its sources allow, and always private."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.schema import build_schema
from tests.support.gateway import World
from tests.support.parts import Upstreams, upstreams

OVERVIEW = 'sms { overview(startDate: "2025-03-25", endDate: "2025-04-24") { deliveryRate } }'


@pytest.fixture
async def cached(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Upstreams]:
    # The response cache on (30 s), and every source's answers fresh for 30 s (the default).
    async for running in upstreams(world, tmp_path, monkeypatch, cache_ttl_seconds=30):
        yield running


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("query", "control"),
    [
        ("{ " + OVERVIEW + " }", "private, max-age=30"),  # no hint: the source's 30 s
        ("{ billing { brand } }", "private, max-age=30"),  # BillingStatus's 60 s: longer
        ("{ billing { brand credits { available } } }", "private, max-age=10"),  # the field's
        ("{ creditBalance { balance } }", "private, max-age=10"),  # CreditBalance's
        ("{ " + OVERVIEW + " creditBalance { balance } }", "private, max-age=10"),  # the shortest
        (
            "{ b: billing { ...c } } fragment c on BillingStatus { credits { total } }",
            "private, max-age=10",
        ),
        ("{ viewer { tenantId } }", "private, no-cache"),  # native: revalidated, as before
    ],
)
async def test_cache_control_is_the_shortest_hint_of_the_fields_held(
    cached: Upstreams, world: World, query: str, control: str
) -> None:
    answer = await cached.gateway.query(world.keys["acme_tenant"], query)
    assert answer.codes == []
    assert answer.headers["cache-control"] == control


def test_the_hints_are_in_the_schema_as_apollo_writes_them() -> None:
    sdl = build_schema().as_str()
    assert (
        "directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean)"
        " on OBJECT | FIELD_DEFINITION | INTERFACE | UNION"
    ) in sdl
    assert "type CreditBalance @cacheControl(maxAge: 10) {" in sdl
    assert "credits: CreditsType! @cacheControl(maxAge: 10)" in sdl
