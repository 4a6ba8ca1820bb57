"""Calling an upstream platform: one session per source, a concurrency limit, retries with
jittered backoff inside the request's deadline, a circuit breaker, and the one place where
upstream statuses and bodies become GatewayErrors.

Credentials travel only in request headers: no error, log line or response carries them.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp

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
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.metrics import CIRCUIT_OPEN, UPSTREAM_CALLS, UPSTREAM_SECONDS
from gateway.sources import SourceConfig

__all__ = ["DEADLINE", "MEMO", "TOUCHED", "UpstreamClient", "UpstreamResponse"]

log = logging.getLogger("gateway.upstream")

# When the GraphQL request being answered must be done (time.monotonic()); set by the view.
DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)

# The sources the GraphQL request being answered called, for its answer's cache lifetime.
TOUCHED: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("touched", default=None)

# The calls of the GraphQL request being answered, so that identical ones are made once.
MEMO: contextvars.ContextVar[dict[tuple[object, ...], asyncio.Task[UpstreamResponse]] | None] = (
    contextvars.ContextVar("upstream_memo", default=None)
)

_RETRIED = {429, 500, 502, 503, 504}


@dataclass
class Breaker:
    """Opens after `threshold` failures in a row; after `reset` seconds lets one call try."""

    threshold: int
    reset: float
    failures: int = 0
    opened_at: float | None = None
    trial_running: bool = field(default=False)

    def allow(self, now: float) -> bool:
        if self.opened_at is None:
            return True
        if now - self.opened_at >= self.reset and not self.trial_running:
            self.trial_running = True
            return True
        return False

    def record(self, ok: bool, now: float) -> None:
        self.trial_running = False
        if ok:
            self.failures, self.opened_at = 0, None
            return
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now

    @property
    def state(self) -> str:
        return "closed" if self.opened_at is None else "open"


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self, source: str) -> object:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise UpstreamError(
                "the upstream answered malformed JSON", source=source, upstreamStatus=self.status
            ) from None


class UpstreamClient:
    """One source's calls. `session` is owned by the application, opened and closed with it."""

    def __init__(self, name: str, config: SourceConfig, session: aiohttp.ClientSession) -> None:
        self.name = name
        self.config = config
        self.session = session
        self.breaker = Breaker(config.breaker_failures, config.breaker_reset_seconds)
        self._slots = asyncio.Semaphore(config.max_concurrency)
        self.calls = 0  # requests sent, retries included: for tests and metrics
        self.last_outcome: str | None = None  # the last call's HTTP status, timeout or unreachable

    async def get(
        self,
        path: str,
        params: Mapping[str, str],
        credential: str,
        *,
        credential_header: str | None = None,
    ) -> UpstreamResponse:
        """GET with retries; answers 2xx responses and raises a GatewayError for the rest. The
        same GET twice in one GraphQL request is sent once."""
        touched = TOUCHED.get()
        if touched is not None:
            touched.add(self.name)
        memo = MEMO.get()
        if memo is None:
            return await self._get(path, params, credential, credential_header)
        key = (self.name, path, tuple(sorted(params.items())), credential, credential_header)
        if key not in memo:
            memo[key] = asyncio.ensure_future(
                self._get(path, params, credential, credential_header)
            )
        return await asyncio.shield(memo[key])

    async def _get(
        self,
        path: str,
        params: Mapping[str, str],
        credential: str,
        credential_header: str | None,
    ) -> UpstreamResponse:
        header, scheme = self.config.auth()
        headers = {credential_header or header: f"{scheme} {credential}" if scheme else credential}
        deadline = DEADLINE.get() or time.monotonic() + self.config.timeout_seconds * 3
        attempt = 0
        while True:
            now = time.monotonic()
            if not self.breaker.allow(now):
                raise UpstreamUnavailable(
                    f"{self.name} is failing; its circuit is open",
                    source=self.name,
                    upstreamStatus=None,
                )
            try:
                response = await self._send(path, params, headers, deadline)
            except GatewayError as error:
                self.breaker.record(not _counts_as_failure(error), time.monotonic())
                CIRCUIT_OPEN.labels(self.name).set(int(self.breaker.state == "open"))
                wait = self._backoff(attempt, error)
                if wait is None or time.monotonic() + wait >= deadline:
                    raise
                log.info("retrying %s %s in %.2fs after %s", self.name, path, wait, error.code)
                await asyncio.sleep(wait)
                attempt += 1
                continue
            self.breaker.record(True, time.monotonic())
            CIRCUIT_OPEN.labels(self.name).set(0)
            return response

    def _backoff(self, attempt: int, error: GatewayError) -> float | None:
        """Seconds to wait before trying again, or None when this error is final."""
        if attempt >= self.config.retries:
            return None
        status = error.extra.get("upstreamStatus")
        if isinstance(error, RateLimited):
            after = error.extra.get("retryAfter")
            return float(after) if isinstance(after, int | float) else self.config.backoff_seconds
        if isinstance(error, UpstreamError) and (status is None or status in _RETRIED):
            jitter = random.uniform(0.5, 1.5)
            return float(self.config.backoff_seconds * 2**attempt * jitter)
        return None

    async def _send(
        self, path: str, params: Mapping[str, str], headers: Mapping[str, str], deadline: float
    ) -> UpstreamResponse:
        left = deadline - time.monotonic()
        if left <= 0:
            raise UpstreamTimeout(
                f"{self.name} did not answer within the request's deadline",
                source=self.name,
                upstreamStatus=None,
            )
        timeout = aiohttp.ClientTimeout(total=min(self.config.timeout_seconds, left))
        started, outcome = time.monotonic(), "unreachable"
        try:
            async with self._slots:
                self.calls += 1
                url = self.config.base_url.rstrip("/") + path
                async with self.session.get(
                    url, params=params, headers=headers, timeout=timeout
                ) as raw:
                    response = UpstreamResponse(
                        raw.status, await raw.read(), {k.lower(): v for k, v in raw.headers.items()}
                    )
                    outcome = str(raw.status)
        except TimeoutError:
            outcome = "timeout"
            raise UpstreamTimeout(
                f"{self.name} did not answer in time", source=self.name, upstreamStatus=None
            ) from None
        except aiohttp.ClientError as error:
            raise UpstreamError(
                f"{self.name} could not be reached ({type(error).__name__})",
                source=self.name,
                upstreamStatus=None,
            ) from None
        finally:
            self.last_outcome = outcome
            UPSTREAM_CALLS.labels(self.name, outcome).inc()
            UPSTREAM_SECONDS.labels(self.name).observe(time.monotonic() - started)
        if response.status >= 400:
            raise map_status(self.name, response)
        return response


