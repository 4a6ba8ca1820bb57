"""A tenant's WhatsApp numbers a page at a time (a Relay connection), and the deprecated
unpaged list, answered within its cap."""

from __future__ import annotations

import base64
from typing import Annotated

import strawberry

from gateway.domain.auth import ANALYTICS_READ, KeyKind
from gateway.domain.numbers import NumberPageRequest
from gateway.errors import BadUserInput, TooManyResults
from gateway.providers.native.store import row_id
from gateway.schema.args import Info
from gateway.schema.bounds import bounds_of
from gateway.schema.campaigns import (
    MAX_PAGE,
    AfterArg,
    BeforeArg,
    FirstArg,
    PageInfo,
    page_size,
)
from gateway.schema.numbers import WhatsAppNumberType, linked_number

__all__ = [
    "NUMBERS_DEPRECATION",
    "AfterArg",
    "BeforeArg",
    "FirstArg",
    "LastArg",
    "NumberPageQueries",
    "WhatsAppNumberConnection",
    "list_numbers",
    "numbers_connection",
]

NUMBERS_DEPRECATION = (
    "Unpaged: answers TOO_MANY_RESULTS for a tenant above its cap of numbers. Use"
    " numbersConnection, which pages them."
)
CURSOR_PREFIX = "number:"

LastArg = Annotated[
    int | None,
    strawberry.argument(
        description=f"Page size going backward (the numbers nearest `before`), 1 to {MAX_PAGE}."
    ),
]


@strawberry.type(description="A number and where it stands in the list.")
class WhatsAppNumberEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this one.")
    node: WhatsAppNumberType = strawberry.field(description="The number.")


@strawberry.type(description="A page of WhatsApp numbers, oldest registered first.")
class WhatsAppNumberConnection:
    edges: list[WhatsAppNumberEdge] = strawberry.field(description="The numbers of this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")
    request: strawberry.Private[NumberPageRequest]

    @strawberry.field(description="How many numbers the list holds (those the key may see).")
    async def total_count(self, info: Info) -> int:
        return await info.context.registry.numbers_provider().count_numbers(self.request)


def _cursor(number_id: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{number_id}".encode()).decode()


def _position(cursor: str | None, argument: str) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeError):
        raw = ""
    number_id = row_id(raw.removeprefix(CURSOR_PREFIX)) if raw.startswith(CURSOR_PREFIX) else None
    if number_id is None:
        raise BadUserInput(f"{argument} is not a cursor from this list", argument=argument)
    return number_id


async def numbers_connection(
    info: Info,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> WhatsAppNumberConnection:
    """One page of the numbers the caller may see: its own for a number-scoped key."""
    context = info.context
    principal = context.principal
    principal.require_scope(ANALYTICS_READ)
    size, backward = page_size(first, last)
    only = None
    if principal.kind is KeyKind.NUMBER:
        # A key linked to no number sees none: -1 is no row's id.
        only = principal.number_id if principal.number_id is not None else -1
    request = NumberPageRequest(
        tenant_id=principal.tenant_id,
        size=size,
        backward=backward,
        after=_position(after, "after"),
        before=_position(before, "before"),
        only=only,
    )
    page = await context.registry.numbers_provider().page_numbers(request)
    edges = []
    for number in page.numbers:
        context.loaders.numbers.prime(number.ref, number)
        view = WhatsAppNumberType(model=number)
        edges.append(WhatsAppNumberEdge(cursor=_cursor(number.ref.number_id), node=view))
    where = PageInfo(
        has_next_page=page.has_next,
        end_cursor=edges[-1].cursor if edges else None,
        has_previous_page=page.has_previous,
        start_cursor=edges[0].cursor if edges else None,
    )
    return WhatsAppNumberConnection(edges=edges, page_info=where, request=request)


async def list_numbers(info: Info) -> list[WhatsAppNumberType]:
    """The numbers the caller may see, all at once: its own for a number-scoped key, else the
    tenant's, up to the cap; reading one past the cap tells a tenant above it without reading
    every number."""
    context = info.context
    principal = context.principal
    principal.require_scope(ANALYTICS_READ)
    if principal.kind is KeyKind.NUMBER:
        if principal.number_id is None:
            return []
        return [await linked_number(info)]
    cap = bounds_of(info).max_listed_numbers
    found = await context.registry.numbers_provider().list_numbers(
        principal.tenant_id, limit=cap + 1
    )
    if len(found) > cap:
        raise TooManyResults(
            f"the tenant has more than {cap} numbers, more than `numbers` lists at once;"
            " page through them with `numbersConnection(first:, after:)`",
            limit="maxListedNumbers",
            max=cap,
            field="numbersConnection",
        )
    for number in found:
        context.loaders.numbers.prime(number.ref, number)
    return [WhatsAppNumberType(model=number) for number in found]


@strawberry.type
class NumberPageQueries:
    @strawberry.field(
        description="The tenant's WhatsApp numbers, all at once; a number-scoped key sees only"
        " its own. Needs analytics:read.",
        deprecation_reason=NUMBERS_DEPRECATION,
    )
    async def numbers(self, info: Info) -> list[WhatsAppNumberType]:
        return await list_numbers(info)

    @strawberry.field(
        description="The tenant's WhatsApp numbers, oldest registered first, a page at a time:"
        " `first` after a cursor going forward, `last` before one going backward; a"
        " number-scoped key sees only its own. Needs analytics:read."
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
