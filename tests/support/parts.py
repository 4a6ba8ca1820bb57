"""Answers in parts (@defer, @stream) read as clients read them: multipart/mixed with aiohttp's
multipart reader, server-sent events line by line; each part with when it arrived."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.base_protocol import BaseProtocol
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.testing.fakes import (
    FAKE_KEYS,
    FakeState,
    emailreports_app,
    fake_states,
    messagesender_app,
    pilotstatus_app,
    sources_toml,
)
from tests.support.gateway import Gateway, World, fixed_clock, serve

APOLLO = "multipart/mixed;deferSpec=20220824,application/json"
SSE = "text/event-stream"


@dataclass
class Part:
    body: dict[str, Any]
    at: float  # seconds since the request was sent


@dataclass
class Upstreams:
    states: dict[str, FakeState]
    gateway: Gateway


async def upstreams(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    options: str = "",
    routes: list[web.RouteDef] | None = None,
    **settings: Any,
) -> AsyncIterator[Upstreams]:
    """The three fake platforms on loopback ports, tenant acme's SMS and email at them, and a
    gateway over them (with `routes` of the test's own); `options` go into every source."""
    states = fake_states()
    apps = {"ps": pilotstatus_app, "ms": messagesender_app, "er": emailreports_app}
    servers = {}
    for name, state in states.items():
        state.now = fixed_clock
        servers[name] = TestServer(apps[name](state), host="127.0.0.1")
        await servers[name].start_server()
    ports = {name: int(server.port or 0) for name, server in servers.items()}
    path = tmp_path / "sources.toml"
    path.write_text(sources_toml(ports, tenant="acme", options=options))
    for name in ("ps", "ms", "er"):
        monkeypatch.setenv(f"FAKE_{name.upper()}_KEY", FAKE_KEYS[name])
    states["ms"].keys = {FAKE_KEYS["ms"]: "acme"}
    states["er"].keys = {FAKE_KEYS["er"]: "acme"}
    settings.setdefault("request_deadline_seconds", 5.0)
    settings.setdefault("cache_ttl_seconds", 0)
    settings.setdefault("rate_limit", 0)
    config = Settings(store_url=world.store.url, demo=False, sources_file=path, **settings)
    app = create_app(config, clock=fixed_clock)
    app.router.add_routes(routes or [])
    async for gateway in serve(app):
        yield Upstreams(states, gateway)
    for server in servers.values():
        await server.close()


async def multipart_parts(
    gateway: Gateway,
    key: str,
    query: str,
    *,
    accept: str = APOLLO,
) -> list[Part]:
    """Every part of a multipart answer, in order, each timed as it arrived: read as Apollo
    Client reads them (a part is whole once the delimiter after it arrives), then the whole
    body once more by aiohttp's MIME reader, which must find the same parts."""
    started = time.monotonic()
    headers = {"x-api-key": key, "accept": accept}
    parts: list[Part] = []
    async with gateway.session.post(gateway.url, json={"query": query}, headers=headers) as r:
        assert r.status == 200, await r.text()
        kind = r.headers["content-type"]
        assert kind.startswith("multipart/mixed"), r.headers
        delimiter = "\r\n--" + kind.split('boundary="', 1)[1].split('"', 1)[0]
        buffer, raw = "\r\n", b""  # the body opens with the delimiter, its CRLF implied
        async with asyncio.timeout(15):
            async for chunk in r.content.iter_any():
                raw += chunk
                buffer += chunk.decode()
                while (end := buffer.find(delimiter)) >= 0:
                    message, buffer = buffer[:end], buffer[end + len(delimiter) :]
                    head, _, body = message.partition("\r\n\r\n")
                    if body.strip() and body.strip() != "{}":
                        assert "application/json" in head.lower(), head
                        parts.append(Part(json.loads(body), time.monotonic() - started))
        assert buffer == "--\r\n", buffer  # the close delimiter, and nothing after it
    assert [p.body for p in parts] == await _mime_parts(raw, kind)
    return parts


async def _mime_parts(raw: bytes, kind: str) -> list[dict[str, Any]]:
    """The JSON parts aiohttp's MIME reader finds in a whole multipart body."""
    loop = asyncio.get_running_loop()
    stream = aiohttp.StreamReader(BaseProtocol(loop), 2**16, loop=loop)
    stream.feed_data(raw)
    stream.feed_eof()
    reader = aiohttp.MultipartReader({"Content-Type": kind}, stream)
    found = []
    while (part := await reader.next()) is not None:
        assert isinstance(part, aiohttp.BodyPartReader)
        body = await part.json()
        if body:
            found.append(body)
    return found


async def event_parts(gateway: Gateway, key: str, query: str) -> tuple[list[Part], list[str]]:
    """The `next` events of a server-sent events answer, each timed, and every event's name."""
    started = time.monotonic()
    headers = {"x-api-key": key, "accept": SSE}
    parts: list[Part] = []
    names: list[str] = []
    async with gateway.session.post(gateway.url, json={"query": query}, headers=headers) as r:
        assert r.status == 200, await r.text()
        assert r.headers["content-type"].startswith(SSE)
        event = ""
        async with asyncio.timeout(15):
            async for raw in r.content:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                    names.append(event)
                elif line.startswith("data:") and event == "next":
                    data = json.loads(line.split(":", 1)[1])
                    parts.append(Part(data, time.monotonic() - started))
    return parts, names
