"""create_app(settings): the aiohttp application, its routes, and the resources it owns."""

from __future__ import annotations

import asyncio
import itertools
import logging
import mimetypes
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from pathlib import Path

from aiohttp import WSCloseCode, web
from aiohttp.typedefs import Middleware

from gateway.config.settings import Settings
from gateway.errors import (
    BodyTooLarge,
    GatewayError,
    MethodNotAllowed,
    NotFound,
    StoreUnavailable,
)
from gateway.http.appkeys import (
    ANONYMOUS,
    ASSETS,
    CACHE,
    CHANGES,
    CLOCK,
    CONFIGURATION,
    KEYS,
    LIMITER,
    PERSISTED,
    QUESTIONS,
    REQUEST_ID,
    SETTINGS,
    SHARED_LIMITER,
    SOCKETS,
    STORE,
    SUBSCRIPTIONS,
    VERSIONS,
)
from gateway.http.cache import CachedKeyLookup, ResponseCache
from gateway.http.clients import AnonymousGate
from gateway.http.compression import StaticAssets
from gateway.http.export import export_campaigns
from gateway.http.graphiql import ASSET_ROUTE, page_assets
from gateway.http.health import HEALTH, Health, beating, healthz, livez, readyz
from gateway.http.metrics import metrics_route
from gateway.http.ratelimit import RateLimiter
from gateway.http.refusals import Surface, refuse
from gateway.http.reload import LiveConfiguration, read_files
from gateway.http.shared import RedisChanges, RedisRateLimiter
from gateway.http.sockets import Sockets, TenantSubscriptions
from gateway.http.tracing import traced
from gateway.http.view import GatewayView
from gateway.http.webhooks import receive_webhook
from gateway.observability.logs import LOG_REQUEST_ID
from gateway.observability.metrics import record_http
from gateway.platforms import load_platforms
from gateway.providers.native import NativeProvider, Store, open_store
from gateway.providers.native.outages import describe
from gateway.providers.native.store import redacted
from gateway.providers.native.tenancy import KEYS_VERSION, Tenancy
from gateway.providers.versions import TenantVersions, VersionedMemo
from gateway.schema import limits_of
from gateway.schema.context import Clock, system_clock
from gateway.schema.persisted import PersistedQueries
from gateway.schema.questions import LiveQuestions

__all__ = ["STORE", "create_app", "metrics_app"]

log = logging.getLogger("gateway.http.app")
# One line per request, off unless GATEWAY_ACCESS_LOG is on (see gateway.observability.logs).
access = logging.getLogger("gateway.access")


_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Request ids: a random prefix per process and a counter, unique without a system call each.
_ID_PREFIX = secrets.token_hex(4)
_ID_COUNTER = itertools.count(1)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def tracked(
    handler: Handler, route: str | None = None, surface: Surface = Surface.PLAIN
) -> Handler:
    """The handler, with what every request gets: an id (echoed, and on every log line the
    request causes), a count and a time by route and status, and no untyped error ever. A
    wrapper per route rather than a middleware: aiohttp runs a middleware chain at a cost of
    two coroutines per request, which the cached-answer path, at some 45 microseconds, notices."""

    async def handle(request: web.Request) -> web.StreamResponse:
        # Keep a caller's id (a load balancer's, say) when it is harmless to echo and log.
        incoming = request.headers.get("x-request-id", "")
        if incoming and _SAFE_REQUEST_ID.match(incoming):
            request_id = incoming
        else:
            request_id = f"{_ID_PREFIX}{next(_ID_COUNTER):08x}"
        request[REQUEST_ID] = request_id
        LOG_REQUEST_ID.set(request_id)
        started = time.perf_counter()
        try:
            response = await handler(request)
        except web.HTTPRequestEntityTooLarge:
            limit = request.app[SETTINGS].max_body_kib * 1024  # what create_app gave aiohttp
            message = f"the request body is larger than the limit of {limit} bytes"
            too_large = BodyTooLarge(message, limit="max_body_kib")
            response = refuse(too_large, request, surface=surface)
        except web.HTTPException as exc:
            exc.headers["x-request-id"] = request_id
            _measure(request, route, exc.status, started)
            raise
        except Exception:
            # The last guard: whatever slipped past every other is logged here with the
            # request id and answered as a typed, masked error (never a plain-text 500).
            log.exception("internal error outside the graph (request %s)", request_id)
            internal = GatewayError("Internal server error", requestId=request_id)
            response = refuse(internal, request, surface=surface)
        response.headers["x-request-id"] = request_id
        _measure(request, route, response.status, started)
        return response

    return handle


