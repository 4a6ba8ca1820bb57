"""API keys: how they look, how they are hashed, and how a request's headers become a Principal."""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from gateway.errors import Forbidden, NumberNotLinked, TenantScopeNotAllowed, Unauthenticated

__all__ = [
    "ALL_SCOPES",
    "ANALYTICS_READ",
    "BILLING_READ",
    "REPORTS_READ",
    "IssuedKey",
    "KeyKind",
    "KeyLookup",
    "Principal",
    "authenticate",
    "default_scopes",
    "hash_secret",
    "issue_key",
]

KEY_PREFIX = "agk_"
KEY_ID_PREFIX = "agi_"
HANDLE_PREFIX = "key_"

ANALYTICS_READ = "analytics:read"
REPORTS_READ = "reports:read"
BILLING_READ = "billing:read"
ALL_SCOPES = frozenset({ANALYTICS_READ, REPORTS_READ, BILLING_READ})


class KeyKind(enum.Enum):
    """Number-scoped keys see one WhatsApp number; tenant-scoped keys see the whole tenant."""

    NUMBER = "number"
    TENANT = "tenant"


def default_scopes(kind: KeyKind) -> frozenset[str]:
    return frozenset({ANALYTICS_READ}) if kind is KeyKind.NUMBER else ALL_SCOPES


@dataclass(frozen=True)
class Principal:
    """Who is calling: a tenant, seen through one key's kind, number and scopes."""

    tenant_id: str
    key_handle: str
    kind: KeyKind
    number_id: int | None
    scopes: frozenset[str]

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this key lacks the {scope} scope", scope=scope)

    def require_tenant_scope(self, scope: str) -> None:
        """For tenant-wide areas: a number-scoped key sees only its own number."""
        if self.kind is KeyKind.NUMBER:
            raise Forbidden(
                "number-scoped keys see only their number; use a tenant-scoped key", scope=scope
            )
        self.require_scope(scope)

    def linked_number(self) -> int:
        """The number a number-scoped key is linked to, for fields that need one."""
        if self.kind is KeyKind.TENANT:
            raise TenantScopeNotAllowed(
                "tenant-scoped keys cannot call number fields; "
                "use a number-scoped key, or pick a number with number(id:)"
            )
        if self.number_id is None:
            raise NumberNotLinked("this key is not linked to a WhatsApp number")
        return self.number_id

    def can_see_number(self, number_id: int) -> bool:
        return self.kind is KeyKind.TENANT or self.number_id == number_id


@dataclass(frozen=True)
class IssuedKey:
    """A new key as shown once at creation: only `handle` is ever shown again."""

    handle: str
    key: str
    key_id: str


def hash_secret(secret: str) -> str:
    # Keys carry 190+ bits of randomness, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key() -> IssuedKey:
    return IssuedKey(
        handle=HANDLE_PREFIX + secrets.token_hex(6),
        key=KEY_PREFIX + secrets.token_urlsafe(32),
        key_id=KEY_ID_PREFIX + secrets.token_urlsafe(24),
    )


class KeyLookup(Protocol):
    """Where keys live: answers the active key whose key (or key id) has this hash."""

    async def find_active_key(self, secret_hash: str) -> Principal | None: ...


async def authenticate(headers: Mapping[str, str], keys: KeyLookup) -> Principal:
    """`x-api-key: agk_...` or `x-api-key-id: agi_...`, as the upstream platforms take them."""
    key = headers.get("x-api-key", "").strip()
    key_id = headers.get("x-api-key-id", "").strip()
    if not key and not key_id:
        if headers.get("authorization", "").lower().startswith("bearer"):
            raise Unauthenticated("send the key in the x-api-key header, not Authorization")
        raise Unauthenticated("missing x-api-key (or x-api-key-id) header")
    secret = key or key_id
    expected = KEY_PREFIX if key else KEY_ID_PREFIX
    principal = None
    if secret.startswith(expected) and len(secret) < 200:
        principal = await keys.find_active_key(hash_secret(secret))
    if principal is None:
        raise Unauthenticated("unknown or revoked API key")
    return principal
