"""The organization: the caller's tenant as an entity other subgraphs can point at."""

from __future__ import annotations

import strawberry

from gateway.errors import NotFound
from gateway.schema.args import Info
from gateway.schema.billing import BillingStatusType, load_billing
from gateway.schema.number_pages import (
    NUMBERS_DEPRECATION,
    AfterArg,
    BeforeArg,
    FirstArg,
    LastArg,
    WhatsAppNumberConnection,
    list_numbers,
    numbers_connection,
)
from gateway.schema.numbers import WhatsAppNumberType

__all__ = ["Organization", "OrganizationQueries"]


@strawberry.federation.type(
    keys=["id"], description="The tenant the API key belongs to, with its numbers and billing."
)
class Organization:
    id: strawberry.ID = strawberry.field(description="The tenant id.")

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organization:
        # Only the caller's own: another tenant's organization does not exist for it.
        if id != info.context.principal.tenant_id:
            raise NotFound("no such organization", argument="id")
        return cls(id=id)

    @strawberry.field(
        description="Its WhatsApp numbers that the key may see, all at once (analytics:read).",
        deprecation_reason=NUMBERS_DEPRECATION,
    )
    async def numbers(self, info: Info) -> list[WhatsAppNumberType]:
        return await list_numbers(info)

    @strawberry.field(
        description="Its WhatsApp numbers that the key may see, oldest registered first, a page"
        " at a time (analytics:read)."
    )
    async def numbers_connection(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> WhatsAppNumberConnection:
        return await numbers_connection(info, first, after, last, before)

    @strawberry.field(description="Its billing status, null without an account (billing:read).")
    async def billing(self, info: Info) -> BillingStatusType | None:
        return await load_billing(info)


@strawberry.type
class OrganizationQueries:
    @strawberry.field(description="The caller's organization (its tenant).")
    def organization(self, info: Info) -> Organization:
        return Organization(id=strawberry.ID(info.context.principal.tenant_id))
