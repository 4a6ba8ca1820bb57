"""Email events: per recipient, the first time each thing happened; totals and links per event.

Opens, clicks and unsubscribes keep their earliest time and bounces their most severe kind, so
late and repeated events land where they belong; the triggers on email_recipients keep the
counts and buckets in step.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.domain.events import EmailEvent
from gateway.providers.native.ingest.entities import campaign_ids, earliest
from gateway.providers.native.store import Transaction

__all__ = ["apply_email_events"]

_FIRST = (
    "INSERT INTO email_recipients (campaign_id, recipient, tenant_id, {col}) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (campaign_id, recipient) DO UPDATE SET "
    "{col} = CASE WHEN email_recipients.{col} IS NULL OR excluded.{col} < email_recipients.{col} "
    "THEN excluded.{col} ELSE email_recipients.{col} END"
)
_SENT = (
    "INSERT INTO email_recipients (campaign_id, recipient, tenant_id, sent_at) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (campaign_id, recipient) DO UPDATE SET "
    "sent_at = coalesce(email_recipients.sent_at, excluded.sent_at)"
)
_BOUNCE = (
    "INSERT INTO email_recipients (campaign_id, recipient, tenant_id, bounce, bounced_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (campaign_id, recipient) DO UPDATE SET "
    "bounced_at = CASE WHEN excluded.bounce > email_recipients.bounce THEN excluded.bounced_at "
    "WHEN excluded.bounce = email_recipients.bounce "
    "AND excluded.bounced_at < email_recipients.bounced_at THEN excluded.bounced_at "
    "ELSE email_recipients.bounced_at END, "
    "bounce = CASE WHEN excluded.bounce > email_recipients.bounce THEN excluded.bounce "
    "ELSE email_recipients.bounce END"
)
_TOTAL = (
    "INSERT INTO email_buckets (campaign_id, bucket, tenant_id, {col}) VALUES (?, ?, ?, 1) "
    "ON CONFLICT (campaign_id, bucket) DO UPDATE SET {col} = email_buckets.{col} + 1"
)
_FIRST_COLUMN = {
    "open": "first_open_at",
    "click": "first_click_at",
    "unsubscribe": "unsubscribed_at",
}


async def apply_email_events(db: Transaction, events: Sequence[EmailEvent]) -> None:
    if not events:
        return
    first_seen = earliest(((e.tenant, e.campaign_id), int(e.at.timestamp())) for e in events)
    ids = await campaign_ids(db, "email", first_seen)

    def rows(kind: str) -> list[tuple[int, str, str, int]]:
        return [
            (ids[e.tenant, e.campaign_id], e.recipient, e.tenant, int(e.at.timestamp()))
            for e in events
            if e.event == kind
        ]

    await db.executemany(_SENT, rows("sent"))
    for kind, column in _FIRST_COLUMN.items():
        await db.executemany(_FIRST.format(col=column), rows(kind))
    for severity, kind in ((1, "soft_bounce"), (2, "hard_bounce")):
        await db.executemany(_BOUNCE, [(c, r, t, severity, at) for c, r, t, at in rows(kind)])
    for kind, column in (("open", "opens"), ("click", "clicks")):
        hits = rows(kind)
        await db.executemany(_TOTAL.format(col=column), [(c, at // 900, t) for c, _, t, at in hits])
        await db.executemany(
            f"UPDATE email_counts SET {column} = {column} + 1 WHERE campaign_id = ?",
            [(c,) for c, _, _, _ in hits],
        )
    clicks = [
        (ids[e.tenant, e.campaign_id], e.url, e.recipient)
        for e in events
        if e.event == "click" and e.url
    ]
    await db.executemany(
        "INSERT INTO email_links (campaign_id, url, clicks) VALUES (?, ?, 1) "
        "ON CONFLICT (campaign_id, url) DO UPDATE SET clicks = email_links.clicks + 1",
        [(c, url) for c, url, _ in clicks],
    )
    await db.executemany(
        "INSERT INTO email_link_recipients (campaign_id, url, recipient) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        clicks,
    )
