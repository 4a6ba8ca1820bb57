"""Subscriptions over HTTP (server-sent events as graphql-sse sends them, and Apollo's multipart
subscriptions): a stream is held like a subscription socket, counted against its key's share of
sockets, closed when its key is revoked or the gateway stops, and it speaks only when its
figures change. An operation with @defer or @stream is sent in parts over the same streams (and
multipart/mixed as Apollo's deferSpec=20220824 gives it), held the same way while it runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Any, ClassVar, cast

from aiohttp import web
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestProtocol
from strawberry.http.streaming import (
    HTTPStreamTransport,
    MultipartSubscriptionTransport,
    SSETransport,
)

from gateway.errors import BadUserInput, GatewayError, RateLimited, Unauthenticated
from gateway.http.admission import Admission
from gateway.http.appkeys import SETTINGS, SOCKETS, SUBSCRIPTIONS
from gateway.http.clients import client_address
from gateway.http.negotiation import MediaType
from gateway.http.sockets import FORBIDDEN, Sockets
from gateway.schema.context import LiveConnection

__all__ = [
    "INCREMENTAL_PROTOCOL",
    "PROTOCOLS",
    "EventStream",
    "IncrementalMultipart",
    "LiveStream",
    "MultipartSubscriptions",
    "admit_incremental",
    "admit_stream",
    "changes_only",
    "farewell",
    "opened",
    "send_stream",
]

# The gateway's name for multipart/mixed parts of @defer and @stream (no Strawberry protocol).
INCREMENTAL_PROTOCOL = cast("GraphQLRequestProtocol", "multipart-incremental")

# Strawberry's name for the protocol each streaming media type speaks.
PROTOCOLS: dict[MediaType, GraphQLRequestProtocol] = {
    MediaType.EVENT_STREAM: "sse",
    MediaType.MULTIPART: "multipart-subscription",
    MediaType.MULTIPART_INCREMENTAL: INCREMENTAL_PROTOCOL,
}

_UNSEEN = object()


class MultipartSubscriptions(MultipartSubscriptionTransport):
    """Strawberry's multipart subscriptions, with the closing delimiter a MIME reader takes:
    each part already ends with `\r\n--graphql`, so the end is `--` after it, where Strawberry
    adds a whole new `\r\n--graphql--` (an empty part that strict readers refuse)."""

    def encode_complete(self) -> str:
        return "--\r\n"


class EventStream(SSETransport):
    """Strawberry's server-sent events with each line ended by LF alone. The SSE format takes
    CRLF too, but readers that split events on a blank line of LFs (GraphQL Tools'
    executor-http, which Hive Gateway and schema stitching use for subscriptions over HTTP)
    never see an event end in CRLF framing."""

    def encode_event(self, event: str, data: str | None = None) -> str:
        return super().encode_event(event, data).replace("\r\n", "\n")

    def encode_comment(self, comment: str) -> str:
        return f": {comment}\n\n"


class IncrementalMultipart(HTTPStreamTransport):
    """The parts of an operation with @defer or @stream in multipart/mixed, as Apollo Router
    sends them and Apollo Client reads them (deferSpec=20220824): the body opens with the
    delimiter, each part is one JSON payload followed by the delimiter (a reader knows a part
    has ended only when it sees the next delimiter, so it goes out with its part), and `--`
    after the last one closes the body."""

    protocol: ClassVar[GraphQLRequestProtocol] = INCREMENTAL_PROTOCOL
    batching_error: ClassVar[str] = "a stream carries one operation, not a batch"
    heartbeat_interval: float = 15.0
    send_initial_heartbeat: ClassVar[bool] = False
    boundary = "graphql"

    @property
    def headers(self) -> Mapping[str, str]:
        return {
            "Content-Type": f'multipart/mixed;boundary="{self.boundary}";deferSpec=20220824',
            "Cache-Control": "no-store",
        }

    @property
    def opening(self) -> str:
        return f"--{self.boundary}"

    def accepts(self, accept: str) -> bool:
        return False  # chosen by the admission steps (see negotiation.incremental_media)

    def encode_next(
        self, response: GraphQLHTTPResponse, encode_json: Callable[[object], str]
    ) -> str:
        return self._part(encode_json(response))

    def encode_complete(self) -> str:
        return "--\r\n"

    def heartbeat_message(self, encode_json: Callable[[object], str]) -> str:
        return self._part("{}")  # what Apollo Client reads as nothing, as from Apollo Router

    def _part(self, body: str) -> str:
        return (
            f"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{body}\r\n--{self.boundary}"
        )


def opened(
    stream: Callable[[], AsyncGenerator[str, None]], opening: str
) -> Callable[[], AsyncGenerator[str, None]]:
    """`stream`, its first chunk preceded by `opening`."""

    async def chunks() -> AsyncGenerator[str, None]:
        yield opening
        async for chunk in stream():
            yield chunk

    return chunks


class LiveStream:
    """The stream's side of `Sockets`: open while its client is, closed by cancelling the
    handler that writes it (which then ends the response)."""

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self._task = asyncio.current_task()
        self.closing = False
        self.revoked: str | None = None

    @property
    def closed(self) -> bool:
        transport = self._request.transport
        return self.closing or transport is None or transport.is_closing()

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        if self.closing:
            return False
        self.closing = True
        if code == FORBIDDEN:
            self.revoked = message.decode()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        return True


def admit_stream(admission: Admission) -> LiveConnection | GatewayError:
    """The stream's connection, held as a socket is within the key's same share, and one of
    its tenant's live subscriptions (the caller gives it back when the stream ends); or why
    not. Introspection may come without a key, but not held open."""
    refusal = _within_share(admission, "a stream")
    if refusal is not None:
        return refusal
    if admission.batch:
        return BadUserInput("a stream carries one operation, not a batch")
    assert admission.principal is not None  # _within_share refuses a caller without a key
    refusal = admission.request.app[SUBSCRIPTIONS].take(admission.principal.tenant_id)
    return refusal if refusal is not None else _connection(admission)


def admit_incremental(admission: Admission) -> LiveConnection | GatewayError:
    """The connection of an answer sent in parts: held within its key's share of sockets and
    streams (and closed with them when the key is revoked or the gateway stops) while it runs,
    but no live subscription: it ends when its last part is sent."""
    refusal = _within_share(admission, "an answer in parts")
    return refusal if refusal is not None else _connection(admission)


def _within_share(admission: Admission, what: str) -> GatewayError | None:
    """Why `what` may not be held open for this caller: no key, or the key's share of sockets
    and streams all held."""
    app, principal = admission.request.app, admission.principal
    if principal is None or admission.credential is None:
        return Unauthenticated(f"{what} needs a key: send x-api-key (or x-api-key-id)")
    limit = app[SETTINGS].max_sockets_per_key
    if app[SOCKETS].held_by(principal.key_handle) >= limit:
        return RateLimited(
            f"a key may hold {limit} sockets and streams at once", limit="maxSocketsPerKey"
        )
    return None


def _connection(admission: Admission) -> LiveConnection:
    request, principal, credential = admission.request, admission.principal, admission.credential
    assert principal is not None and credential is not None  # admitted by _within_share
    address = client_address(request, request.app[SETTINGS].trusted_proxies)
    return LiveConnection(address, principal, credential.hash)


def farewell(
    transport: HTTPStreamTransport, encode_json: Callable[[object], str]
) -> Callable[[GatewayError], str]:
    """How a stream ends on `error`: the error as its last result, then the protocol's end."""

    def ending(error: GatewayError) -> str:
        last: GraphQLHTTPResponse = {
            "errors": [{"message": error.message, "extensions": error.extensions}]
        }
        return transport.encode_next(last, encode_json) + transport.encode_complete()

    return ending


