"""The plugin written in docs/platforms.md works as it is written: its adapter answers through the
shared client, and its declaration refuses another timezone."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.domain.email import EmailCounts, PastDaysRequest
from gateway.errors import TimezoneNotSupported
from gateway.platforms import Platform
from gateway.testing.plugins import fake_upstream, platform_adapter, serving

PAGE = Path(__file__).parents[2] / "docs" / "platforms.md"


def example() -> Platform:
    [code] = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)
    namespace: dict[str, Any] = {"__name__": "gateway_example"}
    exec(compile(code, str(PAGE), "exec", dont_inherit=True), namespace)
    platform = namespace["PLATFORM"]
    assert isinstance(platform, Platform)
    return platform


async def stats(request: web.Request) -> web.Response:
    days = int(request.query["days"])
    return web.json_response({"sent": 10 * days, "opened": days, "ignored": True})


async def test_the_documented_plugin_answers_as_written() -> None:
    platform = example()
    app = fake_upstream([web.get("/stats", stats)], keys={"k": "acme"}, key_header="x-api-key")
    async with serving(app) as url, platform_adapter(platform, url, secret="k") as adapter:
        asked = [
            PastDaysRequest(
                source="src",
                tenant_id="acme",
                past_days=days,
                timezone=zone,
                today=date(2026, 11, 22),
            )
            for days, zone in ((7, "UTC"), (7, "Europe/Lisbon"))
        ]
        answered, refused = await adapter.load_email_overall(asked)
    assert answered == EmailCounts(sent=70, opened=7)
    assert isinstance(refused, TimezoneNotSupported)
    assert platform.source_model.model_validate(
        {"platform": "example", "base_url": "https://x.example"}
    ).auth() == ("x-api-key", "")
