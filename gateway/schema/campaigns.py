"""Campaigns in the graph: one interface, SMS and email kinds, a cursor connection."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry

from gateway.domain.auth import REPORTS_READ
from gateway.domain.campaigns import (
    Campaign,
    CampaignPageRequest,
    CampaignRef,
    CampaignStatus,
    Channel,
    Position,
    SmsCampaignPerformance,
)
from gateway.domain.email import EngagementPeriod, EngagementRequest
from gateway.domain.timewindows import parse_timezone
from gateway.errors import BadUserInput, NotFound
from gateway.providers.native.store import row_id
from gateway.schema.args import Info, TimezoneArg, TzArg
from gateway.schema.delivery import DeliveryTotals, delivery_totals
from gateway.schema.email import EmailCampaignReportType, EngagementPoint, engagement_point
from gateway.schema.enums import described_enum
from gateway.schema.ids import decode_id, encode_id
from gateway.schema.node import Node

__all__ = [
    "MAX_PAGE",
    "CampaignQueries",
    "EmailCampaignType",
    "PageInfo",
    "SmsCampaignType",
    "campaign_view",
    "page_size",
]

ChannelEnum = described_enum(
    Channel,
    name="Channel",
    description="A messaging channel.",
    values={
        Channel.WHATSAPP: "WhatsApp messages from the tenant's numbers (Pilot Status).",
        Channel.SMS: "SMS and MMS messages and campaigns (MessageSender).",
        Channel.EMAIL: "Email campaigns (the email reports platform).",
    },
)
CampaignStatusEnum = described_enum(
    CampaignStatus,
    name="CampaignStatus",
    description="A campaign's status, in the order it moves: DRAFT, SCHEDULED, SENDING, then one"
    " of COMPLETED, FAILED or CANCELED.",
    values={
        CampaignStatus.DRAFT: "Being prepared; nothing is sent.",
        CampaignStatus.SCHEDULED: "Waiting for its send time.",
        CampaignStatus.SENDING: "Its messages are going out.",
        CampaignStatus.COMPLETED: "Every message went out; the status top campaigns rank.",
        CampaignStatus.FAILED: "Stopped by a failure.",
        CampaignStatus.CANCELED: "Stopped by the sender.",
    },
)
EngagementPeriodEnum = described_enum(
    EngagementPeriod,
    name="EngagementPeriod",
    description="From the campaign's send time: HOURS_24 is 24 local hours, WEEK 7 local days,"
    " MONTH 30 local days.",
    values={
        EngagementPeriod.HOURS_24: "The 24 local hours from the campaign's send time.",
        EngagementPeriod.WEEK: "The 7 local days from the campaign's send time.",
        EngagementPeriod.MONTH: "The 30 local days from the campaign's send time.",
    },
)

TYPE_NAMES: dict[Channel, str] = {Channel.SMS: "SmsCampaign", Channel.EMAIL: "EmailCampaign"}
MAX_PAGE = 100


FirstArg = Annotated[
    int | None,
    strawberry.argument(
        description=f"Page size going forward, 1 to {MAX_PAGE}; 20 when neither first nor last."
    ),
]
AfterArg = Annotated[
    str | None,
    strawberry.argument(description="The endCursor of the page before; none for the first page."),
]
LastArg = Annotated[
    int | None,
    strawberry.argument(
        description=f"Page size going backward (the campaigns nearest `before`), 1 to {MAX_PAGE}."
    ),
]
BeforeArg = Annotated[
    str | None,
    strawberry.argument(description="The startCursor of the page after; none for the last page."),
]
ChannelArg = Annotated[
    ChannelEnum | None,  # type: ignore[valid-type]
    strawberry.argument(description="Only this channel's campaigns (SMS or EMAIL)."),
]
StatusArg = Annotated[
    CampaignStatusEnum | None,  # type: ignore[valid-type]
    strawberry.argument(description="Only campaigns with this status."),
]
CampaignIdArg = Annotated[strawberry.ID, strawberry.argument(description="A campaign's id.")]
EngagementPeriodArg = Annotated[
    EngagementPeriodEnum,  # type: ignore[valid-type]
    strawberry.argument(description="24 local hours, 7 or 30 local days from the send."),
]


@strawberry.interface(name="Campaign", description="A campaign of any channel.")
class CampaignInterface(Node):
    model: strawberry.Private[Campaign]

    @strawberry.field(description="Global ID of the campaign.")
    def id(self) -> strawberry.ID:
        ref = self.model.ref
        return strawberry.ID(encode_id(TYPE_NAMES[ref.channel], ref.source, ref.campaign_id))

    @strawberry.field(description="The campaign's name.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="The campaign's status.")
    def status(self) -> CampaignStatusEnum:  # type: ignore[valid-type]
        return self.model.status

    @strawberry.field(description="SMS or EMAIL.")
    def channel(self) -> ChannelEnum:  # type: ignore[valid-type]
        return self.model.ref.channel

    @strawberry.field(description="When the campaign was created.")
    def created_at(self) -> datetime:
        return self.model.created_at


@strawberry.federation.type(
    name="SmsCampaign",
    keys=["id"],
    description="An SMS campaign with its messages counted by final status.",
)
class SmsCampaignType(CampaignInterface):
    counts_hint: strawberry.Private[SmsCampaignPerformance | None] = None

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> SmsCampaignType:
        return await _entity(info, id, cls)

    @strawberry.field(description="When the campaign completed, if it has.")
    def completed_at(self) -> datetime | None:
        return self.model.completed_at

    @strawberry.field(
        description="All its messages by final status, whenever sent (read is always 0 for SMS)."
    )
    async def messages(self, info: Info) -> DeliveryTotals:
        if self.counts_hint is not None:
            return delivery_totals(self.counts_hint.counts)
        return delivery_totals(await info.context.loaders.sms_counts.get(self.model.ref, info))


@strawberry.federation.type(
    name="EmailCampaign", keys=["id"], description="An email campaign and its reports."
)
class EmailCampaignType(CampaignInterface):
    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> EmailCampaignType:
        return await _entity(info, id, cls)

    @strawberry.field(description="When the campaign was sent, if it has been.")
    def sent_at(self) -> datetime | None:
        return self.model.sent_at

    @strawberry.field(
        description="Sent, delivered, opens, clicks, bounces and link activity"
        " (needs reports:read)."
    )
    async def report(self, info: Info) -> EmailCampaignReportType:
        info.context.principal.require_tenant_scope(REPORTS_READ)
        return EmailCampaignReportType(
            model=await info.context.loaders.email_reports.get(self.model, info)
        )

    @strawberry.field(
        description="Opens and clicks from the send time on, per local hour or"
        " day (needs reports:read)."
    )
    async def engagement(
        self,
        info: Info,
        period: EngagementPeriodArg = EngagementPeriod.HOURS_24,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
    ) -> list[EngagementPoint]:
        info.context.principal.require_tenant_scope(REPORTS_READ)
        zone = parse_timezone(timezone, tz)
        request = EngagementRequest(campaign=self.model.ref, period=period, timezone=zone.key)
        points = await info.context.loaders.engagements.get(request, info)
        return [engagement_point(point) for point in points]


def campaign_view(campaign: Campaign) -> CampaignInterface:
    if campaign.ref.channel is Channel.SMS:
        return SmsCampaignType(model=campaign)
    return EmailCampaignType(model=campaign)


@strawberry.type(description="A campaign and where it stands in the list.")
class CampaignEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this one.")
    node: CampaignInterface = strawberry.field(description="The campaign.")


# Shareable as a whole type, so that every field it has (or gains) may also come from another
# subgraph's PageInfo: federation composes two subgraphs' PageInfo only when both share it.
@strawberry.federation.type(shareable=True, description="Whether there is more after this page.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True if another page follows.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last edge.")
    has_previous_page: bool = strawberry.field(
        description="True if items come before this page (for campaigns, newer ones)."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge.")


@strawberry.type(description="A page of campaigns, newest first.")
class CampaignConnection:
    edges: list[CampaignEdge] = strawberry.field(description="The campaigns of this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")
    request: strawberry.Private[CampaignPageRequest]

    @strawberry.field(description="How many campaigns the list holds under its filters.")
    async def total_count(self, info: Info) -> int:
        return await info.context.registry.get().count_campaigns(self.request)


def _cursor(campaign: Campaign) -> str:
    raw = f"{int(campaign.created_at.timestamp())}:{campaign.ref.campaign_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _position(cursor: str | None, argument: str) -> Position | None:
    if cursor is None:
        return None
    try:
        created, campaign_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        at, number = row_id(created), row_id(campaign_id)
        if at is None or number is None:
            raise ValueError("not a cursor")
        return at, number
    except (ValueError, UnicodeError):
        problem = f"{argument} is not a cursor from this list"
        raise BadUserInput(problem, argument=argument) from None


def page_size(first: int | None, last: int | None) -> tuple[int, bool]:
    """(size, backward) from Relay's first or last."""
    if first is not None and last is not None:
        raise BadUserInput("ask for first or last, not both", argument="last")
    size, argument = (last, "last") if last is not None else (first or 20, "first")
    if first == 0 or not 1 <= size <= MAX_PAGE:
        raise BadUserInput(f"{argument} must be between 1 and {MAX_PAGE}", argument=argument)
    return size, last is not None


