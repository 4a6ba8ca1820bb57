"""A platform's webhooks are its plugin's: its body shapes, the events its sources may send and
its own signature check; a source whose platform is not there refuses, typed, storing nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import main
from gateway.config.settings import Settings
from gateway.errors import PlatformUnavailable
from gateway.http.app import create_app
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSource, WebhookSources
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.plugins import broken_platform, hookmail_platform

SENT = {"id": "h-1", "campaign": "c-1", "to": "a@example.com", "at": "2026-11-20T10:00:00Z"}


@pytest.fixture
async def hooked(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    hookmail_platform(tmp_path / "site", monkeypatch)  # installed before the gateway starts
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=0, rate_limit=0)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def post(
    gateway: Gateway, source: WebhookSource, body: Any, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    async with gateway.session.post(
        gateway.server.make_url(f"/webhooks/{source.name}"),
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    ) as response:
        return response.status, await response.json()


async def test_a_plugins_webhooks_use_its_shapes_and_its_signature(
    hooked: Gateway, world: World
) -> None:
    source = await WebhookSources(world.store, ["hookmail"]).create("acme", "hookmail")
    token = {"x-hook-token": f"token {source.secret}"}
    assert await post(hooked, source, SENT, token) == (200, {"accepted": 1, "duplicates": 0})
    assert await applied(world) == 1
    status, body = await post(hooked, source, SENT, {"x-hook-token": "token wrong"})
    assert (status, body["code"]) == (401, "UNAUTHENTICATED")
    sms = {"type": "sms.status", "messageId": "m", "status": "sent", "at": SENT["at"]}
    status, body = await post(hooked, source, sms, token)
    assert status == 400 and body["events"][0]["code"] == "EVENT_NOT_FOR_SOURCE"


async def refused_for_now(gateway: Gateway, source: WebhookSource) -> dict[str, Any]:
    """The answer to a delivery to `source`, whose platform is not there: 503 with Retry-After,
    which senders retry (they do on any 5xx) after the time it says."""
    async with gateway.session.post(
        gateway.server.make_url(f"/webhooks/{source.name}"),
        data=json.dumps(SENT).encode(),
        headers={"content-type": "application/json", "x-hook-token": f"token {source.secret}"},
    ) as response:
        assert response.status == 503
        assert response.headers["Retry-After"] == str(PlatformUnavailable.RETRY_AFTER_SECONDS)
        body: dict[str, Any] = await response.json()
    assert body["code"] == "UPSTREAM_UNAVAILABLE" and body["source"] == source.name
    assert body["retryAfter"] == PlatformUnavailable.RETRY_AFTER_SECONDS
    return body


async def test_a_source_whose_platform_is_not_installed_is_refused_for_now(
    gateway: Gateway, world: World
) -> None:
    source = await WebhookSources(world.store).create("acme", "hookmail")
    body = await refused_for_now(gateway, source)
    assert "the platform hookmail" in body["error"] and "nothing was stored" in body["error"]
    assert await applied(world) == 0


@pytest.fixture
async def broken(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    broken_platform(tmp_path / "site", monkeypatch)  # installed, fails to import
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=0, rate_limit=0)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def test_a_source_whose_platform_failed_to_load_is_refused_for_now(
    broken: Gateway, world: World
) -> None:
    source = await WebhookSources(world.store).create("acme", "brokenmail")
    body = await refused_for_now(broken, source)
    assert "the platform brokenmail" in body["error"]
    assert await applied(world) == 0


async def applied(world: World) -> int:
    """How many of the delivery's events the store took."""
    row = await world.store.fetch_one(
        "SELECT COUNT(*) AS n FROM ingested_events WHERE event_id = ?", (SENT["id"],)
    )
    assert row is not None
    return int(row["n"])


def test_webhooks_create_takes_the_installed_platforms_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare() -> None:
        store = await SqliteStore.open(tmp_path / "gateway.sqlite3")
        await Tenancy(store).create_tenant("acme", "Acme")
        await store.close()

    asyncio.run(prepare())
    data = ["--data-dir", str(tmp_path)]
    hook = ["webhooks", "create", "--tenant", "acme", *data, "--platform"]
    assert main([*hook, "hookmail"]) == 2
    assert "platform must be one of email, messagesender, pilotstatus" in capsys.readouterr().err
    hookmail_platform(tmp_path / "site", monkeypatch)
    assert main([*hook, "hookmail"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["platform"] == "hookmail"
