"""Ingest into the native store: batches of events applied once each, committed before the
caller acknowledges them."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.domain.events import (
    BillingAccountEvent,
    CampaignEvent,
    ContactEvent,
    CreditsEvent,
    EmailEvent,
    Event,
    SmsMessageEvent,
    SmsStatusEvent,
    WhatsAppMessageEvent,
    WhatsAppStatusEvent,
    event_id,
    sms_credits,
)
from gateway.domain.messages import OutboundMessage
from gateway.providers.native.ingest.email import apply_email_events
from gateway.providers.native.ingest.entities import (
    apply_billing_accounts,
    apply_campaigns,
    apply_contacts,
    apply_credits,
    campaign_ids,
    earliest,
    number_ids,
)
from gateway.providers.native.ingest.lookup import lookup
from gateway.providers.native.ingest.messages import (
    SMS,
    WHATSAPP,
    MessageRow,
    StatusRow,
    apply_messages,
)
from gateway.providers.native.ingest.numbers import (
    REGISTER,
    NumberRule,
    Refused,
    refuse_numbers,
)
from gateway.providers.native.ingest.rollups import Deltas
from gateway.providers.native.store import Store, Transaction, placeholders

__all__ = ["IngestResult", "NumberRule", "apply_events", "record_messages"]

log = logging.getLogger("gateway.ingest")

KnownNumbers = dict[tuple[str, str], int]


@dataclass
class IngestResult:
    """What became of a batch: applied now, seen before, or refused (index, reason); `codes`
    holds the code of each refusal that has its own (the others are BAD_USER_INPUT)."""

    applied: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)

    def refuse(self, index: int, reason: str, code: str | None = None) -> None:
        self.rejected.append((index, reason))
        if code is not None:
            self.codes[index] = code


async def apply_events(
    store: Store, events: Sequence[Event], rule: NumberRule = REGISTER
) -> IngestResult:
    """Apply a batch in one transaction. If the database refuses the batch, each event is tried
    on its own, so one bad event never costs the good ones. An event that would register a
    number the rule does not allow is refused on its own and leaves nothing behind."""
    result = IngestResult()
    tenants = await _known_tenants(store, {e.tenant for e in events})
    good: list[tuple[int, Event]] = []
    for index, event in enumerate(events):
        if event.tenant in tenants:
            good.append((index, event))
        else:
            result.refuse(index, f"unknown tenant {event.tenant!r}")
    try:
        async with store.write() as db:
            admitted, refused, known = await _admit(db, good, rule)
            fresh = await _claim(db, [e for _, e in admitted])
            await _apply(db, fresh, known)
            await store.bump_versions(db, (e.tenant for e in fresh))
        result.applied, result.duplicates = len(fresh), len(admitted) - len(fresh)
        for index, (code, reason) in refused.items():
            result.refuse(index, reason, code)
    except store.refusals as batch_error:
        log.warning("batch of %d refused (%s); applying one by one", len(good), batch_error)
        for index, event in good:
            try:
                async with store.write() as db:
                    admitted, refused, known = await _admit(db, [(index, event)], rule)
                    fresh = await _claim(db, [e for _, e in admitted])
                    await _apply(db, fresh, known)
                    await store.bump_versions(db, (e.tenant for e in fresh))
                result.applied += len(fresh)
                result.duplicates += len(admitted) - len(fresh)
                for at, (code, reason) in refused.items():
                    result.refuse(at, reason, code)
            except store.refusals as error:
                result.refuse(index, f"refused by the store: {error}")
    result.rejected.sort()
    return result


async def _admit(
    db: Transaction, indexed: Sequence[tuple[int, Event]], rule: NumberRule
) -> tuple[list[tuple[int, Event]], Refused, KnownNumbers]:
    """The events the number rule lets through, the others by their (batch) index, and the
    ids of the numbers already known."""
    check = await refuse_numbers(db, [([e for _, e in indexed], rule)])
    refused = check.refused[0]
    admitted = [pair for at, pair in enumerate(indexed) if at not in refused]
    return admitted, {indexed[at][0]: why for at, why in refused.items()}, check.known


async def _known_tenants(store: Store, wanted: set[str]) -> set[str]:
    names = sorted(wanted)
    rows = (
        await store.fetch_all(f"SELECT id FROM tenants WHERE id IN ({placeholders(names)})", names)
        if names
        else []
    )
    return {row[0] for row in rows}


async def _claim(db: Transaction, events: Sequence[Event]) -> list[Event]:
    """The events not applied before (nor earlier in this batch), now marked as applied."""
    keyed = {(e.tenant, event_id(e)): e for e in reversed(events)}
    seen = await lookup(
        db,
        "SELECT event_id, 1 FROM ingested_events WHERE tenant_id = ? AND event_id IN ({keys})",
        keyed,
    )
    fresh_keys = [key for key in keyed if key not in seen]
    await db.executemany(
        "INSERT INTO ingested_events (tenant_id, event_id) VALUES (?, ?)", fresh_keys
    )
    order = {id(e): i for i, e in enumerate(events)}
    return sorted((keyed[key] for key in fresh_keys), key=lambda e: order[id(e)])


async def _apply(
    db: Transaction, events: Sequence[Event], known: KnownNumbers | None = None
) -> None:
    by_type: dict[type, list[Event]] = defaultdict(list)
    for event in events:
        by_type[type(event)].append(event)

    def of(kind: type[Event]) -> list[Event]:
        return by_type.get(kind, [])

    # Entities first, so that the messages and events below find their campaigns and accounts;
    # every rollup row the batch changes is written once, at the end.
    deltas = Deltas()
    await apply_campaigns(db, of(CampaignEvent))  # type: ignore[arg-type]
    await apply_contacts(db, of(ContactEvent), deltas)  # type: ignore[arg-type]
    await apply_billing_accounts(db, of(BillingAccountEvent))  # type: ignore[arg-type]
    apply_credits(of(CreditsEvent), deltas)  # type: ignore[arg-type]
    await _whatsapp(db, of(WhatsAppMessageEvent), of(WhatsAppStatusEvent), deltas, known)  # type: ignore[arg-type]
    await _sms(db, of(SmsMessageEvent), of(SmsStatusEvent), deltas)  # type: ignore[arg-type]
    await apply_email_events(db, of(EmailEvent), deltas)  # type: ignore[arg-type]
    await deltas.write(db)


async def _whatsapp(
    db: Transaction,
    messages: Sequence[WhatsAppMessageEvent],
    statuses: Sequence[WhatsAppStatusEvent],
    deltas: Deltas,
    known: KnownNumbers | None,
) -> None:
    # A status event that names its number and send time stands for the message itself.
    standalone = [s for s in statuses if s.number is not None and s.sent_at is not None]
    numbers = await number_ids(
        db,
        {(m.tenant, m.number) for m in messages}
        | {(s.tenant, s.number) for s in standalone if s.number},
        known,
    )
    rows = [
        MessageRow(
            m.tenant,
            m.message_id,
            int(m.sent_at.timestamp()),
            int(m.status),
            m.test,
            (numbers[m.tenant, m.number],),
        )
        for m in messages
    ]
    rows += [
        MessageRow(
            s.tenant,
            s.message_id,
            int(s.sent_at.timestamp()),
            int(s.status),
            False,
            (numbers[s.tenant, s.number],),
        )
        for s in standalone
        if s.number and s.sent_at
    ]
    alone = {id(s) for s in standalone}
    await apply_messages(
        db,
        WHATSAPP,
        rows,
        [StatusRow(s.tenant, s.message_id, int(s.status)) for s in statuses if id(s) not in alone],
        deltas,
    )


async def _sms(
    db: Transaction,
    messages: Sequence[SmsMessageEvent],
    statuses: Sequence[SmsStatusEvent],
    deltas: Deltas,
) -> None:
    first_seen = earliest(
        ((m.tenant, m.campaign_id), int(m.sent_at.timestamp()))
        for m in messages
        if m.campaign_id is not None
    )
    campaigns = await campaign_ids(db, "sms", first_seen)
    rows = [
        MessageRow(
            m.tenant,
            m.message_id,
            int(m.sent_at.timestamp()),
            int(m.status),
            m.test,
            (
                None if m.campaign_id is None else campaigns[m.tenant, m.campaign_id],
                sms_credits(m.kind, m.length),
            ),
        )
        for m in messages
    ]
    await apply_messages(
        db, SMS, rows, [StatusRow(s.tenant, s.message_id, int(s.status)) for s in statuses], deltas
    )


async def record_messages(store: Store, messages: Sequence[OutboundMessage]) -> None:
    """Store WhatsApp messages of known numbers in one transaction (demo data, benchmarks)."""
    if not messages:
        return
    async with store.write() as db:
        await store.bump_versions(db, (m.tenant_id for m in messages))
        deltas = Deltas()
        await apply_messages(
            db,
            WHATSAPP,
            [
                MessageRow(
                    m.tenant_id,
                    m.external_id,
                    int(m.sent_at.timestamp()),
                    int(m.status),
                    m.is_test,
                    (m.number_id,),
                )
                for m in messages
            ],
            [],
            deltas,
        )
        await deltas.write(db)
