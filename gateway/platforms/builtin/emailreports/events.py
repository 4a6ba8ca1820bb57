"""The email platform's webhook bodies as gateway events. Its document names the events but
shows no bodies; the shape assumed: {"event": "email.sent" | "email.delivered" | "email.opened" |
"email.clicked" | "email.bounced" | "email.unsubscribed", "campaignId", "email", "timestamp",
optional "url", "bounceType" (hard|soft), "eventId"}. Its webhook sources are created as
platform "email" (the name they have always had)."""

from __future__ import annotations

from gateway.domain.platform_events import Raw, WebhookShapes
from gateway.domain.platform_events import need as _need

__all__ = ["WEBHOOKS"]


_EMAIL_KINDS = {
    "email.sent": "sent",
    "email.delivered": "delivered",
    "email.opened": "open",
    "email.clicked": "click",
    "email.unsubscribed": "unsubscribe",
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


WEBHOOKS = WebhookShapes("email", frozenset({"email", "campaign/email"}), _email)
