"""The gateway's ingest events: one JSON object per event, in import files and webhook bodies.

Every event has a `type`, a `tenant` (webhooks fill it in from their source) and an `id`; an
event without one is identified by a hash of its content, so a replayed line counts once either
way, except where two identical events are two things (`billing.credits`: two purchases of the
same amount), which must carry an id. Times are ISO 8601 with an offset (or Z), within
[1970-01-01, 2100-01-01) UTC. Every number has a range that both stores hold and GraphQL's Int
answers, and no text holds NUL (PostgreSQL cannot store it): a value outside is that event's
rejection, named, on either store alike.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gateway.domain.billing import CreditProduct, Subscription
from gateway.domain.links import URL_NOT_HTTP, HttpUrlText
from gateway.domain.messages import MessageStatus

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_CREDITS",
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
    "describe",
    "event_id",
    "parse_event",
    "parse_event_json",
    "refusal_code",
    "sms_credits",
]

SMS_STATUSES = ("queued", "sent", "failed", "delivered")
WHATSAPP_STATUSES = ("queued", "sent", "failed", "delivered", "read")

Id = Annotated[str, Field(min_length=1, max_length=200)]

# The window of event times: the stores keep Unix seconds, and every report's arithmetic (local
# days, engagement buckets of a month after a send, the CSV's local times) stays far inside
# what Python's datetime and both stores represent.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# A credit balance and a product's figures are GraphQL Ints (32-bit); opening balances up to a
# billion each keep available + included within one.
MAX_CREDITS = 1_000_000_000
INT_MAX = 2**31 - 1


# Checked by pydantic's core, no Python call per time: "Input should be greater than or equal
# to 1970-01-01T00:00:00Z" / "less than 2100-01-01T00:00:00Z".
Moment = Annotated[AwareDatetime, Field(ge=EARLIEST, lt=LATEST)]


def _no_nul(value: object) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain NUL (U+0000)")
    elif isinstance(value, dict):
        for item in value.values():
            _no_nul(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item)


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: Id | None = None
    tenant: Id

    @model_validator(mode="before")
    @classmethod
    def _text_without_nul(cls, data: object, info: ValidationInfo) -> object:
        if not (info.context and info.context.get("no_nul")):
            _no_nul(data)
        return data


def _status(allowed: tuple[str, ...]) -> Any:
    exact = {name: MessageStatus[name.upper()] for name in allowed}

    def check(value: object) -> MessageStatus:
        found = exact.get(value) if isinstance(value, str) else None  # the common case
        if found is not None:
            return found
        if isinstance(value, str) and value.strip().lower() in allowed:
            return MessageStatus.parse(value)
        raise ValueError(f"status must be one of {', '.join(allowed)}")

    return field_validator("status", mode="before")(check)


class WhatsAppMessageEvent(_Event):
    """A WhatsApp message sent from one of the tenant's numbers."""

    type: Literal["whatsapp.message"]
    number: Id = Field(description="the sending number, E.164")
    message_id: Id = Field(alias="messageId")
    sent_at: Moment = Field(alias="sentAt")
    status: MessageStatus = MessageStatus.SENT
    test: bool = False

    _check_status = _status(WHATSAPP_STATUSES)


class WhatsAppStatusEvent(_Event):
    """A WhatsApp delivery event; with number and sentAt it can stand for the message itself."""

    type: Literal["whatsapp.status"]
    message_id: Id = Field(alias="messageId")
    status: MessageStatus
    at: Moment | None = None
    number: Id | None = None
    sent_at: Moment | None = Field(None, alias="sentAt")

    _check_status = _status(WHATSAPP_STATUSES)


