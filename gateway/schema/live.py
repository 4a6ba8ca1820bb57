"""Live dashboards: subscriptions that answer again whenever ingest moves the tenant's data.

Each subscription asks a question (its field, its resolved arguments, and what of the caller's
key decides the answer) of the process's live questions (gateway.schema.questions): subscribers
asking the same one share its reads. A question is read at once when first asked, then once per
round after the tenant's data version moves (a webhook in this process, or the store watch for
ingest anywhere else); a burst of changes makes one round, and an unchanged answer is sent to
nobody. The view also sends an answer only when it differs from the last one sent for that
subscription (see gateway.http.view.LiveSocket and gateway.http.streams.changes_only).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from typing import Annotated, TypeVar

import strawberry

from gateway.domain.timewindows import Period, parse_timezone
from gateway.errors import GatewayError, UnsupportedBySource
from gateway.providers.upstream.http import DEADLINE, MEMO
from gateway.schema.args import Info, PeriodArg, TimezoneArg, TzArg
from gateway.schema.campaigns import CampaignIdArg, CampaignInterface, find_campaign
from gateway.schema.context import GatewayContext
from gateway.schema.ids import decode_id
from gateway.schema.numbers import NumberDashboardType, find_number, linked_number, load_dashboard
from gateway.schema.questions import LiveQuestions

__all__ = ["Subscription"]

T = TypeVar("T")


def _round(context: GatewayContext) -> None:
    """Start a round of a subscription: fresh loaders, and, as a request of its own for
    upstream calls, its deadline and its memo."""
    context.fresh_loaders()
    DEADLINE.set(time.monotonic() + context.deadline_seconds)
    MEMO.set({})


async def _answers(
    info: Info, question: tuple[Hashable, ...], read: Callable[[], Awaitable[T]], *, settled: bool
) -> AsyncGenerator[T, None]:
    context = info.context
    principal = context.principal
    if context.versions is None:  # no store watch: nothing would ever wake us
        raise UnsupportedBySource(
            "live subscriptions need the gateway's store watch", source="native"
        )
    # A context built outside the app (a schema run on its own) asks questions by itself.
    questions = context.questions
    if questions is None:  # not `or`: a registry with no questions yet is falsy
        questions = LiveQuestions(context.versions)
    # What of the key decides the answer: its tenant, kind, linked number and scopes.
    asker = (principal.tenant_id, principal.kind, principal.number_id, principal.scopes)

    async def fresh() -> T:
        _round(context)
        try:
            return await read()
        finally:
            # The question holds the answer: the loaders' copy would only double what the
            # process keeps (and what its collector walks) between rounds.
            context.fresh_loaders()

    # And the configuration it reads through: after a reload (SIGHUP), subscribers that came
    # before read the sources they started with, those after it the new ones.
    key = (*question, asker, context.registry)
    answers = questions.follow(principal.tenant_id, key, fresh, settled=settled)
    try:
        async for answer in answers:
            _round(context)  # for the fields this subscriber's selection reads itself
            yield answer
    finally:
        await answers.aclose()


def _number(number: str | None) -> Hashable:
    if number is None:
        return None
    try:
        return decode_id(number, "WhatsAppNumber")
    except GatewayError:
        return ("unread", number)  # its read raises the error


def _zone(timezone: str | None, tz: str | None) -> Hashable:
    try:
        return parse_timezone(timezone, tz).key
    except GatewayError:
        return ("unread", timezone, tz)


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

        question = ("dashboard", _number(number), period, _zone(timezone, tz))
        # A dashboard's figures are all in its model: an equal one is the same answer.
        async for board in _answers(info, question, read, settled=True):
            yield board

    @strawberry.subscription(
        description="A campaign with its figures, again whenever they change (needs reports:read)."
    )
    async def campaign(
        self, info: Info, id: CampaignIdArg
    ) -> AsyncGenerator[CampaignInterface | None, None]:
        # Its figures are read by each subscriber's own selection, so every round is news to
        # the subscribers; the view sends only answers that changed.

        async def read() -> CampaignInterface:
            return await find_campaign(info, id)

        async for found in _answers(info, ("campaign", id), read, settled=False):
            yield found
