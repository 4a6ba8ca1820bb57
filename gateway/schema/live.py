"""Live dashboards: subscriptions that answer again whenever ingest moves the tenant's data.

Each subscription reads its figures at once, then waits for the tenant's data version to move
(a webhook in this process, or the store watch for ingest anywhere else) and reads them again
with fresh loaders. Changes arriving in a burst are read once: a round starts at most every
LIVE_INTERVAL seconds (up to twice that, spread at random), and only the newest figures are
read, so a slow client never makes work or memory pile up. The view sends a round's answer
only when it differs from the last one sent for that subscription (see gateway.view.LiveSocket).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated, TypeVar

import strawberry

from gateway.errors import Unauthenticated
from gateway.providers.upstream.http import DEADLINE, MEMO
from gateway.schema.args import Info, PeriodArg, TimezoneArg, TzArg
from gateway.schema.campaigns import CampaignIdArg, CampaignInterface, find_campaign
from gateway.schema.numbers import NumberDashboardType, find_number, linked_number, load_dashboard
from gateway.timewindows import Period

__all__ = ["LIVE_INTERVAL", "Subscription"]

LIVE_INTERVAL = 0.25

T = TypeVar("T")


async def _rounds(info: Info, read: Callable[[], Awaitable[T]]) -> AsyncGenerator[T, None]:
    context = info.context
    tenant_id = context.principal.tenant_id
    if context.versions is None:  # no store watch: nothing would ever wake us
        raise Unauthenticated("live subscriptions need the gateway's store")
    while True:
        seen = context.versions.version(tenant_id)
        context.fresh_loaders()
        # Each round is a request of its own for upstream calls: its deadline, its memo.
        DEADLINE.set(time.monotonic() + context.deadline_seconds)
        MEMO.set({})
        yield await read()
        await context.versions.moved(tenant_id, seen)
        # One change wakes every subscription of the tenant at once; spread over an interval,
        # their reads leave the loop room between them.
        await asyncio.sleep(LIVE_INTERVAL * (1 + random.random()))


@strawberry.type(description="Live figures, pushed over graphql-transport-ws as ingest moves them.")
class Subscription:
    @strawberry.subscription(
        description="A number's dashboard, again whenever ingest changes its tenant's data"
        " (an answer is sent only when it differs from the last). The number is the key's"
        " linked one, or `number` for a tenant-scoped key. Needs analytics:read."
    )
    async def dashboard(
        self,
        info: Info,
        period: PeriodArg = Period.DAYS_30,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
        number: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A number's id (tenant-scoped keys); default: the key's linked number."
            ),
        ] = None,
    ) -> AsyncGenerator[NumberDashboardType | None, None]:

        async def read() -> NumberDashboardType:
            found = await (linked_number(info) if number is None else find_number(info, number))
            return await load_dashboard(info, found.model.ref, period, timezone, tz)

        async for board in _rounds(info, read):
            yield board

    @strawberry.subscription(
        description="A campaign with its figures, again whenever they change (needs reports:read)."
    )
    async def campaign(
        self, info: Info, id: CampaignIdArg
    ) -> AsyncGenerator[CampaignInterface | None, None]:
        async for found in _rounds(info, lambda: find_campaign(info, id)):
            yield found
