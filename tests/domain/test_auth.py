from __future__ import annotations

import asyncio
import time

import pytest

from gateway.domain.auth import KeyKind, default_scopes, hash_secret
from gateway.errors import NotFound, Unauthenticated
from gateway.providers.native import SqliteStore, Store
from gateway.providers.native.tenancy import Tenancy
from tests.support.gateway import Gateway, World
from tests.support.production import authenticate


async def test_keys_are_stored_only_as_hashes(store: Store) -> None:
    tenancy = Tenancy(store)
    await tenancy.create_tenant("acme", "Acme")
    issued = await tenancy.create_key("acme", KeyKind.TENANT, default_scopes(KeyKind.TENANT))
    if isinstance(store, SqliteStore):  # the bytes on disk, WAL included
        raw = store.path.read_bytes() + store.path.with_name(store.path.name + "-wal").read_bytes()
    else:  # the key rows, and the versions that key changes bump, as text
        rows = await store.fetch_all(
            "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM api_keys) AS t "
            "UNION ALL SELECT string_agg(t::text, ' ') FROM (SELECT * FROM tenant_versions) AS t"
        )
        raw = " ".join(str(row[0]) for row in rows).encode()
    assert issued.key.encode() not in raw and issued.key_id.encode() not in raw
    assert hash_secret(issued.key).encode() in raw


async def test_key_and_key_id_both_authenticate(store: Store) -> None:
    tenancy = Tenancy(store)
    await tenancy.create_tenant("acme", "Acme")
    number = await tenancy.add_number("acme", "+100")
    issued = await tenancy.create_key(
        "acme", KeyKind.NUMBER, frozenset({"analytics:read"}), number_id=number.id
    )
    by_key = await authenticate({"x-api-key": issued.key}, tenancy)
    by_id = await authenticate({"x-api-key-id": issued.key_id}, tenancy)
    assert by_key == by_id
    assert (by_key.tenant_id, by_key.kind, by_key.number_id) == ("acme", KeyKind.NUMBER, number.id)
    # A key id is not a key: each header takes its own kind of secret.
    with pytest.raises(Unauthenticated):
        await authenticate({"x-api-key": issued.key_id}, tenancy)


async def test_revoked_keys_stop_working(store: Store) -> None:
    tenancy = Tenancy(store)
    await tenancy.create_tenant("acme", "Acme")
    issued = await tenancy.create_key("acme", KeyKind.TENANT, frozenset())
    record = await tenancy.revoke_key(issued.handle)
    assert record.revoked_at is not None
    with pytest.raises(Unauthenticated, match="revoked"):
        await authenticate({"x-api-key": issued.key}, tenancy)
    with pytest.raises(NotFound):
        await tenancy.revoke_key("key_doesnotexist")


async def test_keys_need_an_existing_tenant(store: Store) -> None:
    with pytest.raises(NotFound, match="tenants create"):
        await Tenancy(store).create_key("nobody", KeyKind.TENANT, frozenset())


async def test_key_id_header_works_over_http(gateway: Gateway, world: World) -> None:
    tenancy = Tenancy(world.store)
    issued = await tenancy.create_key("acme", KeyKind.TENANT, frozenset())
    answer = await gateway.query(
        issued.key_id, "{ viewer { tenantId keyHandle keyKind } }", header="x-api-key-id"
    )
    assert answer.data == {
        "viewer": {"tenantId": "acme", "keyHandle": issued.handle, "keyKind": "TENANT"}
    }


async def test_revocation_takes_effect_within_a_watch(gateway: Gateway, world: World) -> None:
    key = world.keys["acme_tenant"]
    assert (await gateway.query(key, "{ viewer { tenantId } }")).status == 200
    # Revoked through another connection, as the CLI would from another process.
    await Tenancy(world.store).revoke_key(key)
    started = time.monotonic()
    while (answer := await gateway.query(key, "{ viewer { tenantId } }")).status == 200:
        assert time.monotonic() - started < 1.0, "still accepted after a second"
        await asyncio.sleep(0.02)
    assert answer.status == 401 and answer.codes == ["UNAUTHENTICATED"]