@strawberry.type
class CampaignQueries:
    @strawberry.field(
        description="The tenant's campaigns, newest first, a page at a time: `first` after a"
        " cursor going forward, `last` before one going backward (needs reports:read)."
    )
    async def campaigns(
        self,
        info: Info,
        channel: ChannelArg = None,
        status: StatusArg = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> CampaignConnection:
        principal = info.context.principal
        principal.require_tenant_scope(REPORTS_READ)
        size, backward = page_size(first, last)
        if channel is Channel.WHATSAPP:
            raise BadUserInput("WhatsApp has no campaigns here", argument="channel")
        request = CampaignPageRequest(
            tenant_id=principal.tenant_id,
            channel=channel,
            status=status,
            size=size,
            backward=backward,
            after=_position(after, "after"),
            before=_position(before, "before"),
        )
        page = await info.context.registry.get().page_campaigns(request)
        for campaign in page.campaigns:
            info.context.loaders.campaigns.prime(campaign.ref, campaign)
        edges = [CampaignEdge(cursor=_cursor(c), node=campaign_view(c)) for c in page.campaigns]
        where = PageInfo(
            has_next_page=page.has_next,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
        )
        return CampaignConnection(edges=edges, page_info=where, request=request)

    @strawberry.field(
        description="One campaign by id; NOT_FOUND for another tenant's (needs reports:read)."
    )
    async def campaign(self, info: Info, id: CampaignIdArg) -> CampaignInterface | None:
        return await find_campaign(info, id)


C = TypeVar("C", bound=CampaignInterface)


async def _entity(info: Info, id: str, kind: type[C]) -> C:
    """A campaign asked for by a federation gateway as an entity of type `kind`."""
    found = await find_campaign(info, id)
    if not isinstance(found, kind):
        raise NotFound("no such campaign", argument="id")
    return found


async def find_campaign(info: Info, id: str) -> CampaignInterface:
    """A campaign of the caller's tenant, by global id; NOT_FOUND for any other."""
    principal = info.context.principal
    principal.require_tenant_scope(REPORTS_READ)
    for channel, type_name in TYPE_NAMES.items():
        try:
            source, local_id = decode_id(id, type_name)
        except BadUserInput:
            continue
        ref = CampaignRef(
            source=source,
            tenant_id=principal.tenant_id,
            channel=channel,
            campaign_id=local_id,
        )
        campaign = await info.context.loaders.campaigns.get(ref)
        if campaign is None:
            raise NotFound("no such campaign", argument="id")
        return campaign_view(campaign)
    raise BadUserInput(f"{id!r} is not a campaign id", argument="id")
