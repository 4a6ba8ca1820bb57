"""Tenants, their WhatsApp numbers and their API keys in the native store."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.domain.auth import IssuedKey, KeyKind, Principal, hash_secret, issue_key
from gateway.errors import BadUserInput, NotFound
from gateway.providers.native.store import Row, Store, placeholders, row_id

__all__ = ["KEYS_VERSION", "KeyRecord", "NumberRecord", "Tenancy", "number_record"]

# The tenant_versions row that moves whenever any key is created or revoked.
KEYS_VERSION = "__keys__"


@dataclass(frozen=True)
class NumberRecord:
    id: int
    tenant_id: str
    phone_number: str
    display_name: str | None
    source: str = "native"


@dataclass(frozen=True)
class KeyRecord:
    handle: str
    tenant_id: str
    kind: KeyKind
    number_id: int | None
    scopes: frozenset[str]
    label: str | None
    created_at: int
    revoked_at: int | None


def number_record(row: Row) -> NumberRecord:
    return NumberRecord(
        row["id"], row["tenant_id"], row["phone_number"], row["display_name"], row["source"]
    )


def _key(row: Row) -> KeyRecord:
    return KeyRecord(
        handle=row["handle"],
        tenant_id=row["tenant_id"],
        kind=KeyKind(row["kind"]),
        number_id=row["number_id"],
        scopes=frozenset(row["scopes"].split()),
        label=row["label"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


class Tenancy:
    """Who exists in the native store: tenants, numbers, keys."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create_tenant(self, tenant_id: str, name: str, *, is_demo: bool = False) -> None:
        if not tenant_id or not tenant_id.replace("-", "").replace("_", "").isalnum():
            raise BadUserInput(f"tenant id {tenant_id!r} must be letters, digits, - or _")
        async with self.store.write() as db:
            await self.store.bump_versions(db, [tenant_id])
            await db.execute(
                "INSERT INTO tenants (id, name, is_demo, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                (tenant_id, name, int(is_demo), int(time.time())),
            )

    async def tenant_name(self, tenant_id: str) -> str | None:
        row = await self.store.fetch_one("SELECT name FROM tenants WHERE id = ?", (tenant_id,))
        return None if row is None else str(row["name"])

    async def is_empty(self) -> bool:
        return await self.store.fetch_one("SELECT 1 FROM tenants LIMIT 1") is None

    async def count_tenants(self) -> int:
        row = await self.store.fetch_one("SELECT count(*) FROM tenants")
        return 0 if row is None else int(row[0])

    async def add_number(
        self,
        tenant_id: str,
        phone_number: str,
        display_name: str | None = None,
        source: str = "native",
    ) -> NumberRecord:
        """Register a number, or update its name and the source its data lives at."""
        await self._require_tenant(tenant_id)
        async with self.store.write() as db:
            await self.store.bump_versions(db, [tenant_id])
            await db.execute(
                "INSERT INTO numbers (tenant_id, phone_number, display_name, created_at, source) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, phone_number) "
                "DO UPDATE SET "
                "display_name = coalesce(excluded.display_name, numbers.display_name), "
                "source = excluded.source",
                (tenant_id, phone_number, display_name, int(time.time()), source),
            )
        found = await self.find_number(tenant_id, phone_number)
        assert found is not None
        return found

    async def find_number(self, tenant_id: str, phone_or_id: str) -> NumberRecord | None:
        """A tenant's number by its phone number or its numeric id."""
        row = await self.store.fetch_one(
            "SELECT * FROM numbers WHERE tenant_id = ? AND (phone_number = ? OR id = ?)",
            (tenant_id, phone_or_id, row_id(phone_or_id) or -1),
        )
        return None if row is None else number_record(row)

    async def numbers_by_id(self, tenant_id: str, ids: Sequence[int]) -> dict[int, NumberRecord]:
        rows = await self.store.fetch_all(
            f"SELECT * FROM numbers WHERE tenant_id = ? AND id IN ({placeholders(ids)})",
            (tenant_id, *ids),
        )
        return {row["id"]: number_record(row) for row in rows}

    async def list_numbers(
        self, tenant_id: str, limit: int | None = None, *, upstream_only: bool = False
    ) -> list[NumberRecord]:
        """The tenant's numbers in id order (only those whose data lives at an upstream source,
        if asked); the first `limit` of them when given."""
        where = " AND source <> 'native'" if upstream_only else ""
        bound = "" if limit is None else f" LIMIT {int(limit)}"
        rows = await self.store.fetch_all(
            f"SELECT * FROM numbers WHERE tenant_id = ?{where} ORDER BY id{bound}", (tenant_id,)
        )
        return [number_record(row) for row in rows]

    async def create_key(
        self,
        tenant_id: str,
        kind: KeyKind,
        scopes: frozenset[str],
        *,
        number_id: int | None = None,
        label: str | None = None,
    ) -> IssuedKey:
        await self._require_tenant(tenant_id)
        issued = issue_key()
        async with self.store.write() as db:
            await self.store.bump_versions(db, [KEYS_VERSION])
            await db.execute(
                "INSERT INTO api_keys (handle, tenant_id, key_hash, key_id_hash, kind, number_id,"
                " scopes, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    issued.handle,
                    tenant_id,
                    hash_secret(issued.key),
                    hash_secret(issued.key_id),
                    kind.value,
                    number_id,
                    " ".join(sorted(scopes)),
                    label,
                    int(time.time()),
                ),
            )
        return issued

    async def revoke_key(self, handle_or_secret: str) -> KeyRecord:
        """Revoke by public handle, or by the key or key id itself."""
        secret_hash = hash_secret(handle_or_secret)
        async with self.store.write() as db:
            await self.store.bump_versions(db, [KEYS_VERSION])
            await db.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) "
                "WHERE handle = ? OR key_hash = ? OR key_id_hash = ?",
                (int(time.time()), handle_or_secret, secret_hash, secret_hash),
            )
        row = await self.store.fetch_one(
            "SELECT * FROM api_keys WHERE handle = ? OR key_hash = ? OR key_id_hash = ?",
            (handle_or_secret, secret_hash, secret_hash),
        )
        if row is None:
            raise NotFound("no such key")
        return _key(row)

    async def revoke_labelled(self, tenant_id: str, label: str) -> int:
        async with self.store.write() as db:
            await self.store.bump_versions(db, [KEYS_VERSION])
            return await db.execute(
                "UPDATE api_keys SET revoked_at = ? "
                "WHERE tenant_id = ? AND label = ? AND revoked_at IS NULL",
                (int(time.time()), tenant_id, label),
            )

    async def list_keys(self, tenant_id: str) -> list[KeyRecord]:
        rows = await self.store.fetch_all(
            "SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, handle", (tenant_id,)
        )
        return [_key(row) for row in rows]

    async def find_active_key(self, secret_hash: str) -> Principal | None:
        row = await self.store.fetch_one(
            "SELECT * FROM api_keys WHERE (key_hash = ? OR key_id_hash = ?) AND revoked_at IS NULL",
            (secret_hash, secret_hash),
        )
        if row is None:
            return None
        key = _key(row)
        return Principal(key.tenant_id, key.handle, key.kind, key.number_id, key.scopes)

    async def _require_tenant(self, tenant_id: str) -> None:
        if await self.tenant_name(tenant_id) is None:
            raise NotFound(f"no tenant {tenant_id!r}; create it with: gateway tenants create")
