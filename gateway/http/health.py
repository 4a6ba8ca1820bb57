"""The probes: /livez (is the process alive, its loop turning), /readyz (should it be sent
traffic), and /healthz (the store and each source, for people and load balancers).

An orchestrator restarts a process whose liveness fails and takes one out of its load balancer
while its readiness fails, so the two must not be the same question: a gateway whose store is
away, or that is still migrating it, or draining before it stops, is alive (restarting it would
help nothing) but not ready.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Literal

from aiohttp import web

from gateway.errors import StoreUnavailable
from gateway.http.appkeys import CONFIGURATION, STORE
from gateway.http.refusals import refuse
from gateway.platforms.guard import UnavailablePlatform
from gateway.providers.upstream.http import UpstreamClient

__all__ = ["HEALTH", "Health", "beating", "healthz", "livez", "probes_app", "readyz"]

log = logging.getLogger("gateway.http.health")

Phase = Literal["starting", "migrating", "ready", "draining"]

# The heartbeat's period: the loop's lag is how late it wakes.
BEAT_SECONDS = 0.5
# A heartbeat older than this means the loop was held (or the heartbeat died): not alive.
STALE_BEAT_SECONDS = 10.0


class Health:
    """What the probes read: the phase of the process's life, the store watch's last word,
    and the loop's heartbeat. Nothing here touches the store: the store watch (see
    gateway.http.app.watch_store) reads it every GATEWAY_STORE_WATCH_SECONDS anyway."""

    def __init__(self, watch_seconds: float) -> None:
        self.phase: Phase = "starting"
        self.store_problem: str | None = None
        now = time.monotonic()
        self.store_answered = now
        # A watch that has not answered for this long is as good as failing (a hung store).
        self.store_patience = max(3.0, 30 * watch_seconds)
        self.beat = now
        self.lag = 0.0

    def open(self) -> None:
        self.phase = "ready"
        self.store_ok()

    def store_ok(self) -> None:
        self.store_problem = None
        self.store_answered = time.monotonic()

    def store_failing(self, problem: str) -> None:
        self.store_problem = problem

    def drain(self) -> None:
        self.phase = "draining"

    def readiness(self) -> str:
        """'ready', or why not."""
        if self.phase != "ready":
            return self.phase
        if self.store_problem is not None:
            return "store unreachable"
        if time.monotonic() - self.store_answered > self.store_patience:
            return "store unreachable"
        return "ready"

    async def heartbeat(self) -> None:
        """Wake every BEAT_SECONDS and note how late: a loop held by a blocking call shows."""
        while True:
            planned = time.monotonic() + BEAT_SECONDS
            await asyncio.sleep(BEAT_SECONDS)
            self.beat = time.monotonic()
            self.lag = max(0.0, self.beat - planned)


HEALTH = web.AppKey("health", Health)


async def beating(app: web.Application) -> AsyncIterator[None]:
    """The heartbeat, for the application's life (a cleanup context)."""
    task = asyncio.create_task(app[HEALTH].heartbeat())
    yield
    task.cancel()


async def livez(request: web.Request) -> web.Response:
    """200 while the process can serve at all: its loop turns (this answer shows it, and the
    heartbeat says it was not held long), whatever its store does."""
    health = request.app[HEALTH]
    since = time.monotonic() - health.beat
    body: dict[str, object] = {
        "status": "ok",
        "loopLagMs": round(health.lag * 1000, 1),
        "worker": os.getpid(),
    }
    if since > STALE_BEAT_SECONDS:
        body.update(status="failed", reason=f"the loop's heartbeat is {since:.0f} s old")
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)


async def readyz(request: web.Request) -> web.Response:
    """200 when the gateway should be sent traffic; 503, saying why, while it opens and
    migrates its store, while the store does not answer, and while it drains to stop."""
    health = request.app[HEALTH]
    status = health.readiness()
    body: dict[str, object] = {"ready": status == "ready", "status": status, "worker": os.getpid()}
    if health.store_problem is not None and status == "store unreachable":
        body["reason"] = health.store_problem
    return web.json_response(body, status=200 if status == "ready" else 503)


async def healthz(request: web.Request) -> web.Response:
    """Whether the store answers (503 when it does not), each upstream source's circuit and
    last call, and which worker process this is. Sources are not called for it: an open circuit
    makes the status "degraded", still 200, for the gateway itself is serving."""
    try:
        await asyncio.wait_for(request.app[STORE].fetch_one("SELECT 1"), 3)
        store = "ok"
    except StoreUnavailable:  # the store logs its outage once, not at every probe
        store = "failing"
    except TimeoutError:
        log.warning("health check: the store did not answer within 3 s")
        store = "failing"
    except Exception:
        log.exception("health check: the store did not answer")
        store = "failing"
    sources: dict[str, dict[str, object]] = {}
    live = request.app[CONFIGURATION]
    registry = live.in_use.registry
    for name in registry.names:
        provider = registry.get(name)
        client = getattr(provider, "client", None)
        if isinstance(provider, UnavailablePlatform):
            sources[name] = {"platform": provider.platform, "unavailable": provider.reason}
        elif isinstance(client, UpstreamClient):
            sources[name] = {
                "platform": client.config.platform,
                "circuit": client.breaker.state,
                "lastCall": client.last_outcome,
            }
        else:  # the store has no circuit breaker: what is true of it is whether it answers
            sources[name] = {"platform": "native", "lastCall": store}
    degraded = any(
        source.get("circuit", "closed") != "closed" or "unavailable" in source
        for source in sources.values()
    )
    status = "failing" if store != "ok" else "degraded" if degraded else "ok"
    platforms = {
        **{p.name: {"version": p.version} for p in live.platforms.available.values()},
        **{u.name: {"unavailable": u.reason} for u in live.platforms.broken.values()},
    }
    body = {
        "status": status,
        "store": store,
        "sources": sources,
        "platforms": platforms,
        "worker": os.getpid(),
    }
    return web.json_response(body, status=503 if store != "ok" else 200)


async def _starting(request: web.Request) -> web.Response:
    message = "the gateway is starting: its store is being opened and migrated"
    return refuse(StoreUnavailable(message, retry_after=1), request)


def probes_app(health: Health) -> web.Application:
    """What listens on the port while the gateway's own app starts (opens and migrates its
    store): /livez and /readyz as the gateway answers them, and 503 for everything else, so
    that an orchestrator does not kill a process in the middle of a long migration."""
    app = web.Application(middlewares=[_closing])
    app[HEALTH] = health
    app.cleanup_ctx.append(beating)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_route("*", "/{tail:.*}", _starting)
    return app


@web.middleware
async def _closing(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    # This listener closes once the gateway's app is up: a client must not keep a connection
    # to it for its next request (which would meet a closed socket).
    response = await handler(request)
    response.force_close()
    return response
