"""The aiohttp view: authenticates, builds the per-request context, shapes HTTP statuses."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import AsyncGenerator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from aiohttp import WSMsgType, web
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import FieldNode, GraphQLSyntaxError, OperationDefinitionNode, parse
from strawberry.aiohttp.views import AiohttpWebSocketAdapter, GraphQLView
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from gateway.appkeys import (
    CACHE,
    CLOCK,
    KEYS,
    LIMITER,
    PRINCIPAL,
    REGISTRY,
    REQUEST_ID,
    SETTINGS,
    SHARED_LIMITER,
    SOCKETS,
    SOURCE_TTLS,
    VERSIONS,
)
from gateway.auth import authenticate
from gateway.cache import CachedKeyLookup
from gateway.context import GatewayContext
from gateway.errors import BadUserInput, GatewayError, RateLimited, Unauthenticated, UpstreamError
from gateway.graphiql import local_page
from gateway.metrics import CACHE_HIT, CACHE_MISS
from gateway.persisted import PersistedQueries, PersistedQueryNotFound
from gateway.providers.upstream.http import DEADLINE, MEMO, TOUCHED
from gateway.schema import Limits, build_schema

__all__ = ["GatewayView", "error_response"]

CACHEABLE = web.ResponseKey("cacheable", bool)
_BATCH = re.compile(rb"\s*\[")


MAX_SUBSCRIPTIONS = 20  # live subscriptions one socket may hold at once


class LiveSocket(AiohttpWebSocketAdapter):
    """A subscription socket. It sends a `next` only when its payload differs from the last one
    sent for that subscription (a live dashboard speaks when its figures change), holds at most
    MAX_SUBSCRIPTIONS at once (each one re-reads on every change of its tenant's data), and
    hands the protocol only JSON objects, so that any other message closes the socket with the
    protocol's 4400 rather than breaking its handler."""

    def __init__(
        self,
        view: AsyncBaseHTTPView[Any, Any, Any, Any, Any, Any, Any],
        request: web.Request,
        ws: web.WebSocketResponse,
    ) -> None:
        super().__init__(view, request, ws)
        self._last: dict[str, object] = {}
        self._active: set[str] = set()

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        async for frame in self.ws:
            if frame.type == WSMsgType.BINARY:
                raise NonTextMessageReceived
            if frame.type != WSMsgType.TEXT:
                continue
            try:
                message = orjson.loads(frame.data)
            except orjson.JSONDecodeError as error:
                if ignore_parsing_errors:
                    continue
                raise NonJsonMessageReceived from error
            if not isinstance(message, dict):
                yield {}  # no type: the protocol closes with 4400
                continue
            operation = message.get("id")
            if message.get("type") == "subscribe" and isinstance(operation, str):
                if operation not in self._active and len(self._active) >= MAX_SUBSCRIPTIONS:
                    await self._refuse(operation)
                    continue
                self._active.add(operation)
            elif message.get("type") == "complete" and isinstance(operation, str):
                self._active.discard(operation)
            yield message

    async def _refuse(self, operation: str) -> None:
        refusal = BadUserInput(
            f"a socket may hold {MAX_SUBSCRIPTIONS} subscriptions at once; complete one first",
            limit="maxSubscriptions",
        )
        error = {"message": refusal.message, "extensions": refusal.extensions}
        await super().send_json({"type": "error", "id": operation, "payload": [error]})

    async def send_json(self, message: Mapping[str, object]) -> None:
        kind, operation = message.get("type"), message.get("id")
        if kind == "next" and isinstance(operation, str):
            payload = message.get("payload")
            if self._last.get(operation) == payload:
                return
            self._last[operation] = payload
        elif kind in ("complete", "error") and isinstance(operation, str):
            self._last.pop(operation, None)
            self._active.discard(operation)
        await super().send_json(message)


def error_response(error: GatewayError, status: int, request: web.Request) -> web.Response:
    body = {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]}
    headers = {"x-request-id": request.get(REQUEST_ID, "")}
    return web.json_response(body, status=status, headers=headers)


