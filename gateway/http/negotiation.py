"""Which media type an answer to /graphql is sent in: GraphQL over HTTP's content negotiation,
and the streams an answer may be sent over: a subscription's (server-sent events, Apollo's
multipart subscriptions), and the parts of an operation with @defer or @stream (server-sent
events, multipart/mixed as Apollo's deferSpec=20220824 gives it).

A query or a mutation is answered whole, in JSON, whenever the client accepts JSON at all: a
stream is for a subscription, for an operation using @defer or @stream, or for a client that
accepts nothing else. Clients such as urql list every type they can read
(`application/graphql-response+json, ..., text/event-stream, multipart/mixed`) for every
operation; their queries must still be answered as JSON, which is compressed, carries an ETag and
may be kept by the response cache, where a stream is none of these. So the Accept header gives
two choices, the best whole answer and the best stream, and the operation decides between them
once its document is known.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from graphql import DocumentNode, OperationType, get_operation_ast

__all__ = [
    "Accepted",
    "Media",
    "MediaType",
    "accepted",
    "incremental_media",
    "may_stream",
    "negotiate",
    "parse_media_type",
    "streams",
    "takes_body",
]


class MediaType(enum.Enum):
    GRAPHQL_RESPONSE = "application/graphql-response+json"
    JSON = "application/json"
    EVENT_STREAM = "text/event-stream"  # the graphql-sse protocol, distinct connections
    MULTIPART = "multipart/mixed"  # Apollo's multipart subscriptions, subscriptionSpec 1.0
    # @defer and @stream parts, as Apollo Client asks for them (and Apollo Router sends them).
    MULTIPART_INCREMENTAL = "multipart/mixed; deferSpec=20220824"

    @property
    def streams(self) -> bool:
        return self in (
            MediaType.EVENT_STREAM,
            MediaType.MULTIPART,
            MediaType.MULTIPART_INCREMENTAL,
        )


@dataclass(frozen=True)
class Media:
    """The chosen type, and whether the client named it (rather than taking any with `*/*`,
    or sending no Accept at all): a client that names application/json is answered with the
    spec's status codes, one that names nothing keeps the gateway's older ones."""

    type: MediaType
    named: bool = True


LEGACY = Media(MediaType.JSON, named=False)


@dataclass(frozen=True)
class Accepted:
    """What an Accept header allows: the best whole answer (a JSON type) and the best stream,
    either None where it allows none."""

    whole: Media | None
    stream: Media | None

    @property
    def first(self) -> Media | None:
        """The answer before the document is known: whole if the client takes it."""
        return self.whole or self.stream


def accepted(accept: str | None) -> Accepted:
    """The best whole answer and the best stream `accept` allows. Highest q first; at equal q
    the more specific range wins, and graphql-response+json over plain JSON; a wildcard alone
    means JSON, as clients from before the spec expect; a stream only when named."""
    if accept is None or not accept.strip():
        return Accepted(LEGACY, None)
    best: dict[bool, tuple[tuple[float, int, int], Media]] = {}
    for part in accept.split(","):
        found = _candidate(part)
        if found is None:
            continue
        rank, media = found
        kept = best.get(media.type.streams)
        if kept is None or rank > kept[0]:
            best[media.type.streams] = rank, media
    whole, stream = best.get(False), best.get(True)
    return Accepted(whole[1] if whole else None, stream[1] if stream else None)


def negotiate(accept: str | None) -> Media | None:
    """The media type to answer a query or mutation with, or None when none `accept` names
    can be served."""
    return accepted(accept).first


def incremental_media(accept: str | None) -> MediaType | None:
    """The stream an operation with @defer or @stream is sent in parts over, when `accept`
    takes one: multipart/mixed with deferSpec=20220824 (or with no spec named), or
    text/event-stream; the higher q wins, the first listed at equal q. None: the client gets
    the whole answer at once."""
    best: tuple[float, int] | None = None
    chosen: MediaType | None = None
    for position, part in enumerate((accept or "").split(",")):
        kind, params = parse_media_type(part)
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            continue
        found = None
        if kind == MediaType.EVENT_STREAM.value:
            found = MediaType.EVENT_STREAM
        elif kind == MediaType.MULTIPART.value and "subscriptionspec" not in params:
            spec = params.get("deferspec")
            if spec is None or spec == "20220824":
                found = MediaType.MULTIPART_INCREMENTAL
        if found is not None and q > 0 and (best is None or (q, -position) > best):
            best, chosen = (q, -position), found
    return chosen


def may_stream(text: str) -> bool:
    """Whether a document's text may hold a subscription: a test that never misses one (a
    keyword is never escaped), so that the document is parsed here only when it might. An
    operation with @defer or @stream is found after the key is checked (admission's
    choose_delivery)."""
    return "subscription" in text


def streams(document: DocumentNode, operation_name: str | None) -> bool:
    """Whether the operation is a subscription, answered as a stream when the client accepts
    both a stream and JSON."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return False  # no such operation: the error is a whole answer
    return operation.operation is OperationType.SUBSCRIPTION


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """`type/subtype` in lower case, and its parameters by lower-case name (RFC 9110's
    media-type: both names are case-insensitive, a parameter's value may be quoted)."""
    kind, *raw = (piece.strip() for piece in value.split(";"))
    params = {}
    for item in raw:
        name, _, found = item.partition("=")
        params[name.strip().lower()] = found.strip().strip("'\"")
    return kind.lower(), params


def takes_body(content_type: str | None) -> bool:
    """Whether a POST's body is in the one media type GraphQL over HTTP names for requests:
    application/json, in UTF-8. Compared as a parsed type, never searched for: a browser sends
    `text/plain;charset=application/json` cross-site without asking first."""
    if content_type is None:
        return False
    kind, params = parse_media_type(content_type)
    return kind == MediaType.JSON.value and params.get("charset", "utf-8").lower() in (
        "utf-8",
        "utf8",
    )


def _candidate(part: str) -> tuple[tuple[float, int, int], Media] | None:
    kind, params = parse_media_type(part)
    try:
        q = float(params.get("q", "1"))
    except ValueError:
        return None
    charset = params.get("charset", "utf-8").lower()
    if q <= 0 or charset not in ("utf-8", "utf8"):
        return None
    if kind == MediaType.GRAPHQL_RESPONSE.value:
        return (q, 2, 1), Media(MediaType.GRAPHQL_RESPONSE)
    if kind == MediaType.JSON.value:
        return (q, 2, 0), Media(MediaType.JSON)
    if kind == MediaType.EVENT_STREAM.value:
        return (q, 2, 2), Media(MediaType.EVENT_STREAM)
    if kind == MediaType.MULTIPART.value and params.get("subscriptionspec", "").startswith("1.0"):
        return (q, 2, 2), Media(MediaType.MULTIPART)
    if kind == MediaType.MULTIPART.value and params.get("deferspec", "20220824") == "20220824":
        # Below JSON at equal q: only an operation with @defer or @stream is worth parts
        # (see incremental_media); alone, it is the whole answer as one part.
        return (q, 1, 1), Media(MediaType.MULTIPART_INCREMENTAL)
    if kind in ("*/*", "application/*"):
        return (q, 1 if kind == "application/*" else 0, 0), LEGACY
    return None
