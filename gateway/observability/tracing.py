"""Tracing with OpenTelemetry (GATEWAY_OTEL=true): an HTTP server span per request
(gateway.http.tracing), joined to the caller's trace by its W3C `traceparent`/`tracestate`;
Strawberry's operation spans under it; a client span per upstream call, whose `traceparent` the
upstream receives; export as the standard OTEL_* variables say.

OpenTelemetry is the optional `otel` extra: nothing here imports it unless tracing is on, and
with tracing off an upstream call costs one context lookup.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span

__all__ = ["UpstreamSpan", "configure_tracing", "upstream_span"]

log = logging.getLogger("gateway.observability.tracing")

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