async def send_stream(
    request: web.Request,
    response: web.StreamResponse,
    stream: Callable[[], AsyncGenerator[str, None]],
    sockets: Sockets,
    connection: LiveConnection,
    ending: Callable[[GatewayError], str],
) -> web.StreamResponse:
    """Write the stream's chunks until it ends, its client leaves, or `sockets` closes it: a
    revoked key's stream ends with `ending`, its error and the protocol's end; one closed
    as the gateway stops just ends, so that its client reconnects, as from a socket's 1001."""
    live = LiveStream(request)
    sockets.add(live, connection)
    await response.prepare(request)
    try:
        async for chunk in stream():
            await response.write(chunk.encode())
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if not live.closing or task is None:
            raise
        task.uncancel()  # closed on purpose (a revoked key, the gateway stopping)
    except ConnectionError:  # the client went away
        return response
    finally:
        live.closing = True
    with contextlib.suppress(ConnectionError):
        if live.revoked is not None:
            await response.write(ending(Unauthenticated(live.revoked)).encode())
        await response.write_eof()
    return response


async def changes_only(results: AsyncIterator[Any]) -> AsyncGenerator[Any, None]:
    """The results that differ from the one before: a live dashboard re-reads on every change
    of its tenant's data, and only figures that moved are news."""
    last: object = _UNSEEN
    try:
        async for result in results:
            errors = [error.formatted for error in getattr(result, "errors", None) or []]
            seen = (getattr(result, "data", None), errors)
            if seen == last:
                continue
            last = seen
            yield result
    finally:
        closing = getattr(results, "aclose", None)
        if closing is not None:
            await closing()
