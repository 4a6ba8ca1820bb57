"""Demo data: two tenants whose numbers have four months of plausibly shaped traffic."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gateway.domain.auth import ANALYTICS_READ, KeyKind, default_scopes
from gateway.domain.messages import MessageStatus, OutboundMessage
from gateway.providers.native.demo_reports import seed_reports
from gateway.providers.native.ingest import record_messages
from gateway.providers.native.store import Store
from gateway.providers.native.tenancy import Tenancy

__all__ = ["DEMO_TENANT", "DemoKeys", "issue_demo_keys", "seed_demo"]

DEMO_TENANT = "demo"
DEMO_LABEL = "demo"
DAYS = 120


@dataclass(frozen=True)
class DemoNumber:
    phone: str
    name: str
    zone: str
    per_day: int


TENANTS = {
    DEMO_TENANT: (
        "Demo Coffee Co.",
        [
            DemoNumber("+5511955550101", "Sales São Paulo", "America/Sao_Paulo", 420),
            DemoNumber("+5511955550102", "Support São Paulo", "America/Sao_Paulo", 240),
            DemoNumber("+493055550103", "Berlin Store", "Europe/Berlin", 160),
            DemoNumber("+9779855550104", "Kathmandu Office", "Asia/Kathmandu", 80),
        ],
    ),
    "acme": ("Acme Retail", [DemoNumber("+14155550199", "Acme US", "America/New_York", 150)]),
}

# Business-hours shape of sends by local hour, and of volume by weekday (Monday first).
HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 3, 7, 10, 11, 10, 7, 8, 10, 10, 9, 7, 5, 4, 3, 2, 1, 0]
WEEKDAY_FACTORS = [1.05, 1.1, 1.0, 1.1, 1.15, 0.55, 0.35]


@dataclass(frozen=True)
class DemoKeys:
    tenant_id: str
    tenant_key: str
    number_key: str
    number: str


async def seed_demo(store: Store, now: datetime, *, seed: int = 7) -> int:
    """Create the demo tenants and their traffic; returns how many messages were stored."""
    rng = random.Random(seed)
    tenancy = Tenancy(store)
    stored = 0
    for tenant_id, (tenant_name, numbers) in TENANTS.items():
        await tenancy.create_tenant(tenant_id, tenant_name, is_demo=True)
        for spec in numbers:
            record = await tenancy.add_number(tenant_id, spec.phone, spec.name)
            batch: list[OutboundMessage] = []
            for sent_at in _send_times(spec, now, rng):
                batch.append(_message(tenant_id, record.id, len(batch) + stored, sent_at, now, rng))
                if len(batch) == 5000:
                    await record_messages(store, batch)
                    stored += len(batch)
                    batch = []
            await record_messages(store, batch)
            stored += len(batch)
    await seed_reports(store, DEMO_TENANT, now)
    return stored


def _send_times(spec: DemoNumber, now: datetime, rng: random.Random) -> list[datetime]:
    zone = ZoneInfo(spec.zone)
    today = now.astimezone(zone).date()
    times = []
    for back in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        volume = (
            spec.per_day * WEEKDAY_FACTORS[day.weekday()] * (0.85 + 0.25 * (DAYS - back) / DAYS)
        )
        if rng.random() < 0.06:  # a campaign day
            volume *= 2.5
        count = max(0, int(rng.gauss(volume, volume * 0.12)))
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        for hour in hours:
            local = datetime.combine(day, time(hour), tzinfo=zone) + timedelta(
                seconds=rng.randrange(3600)
            )
            if local <= now:
                times.append(local.astimezone(UTC))
    return times


def _message(
    tenant_id: str,
    number_id: int,
    serial: int,
    sent_at: datetime,
    now: datetime,
    rng: random.Random,
) -> OutboundMessage:
    age = (now - sent_at).total_seconds()
    roll = rng.random()
    if age < 120 and roll < 0.5:
        status = MessageStatus.QUEUED
    elif roll < 0.018:
        status = MessageStatus.FAILED
    elif roll < 0.033 or age < 600:
        status = MessageStatus.SENT
    elif rng.random() < 0.72 * 0.9:  # read receipts on, and read
        status = MessageStatus.READ
    else:
        status = MessageStatus.DELIVERED
    return OutboundMessage(
        tenant_id=tenant_id,
        number_id=number_id,
        external_id=f"wamid.{tenant_id}.{number_id}.{serial}",
        sent_at=sent_at,
        status=status,
        is_test=rng.random() < 0.004,
    )


async def issue_demo_keys(store: Store) -> DemoKeys:
    """Fresh demo keys, revoking the previous ones: a plain key is only ever shown once."""
    tenancy = Tenancy(store)
    await tenancy.revoke_labelled(DEMO_TENANT, DEMO_LABEL)
    first = TENANTS[DEMO_TENANT][1][0]
    number = await tenancy.find_number(DEMO_TENANT, first.phone)
    assert number is not None, "seed the demo tenant first"
    tenant_key = await tenancy.create_key(
        DEMO_TENANT, KeyKind.TENANT, default_scopes(KeyKind.TENANT), label=DEMO_LABEL
    )
    number_key = await tenancy.create_key(
        DEMO_TENANT,
        KeyKind.NUMBER,
        frozenset({ANALYTICS_READ}),
        number_id=number.id,
        label=DEMO_LABEL,
    )
    return DemoKeys(DEMO_TENANT, tenant_key.key, number_key.key, first.phone)
