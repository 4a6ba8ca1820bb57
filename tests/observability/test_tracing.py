"""Tracing joins the caller's trace: an incoming `traceparent` is the parent of the gateway's
HTTP server span, Strawberry's spans hang under that, and the upstream platform receives a
`traceparent` of the same trace; exported by the OTEL_* variables when served."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind, default_scopes
from gateway.http.app import create_app
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy
from gateway.testing.fakes import (
    FAKE_KEYS,
    emailreports_app,
    fake_states,
    messagesender_app,
    pilotstatus_app,
    sources_toml,
)
from tests.support.gateway import fixed_clock, record_spans, serve
from tests.support.live import free_port

pytest.importorskip("opentelemetry.sdk")


def header_recorder(seen: list[dict[str, str]]) -> Any:
    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        seen.append(dict(request.headers))
        response: web.StreamResponse = await handler(request)
        return response

    return record


@pytest.fixture
async def platforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Path, list[dict[str, str]]]]:
    """The fake platforms, recording the headers of every call; and a sources file for them."""
    states, seen = fake_states(), list[dict[str, str]]()
    states["er"].keys = {FAKE_KEYS["er"]: "acme"}
    servers = []
    builds = {"ps": pilotstatus_app, "ms": messagesender_app, "er": emailreports_app}
    for name, build in builds.items():
        app = build(states[name])
        app.middlewares.append(header_recorder(seen))
        servers.append(TestServer(app, host="127.0.0.1"))
    for server in servers:
        await server.start_server()
    ports = {name: int(s.port or 0) for name, s in zip(("ps", "ms", "er"), servers, strict=True)}
    (tmp_path / "sources.toml").write_text(sources_toml(ports, tenant="acme"))
    for name in ("ps", "ms", "er"):
        monkeypatch.setenv(f"FAKE_{name.upper()}_KEY", FAKE_KEYS[name])
    yield tmp_path / "sources.toml", seen
    for server in servers:
        await server.close()


async def tenant_key(path: Path) -> str:
    store = await SqliteStore.open(path)
    try:
        tenancy = Tenancy(store)
        await tenancy.create_tenant("acme", "Acme")
        issued = await tenancy.create_key("acme", KeyKind.TENANT, default_scopes(KeyKind.TENANT))
        return issued.key
    finally:
        await store.close()


async def test_the_callers_trace_reaches_the_upstream_through_the_gateways_spans(
    tmp_path: Path, platforms: tuple[Path, list[dict[str, str]]]
) -> None:
    sources, seen = platforms
    key = await tenant_key(tmp_path / "gateway.sqlite3")
    exporter = record_spans()
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    incoming = {
        "traceparent": f"00-{trace_id}-{parent_id}-01",
        "tracestate": "frontend=7",
        "x-api-key": key,
    }
    settings = Settings(
        store_url=f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
        demo=False,
        sources_file=sources,
        otel=True,
        rate_limit=0,
    )
    query = "query Mail { email { overall(pastDays: 7) { sent } } }"
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        async with gateway.session.post(
            gateway.url, json={"query": query}, headers=incoming
        ) as response:
            assert response.status == 200 and "errors" not in await response.json()
        async with gateway.session.post(
            gateway.server.make_url("/webhooks/nobody"), data=b"{}", headers=incoming
        ) as response:
            assert response.status == 401
    spans = exporter.get_finished_spans()
    mine = [s for s in spans if s.context.trace_id == int(trace_id, 16)]
    by_name = {span.name: span for span in mine}
    server = by_name["POST /graphql"]
    assert server.parent is not None and server.parent.span_id == int(parent_id, 16)
    assert server.parent.is_remote and server.kind.name == "SERVER"
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["http.route"] == "/graphql"
    assert server.attributes["http.request.method"] == "POST"
    operation = by_name["GraphQL Query: Mail"]
    assert operation.parent is not None and operation.parent.span_id == server.context.span_id
    client = next(s for s in mine if s.kind.name == "CLIENT")
    assert client.attributes is not None and client.attributes["gateway.source"] == "er"
    assert client.attributes["http.response.status_code"] == 200
    # The client span descends from the server span, through Strawberry's.
    parents = {s.context.span_id: s.parent.span_id for s in mine if s.parent is not None}
    ancestor = client.context.span_id
    while ancestor in parents and ancestor != server.context.span_id:
        ancestor = parents[ancestor]
    assert ancestor == server.context.span_id
    # What the upstream platform received: the same trace, the client span as its parent.
    upstream = [h for h in seen if "traceparent" in h]
    assert upstream, seen
    version, upstream_trace, upstream_parent, flags = upstream[0]["traceparent"].split("-")
    assert (version, upstream_trace, flags) == ("00", trace_id, "01")
    assert int(upstream_parent, 16) == client.context.span_id
    assert upstream[0]["tracestate"] == "frontend=7"
    webhook = by_name["POST /webhooks/{source}"]
    assert webhook.parent is not None and webhook.parent.span_id == int(parent_id, 16)
    assert webhook.attributes is not None
    assert webhook.attributes["http.response.status_code"] == 401


async def test_a_served_gateway_exports_its_spans_over_otlp(tmp_path: Path) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    received: list[bytes] = []

    async def collect(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(body=b"", content_type="application/x-protobuf")

    collector_app = web.Application()
    collector_app.router.add_post("/v1/traces", collect)
    collector = TestServer(collector_app, host="127.0.0.1")
    await collector.start_server()
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_PORT": str(port),
        "GATEWAY_DEMO": "false",
        "GATEWAY_OTEL": "true",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.port}",
        "OTEL_SERVICE_NAME": "gateway-under-test",
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "serve", "--worker", env=env
    )
    trace_id = secrets.token_hex(16)
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 20
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                assert time.monotonic() < deadline and server.returncode is None
                await asyncio.sleep(0.05)
            async with session.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": "{ __typename }"},
                headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
            ) as response:
                assert response.status == 200
        server.send_signal(signal.SIGTERM)  # its last spans are flushed as it stops
        assert await asyncio.wait_for(server.wait(), 20) == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
        await collector.close()
    names = set()
    for body in received:
        export = ExportTraceServiceRequest.FromString(body)
        for resource in export.resource_spans:
            service = {a.key: a.value.string_value for a in resource.resource.attributes}
            assert service["service.name"] == "gateway-under-test"
            for scope in resource.scope_spans:
                names |= {s.name for s in scope.spans if s.trace_id.hex() == trace_id}
    assert {"POST /graphql", "GraphQL Query"} <= names, names


async def test_a_deferred_parts_spans_end_within_the_requests_server_span(
    tmp_path: Path, platforms: tuple[Path, list[dict[str, str]]]
) -> None:
    sources, _ = platforms
    key = await tenant_key(tmp_path / "gateway.sqlite3")
    exporter = record_spans()
    trace_id = secrets.token_hex(16)
    headers = {
        "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
        "x-api-key": key,
        "accept": "multipart/mixed;deferSpec=20220824,application/json",
    }
    settings = Settings(
        store_url=f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
        demo=False,
        sources_file=sources,
        otel=True,
        rate_limit=0,
    )
    query = """query Board { viewer { tenantId }
      ... @defer { email { overall(pastDays: 7) { sent } } } }"""
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        async with gateway.session.post(
            gateway.url, json={"query": query}, headers=headers
        ) as response:
            assert response.headers["content-type"].startswith("multipart/mixed")
            body = await response.text()
    assert '"incremental"' in body and '"sent"' in body
    mine = [s for s in exporter.get_finished_spans() if s.context.trace_id == int(trace_id, 16)]
    by_name = {span.name: span for span in mine}
    server = by_name["POST /graphql"]
    upstream = [s for s in mine if s.kind.name == "CLIENT"]
    assert upstream, sorted(by_name)  # the deferred part's call to the email platform
    assert all(s.end_time is not None and server.end_time is not None for s in mine)
    assert max(s.end_time for s in mine if s.end_time) <= server.end_time
    # Each span hangs under the server span, however deferred its work.
    ids = {s.context.span_id: s for s in mine}
    for span in upstream:
        found = span
        while found.parent is not None and found.parent.span_id in ids:
            found = ids[found.parent.span_id]
        assert found is server, span.name
