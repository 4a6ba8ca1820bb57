"""The aiohttp view: runs a request through the admission steps, executes it, and keeps or
shapes the answer; and the subscription sockets, which obey the same rules."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeGuard

import orjson
from aiohttp import WSMsgType, web
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from strawberry.aiohttp.views import AiohttpWebSocketAdapter, GraphQLView
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from gateway.domain.auth import authenticate_credential, credential_of
from gateway.errors import (
    INTERNAL_CODE,
    BadUserInput,
    BodyTimeout,
    BodyTooLarge,
    GatewayError,
    MethodNotAllowed,
    NotAcceptable,
    Unauthenticated,
    UnsupportedMediaType,
)
from gateway.http.admission import (
    MEDIA,
    STEPS,
    Admission,
    named_document,
    not_modified,
    take_rate,
    variable_limits,
)
from gateway.http.appkeys import (
    ANONYMOUS,
    CACHE,
    CLOCK,
    KEYS,
    PERSISTED,
    QUESTIONS,
    REQUEST_ID,
    SETTINGS,
    SOCKETS,
    SUBSCRIPTIONS,
    VERSIONS,
    configuration_of,
)
from gateway.http.cache import CachedKeyLookup
from gateway.http.clients import asks_for_socket, client_address
from gateway.http.compat import IncrementalSocketHandler
from gateway.http.compression import compressed_response
from gateway.http.graphiql import gateway_page, local_page
from gateway.http.negotiation import LEGACY, Media, MediaType
from gateway.http.refusals import refuse
from gateway.http.streams import (
    INCREMENTAL_PROTOCOL,
    PROTOCOLS,
    EventStream,
    IncrementalMultipart,
    MultipartSubscriptions,
    admit_incremental,
    admit_stream,
    changes_only,
    farewell,
    opened,
    send_stream,
)
from gateway.providers.upstream.http import DEADLINE, MEMO, TOUCHED
from gateway.schema import Limits, build_schema
from gateway.schema.context import GatewayContext, LiveConnection
from gateway.schema.incremental import Payload, incremental_payloads
from gateway.schema.variables import check_variables

__all__ = ["MAX_SUBSCRIPTIONS", "GatewayView"]

CACHEABLE = web.ResponseKey("cacheable", bool)
ADMITTED = web.RequestKey("admitted", Admission)
LIVE = web.RequestKey("live", LiveConnection)
CONTEXT = web.RequestKey("context", GatewayContext)  # what the resolvers saw: see _ttl
ANSWER_MEDIA = web.ResponseKey("media", Media)

MAX_SUBSCRIPTIONS = 20  # live subscriptions one socket may hold at once
SUBSCRIPTION_OVER_HTTP = (
    "a subscription is sent over a websocket (graphql-transport-ws), or over HTTP with"
    " Accept: text/event-stream (graphql-sse) or multipart/mixed;subscriptionSpec=1.0"
)

TOO_MANY = 4429  # a socket over its key's share, or its address's rate, closes with this


class LiveSocket(AiohttpWebSocketAdapter):
    """A subscription socket. It sends a `next` only when its payload differs from the last one
    sent for that subscription (a live dashboard speaks when its figures change), holds at most
    MAX_SUBSCRIPTIONS at once (each one re-reads on every change of its tenant's data), and
    hands the protocol only JSON objects, so that any other message closes the socket with the
    protocol's 4400 rather than breaking its handler. Each `subscribe` is an operation like one
    sent over HTTP: it counts against the key's rate and names its document the same way, and
    holds one of its tenant's live subscriptions (TenantSubscriptions, shared with the streams
    over HTTP) until it completes, fails or its socket goes."""

    def __init__(
        self,
        view: AsyncBaseHTTPView[Any, Any, Any, Any, Any, Any, Any],
        request: web.Request,
        ws: web.WebSocketResponse,
    ) -> None:
        super().__init__(view, request, ws)
        self._last: dict[str, object] = {}
        self._active: set[str] = set()
        # The operations holding one of their tenant's live subscriptions, and that tenant.
        self._counted: set[str] = set()
        self._tenant = ""

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        try:
            async for message in self._messages(ignore_parsing_errors):
                yield message
        finally:  # the socket closed, dropped or broke: its subscriptions end with it
            for operation in list(self._counted):
                self._end(operation)

    async def _messages(self, ignore_parsing_errors: bool) -> AsyncGenerator[object, None]:
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
                refusal = await self._admit(operation, message)
                if refusal is not None:
                    await self._refuse(operation, refusal)
                    continue
                self._active.add(operation)
            elif message.get("type") == "complete" and isinstance(operation, str):
                self._active.discard(operation)
                self._end(operation)
            yield message

    async def _admit(self, operation: str, message: dict[str, Any]) -> GatewayError | None:
        """The refusal of a `subscribe`, or None with its payload's query filled in."""
        if operation not in self._active and len(self._active) >= MAX_SUBSCRIPTIONS:
            return BadUserInput(
                f"a socket may hold {MAX_SUBSCRIPTIONS} subscriptions at once; complete one first",
                limit="maxSubscriptions",
            )
        connection = self.request.get(LIVE)
        payload = message.get("payload")
        if connection is None or connection.principal is None or not isinstance(payload, dict):
            return None  # the protocol refuses it itself
        refusal = await take_rate(self.request.app, connection.principal, 1)
        if refusal is not None:
            return refusal
        query, extensions = payload.get("query"), payload.get("extensions")
        if not isinstance(query, str | None) or not isinstance(extensions, dict | None):
            return None
        variables = payload.get("variables")
        if isinstance(variables, dict):
            too_many = check_variables(variables, variable_limits(self.request.app))
            if too_many is not None:
                return too_many
        named: list[tuple[str, str]] = []
        data = GraphQLRequestData(query, None, None, extensions)
        try:
            data = named_document(self.request.app, data, {}, named)
        except GatewayError as error:
            return error
        if operation not in self._counted:
            self._tenant = connection.principal.tenant_id
            over = self.request.app[SUBSCRIPTIONS].take(self._tenant)
            if over is not None:
                return over
            self._counted.add(operation)
        for digest, text in named:
            self.request.app[PERSISTED].register(digest, text, connection.principal.tenant_id)
        payload["query"] = data.query
        return None

    def _end(self, operation: str) -> None:
        """Give back the tenant's subscription that `operation` held, if it held one."""
        if operation in self._counted:
            self._counted.discard(operation)
            self.request.app[SUBSCRIPTIONS].release(self._tenant)

    async def _refuse(self, operation: str, refusal: GatewayError) -> None:
        error = {"message": refusal.message, "extensions": refusal.extensions}
        await super().send_json({"type": "error", "id": operation, "payload": [error]})

    async def send_json(self, message: Mapping[str, object]) -> None:
        kind, operation = message.get("type"), message.get("id")
        payload = message.get("payload")
        # A part of @defer or @stream (with `hasNext`) is news however like the one before.
        if kind == "next" and isinstance(operation, str) and not _is_part(payload):
            if self._last.get(operation) == payload:
                return
            self._last[operation] = payload
        elif kind in ("complete", "error") and isinstance(operation, str):
            self._last.pop(operation, None)
            self._active.discard(operation)
            self._end(operation)
        await super().send_json(message)