class GatewayView(GraphQLView[GatewayContext, None]):
    def __init__(
        self,
        *,
        graphiql: bool,
        fast: bool = True,
        limits: Limits | None = None,
        graphiql_assets: Path | None = None,
    ) -> None:
        self.introspection = limits is None or limits.introspection
        super().__init__(
            schema=build_schema(fast=fast, limits=limits),
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self.fast = fast
        self.max_batch_operations = (limits or Limits()).max_batch_operations
        self.persisted = PersistedQueries()
        self.graphiql_assets = graphiql_assets
        self._local_graphiql: str | None = None

    websocket_adapter_class = LiveSocket

    async def render_graphql_ide(self, request: web.Request) -> web.Response:
        """GraphiQL from the gateway's own copies of its files when `gateway graphiql-assets`
        has fetched them; the stock page, which loads them from a CDN, otherwise."""
        if self._local_graphiql is None and self.graphiql_assets is not None:
            self._local_graphiql = local_page(self.graphiql_assets)
        if self._local_graphiql is None:
            return await super().render_graphql_ide(request)
        return web.Response(text=self._local_graphiql, content_type="text/html")

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET" and request.headers.get("upgrade", "").lower() == "websocket":
            # A subscription: the key comes in the connection_init payload (on_ws_connect).
            try:
                return await self.run(request=request)
            except HTTPException as exc:
                return error_response(BadUserInput(exc.reason), exc.status_code, request)
        # Only a GET can be a browser asking for GraphiQL; a POST skips building the adapter.
        if request.method == "POST" or not self.should_render_graphql_ide(
            self.request_adapter_class(request)
        ):
            keys = request.app[KEYS]
            secret = request.headers.get("x-api-key")
            known = keys.known(secret) if secret and isinstance(keys, CachedKeyLookup) else None
            if known is not None:
                request[PRINCIPAL] = known
            else:
                try:
                    await self._authenticate(request)
                except Unauthenticated as exc:
                    return error_response(exc, 401, request)
                except UpstreamError as exc:  # the store holding the keys is down
                    return error_response(exc, 503, request)
                principal = request.get(PRINCIPAL)
                if secret and principal is not None and isinstance(keys, CachedKeyLookup):
                    keys.remember(secret, principal)
            operations = await _operations(request)
            if operations > self.max_batch_operations:
                return error_response(
                    BadUserInput(
                        f"the batch has {operations} operations, over the limit of"
                        f" {self.max_batch_operations}",
                        limit="maxBatchOperations",
                    ),
                    400,
                    request,
                )
            principal = request.get(PRINCIPAL)
            if principal is not None:
                shared = request.app.get(SHARED_LIMITER)
                if shared is not None:
                    wait = await shared.take(principal.tenant_id, principal.key_handle, operations)
                else:
                    wait = request.app[LIMITER].take(
                        principal.tenant_id, principal.key_handle, operations
                    )
                if wait > 0:
                    retry = max(1, math.ceil(wait))
                    refusal = error_response(
                        RateLimited(
                            f"this key is over its rate; try again in {retry} s", retryAfter=retry
                        ),
                        429,
                        request,
                    )
                    refusal.headers["retry-after"] = str(retry)
                    return refusal
        cache = request.app.get(CACHE)
        key = await cache_key(request) if cache is not None else None
        if cache is not None and key is not None:
            hit = cache.lookup(key)
            (CACHE_MISS if hit is None else CACHE_HIT).inc()
            if hit is not None:
                if _not_modified(request, hit.headers):
                    return web.Response(status=304, headers=hit.headers)
                return web.Response(body=hit.body, headers=hit.headers)
            version = cache.version(request[PRINCIPAL].tenant_id)
            TOUCHED.set(set())
        try:
            response = await self.run(request=request)
        except HTTPException as exc:
            return error_response(BadUserInput(exc.reason), exc.status_code, request)
        except PersistedQueryNotFound as exc:
            return error_response(exc, 200, request)  # the client answers by sending the query
        except GatewayError as exc:
            return error_response(exc, 400, request)
        if cache is not None and key is not None and response.get(CACHEABLE):
            assert isinstance(response, web.Response) and isinstance(response.body, bytes)
            ttl = _ttl(request, TOUCHED.get() or set())
            headers = _caching_headers(response.body, ttl, TOUCHED.get() or set())
            cache.put(key, request[PRINCIPAL].tenant_id, version, response.body, ttl, headers)
            if ttl > 0:
                response.headers.update(headers)
                response.headers["x-cache"] = "miss"
                if _not_modified(request, headers):
                    return web.Response(status=304, headers=headers)
        elif isinstance(response, web.Response) and response.status == 200:
            response.headers["cache-control"] = "no-store"
        return response

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            return [self.persisted.resolve(item) for item in data]
        return self.persisted.resolve(data)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming a persisted query by hash has no `query`, yet is no browser's visit.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    def decode_json(self, data: str | bytes) -> object:
        # orjson: faster, and bytes that are not UTF-8 are a JSONDecodeError (a 400) too.
        value = orjson.loads(data)
        if isinstance(value, dict) or (
            isinstance(value, list) and value and all(isinstance(item, dict) for item in value)
        ):
            return value
        raise HTTPException(
            400, "the body must be a JSON object, or for a batch a non-empty array of them"
        )

    async def _authenticate(self, request: web.Request) -> None:
        has_key = "x-api-key" in request.headers or "x-api-key-id" in request.headers
        # The schema is public: GraphiQL fetches it before the user has typed a key in, and a
        # federation gateway its subgraph SDL (`_service`).
        if not has_key and self.introspection and await _is_introspection_only(request):
            return
        request[PRINCIPAL] = await authenticate(request.headers, request.app[KEYS])

    async def create_websocket_response(
        self, request: web.Request, subprotocol: str | None
    ) -> web.WebSocketResponse:
        # Pings find dead peers; the app closes every socket when it shuts down.
        socket = web.WebSocketResponse(
            protocols=[subprotocol] if subprotocol else [], heartbeat=30, max_msg_size=64 * 1024
        )
        await socket.prepare(request)
        request.app[SOCKETS].add(socket)
        return socket

    async def on_ws_connect(self, context: GatewayContext) -> UnsetType | dict[str, object] | None:
        """The key of a subscription's connection: `x-api-key` (or `x-api-key-id`) in the
        connection_init payload, as the headers of a query would carry it."""
        params = context.connection_params or {}
        headers = {k.lower(): v for k, v in params.items() if isinstance(v, str)}
        assert context.keys is not None
        try:
            context.caller = await authenticate(headers, context.keys)
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from None
        accepted: UnsetType = UNSET
        return accepted

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> GatewayContext:
        # Upstream calls made for this request share its deadline and send identical GETs once.
        DEADLINE.set(time.monotonic() + request.app[SETTINGS].request_deadline_seconds)
        MEMO.set({})
        return GatewayContext(
            caller=request.get(PRINCIPAL),
            registry=request.app[REGISTRY],
            request_id=request[REQUEST_ID],
            clock=request.app[CLOCK],
            versions=request.app.get(VERSIONS),
            keys=request.app[KEYS],
            deadline_seconds=request.app[SETTINGS].request_deadline_seconds,
        )

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        # A document that failed to parse or validate has no data and no error paths: the
        # request as a whole is bad, so it answers 400 rather than 200.
        if isinstance(response_data, Mapping):
            if _is_request_error(response_data):
                sub_response.set_status(400)
            # Only whole answers are kept: an error may be gone on the next try.
            sub_response[CACHEABLE] = response_data.get(
                "data"
            ) is not None and not response_data.get("errors")
        if not self.fast:
            return super().create_response(response_data, sub_response)
        sub_response.body = orjson.dumps(response_data)
        sub_response.content_type = "application/json"
        return sub_response


async def _operations(request: web.Request) -> int:
    """How many operations the request carries: the length of a batch, otherwise 1."""
    if request.method != "POST":
        return 1
    body = await request.read()
    if not _BATCH.match(body):
        return 1
    try:
        batch = orjson.loads(body)
    except orjson.JSONDecodeError:
        return 1
    return len(batch) if isinstance(batch, list) else 1


def _is_request_error(response: Mapping[str, Any]) -> bool:
    errors = response.get("errors") or []
    return (
        response.get("data") is None
        and bool(errors)
        and all("path" not in error for error in errors)
    )


async def _is_introspection_only(request: web.Request) -> bool:
    query: object
    if request.method == "GET":
        query = request.query.get("query")
    else:
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return False
        query = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(query, str):
        return False
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(
        isinstance(selection, FieldNode)
        and (selection.name.value.startswith("__") or selection.name.value == "_service")
        for operation in operations
        for selection in operation.selection_set.selections
    )


# Bodies larger than this are not worth a cache key of their own.
MAX_KEY_BODY = 16 * 1024


async def cache_key(request: web.Request) -> tuple[object, ...] | None:
    """What a POSTed request's answer depends on besides the tenant's data, or None when the
    cache does not take it. The body itself is the key's part: the same query with the same
    variables sent the same way is the same entry, with no parsing on the way to a hit (whether
    the answer may be kept is decided when it is built; see CACHEABLE)."""
    principal = request.get(PRINCIPAL)
    if principal is None:
        return None
    if request.method == "GET":
        # A GET (a persisted query, say) is the same request whatever order its parameters
        # come in only if they come the same way; the raw query string is the key's part.
        query = request.query_string
        return (
            None
            if len(query) > MAX_KEY_BODY
            else (principal.tenant_id, principal.key_handle, "GET", query)
        )
    body = await request.read()
    if len(body) > MAX_KEY_BODY:
        return None
    # A key's tenant, kind, number and scopes never change, so its handle stands for all
    # that it may see.
    return (principal.tenant_id, principal.key_handle, body)


def _caching_headers(body: bytes, ttl: float, sources: set[str]) -> dict[str, str]:
    """What a cacheable answer tells browsers and CDNs: an ETag of its bytes, and how long it
    may be kept. Answers from the native store are dropped by the gateway as soon as ingest moves
    the tenant's data, so clients must ask again each time (a 304 when unchanged); answers from
    upstream sources only live out their TTL, as in the gateway's own cache. Always private:
    another key may see other data."""
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    native = not sources or "native" in sources
    control = "private, no-cache" if native else f"private, max-age={int(ttl)}"
    return {
        "Content-Type": "application/json",
        "x-cache": "hit",
        "etag": etag,
        "cache-control": control,
    }


def _not_modified(request: web.Request, headers: Mapping[str, str]) -> bool:
    if request.method != "GET":
        return False
    wanted = request.headers.get("if-none-match")
    return wanted is not None and headers["etag"] in {tag.strip() for tag in wanted.split(",")}


def _ttl(request: web.Request, sources: set[str]) -> float:
    """As long as the settings allow, and no longer than any upstream source it used allows."""
    ttls = request.app[SOURCE_TTLS]
    return min([request.app[SETTINGS].cache_ttl_seconds, *(ttls.get(s, 0.0) for s in sources)])