class SmsMessageEvent(_Event):
    """An SMS or MMS message, part of a campaign or not."""

    type: Literal["sms.message"]
    message_id: Id = Field(alias="messageId")
    campaign_id: Id | None = Field(None, alias="campaignId")
    sent_at: Moment = Field(alias="sentAt")
    status: MessageStatus = MessageStatus.QUEUED
    kind: Literal["sms", "mms"] = "sms"
    length: int = Field(1, ge=0, le=100_000, description="characters of an SMS body")
    test: bool = False

    _check_status = _status(SMS_STATUSES)


class SmsStatusEvent(_Event):
    type: Literal["sms.status"]
    message_id: Id = Field(alias="messageId")
    status: MessageStatus
    at: Moment | None = None

    _check_status = _status(SMS_STATUSES)


class CampaignEvent(_Event):
    """A campaign as it is now; a later status never moves it back (sending after completed)."""

    type: Literal["campaign"]
    channel: Literal["sms", "email"]
    campaign_id: Id = Field(alias="campaignId")
    name: str = Field(min_length=1, max_length=500)
    status: Literal["draft", "scheduled", "sending", "completed", "failed", "canceled"]
    created_at: Moment = Field(alias="createdAt")
    sent_at: Moment | None = Field(None, alias="sentAt")
    completed_at: Moment | None = Field(None, alias="completedAt")


class ContactEvent(_Event):
    type: Literal["contact"]
    contact_id: Id = Field(alias="contactId")
    phone: str | None = Field(None, max_length=50)
    email: str | None = Field(None, max_length=320)
    textable: bool = Field(False, alias="isTextable")
    opted_in: bool = Field(True, alias="isOptedIn")
    created_at: Moment | None = Field(None, alias="createdAt")


class EmailEvent(_Event):
    """Something that happened to one recipient of an email campaign."""

    type: Literal["email"]
    event: Literal[
        "sent", "delivered", "open", "click", "hard_bounce", "soft_bounce", "unsubscribe"
    ]
    campaign_id: Id = Field(alias="campaignId")
    recipient: str = Field(min_length=1, max_length=320)
    at: Moment
    url: HttpUrlText | None = None


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
    portal_urls: dict[str, HttpUrlText | None] = Field(default_factory=dict, alias="portalUrls")
    credit_products: list[CreditProduct] = Field(default_factory=list, alias="creditProducts")
    available: int = Field(ge=0, le=MAX_CREDITS, description="purchased credits")
    included: int = Field(0, ge=0, le=MAX_CREDITS, description="this period's credits")

    @field_validator("credit_products")
    @classmethod
    def _products_within_int(cls, products: list[CreditProduct]) -> list[CreditProduct]:
        for product in products:
            if not (0 <= product.credits_amount <= INT_MAX and 0 <= product.price_cents <= INT_MAX):
                raise ValueError(f"creditsAmount and priceCents between 0 and {INT_MAX}")
        return products


class CreditsEvent(_Event):
    """Credits added to (or, negative, taken from) a pool: a purchase or a new period. Two equal
    purchases are two purchases, so the id is required: without it a retried delivery and a
    second purchase could not be told apart."""

    type: Literal["billing.credits"]
    pool: Literal["purchased", "included"]
    delta: int = Field(ge=-10_000_000, le=10_000_000)
    reason: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _has_id(self) -> CreditsEvent:
        if self.id is None:
            raise ValueError(
                "billing.credits needs an id: two equal purchases are two purchases, and only "
                "the id tells them from one delivered twice"
            )
        return self


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
    # JSON can only write NUL as the escape \u0000: a text without one needs no NUL check.
    clean = (b"\\u0000" not in text) if isinstance(text, bytes) else ("\\u0000" not in text)
    return _EVENT.validate_json(text, context={"no_nul": True} if clean else None)


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


def describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in error.errors()
    )


def refusal_code(error: ValidationError) -> str:
    """An event's refusal code: its own for a link that is not http(s), else BAD_USER_INPUT."""
    links = any(e["type"] == URL_NOT_HTTP for e in error.errors())
    return "URL_NOT_HTTP" if links else "BAD_USER_INPUT"
