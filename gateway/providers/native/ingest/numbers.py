"""Which events may register the number they name: an unknown number only where its source
allows it, and never past the tenant's bound of numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.domain.events import Event, WhatsAppMessageEvent, WhatsAppStatusEvent
from gateway.providers.native.ingest.lookup import lookup
from gateway.providers.native.store import Transaction

__all__ = [
    "DEFAULT_MAX_NUMBERS",
    "REGISTER",
    "TOO_MANY_NUMBERS",
    "UNKNOWN_NUMBER",
    "NumberCheck",
    "NumberRule",
    "Refused",
    "refuse_numbers",
]

UNKNOWN_NUMBER = "UNKNOWN_NUMBER"
TOO_MANY_NUMBERS = "TOO_MANY_NUMBERS"
# A WhatsApp provider reselling to its clients runs thousands of numbers under one tenant.
DEFAULT_MAX_NUMBERS = 10_000

# Per batch: the index of each refused event, with its code and reason.
Refused = dict[int, tuple[str, str]]


@dataclass(frozen=True)
class NumberRule:
    """What a batch's events may do with a number the tenant does not have yet."""

    register: bool = True
    limit: int = DEFAULT_MAX_NUMBERS


# Unknown numbers registered up to the default bound: ingest's rule unless told otherwise.
REGISTER = NumberRule()

NumberKey = tuple[str, str]  # (tenant, phone number)


@dataclass
class NumberCheck:
    """Per batch, the events refused for their number; and the ids of the named numbers the
    tenants have already, which the batch's messages then need not look up again."""

    refused: list[Refused]
    known: dict[NumberKey, int]


def named_number(event: Event) -> str | None:
    """The number an event would register: a message's, or a status standing for one."""
    if isinstance(event, WhatsAppMessageEvent):
        return event.number
    if isinstance(event, WhatsAppStatusEvent) and event.sent_at is not None:
        return event.number
    return None


async def refuse_numbers(
    db: Transaction, batches: Sequence[tuple[Sequence[Event], NumberRule]]
) -> NumberCheck:
    """For each batch, its events refused for the number they would register. Costs one
    lookup of the named numbers per tenant, and one count per tenant that meets a new one:
    never a query per event. Batches are judged in order, as if committed one after another."""
    check = NumberCheck([{} for _ in batches], {})
    named = {
        (event.tenant, number)
        for events, _ in batches
        for event in events
        if (number := named_number(event)) is not None
    }
    if not named:
        return check
    check.known = await lookup(
        db,
        "SELECT phone_number, id FROM numbers WHERE tenant_id = ? AND phone_number IN ({keys})",
        named,
    )
    new = named - check.known.keys()
    if not new:
        return check
    counts = {tenant: await _count(db, tenant) for tenant in sorted({t for t, _ in new})}
    admitted: set[NumberKey] = set()
    for (events, rule), out in zip(batches, check.refused, strict=True):
        for index, event in enumerate(events):
            number = named_number(event)
            key = (event.tenant, number or "")
            if number is None or key not in new or key in admitted:
                continue
            if not rule.register:
                out[index] = (
                    UNKNOWN_NUMBER,
                    f"number {number!r} is not registered and this source does not register "
                    "numbers (gateway numbers add, or a source created with --register-numbers)",
                )
            elif counts[event.tenant] >= rule.limit:
                out[index] = (
                    TOO_MANY_NUMBERS,
                    f"number {number!r} would be past the tenant's {rule.limit} numbers "
                    "(GATEWAY_MAX_NUMBERS_PER_TENANT)",
                )
            else:
                admitted.add(key)
                counts[event.tenant] += 1
    return check


async def _count(db: Transaction, tenant: str) -> int:
    # Exact however many processes ingest: the store lets one write transaction run at a time
    # (SQLite's single writer, PostgreSQL's write lock), and this one counts inside its own.
    row = await db.fetch_one("SELECT count(*) FROM numbers WHERE tenant_id = ?", (tenant,))
    return 0 if row is None else int(row[0])
