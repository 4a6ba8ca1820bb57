"""The gateway's ingest events: one JSON object per event, in import files and webhook bodies.

Every event has a `type`, a `tenant` (webhooks fill it in from their source) and an optional
`id`; an event without one is identified by a hash of its content, so a replayed line counts
once either way. Times are ISO 8601 with an offset (or Z).
"""

from __future__ import annotations

import hashlib
import math
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from gateway.domain.billing import CreditProduct, Subscription
from gateway.domain.messages import MessageStatus

__all__ = [
    "BillingAccountEvent",
    "CampaignEvent",
    "ContactEvent",
    "CreditsEvent",
    "EmailEvent",
    "Event",
    "SmsMessageEvent",
    "SmsStatusEvent",
    "WhatsAppMessageEvent",
    "WhatsAppStatusEvent",
    "event_id",
    "parse_event",
    "parse_event_json",
    "sms_credits",
]

CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "completed", "failed", "canceled")
SMS_STATUSES = ("queued", "sent", "failed", "delivered")
WHATSAPP_STATUSES = ("queued", "sent", "failed", "delivered", "read")

Id = Annotated[str, Field(min_length=1, max_length=200)]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: Id | None = None
    tenant: Id


def _status(allowed: tuple[str, ...]) -> Any:
    def check(value: object) -> MessageStatus:
        if isinstance(value, str) and value.strip().lower() in allowed:
            return MessageStatus.parse(value)
        raise ValueError(f"status must be one of {', '.join(allowed)}")

    return field_validator("status", mode="before")(check)


class WhatsAppMessageEvent(_Event):
    """A WhatsApp message sent from one of the tenant's numbers."""

    type: Literal["whatsapp.message"]
    number: Id = Field(description="the sending number, E.164")
    message_id: Id = Field(alias="messageId")
    sent_at: AwareDatetime = Field(alias="sentAt")
    status: MessageStatus = MessageStatus.SENT
    test: bool = False

    _check_status = _status(WHATSAPP_STATUSES)


class WhatsAppStatusEvent(_Event):
    """A WhatsApp delivery event; with number and sentAt it can stand for the message itself."""

    type: Literal["whatsapp.status"]
    message_id: Id = Field(alias="messageId")
    status: MessageStatus
    at: AwareDatetime | None = None
    number: Id | None = None
    sent_at: AwareDatetime | None = Field(None, alias="sentAt")

    _check_status = _status(WHATSAPP_STATUSES)


class SmsMessageEvent(_Event):
    """An SMS or MMS message, part of a campaign or not."""

    type: Literal["sms.message"]
    message_id: Id = Field(alias="messageId")
    campaign_id: Id | None = Field(None, alias="campaignId")
    sent_at: AwareDatetime = Field(alias="sentAt")
    status: MessageStatus = MessageStatus.QUEUED
    kind: Literal["sms", "mms"] = "sms"
    length: int = Field(1, ge=0, le=100_000, description="characters of an SMS body")
    test: bool = False

    _check_status = _status(SMS_STATUSES)


class SmsStatusEvent(_Event):
    type: Literal["sms.status"]
    message_id: Id = Field(alias="messageId")
    status: MessageStatus
    at: AwareDatetime | None = None

    _check_status = _status(SMS_STATUSES)


class CampaignEvent(_Event):
    """A campaign as it is now; a later status never moves it back (sending after completed)."""

    type: Literal["campaign"]
    channel: Literal["sms", "email"]
    campaign_id: Id = Field(alias="campaignId")
    name: str = Field(min_length=1, max_length=500)
    status: Literal["draft", "scheduled", "sending", "completed", "failed", "canceled"]
    created_at: AwareDatetime = Field(alias="createdAt")
    sent_at: AwareDatetime | None = Field(None, alias="sentAt")
    completed_at: AwareDatetime | None = Field(None, alias="completedAt")


class ContactEvent(_Event):
    type: Literal["contact"]
    contact_id: Id = Field(alias="contactId")
    phone: str | None = Field(None, max_length=50)
    email: str | None = Field(None, max_length=320)
    textable: bool = Field(False, alias="isTextable")
    opted_in: bool = Field(True, alias="isOptedIn")
    created_at: AwareDatetime | None = Field(None, alias="createdAt")


class EmailEvent(_Event):
    """Something that happened to one recipient of an email campaign."""

    type: Literal["email"]
    event: Literal[
        "sent", "delivered", "open", "click", "hard_bounce", "soft_bounce", "unsubscribe"
    ]
    campaign_id: Id = Field(alias="campaignId")
    recipient: str = Field(min_length=1, max_length=320)
    at: AwareDatetime
    url: str | None = Field(None, max_length=2000)

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        return value


class BillingAccountEvent(_Event):
    """The tenant's billing state as MessageSender's billing status reports it."""

    type: Literal["billing.account"]
    organization_id: Id = Field(alias="organizationId")
    brand: str | None = None
    billing_status: Literal["active", "past_due", "suspended", "overage_warning", "archived"] = (
        Field(alias="billingStatus")
    )
    pricing_model: Literal["unlimited", "per_message", "full_service"] = Field(alias="pricingModel")
    subscription: Subscription | None = None
    portal_urls: dict[str, str | None] = Field(default_factory=dict, alias="portalUrls")
    credit_products: list[CreditProduct] = Field(default_factory=list, alias="creditProducts")
    available: int = Field(ge=0, description="purchased credits")
    included: int = Field(0, ge=0, description="this period's subscription credits")


class CreditsEvent(_Event):
    """Credits added to (or, negative, taken from) a pool: a purchase or a new period."""

    type: Literal["billing.credits"]
    pool: Literal["purchased", "included"]
    delta: int = Field(ge=-10_000_000, le=10_000_000)
    reason: str | None = Field(None, max_length=200)


Event = Annotated[
    WhatsAppMessageEvent
    | WhatsAppStatusEvent
    | SmsMessageEvent
    | SmsStatusEvent
    | CampaignEvent
    | ContactEvent
    | EmailEvent
    | BillingAccountEvent
    | CreditsEvent,
    Field(discriminator="type"),
]

_EVENT: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: object) -> Event:
    """Validate one event; raises pydantic's ValidationError with every problem named."""
    return _EVENT.validate_python(data)


def parse_event_json(text: str | bytes) -> Event:
    """Parse and validate one event from its JSON text in one pass (a JSON syntax error is a
    ValidationError of type json_invalid)."""
    return _EVENT.validate_json(text)


def event_id(event: Event) -> str:
    """The event's own id, or a hash of its content when it has none."""
    if event.id is not None:
        return event.id
    # The model's own JSON: its fields in their fixed order, so equal content, equal bytes.
    canonical = event.model_dump_json(by_alias=True).encode()
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def sms_credits(kind: str, length: int) -> int:
    """MessageSender's price: 2 per MMS, else 1 per started 480 characters, at least 1."""
    return 2 if kind == "mms" else max(1, math.ceil(length / 480))
