"""Campaigns of either channel, their status counts, and SMS campaign performance."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from gateway.domain.messages import DeliveryCounts

__all__ = [
    "Campaign",
    "CampaignPage",
    "CampaignPageRequest",
    "CampaignRef",
    "CampaignStatus",
    "CampaignStatusCounts",
    "Channel",
    "Position",
    "SmsCampaignPerformance",
]


class Channel(enum.Enum):
    WHATSAPP = "whatsapp"
    SMS = "sms"
    EMAIL = "email"


class CampaignStatus(enum.Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


class CampaignRef(BaseModel):
    """Which campaign, seen from which tenant: the key campaign loaders batch on."""

    model_config = ConfigDict(frozen=True)

    source: str
    tenant_id: str
    channel: Channel
    campaign_id: str


class Campaign(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: CampaignRef
    external_id: str
    name: str
    status: CampaignStatus
    created_at: datetime
    sent_at: datetime | None = None
    completed_at: datetime | None = None


class CampaignStatusCounts(BaseModel):
    """Campaigns counted by status."""

    model_config = ConfigDict(frozen=True)

    draft: int = 0
    scheduled: int = 0
    sending: int = 0
    completed: int = 0
    failed: int = 0
    canceled: int = 0

    @property
    def total(self) -> int:
        return (
            self.draft
            + self.scheduled
            + self.sending
            + self.completed
            + self.failed
            + self.canceled
        )


class SmsCampaignPerformance(BaseModel):
    """An SMS campaign with its messages counted by final status."""

    model_config = ConfigDict(frozen=True)

    campaign: Campaign
    counts: DeliveryCounts


# A campaign's place in the newest-first list: (created_at in epoch seconds, store row id).
Position = tuple[int, int]


class CampaignPageRequest(BaseModel):
    """One page of a tenant's campaigns, newest first, as Relay asks for it: the `size` nearest
    `after` (older than it) going forward, or nearest `before` (newer than it) going backward;
    with both, within the campaigns between them."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    channel: Channel | None = None
    status: CampaignStatus | None = None
    size: int
    backward: bool = False
    after: Position | None = None
    before: Position | None = None


class CampaignPage(BaseModel):
    """The page, newest first, and whether campaigns lie beyond each of its ends."""

    model_config = ConfigDict(frozen=True)

    campaigns: list[Campaign]
    has_next: bool
    has_previous: bool
