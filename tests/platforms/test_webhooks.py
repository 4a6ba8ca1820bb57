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
from gateway.http.app import create_app
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSource, WebhookSources
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.plugins import hookmail_platform

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
    status, body = await post(hooked, source, SENT, {"x-hook-token": "token wrong"})
    assert (status, body["code"]) == (401, "UNAUTHENTICATED")
    sms = {"type": "sms.status", "messageId": "m", "status": "sent", "at": SENT["at"]}
    status, body = await post(hooked, source, sms, token)
    assert status == 400 and body["events"][0]["code"] == "EVENT_NOT_FOR_SOURCE"


async def test_a_source_whose_platform_is_gone_refuses_typed(
    gateway: Gateway, world: World
) -> None:
    source = await WebhookSources(world.store).create("acme", "hookmail")
    status, body = await post(gateway, source, SENT, {"x-hook-token": f"token {source.secret}"})
    assert (status, body["code"]) == (502, "UPSTREAM_UNAVAILABLE")
    assert "hookmail" in body["error"]


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
