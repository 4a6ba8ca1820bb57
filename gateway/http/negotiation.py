"""Which media type an answer to /graphql is sent in: GraphQL over HTTP's content negotiation,
the two streams a subscription may be sent over (server-sent events, Apollo's multipart), and
the two an operation with @defer or @stream may be sent in parts over (server-sent events,
multipart/mixed as Apollo's deferSpec=20220824 gives it)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "Media",
    "MediaType",
    "incremental_media",
    "negotiate",
    "parse_media_type",
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


def negotiate(accept: str | None) -> Media | None:
    """The media type to answer `accept` with, or None when none it names can be served.
    Highest q first; at equal q the more specific range wins, and graphql-response+json over
    plain JSON; a wildcard alone means JSON, as clients from before the spec expect."""
    if accept is None or not accept.strip():
        return LEGACY
    best: tuple[float, int, int] | None = None
    chosen: Media | None = None
    for part in accept.split(","):
        found = _candidate(part)
        if found is None:
            continue
        rank, media = found
        if best is None or rank > best:
            best, chosen = rank, media
    return chosen


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
