"""create_app(settings): the aiohttp application, its routes, and the resources it owns."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from gateway.appkeys import CLOCK, KEYS, REGISTRY, REQUEST_ID, STORE
from gateway.context import Clock, system_clock
from gateway.export import export_campaigns
from gateway.providers.base import ProviderRegistry
from gateway.providers.native import NativeProvider, SqliteStore
from gateway.providers.native.tenancy import Tenancy
from gateway.settings import Settings
from gateway.view import GatewayView
from gateway.webhooks import receive_webhook

__all__ = ["STORE", "create_app"]

log = logging.getLogger("gateway.app")


_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    # Keep a caller's id (a load balancer's, say) when it is harmless to echo and log.
    incoming = request.headers.get("x-request-id", "")
    request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(8)
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["x-request-id"] = request_id
        raise
    response.headers["x-request-id"] = request_id
    return response


async def healthz(request: web.Request) -> web.Response:
    store = request.app[STORE]
    await store.fetch_one("SELECT 1")
    return web.json_response({"status": "ok", "store": "ok"})


async def to_graphql(request: web.Request) -> web.Response:
    raise web.HTTPFound("/graphql")


def create_app(settings: Settings, *, clock: Clock = system_clock) -> web.Application:
    app = web.Application(middlewares=[request_ids])
    app[CLOCK] = clock

    async def open_store(app: web.Application) -> AsyncIterator[None]:
        store = await SqliteStore.open(settings.database_path)
        app[STORE] = store
        app[REGISTRY] = ProviderRegistry({"native": NativeProvider(store)})
        app[KEYS] = Tenancy(store)
        log.info("store open at %s", settings.database_path)
        yield
        await store.close()

    app.cleanup_ctx.append(open_store)
    view = GatewayView(graphiql=settings.graphiql)
    app.router.add_route("GET", "/graphql", view)
    app.router.add_route("POST", "/graphql", view)
    app.router.add_post("/webhooks/{source}", receive_webhook)
    app.router.add_get("/export/campaigns.csv", export_campaigns)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", to_graphql)
    return app
