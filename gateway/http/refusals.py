"""Refusals: every answer that turns a whole HTTP request down, built in one place, with the
error's own status (GatewayError.status) and the body shape of the surface it answers on.

    Surface.GRAPHQL  /graphql and the CSV export, whose callers are the graph's (same key, same
                     client): {"errors": [{"message", "extensions": {"code", ...}}]}, with no
                     `data` entry (nothing ran), in the media type the request negotiated.
    Surface.PLAIN    webhooks, health, metrics and unknown paths, for senders and probes that
                     are no GraphQL clients: {"error": message, "code", ...extensions}.

A refusal that says when to try again (`retryAfter`) says it in Retry-After too, where
clients' retry logic looks.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from aiohttp import web

from gateway.errors import GatewayError
from gateway.http.negotiation import LEGACY, Media, MediaType

__all__ = ["MEDIA", "Surface", "refuse"]

# The answer's media type, once the admission steps negotiated it.
MEDIA = web.RequestKey("media", Media)


class Surface(enum.Enum):
    GRAPHQL = "graphql"
    PLAIN = "plain"


def refuse(
    error: GatewayError,
    request: web.Request | None = None,
    *,
    surface: Surface = Surface.GRAPHQL,
    headers: Mapping[str, str] = {},
    details: Mapping[str, object] = {},
) -> web.Response:
    """The answer refusing the request with `error`: its status, its surface's body. `details`
    go beside the code (lists, say, which an error's own extensions do not hold)."""
    sent = dict(headers)  # and x-request-id, which every route's wrapper adds (gateway.http.app)
    if "retryAfter" in error.extra:
        sent.setdefault("retry-after", str(error.extra["retryAfter"]))
    if surface is Surface.PLAIN:
        body: dict[str, object] = {"error": error.message, **error.extensions, **details}
        return web.json_response(body, status=error.status, headers=sent)
    extensions = {**error.extensions, **details}
    body = {"errors": [{"message": error.message, "extensions": extensions}]}
    media = LEGACY if request is None else request.get(MEDIA, LEGACY)
    kind = media.type.value if media.type is MediaType.GRAPHQL_RESPONSE else MediaType.JSON.value
    return web.json_response(body, status=error.status, headers=sent, content_type=kind)