def _counts_as_failure(error: GatewayError) -> bool:
    return isinstance(error, UpstreamError) and error.extra.get("upstreamStatus") in (
        None,
        *range(500, 600),
    )


def _body_fields(response: UpstreamResponse) -> tuple[str | None, str | None]:
    try:
        body = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    error, code = body.get("error"), body.get("code")
    return (str(error)[:200] if error else None, str(code)[:64] if code else None)


def map_status(source: str, response: UpstreamResponse) -> GatewayError:
    """An upstream's error status and `{error, code}` body as the gateway's error."""
    status = response.status
    message, code = _body_fields(response)
    said = f"{source}: {message or f'HTTP {status}'}"
    extra: dict[str, str | int | float | None] = {"source": source, "upstreamStatus": status}
    if code:
        extra["upstreamCode"] = code
    if status == 429:
        retry_after = _retry_after(response.headers.get("retry-after"))
        return RateLimited(said, retryAfter=retry_after, **extra)
    if status == 403 and code == "TENANT_SCOPE_NOT_ALLOWED":
        return TenantScopeNotAllowed(said, **extra)
    kinds: dict[int, type[GatewayError]] = {
        400: BadUserInput,
        402: PaymentRequired,
        403: Forbidden,
        404: NotFound,
        409: NumberNotLinked,
    }
    if status in kinds:
        return kinds[status](said, **extra)
    # 401 means the gateway's own credential for this source is wrong: the caller cannot fix it.
    return UpstreamError(said, **extra)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
