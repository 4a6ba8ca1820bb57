"""The gateway's exception tree; each class carries the GraphQL `extensions.code` it maps to.

    GatewayError
    ├── Unauthenticated          UNAUTHENTICATED            (HTTP 401 for the whole request)
    ├── Forbidden                FORBIDDEN
    ├── TenantScopeNotAllowed    TENANT_SCOPE_NOT_ALLOWED
    ├── NumberNotLinked          NUMBER_NOT_LINKED
    ├── BadUserInput             BAD_USER_INPUT
    ├── TooManyResults           TOO_MANY_RESULTS           (limit, max)
    ├── NotFound                 NOT_FOUND
    ├── RateLimited              RATE_LIMITED               (retryAfter)
    ├── PaymentRequired          PAYMENT_REQUIRED
    ├── UnsupportedBySource      UNSUPPORTED_BY_SOURCE
    └── UpstreamError            UPSTREAM_ERROR             (source, upstreamStatus)
        ├── UpstreamTimeout      UPSTREAM_TIMEOUT
        └── UpstreamUnavailable  UPSTREAM_UNAVAILABLE
            └── StoreUnavailable UPSTREAM_UNAVAILABLE       (source "native", retryAfter)

Anything that is not a GatewayError reaches the client as INTERNAL_SERVER_ERROR with its message
masked; see `gateway.schema.extensions`.
"""

from __future__ import annotations

__all__ = [
    "INTERNAL_CODE",
    "BadUserInput",
    "Forbidden",
    "GatewayError",
    "NotFound",
    "NumberNotLinked",
    "PaymentRequired",
    "RateLimited",
    "StoreUnavailable",
    "TenantScopeNotAllowed",
    "TooManyResults",
    "Unauthenticated",
    "UnsupportedBySource",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]

INTERNAL_CODE = "INTERNAL_SERVER_ERROR"

ExtensionValue = str | int | float | bool | None


class GatewayError(Exception):
    """An error whose message is safe to show to the caller."""

    code = INTERNAL_CODE

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


class Forbidden(GatewayError):
    """The key is valid but lacks the scope this field needs."""

    code = "FORBIDDEN"


class TenantScopeNotAllowed(GatewayError):
    """A tenant-scoped key asked for a field that needs a number-scoped key."""

    code = "TENANT_SCOPE_NOT_ALLOWED"


class NumberNotLinked(GatewayError):
    """A number field was asked without a linked or explicit number."""

    code = "NUMBER_NOT_LINKED"


class BadUserInput(GatewayError):
    """An argument is malformed or out of range."""

    code = "BAD_USER_INPUT"


class TooManyResults(GatewayError):
    """An unpaged list holds more than it may answer at once; the message names the paged field
    to ask instead."""

    code = "TOO_MANY_RESULTS"


class NotFound(GatewayError):
    """An id is unknown, or not visible to the caller's tenant (the two are indistinguishable)."""

    code = "NOT_FOUND"


class RateLimited(GatewayError):
    """The gateway or an upstream refused for now; `retryAfter` says when to try again."""

    code = "RATE_LIMITED"


class PaymentRequired(GatewayError):
    """An upstream platform wants a paid plan for this."""

    code = "PAYMENT_REQUIRED"


class UnsupportedBySource(GatewayError):
    """The source behind this field cannot answer this field or argument."""

    code = "UNSUPPORTED_BY_SOURCE"


class UpstreamError(GatewayError):
    """An upstream platform failed."""

    code = "UPSTREAM_ERROR"


class UpstreamTimeout(UpstreamError):
    """An upstream platform did not answer in time."""

    code = "UPSTREAM_TIMEOUT"


class UpstreamUnavailable(UpstreamError):
    """An upstream platform's circuit is open."""

    code = "UPSTREAM_UNAVAILABLE"


class StoreUnavailable(UpstreamUnavailable):
    """The native store does not answer: down, restarting, out of connections, or locked past
    its timeout. Sending a webhook or an import again is safe: each event is taken once."""

    # What `retryAfter` (and a webhook's Retry-After) says: a restart of the database server,
    # or a failover, usually takes a few seconds.
    RETRY_AFTER_SECONDS = 5

    def __init__(self, message: str = "the store is not answering; try again shortly") -> None:
        super().__init__(message, source="native", retryAfter=self.RETRY_AFTER_SECONDS)
