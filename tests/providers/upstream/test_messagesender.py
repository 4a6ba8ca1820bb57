"""MessageSender's startDate/endDate follow its document: ISO dates naming UTC days, left out
when the caller left the range to its defaults, instants only when the source says so; and
its export is asked for as CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.testing.fakes import sources_toml
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.platforms import FAST, Platforms

RANGE = 'overview(startDate: "2025-03-25", endDate: "2025-04-24") { messages { total } }'


def ranges(platforms: Platforms) -> list[dict[str, str]]:
    return [
        {k: v for k, v in query.items() if k in ("startDate", "endDate")}
        for _, query in platforms.states["ms"].calls
    ]


async def test_a_range_is_sent_as_iso_dates(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    answer = await upstream.query(world.keys["acme_tenant"], f"{{ sms {{ {RANGE} }} }}")
    assert "errors" not in answer.body, answer.body
    assert ranges(platforms) == [{"startDate": "2025-03-25", "endDate": "2025-04-24"}]


async def test_a_range_left_to_its_defaults_is_asked_without_dates(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    answer = await upstream.query(
        world.keys["acme_tenant"],
        """{ sms { overview { messages { total } } topCampaigns(limit: 2) { name }
        bestSendTimes { byHour { slot } }
        since: overview(startDate: "2026-11-01") { messages { total } } } }""",
    )
    assert "errors" not in answer.body, answer.body
    assert sorted(ranges(platforms), key=len) == [{}, {}, {}, {"startDate": "2026-11-01"}]


async def test_a_range_that_is_not_whole_utc_days_is_unsupported_by_the_source(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    answer = await upstream.query(
        world.keys["acme_tenant"],
        """{ sms { overview(startDate: "2026-11-01", timezone: "America/Sao_Paulo") {
          messages { total } } } }""",
    )
    [error] = answer.body["errors"]
    assert error["extensions"] == {"code": "UNSUPPORTED_BY_SOURCE", "source": "ms"}
    assert "2026-11-01T03:00:00Z" in error["message"]
    assert platforms.states["ms"].calls == []


@pytest.fixture
async def with_instants(
    world: World, platforms: Platforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    path = tmp_path / "sources.toml"
    path.write_text(
        sources_toml(
            platforms.ports, tenant="acme", options=FAST, ms_options='range_format = "instant"'
        )
    )
    for name in ("PS", "MS", "ER"):
        monkeypatch.setenv(f"FAKE_{name}_KEY", f"{name.lower()}_fake_key")
    monkeypatch.setenv("FAKE_PS_KEY", "ps_fake_number_key")
    platforms.states["ms"].keys = {"ms_fake_key": "acme"}
    settings = Settings(store_url=world.store.url, demo=False, sources_file=path)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def test_a_source_may_take_instants_and_a_refusal_says_why(
    with_instants: Gateway, world: World, platforms: Platforms
) -> None:
    query = f"{{ sms {{ {RANGE} }} }}"
    refused = await with_instants.query(world.keys["acme_tenant"], query)
    [error] = refused.body["errors"]
    assert error["extensions"] == {"code": "UPSTREAM_ERROR", "source": "ms", "upstreamStatus": 422}
    assert error["message"] == "ms: startDate must be an ISO 8601 date (YYYY-MM-DD)"
    platforms.states["ms"].instants = True
    answer = await with_instants.query(world.keys["acme_tenant"], query)
    assert "errors" not in answer.body, answer.body
    assert ranges(platforms)[-1] == {
        "startDate": "2025-03-25T00:00:00Z",
        "endDate": "2025-04-24T00:00:00Z",
    }


async def test_the_export_asks_for_csv(
    upstream: Gateway, world: World, platforms: Platforms
) -> None:
    answer = await upstream.query(
        world.keys["acme_tenant"], "{ sms { campaignExport { campaignName sent } } }"
    )
    assert "errors" not in answer.body, answer.body
    assert len(answer.data["sms"]["campaignExport"]) == 3
    assert platforms.states["ms"].accepts == ["text/csv, application/json;q=0.5"]
