"""Platform webhook bodies translated into the gateway's events.

The platforms' documents name their webhook events but show no bodies, so the shapes below are
the gateway's assumptions, kept in this one place:

- Pilot Status: {"event": "message.sent" | "message.delivered" | "message.read" |
  "message.failed", "messageId", "timestamp", "from" (the business number), optional "eventId",
  "sentAt"}. A message.sent with its number stands for the message itself.
- MessageSender: {"event": "message.queued" | "message.sent" | "message.delivered" |
  "message.failed", "messageId", "timestamp", optional "campaignId", "type" (sms|mms), "length",
  "test", "eventId"}; {"event": "campaign.created" | "campaign.updated", "campaign": {...}};
  {"event": "contact.created" | "contact.updated", "contact": {...}}.
- Email reports: {"event": "email.sent" | "email.delivered" | "email.opened" | "email.clicked" |
  "email.bounced" | "email.unsubscribed", "campaignId", "email", "timestamp", optional "url",
  "bounceType" (hard|soft), "eventId"}.

A body that already has a "type" is taken as a gateway event as it is. Either way a source
takes only its platform's area (`takes`): Pilot Status's WhatsApp events; MessageSender's SMS,
SMS campaigns, contacts and billing; the email platform's email events and email campaigns. A
source of the platform `gateway` takes the gateway's own events of every area, and must be
created as such: a WhatsApp source's secret never moves credits.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EVENT_NOT_FOR_SOURCE", "PLATFORMS", "takes", "translate"]

PLATFORMS = ("pilotstatus", "messagesender", "email", "gateway")
# The refusal's code for an event outside its source's platform.
EVENT_NOT_FOR_SOURCE = "EVENT_NOT_FOR_SOURCE"

# What each platform's source takes: event types, and a campaign's by its channel.
_AREAS: dict[str, frozenset[str]] = {
    "pilotstatus": frozenset({"whatsapp.message", "whatsapp.status"}),
    "messagesender": frozenset(
        {
            "sms.message",
            "sms.status",
            "campaign/sms",
            "contact",
            "billing.account",
            "billing.credits",
        }
    ),
    "email": frozenset({"email", "campaign/email"}),
}
_KNOWN = frozenset(kind for kinds in _AREAS.values() for kind in kinds) | {"campaign"}

Raw = dict[str, Any]

_EMAIL_KINDS = {
    "email.sent": "sent",
    "email.delivered": "delivered",
    "email.opened": "open",
    "email.clicked": "click",
    "email.unsubscribed": "unsubscribe",
}


def _need(body: Raw, *names: str) -> None:
    missing = [name for name in names if body.get(name) in (None, "")]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")


def _pilotstatus(body: Raw) -> Raw:
    event = str(body.get("event", ""))
    if not event.startswith("message."):
        raise ValueError(f"unknown Pilot Status event {event!r}")
    _need(body, "messageId", "timestamp")
    status = event.removeprefix("message.")
    out: Raw = {
        "type": "whatsapp.status",
        "id": body.get("eventId"),
        "messageId": body["messageId"],
        "status": status,
        "at": body["timestamp"],
    }
    number = body.get("from") or body.get("number")
    sent_at = body.get("sentAt") or (body["timestamp"] if status == "sent" else None)
    if number and sent_at:
        out.update(number=number, sentAt=sent_at)
    return out


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


def _email(body: Raw) -> Raw:
    event = str(body.get("event", ""))
    if event == "email.bounced":
        kind = f"{body.get('bounceType', '')}_bounce"
        if kind not in ("hard_bounce", "soft_bounce"):
            raise ValueError("bounceType must be hard or soft")
    elif event in _EMAIL_KINDS:
        kind = _EMAIL_KINDS[event]
    else:
        raise ValueError(f"unknown email event {event!r}")
    _need(body, "campaignId", "email", "timestamp")
    out: Raw = {
        "type": "email",
        "id": body.get("eventId"),
        "event": kind,
        "campaignId": body["campaignId"],
        "recipient": body["email"],
        "at": body["timestamp"],
    }
    if body.get("url"):
        out["url"] = body["url"]
    return out


def _gateway(body: Raw) -> Raw:
    raise ValueError("a gateway source takes the gateway's own events, each with its type")


_TRANSLATORS = {
    "pilotstatus": _pilotstatus,
    "messagesender": _messagesender,
    "email": _email,
    "gateway": _gateway,
}


def takes(platform: str, raw: Raw) -> bool:
    """Whether a source of this platform may send this gateway event (as translate made it).
    A type no area knows, or a campaign without a channel, is left to validation to name."""
    if platform == "gateway":
        return True
    kind = raw.get("type")
    if not isinstance(kind, str):
        return True  # no type validation knows either: it names the problem
    if kind == "campaign" and raw.get("channel") in ("sms", "email"):
        kind = f"campaign/{raw['channel']}"
    elif kind == "campaign":
        return any(area.startswith("campaign/") for area in _AREAS.get(platform, ()))
    elif kind not in _KNOWN:
        return True
    return kind in _AREAS.get(platform, frozenset())


def translate(platform: str, body: object) -> Raw:
    """One webhook event as a gateway event (without its tenant); ValueError says why not."""
    if not isinstance(body, dict):
        raise ValueError("an event must be a JSON object")
    if "type" in body:
        return dict(body)
    raw = _TRANSLATORS[platform](body)
    return {key: value for key, value in raw.items() if value is not None}