class GatewayView(GraphQLView[GatewayContext, None]):
    def __init__(
        self,
        app: web.Application,
        *,
        graphiql: bool,
        fast: bool = True,
        limits: Limits | None = None,
        graphiql_assets: Path | None = None,
    ) -> None:
        self.app = app
        built = build_schema(fast=fast, limits=limits)
        self.hints = built.hints
        super().__init__(
            schema=built,
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,
                INCREMENTAL_PROTOCOL,
            ),
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self.fast = fast
        self.max_cost = (limits or Limits()).max_cost
        self.graphiql_assets = graphiql_assets
        self._local_graphiql: str | None = None
        self._graphiql_page = gateway_page()
        self.compression = app[SETTINGS].compression

    websocket_adapter_class = LiveSocket
    graphql_transport_ws_handler_class = IncrementalSocketHandler
    stream_transport_classes_by_protocol = {
        **GraphQLView.stream_transport_classes_by_protocol,
        MULTIPART_SUBSCRIPTION_PROTOCOL: MultipartSubscriptions,
        GRAPHQL_SSE_PROTOCOL: EventStream,
        INCREMENTAL_PROTOCOL: IncrementalMultipart,
    }

    async def render_graphql_ide(self, request: web.Request) -> web.Response:
        """GraphiQL from the gateway's own copies of its files when `gateway graphiql-assets`
        has fetched them; the stock page, which loads them from a CDN, otherwise."""
        if self._local_graphiql is None and self.graphiql_assets is not None:
            self._local_graphiql = local_page(self.graphiql_assets)
        page = self._local_graphiql or self._graphiql_page
        return web.Response(text=page, content_type="text/html")

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if asks_for_socket(request) or (
            request.method == "GET"
            and self.should_render_graphql_ide(self.request_adapter_class(request))
        ):
            # GraphiQL's page, or a subscription socket (its key comes in connection_init).
            page = await self._run(request)
            if self.compression:
                compressed_response(request, page)
            return page
        admission = Admission(request)
        for step in STEPS:
            # Refusals are small; a kept answer comes in the client's encoding already.
            answer = await step(admission)
            if answer is not None:
                return answer
        request[ADMITTED] = admission
        if admission.media.type.streams:
            held = (admit_incremental if admission.incremental else admit_stream)(admission)
            if isinstance(held, GatewayError):
                return refuse(held, request)
            request[LIVE] = held
        if admission.cache_key is not None:
            TOUCHED.set(set())
        try:
            response = self._keep(admission, await self._run(request))
        finally:
            live = request.get(LIVE)
            # A subscription's stream, however it ended (an answer in parts holds none).
            if live is not None and live.principal is not None and not admission.incremental:
                self.app[SUBSCRIPTIONS].release(live.principal.tenant_id)
        if self.compression:
            compressed_response(request, response)
        return response

    async def _run(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.run(request=request)
        except HTTPException as exc:
            return refuse(_refusal_of(exc), request)
        except GatewayError as exc:
            return refuse(exc, request)

    def is_websocket_request(self, request: web.Request) -> TypeGuard[web.Request]:
        """Only a GET asking for an upgrade can become a socket: Strawberry's own check builds
        a WebSocketResponse for every request to find out."""
        return asks_for_socket(request) and super().is_websocket_request(request)

    def _keep(self, admission: Admission, response: web.StreamResponse) -> web.StreamResponse:
        """Keep a whole answer in the cache with the headers that tell clients how long they
        may; answers that may not be kept say so."""
        request, principal, cache = admission.request, admission.principal, self.app.get(CACHE)
        if (
            cache is not None
            and principal is not None
            and admission.cache_key is not None
            and (response.get(CACHEABLE))
        ):
            assert isinstance(response, web.Response) and isinstance(response.body, bytes)
            touched = TOUCHED.get() or set()
            ttl = _ttl(request, touched, request.get(CONTEXT))
            # No longer than the shortest cache hint of the fields it holds (@cacheControl).
            operation = admission.operations[0]
            if operation.query is not None:
                hint = self.hints.max_age(operation.query, operation.operation_name)
                if hint is not None:
                    ttl = min(ttl, hint)
            # An answer with no lifetime (a hint of 0, a source with TTL 0) is neither kept nor
            # tagged: its headers, an ETag of its bytes among them, would go unused.
            if ttl <= 0:
                response.headers["cache-control"] = "no-store"
                return response
            headers = _caching_headers(response.body, ttl, touched, response.content_type)
            cache.put(
                admission.cache_key,
                principal.tenant_id,
                admission.cache_version,
                response.body,
                ttl,
                headers,
            )
            response.headers.update(headers)
            response.headers["x-cache"] = "miss"
            if not_modified(request, headers):
                return web.Response(status=304, headers=headers)
        elif isinstance(response, web.Response) and response.status == 200:
            response.headers["cache-control"] = "no-store"
        return response

    async def execute_operation(
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: GatewayContext,
        root_value: None,
        sub_response: web.Response,
    ) -> Any:
        """A batch's operations run together, as in Strawberry, but start one loop turn apart:
        each parses and validates at once when it starts, so started all at once they would
        hold the loop for all of their analysis together."""
        if not isinstance(request_data, list):
            result = await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
            if isinstance(result, ExecutionResult | list):
                return result
            if context.incremental:
                return await _in_parts(result, context)  # @defer and @stream
            return changes_only(result)  # a subscription's stream
        running = []
        for data in request_data:
            single = self.execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=data,
            )
            running.append(asyncio.ensure_future(single))
            await asyncio.sleep(0)
        return await asyncio.gather(*running)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        # The admission steps have decoded the body and named each operation's document.
        admission: Admission = request.request[ADMITTED]  # type: ignore[attr-defined]
        if admission.batch:
            return admission.operations
        protocol = PROTOCOLS.get(admission.media.type)
        if protocol is None:
            return admission.operations[0]
        return replace(admission.operations[0], protocol=protocol)

    async def execute_single(
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: GatewayContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Strawberry lets a subscription through plain HTTP, where it would run once and answer
        # null data; here it is refused with the ways it can be sent.
        method = request_adapter.method
        allowed = {OperationType.QUERY}
        if method == "POST":
            allowed.add(OperationType.MUTATION)
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise BadUserInput(SUBSCRIPTION_OVER_HTTP) from error
            raise HTTPException(400, error.as_http_error_reason(method)) from error
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request") from error

    async def create_streaming_response(
        self,
        request: web.Request,
        stream: Callable[[], AsyncGenerator[str, None]],
        sub_response: web.Response,
        headers: Mapping[str, str],
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=sub_response.status, headers={**sub_response.headers, **headers}
        )
        response.headers["x-request-id"] = request[REQUEST_ID]
        # A transport only encodes, so one made here from the view's own table serves.
        protocol = PROTOCOLS[request[ADMITTED].media.type]
        transport = next(
            kind()
            for kind in self.stream_transport_classes_by_protocol.values()
            if kind.protocol == protocol
        )
        ending = farewell(transport, self.encode_json_string)
        if isinstance(transport, IncrementalMultipart):
            stream = opened(stream, transport.opening)
        sockets = self.app[SOCKETS]
        return await send_stream(request, response, stream, sockets, request[LIVE], ending)

    async def process_result(self, request: web.Request, result: Any) -> GraphQLHTTPResponse:
        if isinstance(result, Payload):  # a part of an answer in parts, formatted already
            return result.body  # type: ignore[return-value]
        return await super().process_result(request, result)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming a persisted query by hash has no `query`, yet is no browser's visit.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def create_websocket_response(
        self, request: web.Request, subprotocol: str | None
    ) -> web.WebSocketResponse:
        # Pings find dead peers; the app closes every socket when it shuts down.
        socket = web.WebSocketResponse(
            protocols=[subprotocol] if subprotocol else [], heartbeat=30, max_msg_size=64 * 1024
        )
        await socket.prepare(request)
        connection = LiveConnection(client_address(request, self.app[SETTINGS].trusted_proxies))
        request[LIVE] = connection
        self.app[SOCKETS].add(socket, connection)
        return socket

    async def on_ws_connect(self, context: GatewayContext) -> UnsetType | dict[str, object] | None:
        """The key of a subscription's connection: `x-api-key` (or `x-api-key-id`) in the
        connection_init payload, as the headers of a query would carry it. An unknown key closes
        the socket with 4403; a key over its share of sockets, or an address over its rate of
        bad keys, with 4429."""
        params = context.connection_params or {}
        headers = {k.lower(): v for k, v in params.items() if isinstance(v, str)}
        connection = context.live
        assert connection is not None and context.keys is not None
        credential = credential_of(headers)
        keys, gate = context.keys, self.app[ANONYMOUS]
        principal = None
        if credential is not None and isinstance(keys, CachedKeyLookup):
            principal = keys.known(credential)
        if principal is None:
            if await gate.check(connection.address) is not None:
                await self._close(context, TOO_MANY, "too many bad keys from this address")
            try:
                principal = await authenticate_credential(credential, headers, keys)
            except Unauthenticated:
                await gate.take(connection.address)
                raise ConnectionRejectionError() from None
        held = self.app[SOCKETS].held_by(principal.key_handle)
        limit = self.app[SETTINGS].max_sockets_per_key
        if held >= limit:
            await self._close(context, TOO_MANY, f"a key may hold {limit} sockets at once")
        assert credential is not None
        connection.principal, connection.credential_hash = principal, credential.hash
        context.caller = principal
        accepted: UnsetType = UNSET
        return accepted

    async def _close(self, context: GatewayContext, code: int, reason: str) -> None:
        """Close the socket with `code` (Strawberry's own 4403 that follows finds it closed)."""
        if context.live is not None:
            await self.app[SOCKETS].close(context.live, code, reason)
        raise ConnectionRejectionError()

    async def get_sub_response(self, request: web.Request) -> web.Response:
        response = web.Response()
        response[ANSWER_MEDIA] = request.get(MEDIA, LEGACY)
        return response

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> GatewayContext:
        # Upstream calls made for this request share its deadline and send identical GETs once.
        settings = self.app[SETTINGS]
        DEADLINE.set(time.monotonic() + settings.request_deadline_seconds)
        MEMO.set({})
        admission = request.get(ADMITTED)
        context = request[CONTEXT] = GatewayContext(
            caller=None if admission is None else admission.principal,
            registry=configuration_of(request).registry,
            request_id=request[REQUEST_ID],
            clock=self.app[CLOCK],
            versions=self.app.get(VERSIONS),
            questions=self.app.get(QUESTIONS),
            keys=self.app[KEYS],
            deadline_seconds=settings.request_deadline_seconds,
            parsed={} if admission is None else admission.parsed,
            # The operations of one HTTP request share one cost limit; a socket's each its own.
            cost_left=None if admission is None else self.max_cost,
            live=request.get(LIVE),
            # A socket sends parts as `next` messages; HTTP as the admission steps chose.
            incremental=True if admission is None else admission.incremental,
        )
        return context

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        # A document that failed to parse, validate or take its variables has no data and no
        # error paths: a request error, sent without a `data` entry. Its status is 400 in
        # application/graphql-response+json, and for clients that named no type (the
        # gateway's status before it negotiated); 200 for those that named application/json,
        # as GraphQL over HTTP says.
        media = sub_response.get(ANSWER_MEDIA, LEGACY)
        if isinstance(response_data, Mapping):
            if _is_request_error(response_data):
                response_data.pop("data", None)
                if media.type is MediaType.GRAPHQL_RESPONSE or not media.named:
                    sub_response.set_status(400)
            # Only whole, fresh answers are kept: an error may be gone on the next try, and a
            # stale upstream answer is being refreshed.
            sub_response[CACHEABLE] = (
                response_data.get("data") is not None
                and not response_data.get("errors")
                and "stale" not in (response_data.get("extensions") or {})
            )
        if not self.fast:
            response = super().create_response(response_data, sub_response)
        else:
            sub_response.body = orjson.dumps(response_data)
            response = sub_response
        response.content_type = _content_type(media)
        return response


