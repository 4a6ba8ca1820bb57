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
    "Credential",
    "IssuedKey",
    "KeyKind",
    "KeyLookup",
    "Principal",
    "authenticate_credential",
    "credential_of",
    "default_scopes",
    "hash_secret",
    "issue_key",
    "missing_key",
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


@dataclass(frozen=True)
class Credential:
    """The one credential a request presents: the header it came in, and its value with the
    surrounding whitespace (any Unicode space) taken off. Only this, never a raw header value,
    may stand for a principal in a cache."""

    header: str
    secret: str

    @property
    def hash(self) -> str:
        return hash_secret(self.secret)

    @property
    def well_formed(self) -> bool:
        prefix = KEY_PREFIX if self.header == "x-api-key" else KEY_ID_PREFIX
        return self.secret.startswith(prefix) and len(self.secret) < 200


def credential_of(headers: Mapping[str, str]) -> Credential | None:
    """`x-api-key: agk_...`, else `x-api-key-id: agi_...`, as the upstream platforms take them."""
    for header in ("x-api-key", "x-api-key-id"):
        value = headers.get(header, "").strip()
        if value:
            return Credential(header, value)
    return None


def missing_key(headers: Mapping[str, str]) -> Unauthenticated:
    """The refusal of a request that presents no key."""
    if headers.get("authorization", "").lower().startswith("bearer"):
        return Unauthenticated("send the key in the x-api-key header, not Authorization")
    return Unauthenticated("missing x-api-key (or x-api-key-id) header")


async def authenticate_credential(
    credential: Credential | None, headers: Mapping[str, str], keys: KeyLookup
) -> Principal:
    if credential is None:
        raise missing_key(headers)
    principal = None
    if credential.well_formed:
        principal = await keys.find_active_key(credential.hash)
    if principal is None:
        raise Unauthenticated("unknown or revoked API key")
    return principal
