"""Calling an upstream platform: one session per source, a concurrency limit, retries with
jittered backoff inside the request's deadline (time spent waiting for a free slot included), a
circuit breaker, and bodies read up to the source's cap.

Credentials travel only in request headers: no error, log line or response carries them.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import orjson

from gateway.config.sources import SourceConfig
from gateway.errors import (
    GatewayError,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.observability.metrics import CIRCUIT_OPEN, UPSTREAM_CALLS, UPSTREAM_SECONDS
from gateway.observability.tracing import upstream_span
from gateway.providers.upstream.breaker import Breaker, Ticket
from gateway.providers.upstream.kept import KeptAnswers
from gateway.providers.upstream.statuses import map_status

__all__ = ["DEADLINE", "MEMO", "STALE_SEEN", "TOUCHED", "UpstreamClient", "UpstreamResponse"]

log = logging.getLogger("gateway.upstream")

# When the GraphQL request being answered must be done (time.monotonic()); set by the view.
DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)

# The sources the GraphQL request being answered called, for its answer's cache lifetime.
TOUCHED: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("touched", default=None)

# The calls of the GraphQL request being answered, so that identical ones are made once.
MEMO: contextvars.ContextVar[dict[tuple[object, ...], asyncio.Task[UpstreamResponse]] | None] = (
    contextvars.ContextVar("upstream_memo", default=None)
)

# The ages of stale answers one provider answer was made of (see providers.upstream.base.each).
STALE_SEEN: contextvars.ContextVar[list[tuple[str, float]] | None] = contextvars.ContextVar(
    "stale_seen", default=None
)

_RETRIED = {429, 500, 502, 503, 504}
# An error answer is read only this far: enough for its message, never a flood.
_ERROR_BODY = 64 * 1024


@dataclass(frozen=True)
class _Call:
    """One GET as it is sent, retries and all."""

    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    credential: str  # blanked out of anything the upstream says back


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    body: bytes
    headers: Mapping[str, str]
    age: float | None = None  # seconds since the platform gave it, when it is served stale

    def json(self, source: str) -> object:
        try:
            # orjson refuses nesting deeper than 1024 instead of exhausting the stack.
            return orjson.loads(self.body)
        except (ValueError, RecursionError):
            raise UpstreamError(
                f"{source}: the upstream answered malformed JSON",
                source=source,
                upstreamStatus=self.status,
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
        self.kept = KeptAnswers(
            config.cache_ttl_seconds, config.stale_seconds, config.stale_if_error_seconds
        )
        self._refreshing: dict[object, asyncio.Task[None]] = {}
        # The source's metric children, looked up once: labels() checks its values under a
        # lock on every call.
        self._circuit_open = CIRCUIT_OPEN.labels(name)
        self._seconds = UPSTREAM_SECONDS.labels(name)
        self._outcomes: dict[str, Any] = {}

    async def get(
        self,
        path: str,
        params: Mapping[str, str],
        credential: str,
        *,
        credential_header: str | None = None,
        accept: str = "application/json",
    ) -> UpstreamResponse:
        """GET with retries; answers 2xx responses and raises a GatewayError for the rest. The
        same GET twice in one GraphQL request is sent once."""
        touched = TOUCHED.get()
        if touched is not None:
            touched.add(self.name)
        header, scheme = self.config.auth()
        headers = {
            credential_header or header: f"{scheme} {credential}" if scheme else credential,
            "accept": accept,
        }
        call = _Call(path, params, headers, credential)
        key = (self.name, path, tuple(sorted(params.items())), tuple(sorted(headers.items())))
        if self.kept.on:
            return await self._revalidated(key, call)
        return await self._memoized(key, call)

    async def _memoized(self, key: tuple[object, ...], call: _Call) -> UpstreamResponse:
        memo = MEMO.get()
        if memo is None:
            return await self._call(call)
        if key not in memo:
            memo[key] = asyncio.ensure_future(self._call(call))
        return await asyncio.shield(memo[key])

    async def _revalidated(self, key: tuple[object, ...], call: _Call) -> UpstreamResponse:
        """Stale-while-revalidate: a fresh kept answer as it is; one past its freshness but
        within stale_seconds at once, while one refresh (one per call, however many ask) runs
        in the background; else the platform's, or when it fails a kept one within
        stale_if_error_seconds."""
        found = self.kept.find(key)
        if found is not None:
            response, age = found
            assert isinstance(response, UpstreamResponse)
            if age <= self.kept.fresh:
                return response
            if age <= self.kept.fresh + self.kept.stale:
                self._refresh(key, call)
                return self._stale(response, age)
        try:
            response = await self._memoized(key, call)
        except (UpstreamError, RateLimited) as error:
            # The platform failing (5xx, unreachable, late, its circuit open, its rate), not
            # refusing the question: only then does a kept answer stand in for its own.
            failing = isinstance(error, RateLimited) or _counts_as_failure(error)
            if not failing or found is None or found[1] > self.kept.fresh + self.kept.if_error:
                raise
            log.warning(
                "%s failed (%s); answering from an answer %.0f s old",
                self.name,
                error.code,
                found[1],
            )
            kept, age = found
            assert isinstance(kept, UpstreamResponse)
            return self._stale(kept, age)
        self.kept.keep(key, response)
        return response

    def _stale(self, response: UpstreamResponse, age: float) -> UpstreamResponse:
        seen = STALE_SEEN.get()
        if seen is not None:
            seen.append((self.name, age))
        return replace(response, age=age)

    def _refresh(self, key: tuple[object, ...], call: _Call) -> None:
        if key in self._refreshing:
            return  # one refresh at a time per call

        async def refresh() -> None:
            # Its own deadline (the source's), not the request's that found the answer stale.
            DEADLINE.set(None)
            MEMO.set(None)
            TOUCHED.set(None)
            try:
                self.kept.keep(key, await self._call(call))
            except GatewayError as error:
                log.warning("refreshing %s %s failed: %s", self.name, call.path, error.code)
            finally:
                del self._refreshing[key]

        self._refreshing[key] = asyncio.get_running_loop().create_task(
            refresh(), context=contextvars.copy_context()
        )

    async def _call(self, call: _Call) -> UpstreamResponse:
        """One call, its retries included: the breaker hears of it once."""
        deadline = DEADLINE.get() or time.monotonic() + self.config.timeout_seconds * 3
        ticket = await self._admit(deadline)
        try:
            response = await self._attempts(call, deadline)
        except GatewayError as error:
            self.breaker.record(
                not _counts_as_failure(error), time.monotonic(), trial=ticket is Ticket.TRIAL
            )
            raise
        except BaseException:
            if ticket is Ticket.TRIAL:
                self.breaker.abandon()
            raise
        else:
            self.breaker.record(True, time.monotonic(), trial=ticket is Ticket.TRIAL)
            return response
        finally:
            self._circuit_open.set(int(self.breaker.is_open))

    async def _admit(self, deadline: float) -> Ticket:
        if not self.breaker.is_open:  # the common case: admitted at once, nothing to time
            return Ticket.GO
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                ticket = await self.breaker.admit(time.monotonic())
        except TimeoutError:
            ticket = Ticket.REFUSED
        if ticket is Ticket.REFUSED:
            raise UpstreamUnavailable(
                f"{self.name} is failing; its circuit is open",
                source=self.name,
                upstreamStatus=None,
            )
        return ticket

    async def _attempts(self, call: _Call, deadline: float) -> UpstreamResponse:
        attempt = 0
        while True:
            try:
                return await self._send(call, deadline)
            except GatewayError as error:
                wait = self._backoff(attempt, error)
                # Retrying into a circuit that other calls opened meanwhile would only hide
                # this call's own answer behind "circuit is open".
                if wait is None or time.monotonic() + wait >= deadline or self.breaker.is_open:
                    raise
                log.info("retrying %s %s in %.2fs after %s", self.name, call.path, wait, error.code)
                await asyncio.sleep(wait)
                attempt += 1

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

    @asynccontextmanager
    async def _slot(self, deadline: float) -> AsyncIterator[float]:
        """A free slot of the source's concurrency limit, and the seconds left once it is had:
        time spent queueing for it is time of the request's deadline."""
        if self._slots.locked():  # a free slot is taken at once: only a wait needs a timeout
            try:
                async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                    await self._slots.acquire()
            except TimeoutError:
                raise self._late() from None
        else:
            await self._slots.acquire()
        try:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._late()
            yield left
        finally:
            self._slots.release()

    def _late(self) -> UpstreamTimeout:
        return UpstreamTimeout(
            f"{self.name} did not answer within the request's deadline",
            source=self.name,
            upstreamStatus=None,
        )

    async def _send(self, call: _Call, deadline: float) -> UpstreamResponse:
        started, outcome = time.monotonic(), "unreachable"
        try:
            async with self._slot(deadline) as left:
                self.calls += 1
                timeout = aiohttp.ClientTimeout(total=min(self.config.timeout_seconds, left))
                url = self.config.base_url.rstrip("/") + call.path
                with upstream_span(self.name, "GET", url) as span:
                    async with self.session.get(
                        url, params=call.params, headers=span.headers(call.headers), timeout=timeout
                    ) as raw:
                        outcome = str(raw.status)
                        span.status(raw.status)
                        response = UpstreamResponse(
                            raw.status,
                            await self._read(raw),
                            {k.lower(): v for k, v in raw.headers.items()},
                        )
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
            counted = self._outcomes.get(outcome)
            if counted is None:  # statuses and outcomes are a bounded few
                counted = self._outcomes[outcome] = UPSTREAM_CALLS.labels(self.name, outcome)
            counted.inc()
            self._seconds.observe(time.monotonic() - started)
        if response.status >= 400:
            raise map_status(
                self.name, response.status, response.body, response.headers, (call.credential,)
            )
        return response

    async def _read(self, raw: aiohttp.ClientResponse) -> bytes:
        """The body, read as it streams in and given up on past the source's cap, so that no
        upstream can make the gateway hold or parse an unbounded answer."""
        cap = self.config.max_body_kib * 1024
        if raw.status >= 400:
            cap = min(cap, _ERROR_BODY)
        elif raw.content_length is not None and raw.content_length > cap:
            raise self._too_big(raw.status)
        body = bytearray()
        async for chunk in raw.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > cap:
                if raw.status >= 400:
                    return bytes(body[:cap])  # enough to say what went wrong
                raise self._too_big(raw.status)
        return bytes(body)

    def _too_big(self, status: int) -> UpstreamError:
        return UpstreamError(
            f"{self.name} answered more than its {self.config.max_body_kib} KiB limit "
            "(max_body_kib in the sources file)",
            source=self.name,
            upstreamStatus=status,
        )


def _counts_as_failure(error: GatewayError) -> bool:
    return isinstance(error, UpstreamError) and error.extra.get("upstreamStatus") in (
        None,
        *range(500, 600),
    )
