"""The caller as the graph sees it: tenant, key kind and scopes."""

from __future__ import annotations

import strawberry

from gateway.domain.auth import KeyKind
from gateway.schema.context import GatewayContext
from gateway.schema.enums import described_enum

__all__ = ["ViewerQueries"]

KeyKindEnum = described_enum(
    KeyKind,
    name="KeyKind",
    description="NUMBER: the key sees one WhatsApp number. TENANT: it sees the whole tenant.",
    values={
        KeyKind.NUMBER: "Number-scoped: the key sees the one WhatsApp number it is linked to.",
        KeyKind.TENANT: "Tenant-scoped: the key sees the whole tenant, as far as its scopes go.",
    },
)


@strawberry.type(description="Who the API key in this request belongs to.")
class Viewer:
    tenant_id: str = strawberry.field(description="The tenant every answer is confined to.")
    key_handle: str = strawberry.field(description="The public name of the key in use.")
    key_kind: KeyKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="Whether the key is number-scoped or tenant-scoped."
    )
    scopes: list[str] = strawberry.field(
        description="Areas the key may read: analytics:read, reports:read, billing:read."
    )


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The caller: tenant, key kind and scopes.")
    def viewer(self, info: strawberry.Info[GatewayContext, None]) -> Viewer:
        principal = info.context.principal
        return Viewer(
            tenant_id=principal.tenant_id,
            key_handle=principal.key_handle,
            key_kind=principal.kind,
            scopes=sorted(principal.scopes),
        )
