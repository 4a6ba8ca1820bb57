"""Tracing with OpenTelemetry (GATEWAY_OTEL=true): an HTTP server span per request, joined to
the caller's trace by its W3C `traceparent`/`tracestate`; Strawberry's operation spans under it;
a client span per upstream call, whose `traceparent` the upstream receives; export as the
standard OTEL_* variables say.

OpenTelemetry is the optional `otel` extra: nothing here imports it unless tracing is on, and
with tracing off an upstream call costs one context lookup.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from aiohttp import web

from gateway.clients import asks_for_socket

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span

__all__ = ["UpstreamSpan", "configure_tracing", "traced", "upstream_span"]

log = logging.getLogger("gateway.tracing")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

try:  # the otel extra
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError:  # pragma: no cover - tracing needs the extra; GATEWAY_OTEL says so
    trace = None  # type: ignore[assignment]


def configure_tracing() -> TracerProvider | None:
    """The process's tracer provider, exporting as OTEL_TRACES_EXPORTER says (`otlp`, the
    default, `console`, `none`, or several, comma-separated); the OTLP exporter reads its
    endpoint, headers and protocol's options from OTEL_EXPORTER_OTLP_* itself, the provider
    its resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES and its sampler from
    OTEL_TRACES_SAMPLER. None when a provider was set already (by `opentelemetry-instrument`,
    or by the program that embeds the gateway): theirs is kept."""
    if trace is None:
        raise RuntimeError(
            "GATEWAY_OTEL needs OpenTelemetry: pip install 'analytics-gateway[otel]'"
        )
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return None
    defaults = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "analytics-gateway"}
    provider = TracerProvider(resource=Resource.create(defaults))
    for name in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(","):
        name = name.strip().lower()
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name not in ("none", ""):
            raise RuntimeError(
                f"OTEL_TRACES_EXPORTER={name!r} is not one the gateway knows: otlp, console, none"
            )
    trace.set_tracer_provider(provider)
    return provider


def traced(handler: Handler, route: str) -> Handler:
    """The handler inside a server span named by the route, a child of the caller's trace
    context when it sent one, with the HTTP semantic conventions' attributes. Subscription
    sockets are not wrapped: a span as long as a socket says nothing."""
    assert trace is not None
    tracer = trace.get_tracer("gateway")

    async def handle(request: web.Request) -> web.StreamResponse:
        if asks_for_socket(request):
            return await handler(request)
        parent = propagate.extract(request.headers)
        with tracer.start_as_current_span(
            f"{request.method} {route}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes=_request_attributes(request, route),
        ) as span:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                _finish(span, exc.status)
                raise
            _finish(span, response.status)
            request_id = response.headers.get("x-request-id")
            if request_id:
                span.set_attribute("gateway.request_id", request_id)
            return response

    return handle


def _request_attributes(request: web.Request, route: str) -> dict[str, str | int]:
    attributes: dict[str, str | int] = {
        "http.request.method": request.method,
        "http.route": route,
        "url.path": request.path,
        "url.scheme": request.scheme,
        "network.protocol.version": f"{request.version.major}.{request.version.minor}",
    }
    host = request.host.rsplit(":", 1)
    attributes["server.address"] = host[0]
    if len(host) == 2 and host[1].isdigit():
        attributes["server.port"] = int(host[1])
    if request.remote:
        attributes["client.address"] = request.remote
    agent = request.headers.get("user-agent")
    if agent:
        attributes["user_agent.original"] = agent
    return attributes


def _finish(span: Span, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    if status >= 500:  # a 4xx is the client's error, not the server span's
        span.set_status(Status(StatusCode.ERROR))
        span.set_attribute("error.type", str(status))


class UpstreamSpan:
    """One upstream call's client span, or nothing when the request is not traced."""

    def __init__(self, span: Span | None) -> None:
        self.span = span

    def headers(self, headers: Mapping[str, str]) -> Mapping[str, str]:
        """The call's headers, with this span's `traceparent` (and `tracestate`) when traced."""
        if self.span is None:
            return headers
        carrier = dict(headers)
        propagate.inject(carrier, context=trace.set_span_in_context(self.span))
        return carrier

    def status(self, status: int) -> None:
        if self.span is not None:
            self.span.set_attribute("http.response.status_code", status)
            if status >= 400:
                self.span.set_status(Status(StatusCode.ERROR))
                self.span.set_attribute("error.type", str(status))


@contextmanager
def upstream_span(source: str, method: str, url: str) -> Iterator[UpstreamSpan]:
    """A client span for one call to an upstream source, when the request calling it is
    traced (its server span is current); an error raised inside marks the span failed."""
    if trace is None or not trace.get_current_span().get_span_context().is_valid:
        yield UpstreamSpan(None)
        return
    host = url.split("://", 1)[-1].split("/", 1)[0]
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "url.full": url,
        "server.address": host.rsplit(":", 1)[0],
        "gateway.source": source,
    }
    if ":" in host and host.rsplit(":", 1)[1].isdigit():
        attributes["server.port"] = int(host.rsplit(":", 1)[1])
    tracer = trace.get_tracer("gateway")
    with tracer.start_as_current_span(method, kind=SpanKind.CLIENT, attributes=attributes) as span:
        yield UpstreamSpan(span)
