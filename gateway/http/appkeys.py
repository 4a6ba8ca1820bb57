"""The typed keys under which the application and each request keep their state, and the
configuration a request runs on. The socket registry behind SOCKETS is gateway.http.sockets."""

from __future__ import annotations

from aiohttp import web

from gateway.config.settings import Settings
from gateway.domain.auth import KeyLookup
from gateway.http.cache import ResponseCache
from gateway.http.clients import AnonymousGate
from gateway.http.compression import StaticAssets
from gateway.http.ratelimit import RateLimiter
from gateway.http.reload import Configuration, LiveConfiguration
from gateway.http.shared import RedisChanges, RedisRateLimiter
from gateway.http.sockets import Sockets, TenantSubscriptions
from gateway.providers.native.store import Store
from gateway.providers.versions import TenantVersions
from gateway.schema.context import Clock
from gateway.schema.persisted import PersistedQueries
from gateway.schema.questions import LiveQuestions

__all__ = [
    "ANONYMOUS",
    "ASSETS",
    "CACHE",
    "CHANGES",
    "CLOCK",
    "CONFIGURATION",
    "KEYS",
    "LIMITER",
    "PERSISTED",
    "QUESTIONS",
    "REQUEST_ID",
    "SETTINGS",
    "SHARED_LIMITER",
    "SOCKETS",
    "STORE",
    "SUBSCRIPTIONS",
    "VERSIONS",
    "configuration_of",
]

STORE = web.AppKey("store", Store)
KEYS = web.AppKey("keys", KeyLookup)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
SETTINGS = web.AppKey("settings", Settings)
CACHE = web.AppKey("cache", ResponseCache)
LIMITER = web.AppKey("limiter", RateLimiter)
# Set when GATEWAY_REDIS_URL is: rate limits shared by every replica.
SHARED_LIMITER = web.AppKey("shared_limiter", RedisRateLimiter)
CHANGES = web.AppKey("changes", RedisChanges)
VERSIONS = web.AppKey("versions", TenantVersions)
QUESTIONS = web.AppKey("questions", LiveQuestions)
ANONYMOUS = web.AppKey("anonymous", AnonymousGate)
PERSISTED = web.AppKey("persisted", PersistedQueries)
ASSETS = web.AppKey("assets", StaticAssets)  # static files, compressed once

SOCKETS = web.AppKey("sockets", Sockets)
SUBSCRIPTIONS = web.AppKey("subscriptions", TenantSubscriptions)
REQUEST_ID = web.RequestKey("request_id", str)
CONFIGURATION = web.AppKey("configuration", LiveConfiguration)
HELD = web.RequestKey("configuration_held", Configuration)


def configuration_of(request: web.Request) -> Configuration:
    """The configuration this request runs on: the one in use when it first asked."""
    held = request.get(HELD)
    if held is None:
        held = request[HELD] = request.app[CONFIGURATION].in_use
    return held
