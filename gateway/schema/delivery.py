"""Delivery counters as GraphQL types: one interface for totals and for each day of a series."""

from __future__ import annotations

from datetime import date

import strawberry

from gateway.domain.messages import DeliveryCounts

__all__ = ["DeliveryDay", "DeliveryFigures", "DeliveryTotals", "delivery_day", "delivery_totals"]


@strawberry.interface(
    description="Outbound messages counted by final status (queued < sent < failed < delivered"
    " < read); test sends are left out. total = queued + sent + failed."
)
class DeliveryFigures:
    total: int = strawberry.field(description="Every outbound message except test sends.")
    queued: int = strawberry.field(description="Not yet handed to the network.")
    sent: int = strawberry.field(description="Sent, delivered or read.")
    delivered: int = strawberry.field(description="Delivered or read.")
    read: int = strawberry.field(
        description="Read; WhatsApp reports this only when the recipient has read receipts on."
    )
    failed: int = strawberry.field(description="Failed (a failure after delivery is ignored).")
    delivery_rate: float = strawberry.field(
        description="delivered / total * 100, rounded to 2 places; 0 when total is 0."
    )
    read_rate: float = strawberry.field(
        description="read / delivered * 100, rounded to 2 places; 0 when delivered is 0."
    )


@strawberry.type(description="Delivery counters summed over a whole window.")
class DeliveryTotals(DeliveryFigures):
    pass


@strawberry.type(description="Delivery counters of one local day, by the send time of messages.")
class DeliveryDay(DeliveryFigures):
    date: date = strawberry.field(description="The local day, in the requested timezone.")


def _figures(counts: DeliveryCounts) -> dict[str, int | float]:
    return {
        "total": counts.total,
        "queued": counts.queued,
        "sent": counts.sent,
        "delivered": counts.delivered,
        "read": counts.read,
        "failed": counts.failed,
        "delivery_rate": counts.delivery_rate,
        "read_rate": counts.read_rate,
    }


def delivery_totals(counts: DeliveryCounts) -> DeliveryTotals:
    return DeliveryTotals(**_figures(counts))  # type: ignore[arg-type]


def delivery_day(day: date, counts: DeliveryCounts) -> DeliveryDay:
    return DeliveryDay(date=day, **_figures(counts))  # type: ignore[arg-type]
