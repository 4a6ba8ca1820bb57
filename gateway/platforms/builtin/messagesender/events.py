"""MessageSender's webhook bodies as gateway events. Its document names the events but shows no
bodies; the shapes assumed: {"event": "message.queued" | "message.sent" | "message.delivered" |
"message.failed", "messageId", "timestamp", optional "campaignId", "type" (sms|mms), "length",
"test", "eventId"}; {"event": "campaign.created" | "campaign.updated", "campaign": {...}};
{"event": "contact.created" | "contact.updated", "contact": {...}}. Its sources take SMS, SMS
campaigns, contacts and billing."""

from __future__ import annotations

from gateway.domain.platform_events import Raw, WebhookShapes
from gateway.domain.platform_events import need as _need

__all__ = ["WEBHOOKS"]


def _messagesender(body: Raw) -> Raw:
    event = str(body.get("event", ""))
    if event.startswith("campaign."):
        campaign = dict(body.get("campaign") or {})
        return {
            "type": "campaign",
            "id": body.get("eventId"),
            "channel": "sms",
            "campaignId": campaign.pop("id", None),
            **campaign,
        }
    if event.startswith("contact."):
        contact = dict(body.get("contact") or {})
        return {
            "type": "contact",
            "id": body.get("eventId"),
            "contactId": contact.pop("id", None),
            **contact,
        }
    if not event.startswith("message."):
        raise ValueError(f"unknown MessageSender event {event!r}")
    _need(body, "messageId", "timestamp")
    status = event.removeprefix("message.")
    if status == "queued" or body.get("sentAt") or body.get("campaignId"):
        return {
            "type": "sms.message",
            "id": body.get("eventId"),
            "messageId": body["messageId"],
            "campaignId": body.get("campaignId"),
            "status": status,
            "sentAt": body.get("sentAt") or body["timestamp"],
            "kind": body.get("type", "sms"),
            "length": body.get("length", 1),
            "test": bool(body.get("test", False)),
        }
    return {
        "type": "sms.status",
        "id": body.get("eventId"),
        "messageId": body["messageId"],
        "status": status,
        "at": body["timestamp"],
    }


WEBHOOKS = WebhookShapes(
    "messagesender",
    frozenset(
        {
            "sms.message",
            "sms.status",
            "campaign/sms",
            "contact",
            "billing.account",
            "billing.credits",
        }
    ),
    _messagesender,
)
