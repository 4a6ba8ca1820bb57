"""Pilot Status's webhook bodies as gateway events. Its document names the events but shows no
bodies; the shape assumed: {"event": "message.sent" | "message.delivered" | "message.read" |
"message.failed", "messageId", "timestamp", "from" (the business number), optional "eventId",
"sentAt"}. A message.sent with its number stands for the message itself."""

from __future__ import annotations

from gateway.domain.platform_events import Raw, WebhookShapes
from gateway.domain.platform_events import need as _need

__all__ = ["WEBHOOKS"]


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


WEBHOOKS = WebhookShapes(
    "pilotstatus", frozenset({"whatsapp.message", "whatsapp.status"}), _pilotstatus
)
