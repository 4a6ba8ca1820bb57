"""Observability: metric definitions, tracing set-up and logs. No routes (/metrics is served by
gateway.http.metrics)."""

from gateway.observability.logs import configure_logging
from gateway.observability.tracing import configure_tracing, upstream_span

__all__ = ["configure_logging", "configure_tracing", "upstream_span"]