_PROTOCOL: tuple[type[BadUserInput], ...] = (
    MethodNotAllowed,
    NotAcceptable,
    BodyTimeout,
    BodyTooLarge,
    UnsupportedMediaType,
)


async def _in_parts(results: AsyncIterator[Any], context: GatewayContext) -> Any:
    """An operation's parts, once its first is ready; or, when it was refused before it ran
    (it does not parse, validate, or fit its cost), the refusal as a whole answer, in JSON with
    its status, as any other request error."""
    parts = incremental_payloads(results, context)
    first = await anext(parts, None)
    if isinstance(first, ExecutionResult) and first.data is None and first.errors:
        await parts.aclose()
        return first

    async def all_parts() -> AsyncGenerator[Any, None]:
        if first is not None:
            yield first
        async for part in parts:
            yield part

    return all_parts()


def _is_part(payload: object) -> bool:
    return isinstance(payload, Mapping) and "hasNext" in payload


def _refusal_of(exc: HTTPException) -> BadUserInput:
    """What Strawberry's HTTP layer refused (a GET of a mutation, no query, a bad body), as the
    gateway's error of that status; Strawberry's own status where none is (404 for GraphiQL
    turned off)."""
    kind = next((k for k in _PROTOCOL if k.status == exc.status_code), BadUserInput)
    error = kind(exc.reason)
    error.status = exc.status_code
    return error


