"""The /metrics route: Prometheus's text format of the metrics defined in
gateway.observability.metrics, added up over every worker under `serve --workers N`."""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from gateway.errors import Unauthenticated
from gateway.http.refusals import Surface, refuse

__all__ = ["metrics_handler", "metrics_route"]

_BEARER = {"www-authenticate": "Bearer"}


def metrics_route(token: str | None) -> Callable[[web.Request], Awaitable[web.Response]]:
    """/metrics, answering only `Authorization: Bearer <token>` when a token is set."""
    if token is None:
        return metrics_handler
    expected = f"Bearer {token}".encode()

    async def guarded(request: web.Request) -> web.Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            refusal = Unauthenticated("metrics need the metrics token")
            return refuse(refusal, request, surface=Surface.PLAIN, headers=_BEARER)
        return await metrics_handler(request)

    return guarded


async def metrics_handler(request: web.Request) -> web.Response:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
