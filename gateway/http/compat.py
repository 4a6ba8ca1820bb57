"""aiohttp's server, given a request handler of the gateway's own, and Strawberry's socket
handler, sending the parts of @defer and @stream: nothing public serves either.

aiohttp builds its `web.Server` inside `AppRunner.setup()` and the server builds a
`RequestHandler` per connection with arguments it keeps in `Server._loop` and `Server._kwargs`;
neither offers a way to name another handler class. The gateway's handler answers a request
aiohttp's parser refuses with typed JSON (`RequestHandler.handle_error`, public) and its server
counts connections per address (`Server.connection_made` and `connection_lost`, public), so the
two reaches below are all it needs: `handler_of` builds a handler as `Server.__call__` does, and
`adopt` gives the server the runner built the gateway's subclass (which adds no state that
`__init__` would have set). At import the aiohttp release is checked against the range these
were written for: outside it, import fails with the supported range rather than a server that
misbehaves.
"""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types.execution import PreExecutionError

from gateway.providers.upstream.http import DEADLINE, MEMO
from gateway.schema.incremental import Payload, incremental_payloads

__all__ = ["SUPPORTED", "IncrementalSocketHandler", "adopt", "handler_of"]

SUPPORTED = ((3, 14, 4), (4, 0, 0))  # from the first, up to the second excluded
INSTALLED = version("aiohttp")

Handler = TypeVar("Handler", bound=RequestHandler)
ServerT = TypeVar("ServerT", bound=web.Server)


def _release(text: str) -> tuple[int, ...]:
    return tuple(int("".join(c for c in part if c.isdigit()) or 0) for part in text.split(".")[:3])


def _check() -> None:
    low, high = SUPPORTED
    if not low <= _release(INSTALLED) < high:
        raise ImportError(
            f"aiohttp {INSTALLED} is not one the gateway's server is written for"
            f" (>={'.'.join(map(str, low))},<{'.'.join(map(str, high))})"
        )


_check()


def handler_of(server: web.Server, handler_class: type[Handler]) -> Handler:
    """A connection's handler of `handler_class`, made as `server` makes its own."""
    kwargs: dict[str, Any] = server._kwargs
    return handler_class(server, loop=server._loop, **kwargs)


def adopt(server: web.Server, server_class: type[ServerT]) -> ServerT:
    """`server`, now of `server_class` (a subclass of its class that adds methods only)."""
    if not issubclass(server_class, type(server)):
        raise TypeError(f"{server_class.__name__} is not a {type(server).__name__}")
    server.__class__ = server_class
    assert isinstance(server, server_class)
    return server


class IncrementalSocketHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws with @defer and @stream: each part goes out as one `next` message,
    as graphql-ws servers send them (Strawberry refuses such operations on a socket, having no
    shape for their parts). `_send_result_stream` is Strawberry's own loop over an operation's
    results (0.330 to 0.341), the one place its handler sends them; the override keeps its
    handling of a first result that failed before execution, and checks for the method at
    import."""

    async def _send_result_stream(self, operation: Operation[Any, Any], result_source: Any) -> None:
        # Each operation has the request deadline of its own from when it starts (the socket's
        # context set one when it connected), and its own identical-call memo; its results
        # are produced here, in the operation's task.
        deadline = getattr(self.context, "deadline_seconds", None)
        if deadline is not None:
            DEADLINE.set(time.monotonic() + deadline)
            MEMO.set({})
        first = True
        async for result in incremental_payloads(result_source, self.context):
            if first and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            first = False
            if isinstance(result, Payload):
                message = {"id": operation.id, "type": "next", "payload": result.body}
                await operation.send_operation_message(message)  # type: ignore[arg-type]
            else:
                await operation.send_next(result)


if not callable(getattr(BaseGraphQLTransportWSHandler, "_send_result_stream", None)):
    raise ImportError(
        "strawberry-graphql no longer sends a socket's results through _send_result_stream;"
        " the gateway's sockets are written for releases 0.330 to 0.341"
    )