def _content_type(media: Media) -> str:
    return media.type.value if media.type is MediaType.GRAPHQL_RESPONSE else "application/json"


def _is_request_error(response: Mapping[str, Any]) -> bool:
    """No data and no error in a field: the request itself was refused. An internal error
    (something escaped execution, masked) is the gateway's fault, never a request error."""
    errors = response.get("errors") or []
    return (
        response.get("data") is None
        and bool(errors)
        and all("path" not in error and not _internal(error) for error in errors)
    )


def _internal(error: Mapping[str, Any]) -> bool:
    return (error.get("extensions") or {}).get("code") == INTERNAL_CODE


def _caching_headers(
    body: bytes, ttl: float, sources: set[str], content_type: str = "application/json"
) -> dict[str, str]:
    """What a cacheable answer tells browsers and CDNs: an ETag of its bytes, and how long it
    may be kept. Answers from the native store are dropped by the gateway as soon as ingest moves
    the tenant's data, so clients must ask again each time (a 304 when unchanged); answers from
    upstream sources only live out their TTL, as in the gateway's own cache. Always private:
    another key may see other data."""
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    native = not sources or "native" in sources
    control = "private, no-cache" if native else f"private, max-age={int(ttl)}"
    return {
        "Content-Type": content_type,
        "x-cache": "hit",
        "etag": etag,
        "cache-control": control,
        "vary": "accept, accept-encoding",  # the media type and the encoding are chosen
    }


def _ttl(request: web.Request, sources: set[str], context: GatewayContext | None) -> float:
    """How long an answer is kept: no longer than any upstream source it used allows, and
    otherwise by what its windows say. An answer that moves with the clock (a range ending now)
    lives the configured TTL; one whose windows are whole local days, or given dates, cannot
    change before one of its days ends unless its data does, which drops it at once: it lives
    until then, at most the settled TTL. A TTL of 0 turns the cache off."""
    settings = request.app[SETTINGS]
    ttl = settings.cache_ttl_seconds
    changes_at = None if context is None else context.changes_at
    if ttl > 0 and context is not None:
        if changes_at is None:
            ttl = max(ttl, settings.cache_settled_ttl_seconds)
        else:
            left = (changes_at - context.clock()).total_seconds()
            if left > 0:
                ttl = min(max(ttl, settings.cache_settled_ttl_seconds), left)
    ttls = configuration_of(request).source_ttls
    return min([ttl, *(ttls.get(s, 0.0) for s in sources)])
