"""Observability: /metrics in Prometheus's format, JSON logs carrying the request id, tracing."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from gateway.config.settings import Settings
from gateway.http.app import create_app, metrics_app
from gateway.observability.logs import configure_logging
from gateway.schema import Limits, build_schema
from tests.support.gateway import Gateway, World, fixed_clock, record_spans, serve


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_requests_operations_and_batches(
    gateway: Gateway, world: World
) -> None:
    await world.send("sales", "m1", datetime(2026, 11, 22, 9, tzinfo=UTC))
    before = {
        "http": sample("gateway_http_requests_total", route="/graphql", status="200"),
        "ok": sample("gateway_graphql_operations_total", operation="Numbers", code="OK"),
        "bad": sample("gateway_graphql_operations_total", operation="Bad", code="BAD_USER_INPUT"),
        "batches": sample("gateway_dataloader_batch_size_count", loader="dashboards"),
    }
    query = "query Numbers { numbers { dashboard(period: DAYS_7) { totals { total } } } }"
    assert (await gateway.query(world.keys["acme_tenant"], query)).status == 200
    bad = 'query Bad { dashboard(timezone: "Mars/Base") { period } }'
    assert (await gateway.query(world.keys["acme_sales"], bad)).codes == ["BAD_USER_INPUT"]
    # Scraped where Prometheus scrapes it: its own listener, apart from the public port.
    async for listener in serve(metrics_app(Settings(demo=False))):
        async with listener.session.get(listener.server.make_url("/metrics")) as response:
            assert response.status == 200 and response.content_type == "text/plain"
            text = await response.text()
    assert "# TYPE gateway_http_request_seconds histogram" in text
    assert sample("gateway_http_requests_total", route="/graphql", status="200") == (
        before["http"] + 2
    )
    assert sample("gateway_graphql_operations_total", operation="Numbers", code="OK") == (
        before["ok"] + 1
    )
    assert (
        sample("gateway_graphql_operations_total", operation="Bad", code="BAD_USER_INPUT")
        == before["bad"] + 1
    )
    # Both numbers' dashboards were one batch of two.
    assert sample("gateway_dataloader_batch_size_count", loader="dashboards") == (
        before["batches"] + 1
    )
    assert 'gateway_dataloader_batch_size_bucket{le="2.0",loader="dashboards"}' in text


async def scrape() -> str:
    """/metrics, from its own listener."""
    text = ""
    async for listener in serve(metrics_app(Settings(demo=False))):
        async with listener.session.get(listener.server.make_url("/metrics")) as response:
            assert response.status == 200
            text = await response.text()
    return text


def paths() -> tuple[float, float]:
    return (
        sample("gateway_graphql_execution_paths_total", path="lean"),
        sample("gateway_graphql_execution_paths_total", path="stock"),
    )


async def test_metrics_count_operations_by_execution_path(gateway: Gateway, world: World) -> None:
    query = "query Paths { numbers { phoneNumber } }"
    lean, stock = paths()
    # A keyed caller's document: Strawberry's pipeline answers it the first time (and keeps
    # it), the lean one from then on.
    for _ in range(3):
        assert (await gateway.query(world.keys["acme_tenant"], query)).status == 200
    text = await scrape()
    assert "# TYPE gateway_graphql_execution_paths_total counter" in text
    assert paths() == (lean + 2, stock + 1)
    # Without the fast path every operation takes the stock one, and the counter says so.
    settings = Settings(
        store_url=world.store.url, demo=False, cache_ttl_seconds=0, rate_limit=0, fast_path=False
    )
    lean, stock = paths()
    async for slow in serve(create_app(settings, clock=fixed_clock)):
        for _ in range(3):
            assert (await slow.query(world.keys["acme_tenant"], query)).status == 200
    await scrape()
    assert paths() == (lean, stock + 3)


async def test_json_logs_carry_the_request_id(
    gateway: Gateway, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    try:
        configure_logging("INFO", "json", access_log=True)
        async with world.store.write() as db:  # break the dashboard underneath
            await db.execute("ALTER TABLE message_hours RENAME TO gone")
        answer = await gateway.query(world.keys["acme_sales"], "{ dashboard { period } }")
        await asyncio.sleep(0)
    finally:
        root.handlers[:], _ = kept
        root.setLevel(kept[1])
    request_id = answer.headers["x-request-id"]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    mine = [line for line in lines if line.get("requestId") == request_id]
    error = next(line for line in mine if line["level"] == "ERROR")
    assert error["logger"] == "gateway.errors" and "message_hours" in error["exc"]
    access = next(line for line in mine if line["logger"] == "gateway.access")
    assert access["status"] == 200 and access["path"] == "/graphql" and access["ms"] >= 0


async def test_operations_are_traced_with_opentelemetry() -> None:
    exporter = record_spans()  # the process's one provider, whichever test sets it
    schema = build_schema(limits=Limits(otel=True))
    result = await schema.execute("query Traced { __typename }")
    assert result.errors is None
    names = [span.name for span in exporter.get_finished_spans()]
    assert "GraphQL Query: Traced" in names and "GraphQL Parsing" in names, names