async def not_found(request: web.Request) -> web.Response:
    """Whatever no route takes: 404, or 405 with Allow for a known path asked the wrong way."""
    allowed = sorted(
        route.method
        for route in request.app.router.routes()
        if route.method != "*"
        and route.resource is not None
        and route.resource.canonical == request.path
    )
    if allowed:
        refusal = MethodNotAllowed(f"{request.method} is not allowed here")
        return refuse(
            refusal, request, surface=Surface.PLAIN, headers={"allow": ", ".join(allowed)}
        )
    return refuse(NotFound("no such path"), request, surface=Surface.PLAIN)


def _measure(request: web.Request, route: str | None, status: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    if route is None:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
    record_http(route, status, elapsed)
    if access.isEnabledFor(logging.INFO):
        ms = round(elapsed * 1000, 1)
        extra = {"method": request.method, "path": request.path, "status": status, "ms": ms}
        access.info("%s %s %s %.1f ms", request.method, request.path, status, ms, extra=extra)


# What browser code may send beyond the simple headers: the key, and the W3C trace context
# that a traced frontend adds so that the gateway's spans join its trace.
CORS_ALLOWED = "content-type, x-api-key, x-api-key-id, traceparent, tracestate"
# What browser code may read of an answer: the request id to quote, whether it was a cached
# answer, its ETag for If-None-Match, and how long to wait after a 429.
CORS_EXPOSED = "x-request-id, x-cache, etag, retry-after"


def cors(origins: list[str]) -> Middleware:
    """Let the configured browser origins call the gateway, preflights included."""
    allow_any = "*" in origins

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("origin")
        allowed = origin is not None and (allow_any or origin in origins)
        if request.method == "OPTIONS" and allowed:
            response: web.StreamResponse = web.Response(
                status=204,
                headers={
                    "access-control-allow-methods": "GET, POST, OPTIONS",
                    "access-control-allow-headers": CORS_ALLOWED,
                    "access-control-max-age": "600",
                },
            )
        else:
            response = await handler(request)
        if allowed and origin is not None:
            response.headers["access-control-allow-origin"] = origin
            response.headers["access-control-expose-headers"] = CORS_EXPOSED
            vary = response.headers.get("vary")  # Accept-Encoding, say, stays
            response.headers["vary"] = f"{vary}, origin" if vary else "origin"
        return response

    return middleware


async def graphiql_asset(request: web.Request) -> web.StreamResponse:
    """GraphiQL's own files, as `gateway graphiql-assets` fetched them (versioned paths: they
    never change, so browsers may keep them), compressed once (GraphiQL's script: 3.5 MB, 630
    KB in brotli)."""
    root = request.app[SETTINGS].graphiql_assets_path.resolve()
    target = (root / request.match_info["path"]).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise web.HTTPNotFound()
    headers = {"cache-control": "public, max-age=31536000"}
    if not request.app[SETTINGS].compression:
        return web.FileResponse(target, headers=headers)
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return await request.app[ASSETS].serve(request, target, kind, headers)


STATIC = Path(__file__).parent.parent / "static"
_PAGES = {"dashboard.html": "text/html", "dashboard.js": "application/javascript"}


async def dashboard_page(request: web.Request) -> web.Response:
    """The dashboard page: the project's own HTML and script, drawing from the graph; read and
    compressed once, revalidated by ETag (no-cache) so that a new version shows at once."""
    name = "dashboard.js" if request.path.endswith(".js") else "dashboard.html"
    headers = {"cache-control": "no-cache"}
    if not request.app[SETTINGS].compression:
        text = (STATIC / name).read_text(encoding="utf-8")
        return web.Response(text=text, content_type=_PAGES[name], headers=headers)
    return await request.app[ASSETS].serve(request, STATIC / name, _PAGES[name], headers)


async def warm_assets(app: web.Application) -> AsyncIterator[None]:
    """Compress the static files at start-up, off the loop, so that no visitor waits for it."""
    if app[SETTINGS].compression:
        assets, root = app[ASSETS], app[SETTINGS].graphiql_assets_path
        files = [(STATIC / name, kind) for name, kind in _PAGES.items()]
        files += [
            (root / asset.local, mimetypes.guess_type(asset.path)[0] or "text/plain")
            for asset in page_assets()
            if (root / asset.local).is_file()
        ]
        for path, kind in files:
            assets.get(path, kind)
    yield
    await app[ASSETS].settle()


async def to_graphql(request: web.Request) -> web.Response:
    raise web.HTTPFound("/graphql")


async def watch_store(app: web.Application, store: Store, keys: CachedKeyLookup) -> None:
    """Drop cached answers and keys as soon as the store says they changed, whichever process
    changed them; when keys changed, check every open socket's key again. Whether the store
    answers it is what /readyz says."""
    failing, health = False, app[HEALTH]
    while True:
        await asyncio.sleep(app[SETTINGS].store_watch_seconds)
        try:
            versions = await store.versions_if_changed()
        except Exception as exc:  # a busy, closing or unreachable store must not end the watch
            # An outage is logged by the store, once; anything else here, once per run of it.
            if not failing and not isinstance(exc, StoreUnavailable):
                log.warning("could not read the store's versions: %s", describe(exc))
            failing = True
            # /readyz is public: of an outage, its kind, not the server's address in its message.
            outage = isinstance(exc, StoreUnavailable) and exc.__cause__ is not None
            health.store_failing(type(exc.__cause__).__name__ if outage else describe(exc))
            continue
        health.store_ok()
        failing = False
        if versions is not None:
            if keys.observe(versions.get(KEYS_VERSION)):
                await app[SOCKETS].reauthenticate(app[KEYS])
            app[VERSIONS].observe(versions)


async def close_sockets(app: web.Application) -> None:
    """Subscriptions end when the gateway stops: 1001, going away, so clients reconnect."""
    await app[SOCKETS].close_all(WSCloseCode.GOING_AWAY, b"the gateway is stopping")


async def draining(app: web.Application) -> None:
    """From the moment the gateway begins to stop, it is not ready (see gateway.http.health)."""
    app[HEALTH].drain()


def metrics_app(settings: Settings) -> web.Application:
    """/metrics alone, for its own listener (GATEWAY_METRICS_HOST and GATEWAY_METRICS_PORT),
    apart from the public API."""
    app = web.Application()
    app.router.add_get("/metrics", tracked(metrics_route(settings.metrics_token), "/metrics"))
    return app


def create_app(settings: Settings, *, clock: Clock = system_clock) -> web.Application:
    """The gateway as an aiohttp application. A sources file that cannot be used fails here,
    before anything is served."""
    platforms = load_platforms()
    files = read_files(settings, platforms)
    app = web.Application(
        # CORS only when origins are configured: a middleware costs every request.
        middlewares=[cors(settings.cors_origins)] if settings.cors_origins else [],
        client_max_size=settings.max_body_kib * 1024,
    )
    app[CLOCK] = clock
    app[SETTINGS] = settings
    app[SOCKETS] = Sockets()
    app[SUBSCRIPTIONS] = TenantSubscriptions(settings.max_subscriptions_per_tenant)
    health = app[HEALTH] = Health(settings.store_watch_seconds)
    app.on_shutdown.append(draining)
    app.on_shutdown.append(close_sockets)
    app.cleanup_ctx.append(beating)
    app[ASSETS] = StaticAssets()
    app.cleanup_ctx.append(warm_assets)
    app[LIMITER] = RateLimiter(
        settings.rate_limit, settings.rate_limit_burst, settings.rate_limit_overrides
    )
    anonymous = RateLimiter(
        settings.anonymous_rate_limit, settings.anonymous_rate_limit_burst, max_keys=65_536
    )
    app[ANONYMOUS] = AnonymousGate(anonymous)
    app[PERSISTED] = PersistedQueries(
        settings.persisted_megabytes * 2**20, settings.persisted_megabytes * 2**20 // 4
    )

    async def open_resources(app: web.Application) -> AsyncIterator[None]:
        health.phase = "migrating"
        store = await open_store(
            settings.store, statement_cache_size=settings.store_statement_cache_size
        )
        try:
            versions = app[VERSIONS] = TenantVersions()
            app[QUESTIONS] = LiveQuestions(versions)
            memo = (
                VersionedMemo[object, object](versions)
                if settings.fast_path and settings.dashboard_memo
                else None
            )
            native = NativeProvider(store, memo=memo)
            async with LiveConfiguration(
                settings, store, native, versions, files, platforms
            ) as live:
                # Known before the first request (the sources' numbers registered by now), so
                # the first watch finds nothing to drop.
                initial = await store.versions_if_changed() or {}
                versions.observe(initial)
                app[STORE] = store
                app[CONFIGURATION] = live
                keys = CachedKeyLookup(Tenancy(store))
                keys.observe(initial.get(KEYS_VERSION))
                app[KEYS] = keys if settings.fast_path else Tenancy(store)
                if settings.fast_path and settings.cache_ttl_seconds > 0:
                    app[CACHE] = ResponseCache(
                        settings.cache_megabytes * 2**20,
                        versions,
                        compression=settings.compression,
                    )
                log.info(
                    "store open at %s; sources: %s",
                    redacted(store.url),
                    ", ".join(live.in_use.registry.names),
                )
                shared = None
                if settings.redis_url:
                    shared = RedisRateLimiter.connect(app[LIMITER], settings.redis_url)
                    try:
                        await shared.ping()  # a wrong URL stops the start, not a request
                    except BaseException:
                        await shared.close()
                        raise
                tasks = [asyncio.create_task(watch_store(app, store, keys))]
                if shared is not None:
                    app[SHARED_LIMITER] = shared
                    app[ANONYMOUS].shared = shared.beside(anonymous, "anon")
                    app[CHANGES] = RedisChanges(shared.client)
                    tasks.append(asyncio.create_task(app[CHANGES].listen(versions.invalidate)))
                health.open()
                yield
                for task in tasks:
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task
                await app[QUESTIONS].close()
                if SHARED_LIMITER in app:
                    await app[SHARED_LIMITER].close()
        finally:
            await store.close()

    app.cleanup_ctx.append(open_resources)
    limits = limits_of(settings)
    view = GatewayView(
        app,
        graphiql=settings.graphiql,
        fast=settings.fast_path,
        limits=limits,
        graphiql_assets=settings.graphiql_assets_path,
    )

    def served(
        handler: Handler, route: str, label: str | None = None, surface: Surface = Surface.PLAIN
    ) -> Handler:
        # Tracing inside the request id's wrapper, so that the span knows the id.
        return tracked(traced(handler, route) if settings.otel else handler, label, surface)

    graphql = served(view, "/graphql", "/graphql", Surface.GRAPHQL)
    app.router.add_route("GET", "/graphql", graphql)
    app.router.add_route("POST", "/graphql", graphql)
    app.router.add_post("/webhooks/{source}", served(receive_webhook, "/webhooks/{source}"))
    export = served(export_campaigns, "/export/campaigns.csv", surface=Surface.GRAPHQL)
    app.router.add_get("/export/campaigns.csv", export)
    app.router.add_get("/healthz", tracked(healthz))
    app.router.add_get("/livez", tracked(livez))
    app.router.add_get("/readyz", tracked(readyz))
    if settings.metrics_public:  # otherwise on a listener of its own (see gateway.http.serving)
        app.router.add_get("/metrics", tracked(metrics_route(settings.metrics_token)))
    app.router.add_get(ASSET_ROUTE + "{path:.+}", tracked(graphiql_asset))
    app.router.add_get("/dashboard", tracked(dashboard_page))
    app.router.add_get("/dashboard.js", tracked(dashboard_page))
    app.router.add_get("/", tracked(to_graphql))
    # Last: whatever no route above takes, with a request id and a typed body all the same.
    app.router.add_route("*", "/{tail:.*}", tracked(not_found))
    return app
