"""The gateway's exception tree; each class carries the GraphQL `extensions.code` it maps to
and the HTTP `status` of a request it refuses as a whole (gateway.http.refusals builds that answer).
Inside a GraphQL response that has run, every error is a field's, and the status is 200.

    GatewayError                 INTERNAL_SERVER_ERROR       500
    ├── Unauthenticated          UNAUTHENTICATED             401
    ├── Forbidden                FORBIDDEN                   403
    ├── TenantScopeNotAllowed    TENANT_SCOPE_NOT_ALLOWED    403
    ├── NumberNotLinked          NUMBER_NOT_LINKED           400
    ├── BadUserInput             BAD_USER_INPUT              400
    │   ├── MethodNotAllowed                                 405
    │   ├── NotAcceptable                                    406 (no media type served)
    │   ├── BodyTimeout                                      408 (the body came too slowly)
    │   ├── BodyTooLarge                                     413
    │   └── UnsupportedMediaType                             415
    ├── TooManyResults           TOO_MANY_RESULTS            400 (limit, max)
    ├── NotFound                 NOT_FOUND                   404
    ├── RateLimited              RATE_LIMITED                429 (retryAfter)
    ├── PaymentRequired          PAYMENT_REQUIRED            402
    ├── UnsupportedBySource      UNSUPPORTED_BY_SOURCE       400
    │   └── TimezoneNotSupported TIMEZONE_NOT_SUPPORTED      400 (source, timezone)
    └── UpstreamError            UPSTREAM_ERROR              502 (source, upstreamStatus)
        ├── UpstreamTimeout      UPSTREAM_TIMEOUT            502
        └── UpstreamUnavailable  UPSTREAM_UNAVAILABLE        502
            ├── StoreUnavailable UPSTREAM_UNAVAILABLE        503 (source "native", retryAfter)
            └── PlatformUnavailable UPSTREAM_UNAVAILABLE     503 (source, retryAfter)

Anything that is not a GatewayError reaches the client as INTERNAL_SERVER_ERROR with its message
masked; see `gateway.schema.extensions`."""

from __future__ import annotations

__all__ = [
    "INTERNAL_CODE",
    "BadUserInput",
    "BodyTimeout",
    "BodyTooLarge",
    "Forbidden",
    "GatewayError",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "NumberNotLinked",
    "PaymentRequired",
    "PlatformUnavailable",
    "RateLimited",
    "StoreUnavailable",
    "TenantScopeNotAllowed",
    "TimezoneNotSupported",
    "TooManyResults",
    "Unauthenticated",
    "UnsupportedBySource",
    "UnsupportedMediaType",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]

INTERNAL_CODE = "INTERNAL_SERVER_ERROR"

ExtensionValue = str | int | float | bool | None


class GatewayError(Exception):
    """An error whose message is safe to show to the caller."""

    code = INTERNAL_CODE
    status = 500

    def __init__(self, message: str, **extensions: ExtensionValue) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extensions

    @property
    def extensions(self) -> dict[str, ExtensionValue]:
        return {"code": self.code, **self.extra}


class Unauthenticated(GatewayError):
    """No API key, or an unknown or revoked one."""

    code = "UNAUTHENTICATED"
    status = 401


class Forbidden(GatewayError):
    """The key is valid but lacks the scope this field needs."""

    code = "FORBIDDEN"
    status = 403


class TenantScopeNotAllowed(GatewayError):
    """A tenant-scoped key asked for a field that needs a number-scoped key."""

    code = "TENANT_SCOPE_NOT_ALLOWED"
    status = 403


class NumberNotLinked(GatewayError):
    """A number field was asked without a linked or explicit number."""

    code = "NUMBER_NOT_LINKED"
    status = 400


class BadUserInput(GatewayError):
    """An argument is malformed or out of range."""

    code = "BAD_USER_INPUT"
    status = 400


class MethodNotAllowed(BadUserInput):
    """A known path asked with a method it does not take."""

    status = 405


class NotAcceptable(BadUserInput):
    """The request's Accept header names no media type the gateway answers in."""

    status = 406


class BodyTimeout(BadUserInput):
    """The request body did not arrive in time."""

    status = 408


class BodyTooLarge(BadUserInput):
    """The request body is larger than the gateway takes."""

    status = 413


class UnsupportedMediaType(BadUserInput):
    """The request body is not of a type the gateway reads."""

    status = 415


class TooManyResults(GatewayError):
    """An unpaged list holds more than it may answer at once; the message names the paged field
    to ask instead."""

    code = "TOO_MANY_RESULTS"
    status = 400


class NotFound(GatewayError):
    """An id is unknown, or not visible to the caller's tenant (the two are indistinguishable)."""

    code = "NOT_FOUND"
    status = 404


class RateLimited(GatewayError):
    """The gateway or an upstream refused for now; `retryAfter` says when to try again."""

    code = "RATE_LIMITED"
    status = 429


class PaymentRequired(GatewayError):
    """An upstream platform wants a paid plan for this."""

    code = "PAYMENT_REQUIRED"
    status = 402


class UnsupportedBySource(GatewayError):
    """The source behind this field cannot answer this field or argument."""

    code = "UNSUPPORTED_BY_SOURCE"
    status = 400


class TimezoneNotSupported(UnsupportedBySource):
    """The source aggregates by UTC day, so local days in another timezone would be a near miss."""

    code = "TIMEZONE_NOT_SUPPORTED"


class UpstreamError(GatewayError):
    """An upstream platform failed."""

    code = "UPSTREAM_ERROR"
    status = 502


class UpstreamTimeout(UpstreamError):
    """An upstream platform did not answer in time."""

    code = "UPSTREAM_TIMEOUT"


class UpstreamUnavailable(UpstreamError):
    """An upstream platform's circuit is open."""

    code = "UPSTREAM_UNAVAILABLE"


class StoreUnavailable(UpstreamUnavailable):
    """The native store does not answer: down, restarting, out of connections, or locked past
    its timeout. Sending a webhook or an import again is safe: each event is taken once."""

    status = 503
    # What `retryAfter` (and a webhook's Retry-After) says: a restart of the database server,
    # or a failover, usually takes a few seconds.
    RETRY_AFTER_SECONDS = 5

    def __init__(
        self,
        message: str = "the store is not answering; try again shortly",
        *,
        retry_after: int = RETRY_AFTER_SECONDS,
    ) -> None:
        super().__init__(message, source="native", retryAfter=retry_after)


class PlatformUnavailable(UpstreamUnavailable):
    """A source's platform is not installed, or its package failed to load: the gateway cannot
    take what is sent to that source until it restarts with the platform. 503 with Retry-After,
    so that a webhook sender keeps the delivery and sends it again (nothing was stored)."""

    status = 503
    # What `retryAfter` says: installing or repairing a package and restarting takes a minute
    # or so; a sender backing off further is fine, each event is taken once.
    RETRY_AFTER_SECONDS = 60

    def __init__(
        self, message: str, *, source: str, retry_after: int = RETRY_AFTER_SECONDS
    ) -> None:
        super().__init__(message, source=source, retryAfter=retry_after)
