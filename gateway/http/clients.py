"""Requests without a valid key: the client address they come from, and the rate each address
gets for them (per process, or shared by every replica through Redis)."""

from __future__ import annotations

import ipaddress
import math

from aiohttp import web

from gateway.errors import RateLimited
from gateway.http.ratelimit import RateLimiter
from gateway.http.shared import RedisRateLimiter

__all__ = ["AnonymousGate", "address_bucket", "asks_for_socket", "client_address"]


def asks_for_socket(request: web.Request) -> bool:
    """Whether the request is a GET asking to become a websocket."""
    return request.method == "GET" and request.headers.get("upgrade", "").lower() == "websocket"


def client_address(request: web.Request, trusted_proxies: int) -> str:
    """The address a request comes from: its peer's, or with `trusted_proxies` proxies in front
    (each appending the address it was called from to X-Forwarded-For), the one the first of
    them saw. IPv6 addresses stand for their /64: one host may hold a whole /64 of them."""
    address = request.remote or ""
    if trusted_proxies > 0:
        hops = [
            hop.strip()
            for header in request.headers.getall("x-forwarded-for", [])
            for hop in header.split(",")
            if hop.strip()
        ]
        if len(hops) >= trusted_proxies:
            address = hops[-trusted_proxies]
    return address_bucket(address)


def address_bucket(address: str) -> str:
    """The address as its limits count it: an IPv4 address, or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


class AnonymousGate:
    """A token bucket per client address for what arrives without a valid key: anonymous
    introspection, and every request whose key turns out unknown (a 401). A key not yet known
    to this process is looked up only while its address has a token left, so a flood of made-up
    keys reaches the store at the address's rate at most."""

    def __init__(self, local: RateLimiter, shared: RedisRateLimiter | None = None) -> None:
        self.local = local
        self.shared = shared

    async def take(self, address: str) -> RateLimited | None:
        """Spend one of the address's tokens; the refusal when it has none."""
        bucket = "addr:" + address
        if self.shared is not None:
            wait = await self.shared.take("", bucket)
        else:
            wait = self.local.take("", bucket)
        return _refusal(wait)

    async def check(self, address: str) -> RateLimited | None:
        """The refusal when the address has no token left; spends nothing."""
        bucket = "addr:" + address
        if self.shared is not None:
            wait = await self.shared.peek("", bucket)
        else:
            wait = self.local.peek("", bucket)
        return _refusal(wait)


def _refusal(wait: float) -> RateLimited | None:
    if wait <= 0:
        return None
    retry = max(1, math.ceil(wait))
    return RateLimited(
        f"too many requests without a valid key from this address; try again in {retry} s",
        retryAfter=retry,
    )
