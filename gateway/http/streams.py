"""Subscriptions over HTTP (server-sent events as graphql-sse sends them, and Apollo's multipart
subscriptions): a stream is held like a subscription socket, counted against its key's share of
sockets, closed when its key is revoked or the gateway stops, and it speaks only when its
figures change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

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
    "PROTOCOLS",
    "EventStream",
    "LiveStream",
    "MultipartSubscriptions",
    "admit_stream",
    "changes_only",
    "farewell",
    "send_stream",
]

# Strawberry's name for the protocol each streaming media type speaks.
PROTOCOLS: dict[MediaType, GraphQLRequestProtocol] = {
    MediaType.EVENT_STREAM: "sse",
    MediaType.MULTIPART: "multipart-subscription",
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
    not."""
    app, principal, credential = admission.request.app, admission.principal, admission.credential
    if principal is None or credential is None:
        # Introspection may come without a key, but not held open.
        return Unauthenticated("a stream needs a key: send x-api-key (or x-api-key-id)")
    limit = app[SETTINGS].max_sockets_per_key
    if app[SOCKETS].held_by(principal.key_handle) >= limit:
        return RateLimited(
            f"a key may hold {limit} sockets and streams at once", limit="maxSocketsPerKey"
        )
    if admission.batch:
        return BadUserInput("a stream carries one operation, not a batch")
    refusal = app[SUBSCRIPTIONS].take(principal.tenant_id)
    if refusal is not None:
        return refusal
    address = client_address(admission.request, app[SETTINGS].trusted_proxies)
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
