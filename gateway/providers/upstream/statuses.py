"""How an upstream's error status, body and Retry-After become the gateway's errors.

An upstream's own words travel into the message (bounded, one line, the call's credential
blanked out), so that a caller can see why a platform refused; the status, the platform's code
and the source name travel in `extensions`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import orjson

from gateway.errors import (
    BadUserInput,
    Forbidden,
    GatewayError,
    NotFound,
    NumberNotLinked,
    PaymentRequired,
    RateLimited,
    TenantScopeNotAllowed,
    UpstreamError,
)

__all__ = ["DEFAULT_RETRY_AFTER", "MAX_RETRY_AFTER", "map_status", "retry_after"]

# What retryAfter says when an upstream's 429 gives no usable Retry-After, and the most it says.
DEFAULT_RETRY_AFTER = 1.0
MAX_RETRY_AFTER = 3600.0
MAX_DETAIL = 300
_KINDS: dict[int, type[GatewayError]] = {
    400: BadUserInput,
    402: PaymentRequired,
    403: Forbidden,
    404: NotFound,
    409: NumberNotLinked,
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def map_status(
    source: str,
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    secrets: tuple[str, ...] = (),
) -> GatewayError:
    """An upstream's error status and body (`{error, code}` as the platforms document it, or
    an RFC 9457 problem) as the gateway's error."""
    message, code = _said(body, headers.get("content-type", ""))
    if message:
        for secret in secrets:
            message = message.replace(secret, "[redacted]") if secret else message
    said = f"{source}: {_bounded(message) if message else f'HTTP {status}'}"
    extra: dict[str, str | int | float | None] = {"source": source, "upstreamStatus": status}
    if code:
        extra["upstreamCode"] = code
    if status == 429:
        return RateLimited(said, retryAfter=retry_after(headers.get("retry-after")), **extra)
    if status == 403 and code == "TENANT_SCOPE_NOT_ALLOWED":
        return TenantScopeNotAllowed(said, **extra)
    if status in _KINDS:
        return _KINDS[status](said, **extra)
    # 401 means the gateway's own credential for this source is wrong: the caller cannot fix it;
    # 406 and 422 mean the gateway asked in a way the platform does not take.
    return UpstreamError(said, **extra)


def _said(body: bytes, content_type: str) -> tuple[str | None, str | None]:
    """(message, code) from an error body: the platforms' `{error, code}`, a problem's title
    and detail, and the first few validation messages such bodies often list."""
    try:
        parsed = orjson.loads(body)
    except (ValueError, RecursionError):
        text = body[: MAX_DETAIL * 2].decode("utf-8", "replace").strip()
        return (text or None) if content_type.startswith("text/plain") else None, None
    if not isinstance(parsed, dict):
        return None, None
    error = parsed.get("error")
    if isinstance(error, dict):  # {"error": {"message": ..., "code": ...}}
        parsed = {**parsed, **error}
    parts = [
        _text(parsed.get(name))
        for name in ("error", "message", "title", "detail")
        if _text(parsed.get(name))
    ]
    for listed in (parsed.get("validation"), parsed.get("errors"), parsed.get("details")):
        if isinstance(listed, list):
            parts += [found for item in listed[:3] if (found := _text(item) or _text(_get(item)))]
    code = _text(parsed.get("code"))
    unique = list(dict.fromkeys(p for p in parts if p))
    return ("; ".join(unique) or None), (code[:64] if code else None)


def _get(item: object) -> object:
    return item.get("message") if isinstance(item, dict) else None


def _text(value: object) -> str | None:
    # Only scalars: a nested structure is never turned into text (it may be arbitrarily deep).
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _bounded(message: str) -> str:
    line = _CONTROL.sub(" ", message).strip()
    return line if len(line) <= MAX_DETAIL else line[: MAX_DETAIL - 1] + "…"


def retry_after(value: str | None, now: datetime | None = None) -> float:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), at most an hour; an
    absent, unreadable or negative one says DEFAULT_RETRY_AFTER."""
    if value is None:
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value)
    except ValueError:
        seconds = _until(value, now or datetime.now(UTC))
    if math.isnan(seconds) or seconds < 0:
        return DEFAULT_RETRY_AFTER
    return min(seconds, MAX_RETRY_AFTER)


def _until(value: str, now: datetime) -> float:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return math.nan
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)
