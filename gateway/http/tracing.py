"""The server span of each HTTP request, when tracing is on (gateway.observability.tracing sets
tracing up): named by the route, a child of the caller's W3C trace context when it sent one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from gateway.http.clients import asks_for_socket

if TYPE_CHECKING:
    from opentelemetry.trace import Span

__all__ = ["traced"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

try:  # the otel extra
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError:  # pragma: no cover - tracing needs the extra; GATEWAY_OTEL says so
    trace = None  # type: ignore[assignment]


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
