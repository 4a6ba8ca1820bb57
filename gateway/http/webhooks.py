"""POST /webhooks/{source}: signed platform events, committed before they are acknowledged."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

import orjson
from aiohttp import web
from pydantic import ValidationError

from gateway.domain.events import Event, describe, parse_event, refusal_code
from gateway.domain.platform_events import EVENT_NOT_FOR_SOURCE, WebhookShapes, takes, translate
from gateway.errors import (
    BadUserInput,
    BodyTimeout,
    GatewayError,
    PlatformUnavailable,
    RateLimited,
    StoreUnavailable,
    Unauthenticated,
)
from gateway.http.appkeys import ANONYMOUS, CHANGES, CONFIGURATION, SETTINGS, STORE, VERSIONS
from gateway.http.clients import client_address
from gateway.http.refusals import Surface, refuse
from gateway.observability.metrics import WEBHOOK_EVENTS
from gateway.providers.native.ingest.group import group_commit
from gateway.providers.native.ingest.numbers import NumberRule
from gateway.providers.native.webhook_sources import WebhookSource, WebhookSources

__all__ = ["SIGNATURE_HEADER", "receive_webhook", "sign"]

SIGNATURE_HEADER = "x-gateway-signature"
MAX_EVENTS = 1000


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header's value: t=<unix seconds>,sha256=<hex HMAC-SHA256, keyed with the
    secret, of "<t>." followed by the raw body>. The time makes a captured request useless once
    it is older than the tolerance."""
    moment = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},sha256={mac}"


def check_signature(
    secret: str, body: bytes, header: str, now: float, tolerance: float
) -> str | None:
    """None when the header signs this body recently enough; else why not."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        moment = int(fields["t"])
        given = fields["sha256"]
    except (KeyError, ValueError):
        return "missing or malformed signature"
    if not hmac.compare_digest(given, sign(secret, body, moment).split("sha256=", 1)[1]):
        return "bad signature"
    if abs(now - moment) > tolerance:
        return "signature too old or from the future: refused as a possible replay"
    return None


def _refuse(error: GatewayError, **details: object) -> web.Response:
    return refuse(error, surface=Surface.PLAIN, details=details)


# (event index, code, reason): each refused event with its own code.
Problem = tuple[int, str, str]


def _events(
    source: WebhookSource, shapes: WebhookShapes, payload: object
) -> tuple[list[Event], list[Problem], str]:
    items = payload if isinstance(payload, list) else [payload]
    events: list[Event] = []
    problems: list[Problem] = []
    for index, item in enumerate(items[:MAX_EVENTS]):
        try:
            raw = translate(shapes, item)
            if raw.setdefault("tenant", source.tenant_id) != source.tenant_id:
                raise ValueError("tenant does not match the webhook source")
            if not takes(shapes, raw):
                kind = str(raw.get("type"))[:40]
                why = f"a {source.platform} source does not take {kind!r} events"
                problems.append((index, EVENT_NOT_FOR_SOURCE, why))
                continue
            events.append(parse_event(raw))
        except ValidationError as error:
            problems.append((index, refusal_code(error), describe(error)))
        except ValueError as error:
            problems.append((index, "BAD_USER_INPUT", str(error)))
    too_many = f"at most {MAX_EVENTS} events per request" if len(items) > MAX_EVENTS else ""
    return events, problems, too_many


def _refuse_events(problems: list[Problem], too_many: str = "", **extra: int) -> web.Response:
    """400 BAD_USER_INPUT, the reasons in `error` as ever, and each event's own code in
    `events`: [{"event", "code", "error"}] (the first 20). An event is named by its 0-based
    index in the body's array, and the message says so ("event at index 0"), so that no one
    reads `event 1` as the first (imports, being files, count lines from 1)."""
    shown = problems[:20]
    reasons = [f"event at index {i}: {why}" for i, _, why in shown]
    reasons += [too_many] if too_many else []
    listed = [{"event": i, "code": code, "error": why} for i, code, why in shown]
    return _refuse(BadUserInput("; ".join(reasons), **extra), events=listed)


async def _receive(request: web.Request) -> web.Response:
    store, settings = request.app[STORE], request.app[SETTINGS]
    # An address that keeps failing to sign is refused before its source is looked up.
    gate, address = request.app[ANONYMOUS], client_address(request, settings.trusted_proxies)
    refused = await gate.check(address)
    if refused is not None:
        return _refuse(RateLimited(refused.message, retryAfter=refused.extra["retryAfter"]))
    try:
        async with asyncio.timeout(settings.body_timeout_seconds):
            body = await request.read()
    except TimeoutError:
        return _refuse(BodyTimeout("the request body did not arrive in time"))
    source = await WebhookSources(store).find(request.match_info["source"])
    problem: str | None = None
    shapes: WebhookShapes | None = None
    if source is not None:
        shapes = request.app[CONFIGURATION].platforms.webhooks(source.platform)
        if shapes is None:  # its platform's package is not installed, or failed to load
            why = (
                f"the platform {source.platform} of webhook source {source.name} is unavailable;"
                " nothing was stored, send it again later"
            )
            return _refuse(PlatformUnavailable(why, source=source.name))
        verify = shapes.signature_check or check_signature
        problem = verify(
            source.secret,
            body,
            request.headers.get(shapes.signature_header or SIGNATURE_HEADER, ""),
            time.time(),
            settings.webhook_tolerance_seconds,
        )
    if source is None or shapes is None or problem is not None:
        await gate.take(address)
        return _refuse(Unauthenticated(problem or "unknown webhook source or bad signature"))
    try:
        # orjson refuses nesting deeper than 1024 at once; the stdlib recurses until it fails.
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _refuse(BadUserInput("the body is not JSON (or nests deeper than 1024)"))
    events, problems, too_many = _events(source, shapes, payload)
    if problems or too_many:
        # Nothing is stored from a body with a bad event: the sender fixes it and sends it whole.
        WEBHOOK_EVENTS.labels(source.platform, "refused").inc(len(events) + len(problems))
        return _refuse_events(problems, too_many)
    # Committed with the batches other requests brought meanwhile: one transaction for all.
    # Events the store refuses (a number not to register) are refused one by one.
    rule = NumberRule(source.register_numbers, settings.max_numbers_per_tenant)
    result = await group_commit(store).apply(events, rule)
    WEBHOOK_EVENTS.labels(source.platform, "applied").inc(result.applied)
    WEBHOOK_EVENTS.labels(source.platform, "duplicate").inc(result.duplicates)
    # This process's caches at once; the other workers' when their store watch sees it.
    request.app[VERSIONS].invalidate(source.tenant_id)
    if CHANGES in request.app:  # and the other replicas' at once, through Redis
        await request.app[CHANGES].publish(source.tenant_id)
    if result.rejected:
        WEBHOOK_EVENTS.labels(source.platform, "refused").inc(len(result.rejected))
        stored = [(i, result.codes.get(i, "BAD_USER_INPUT"), why) for i, why in result.rejected]
        return _refuse_events(stored, accepted=result.applied)
    return web.json_response({"accepted": result.applied, "duplicates": result.duplicates})


async def receive_webhook(request: web.Request) -> web.Response:
    """The events, or while the store does not answer, 503 with Retry-After: nothing of the
    body was acknowledged, and sending it again is safe (each event is taken once)."""
    try:
        return await _receive(request)
    except StoreUnavailable as error:
        return _refuse(error)
