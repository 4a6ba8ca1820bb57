"""Numbers, campaigns, contacts and billing accounts as ingest events create or change them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from gateway.domain.events import (
    BillingAccountEvent,
    CampaignEvent,
    ContactEvent,
    CreditsEvent,
)
from gateway.providers.native.ingest.lookup import lookup, lookup_rows
from gateway.providers.native.ingest.rollups import CONTACT_TOTALS, LEDGER, Deltas
from gateway.providers.native.store import Transaction

__all__ = [
    "apply_billing_accounts",
    "apply_campaigns",
    "apply_contacts",
    "apply_credits",
    "campaign_ids",
    "number_ids",
]

_RANK = "(CASE {0} WHEN 'draft' THEN 0 WHEN 'scheduled' THEN 1 WHEN 'sending' THEN 2 ELSE 3 END)"


def _ts(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


async def number_ids(
    db: Transaction,
    wanted: set[tuple[str, str]],
    known: Mapping[tuple[str, str], int] | None = None,
) -> dict[tuple[str, str], int]:
    """Ids of (tenant, phone) numbers, registering those seen for the first time; `known`
    holds ids this transaction has looked up already."""
    found = {key: known[key] for key in wanted if key in known} if known else {}
    missing = wanted - found.keys()
    if not missing:
        return found
    now = int(time.time())
    await db.executemany(
        "INSERT INTO numbers (tenant_id, phone_number, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (tenant_id, phone_number) DO NOTHING",
        [(tenant, phone, now) for tenant, phone in missing],
    )
    found.update(
        await lookup(
            db,
            "SELECT phone_number, id FROM numbers WHERE tenant_id = ? AND phone_number IN ({keys})",
            missing,
        )
    )
    return found


def earliest(pairs: Iterable[tuple[tuple[str, str], int]]) -> dict[tuple[str, str], int]:
    """The earliest time seen for each (tenant, campaign): a stub campaign's creation time."""
    found: dict[tuple[str, str], int] = {}
    for key, at in pairs:
        found[key] = min(found.get(key, at), at)
    return found


async def campaign_ids(
    db: Transaction, channel: str, wanted: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """Ids of (tenant, external id) campaigns; one not seen yet gets a stub, named by its id,
    created at `wanted`'s time, that its own campaign event fills in later."""
    if not wanted:
        return {}
    await db.executemany(
        "INSERT INTO campaigns (tenant_id, channel, external_id, name, status, created_at, "
        "sent_at) VALUES (?, ?, ?, ?, 'sending', ?, ?) "
        "ON CONFLICT (tenant_id, channel, external_id) DO NOTHING",
        [(tenant, channel, ext, ext, at, at) for (tenant, ext), at in wanted.items()],
    )
    return await lookup(
        db,
        "SELECT external_id, id FROM campaigns WHERE tenant_id = ? AND channel = ? "
        "AND external_id IN ({keys})",
        wanted,
        (channel,),
    )


async def apply_campaigns(db: Transaction, events: Sequence[CampaignEvent]) -> None:
    await db.executemany(
        "INSERT INTO campaigns (tenant_id, channel, external_id, name, status, created_at, "
        "sent_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tenant_id, channel, external_id) DO UPDATE SET "
        "name = excluded.name, created_at = excluded.created_at, "
        "sent_at = coalesce(excluded.sent_at, campaigns.sent_at), "
        "completed_at = coalesce(excluded.completed_at, campaigns.completed_at), "
        f"status = CASE WHEN {_RANK.format('excluded.status')} >= "
        f"{_RANK.format('campaigns.status')} THEN excluded.status ELSE campaigns.status END",
        [
            (
                e.tenant,
                e.channel,
                e.campaign_id,
                e.name,
                e.status,
                _ts(e.created_at),
                _ts(e.sent_at),
                _ts(e.completed_at),
            )
            for e in events
        ],
    )


async def apply_contacts(db: Transaction, events: Sequence[ContactEvent], deltas: Deltas) -> None:
    """Contacts as they are now (the batch's last word on each wins), and the tenant totals
    moved by the change of each contact's flags."""
    if not events:
        return
    now = int(time.time())
    last = {(e.tenant, e.contact_id): e for e in events}
    stored = await lookup_rows(
        db,
        "SELECT external_id, is_textable, is_opted_in FROM contacts WHERE tenant_id = ? "
        "AND external_id IN ({keys})",
        last,
    )
    for (tenant, contact), event in last.items():
        old = stored.get((tenant, contact))
        textable, opted_out = int(event.textable), int(not event.opted_in)
        if old is None:
            deltas.add_all(CONTACT_TOTALS, (tenant,), (1, textable, opted_out))
        else:
            was_textable, was_out = int(old[1] != 0), int(old[2] == 0)
            deltas.add_all(
                CONTACT_TOTALS, (tenant,), (0, textable - was_textable, opted_out - was_out)
            )
    await db.executemany(
        "INSERT INTO contacts (tenant_id, external_id, phone, email, is_textable, is_opted_in, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tenant_id, external_id) DO UPDATE SET "
        "phone = coalesce(excluded.phone, contacts.phone), "
        "email = coalesce(excluded.email, contacts.email), "
        "is_textable = excluded.is_textable, is_opted_in = excluded.is_opted_in",
        [
            (
                e.tenant,
                e.contact_id,
                e.phone,
                e.email,
                int(e.textable),
                int(e.opted_in),
                _ts(e.created_at) or now,
            )
            for e in events
        ],
    )


async def apply_billing_accounts(db: Transaction, events: Sequence[BillingAccountEvent]) -> None:
    now = int(time.time())
    await db.executemany(
        "INSERT INTO billing_accounts (tenant_id, organization_id, brand, billing_status, "
        "pricing_model, subscription, portal_urls, credit_products, available_credits, "
        "included_credits, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tenant_id) DO UPDATE SET organization_id = excluded.organization_id, "
        "brand = excluded.brand, billing_status = excluded.billing_status, "
        "pricing_model = excluded.pricing_model, subscription = excluded.subscription, "
        "portal_urls = excluded.portal_urls, credit_products = excluded.credit_products, "
        "available_credits = excluded.available_credits, "
        "included_credits = excluded.included_credits, updated_at = excluded.updated_at",
        [
            (
                e.tenant,
                e.organization_id,
                e.brand,
                e.billing_status,
                e.pricing_model,
                None if e.subscription is None else e.subscription.model_dump_json(),
                json.dumps(e.portal_urls),
                json.dumps([p.model_dump(by_alias=True) for p in e.credit_products]),
                e.available,
                e.included,
                now,
            )
            for e in events
        ],
    )


def apply_credits(events: Sequence[CreditsEvent], deltas: Deltas) -> None:
    """Credits into the tenant's ledger: summed, so their order never matters (the balance is
    worked out when it is read: see billing.py)."""
    for e in events:
        counter = LEDGER.index("purchased" if e.pool == "purchased" else "included")
        deltas.add(LEDGER, (e.tenant,), counter, e.delta)
