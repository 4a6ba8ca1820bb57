"""Shortcuts into the gateway's parts that only tests take: authenticate a header set, apply
status events alone, read a PRAGMA, list the schema's list fields, test a window's alignment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, get_nullable_type, is_list_type

from gateway.domain.auth import KeyLookup, Principal, authenticate_credential, credential_of
from gateway.domain.messages import StatusUpdate
from gateway.domain.timewindows import BUCKET_SECONDS, DayWindow
from gateway.providers.native.ingest.messages import WHATSAPP, StatusRow, apply_messages
from gateway.providers.native.ingest.rollups import Deltas
from gateway.providers.native.store import Store

__all__ = ["authenticate", "is_bucket_aligned", "list_fields", "pragma", "record_statuses"]


async def authenticate(headers: Mapping[str, str], keys: KeyLookup) -> Principal:
    """The principal of the headers' credential, as the admission steps find it, or
    Unauthenticated."""
    return await authenticate_credential(credential_of(headers), headers, keys)


async def record_statuses(store: Store, updates: Sequence[StatusUpdate]) -> int:
    """Apply WhatsApp status events alone, in one transaction; how many wait for a message."""
    if not updates:
        return 0
    async with store.write() as db:
        await store.bump_versions(db, (u.tenant_id for u in updates))
        deltas = Deltas()
        waiting = await apply_messages(
            db,
            WHATSAPP,
            [],
            [StatusRow(u.tenant_id, u.external_id, int(u.status)) for u in updates],
            deltas,
        )
        await deltas.write(db)
        return waiting


async def pragma(store: Store, name: str) -> list[tuple[object, ...]]:
    """A SQLite PRAGMA's rows, read as the store reads."""
    return [tuple(row) for row in await store.fetch_all(f"PRAGMA {name}")]


def list_fields(schema: GraphQLSchema) -> Iterator[tuple[str, GraphQLField]]:
    """Every field of an object type whose type is a list, as ("Type.field", field)."""
    for type_name, type_ in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for name, field in type_.fields.items():
            if is_list_type(get_nullable_type(field.type)):
                yield f"{type_name}.{name}", field


def is_bucket_aligned(window: DayWindow) -> bool:
    """Whether every day boundary of the window falls on a rollup bucket's edge."""
    return all(edge % BUCKET_SECONDS == 0 for edge in window.boundaries())
