"""Prometheus metric definitions. They are served at /metrics (gateway.http.metrics) on a
loopback listener of its own (gateway.http.serving), or on the public port when
GATEWAY_METRICS_PUBLIC says so.

With `serve --workers N` the supervisor gives every worker one PROMETHEUS_MULTIPROC_DIR, and
/metrics on any worker adds up all of them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import re
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "BATCH_SIZES",
    "CACHE_HIT",
    "CACHE_LOOKUPS",
    "CACHE_MISS",
    "CIRCUIT_OPEN",
    "EXECUTION_PATHS",
    "GRAPHQL_OPERATIONS",
    "GRAPHQL_SECONDS",
    "HTTP_REQUESTS",
    "HTTP_SECONDS",
    "INCREMENTAL_PAYLOADS",
    "LIVE_SUBSCRIPTIONS",
    "UPSTREAM_CALLS",
    "UPSTREAM_SECONDS",
    "WEBHOOK_EVENTS",
    "operation_label",
    "record_http",
]

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "gateway_http_requests", "HTTP requests by route and status.", ["route", "status"]
)
HTTP_SECONDS = Histogram(
    "gateway_http_request_seconds", "HTTP request latency by route.", ["route"], buckets=_LATENCY
)
GRAPHQL_OPERATIONS = Counter(
    "gateway_graphql_operations",
    "GraphQL operations executed (cache misses) by operation name and outcome: OK or the first"
    " error's code.",
    ["operation", "code"],
)
EXECUTION_PATHS = Counter(
    "gateway_graphql_execution_paths",
    "GraphQL operations executed by path: lean (the gateway's fast pipeline, for a keyed"
    " caller's known document) or stock (Strawberry's own pipeline with the gateway's"
    " extensions).",
    ["path"],
)
EXECUTION_PLANS = Counter(
    "gateway_graphql_execution_plans",
    "Lean operations by how they ran: planned (a document seen before, run by its execution"
    " plan) or handed_back (the plan met something only the executor answers exactly, such as"
    " an error, and the executor answered it).",
    ["outcome"],
)
GRAPHQL_SECONDS = Histogram(
    "gateway_graphql_operation_seconds",
    "GraphQL operation latency by operation name.",
    ["operation"],
    buckets=_LATENCY,
)
INCREMENTAL_PAYLOADS = Counter(
    "gateway_graphql_incremental_payloads",
    "Parts of incremental answers (@defer, @stream) sent, by outcome: OK or the first error's"
    " code.",
    ["code"],
)
CACHE_LOOKUPS = Counter("gateway_response_cache_lookups", "Response cache lookups.", ["result"])
UPSTREAM_CALLS = Counter(
    "gateway_upstream_calls",
    "Calls to upstream platforms by source and HTTP status (or timeout / unreachable).",
    ["source", "status"],
)
UPSTREAM_SECONDS = Histogram(
    "gateway_upstream_call_seconds",
    "Upstream call latency by source.",
    ["source"],
    buckets=_LATENCY,
)
BATCH_SIZES = Histogram(
    "gateway_dataloader_batch_size",
    "Keys per DataLoader batch, by loader.",
    ["loader"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
CIRCUIT_OPEN = Gauge(
    "gateway_upstream_circuit_open",
    "1 while a source's circuit breaker is open.",
    ["source"],
    multiprocess_mode="max",
)
LIVE_SUBSCRIPTIONS = Gauge(
    "gateway_live_subscriptions",
    "Live subscriptions held, over every transport (tenants' each bounded by"
    " GATEWAY_MAX_SUBSCRIPTIONS_PER_TENANT).",
    multiprocess_mode="livesum",
)
WEBHOOK_EVENTS = Counter(
    "gateway_webhook_events", "Webhook events by outcome.", ["platform", "outcome"]
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

# Children by label values, looked up once: `labels()` costs a microsecond a call, which the
# cached-answer path, at some 40 microseconds a request, notices.
_http: dict[tuple[str, int], tuple[Any, Any]] = {}
CACHE_HIT = CACHE_LOOKUPS.labels("hit")
CACHE_MISS = CACHE_LOOKUPS.labels("miss")


def record_http(route: str, status: int, seconds: float) -> None:
    children = _http.get((route, status))
    if children is None:
        children = _http[route, status] = (
            HTTP_REQUESTS.labels(route, str(status)),
            HTTP_SECONDS.labels(route),
        )
    children[0].inc()
    children[1].observe(seconds)


# Distinct operation names a process labels its metrics with; later ones count as "other".
MAX_OPERATION_NAMES = 200
_names: set[str] = set()


def operation_label(name: str | None, keyed: bool = True) -> str:
    """An operation's name as a label. Clients choose names, so only keyed callers' are kept,
    and only the first MAX_OPERATION_NAMES of them: no client can grow the label set."""
    if not keyed:
        return "unauthenticated"
    if not name:
        return "anonymous"
    if name in _names:
        return name
    if not _NAME.match(name) or len(_names) >= MAX_OPERATION_NAMES:
        return "other"
    _names.add(name)
    return name
