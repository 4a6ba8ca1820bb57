"""Email events: per recipient, the first time each thing happened; totals and links per event.

Opens, clicks, sends and unsubscribes keep their earliest time and bounces their most severe
kind, so late and repeated events land where they belong, in any order. A batch is applied as a
set: its events are merged per recipient, the recipients it touches are read once, and what
each recipient adds to the counts and buckets before and after is turned into one change per
rollup row.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.domain.events import EmailEvent
from gateway.domain.timewindows import BUCKET_SECONDS
from gateway.providers.native.ingest.entities import campaign_ids, earliest
from gateway.providers.native.ingest.lookup import bulk, pairs
from gateway.providers.native.ingest.rollups import (
    EMAIL_BUCKETS,
    EMAIL_COUNTS,
    EMAIL_LINKS,
    Deltas,
)
from gateway.providers.native.store import Transaction

__all__ = ["apply_email_events"]

# A recipient: sent_at, first_open_at, first_click_at, bounce (0 none, 1 soft, 2 hard),
# bounced_at, unsubscribed_at.
State = tuple[int | None, int | None, int | None, int, int | None, int | None]
NOTHING: State = (None, None, None, 0, None, None)
_FIRST = {"sent": 0, "open": 1, "click": 2, "unsubscribe": 5}
_SEVERITY = {"soft_bounce": 1, "hard_bounce": 2}
_C = {name: EMAIL_BUCKETS.index(name) for name in EMAIL_BUCKETS.counters}
_N = {name: EMAIL_COUNTS.index(name) for name in EMAIL_COUNTS.counters}
_UPSERT = (
    "INSERT INTO email_recipients (campaign_id, recipient, tenant_id, sent_at, first_open_at, "
    "first_click_at, bounce, bounced_at, unsubscribed_at) "
    "SELECT c0, c1, c2, c3, c4, c5, c6, c7, c8 FROM {source} WHERE true "
    "ON CONFLICT (campaign_id, recipient) DO UPDATE SET sent_at = excluded.sent_at, "
    "first_open_at = excluded.first_open_at, first_click_at = excluded.first_click_at, "
    "bounce = excluded.bounce, bounced_at = excluded.bounced_at, "
    "unsubscribed_at = excluded.unsubscribed_at"
)


def _earlier(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def merge(a: State, b: State) -> State:
    """Two accounts of one recipient as one: earliest times, the most severe bounce (at its
    earliest time)."""
    if b[3] > a[3] or (b[3] == a[3] and b[3] and b[4] < a[4]):  # type: ignore[operator]
        bounce, bounced_at = b[3], b[4]
    else:
        bounce, bounced_at = a[3], a[4]
    return (
        _earlier(a[0], b[0]),
        _earlier(a[1], b[1]),
        _earlier(a[2], b[2]),
        bounce,
        bounced_at,
        _earlier(a[5], b[5]),
    )


def _event_state(kind: str, at: int) -> State | None:
    if kind in _FIRST:
        state: list[int | None] = [None, None, None, 0, None, None]
        state[_FIRST[kind]] = at
        return tuple(state)  # type: ignore[return-value]
    if kind in _SEVERITY:
        return (None, None, None, _SEVERITY[kind], at, None)
    return None  # "delivered": delivered is sent less bounces


def _count(deltas: Deltas, campaign: int, tenant: str, state: State, sign: int) -> None:
    """Add (sign 1) or take back (sign -1) what one recipient contributes."""
    sent_at, opened, clicked, bounce, bounced_at, unsubscribed = state
    counts = [0] * len(EMAIL_COUNTS.counters)

    def bucket(at: int, counter: str) -> None:
        deltas.add(EMAIL_BUCKETS, (campaign, at // BUCKET_SECONDS, tenant), _C[counter], sign)

    if sent_at is not None:
        counts[_N["sent"]] = sign
        bucket(sent_at, "sent")
        if bounce:
            bucket(sent_at, "cohort_bounced")
    if opened is not None:
        counts[_N["opened"]] = sign
        bucket(opened, "unique_opens")
    if clicked is not None:
        counts[_N["clicked"]] = sign
        bucket(clicked, "unique_clicks")
    if bounce and bounced_at is not None:
        counts[_N["soft_bounced" if bounce == 1 else "hard_bounced"]] = sign
        bucket(bounced_at, "soft_bounces" if bounce == 1 else "hard_bounces")
    if unsubscribed is not None:
        counts[_N["unsubscribed"]] = sign
        bucket(unsubscribed, "unsubscribes")
    deltas.add_all(EMAIL_COUNTS, (campaign,), counts)


async def apply_email_events(db: Transaction, events: Sequence[EmailEvent], deltas: Deltas) -> None:
    if not events:
        return
    first_seen = earliest(((e.tenant, e.campaign_id), int(e.at.timestamp())) for e in events)
    ids = await campaign_ids(db, "email", first_seen)
    batch: dict[tuple[int, str], State] = {}
    tenants: dict[int, str] = {}
    clicks: dict[tuple[int, str], set[str]] = {}
    for e in events:
        campaign, at = ids[e.tenant, e.campaign_id], int(e.at.timestamp())
        tenants[campaign] = e.tenant
        if e.event in ("open", "click"):  # every event counts in the totals, repeats included
            counter = "opens" if e.event == "open" else "clicks"
            deltas.add(EMAIL_COUNTS, (campaign,), _N[counter])
            deltas.add(EMAIL_BUCKETS, (campaign, at // BUCKET_SECONDS, e.tenant), _C[counter])
            if e.url:
                deltas.add(EMAIL_LINKS, (campaign, e.url), 0)
                clicks.setdefault((campaign, e.url), set()).add(e.recipient)
        state = _event_state(e.event, at)
        if state is not None:
            key = (campaign, e.recipient)
            batch[key] = merge(batch.get(key, NOTHING), state)
    await _recipients(db, batch, tenants, deltas)
    await _links(db, clicks, deltas)


async def _recipients(
    db: Transaction,
    batch: dict[tuple[int, str], State],
    tenants: dict[int, str],
    deltas: Deltas,
) -> None:
    if not batch:
        return
    rows_in, params = pairs(db, list(batch), ("BIGINT", "TEXT"))
    stored = {
        (row[0], row[1]): tuple(row[2:])
        for row in await db.fetch_all(
            "SELECT campaign_id, recipient, sent_at, first_open_at, first_click_at, bounce, "
            "bounced_at, unsubscribed_at FROM email_recipients "
            f"WHERE (campaign_id, recipient) IN ({rows_in})",
            params,
        )
    }
    changed = []
    for (campaign, recipient), state in batch.items():
        row = stored.get((campaign, recipient))
        old: State = NOTHING if row is None else row
        new = merge(old, state)
        if new == old:
            continue
        tenant = tenants[campaign]
        if row is not None:
            _count(deltas, campaign, tenant, old, -1)
        _count(deltas, campaign, tenant, new, 1)
        changed.append((campaign, recipient, tenant, *new))
    await bulk(db, _UPSERT, ("BIGINT", "TEXT", "TEXT", *["BIGINT"] * 6), changed)


async def _links(db: Transaction, clicks: dict[tuple[int, str], set[str]], deltas: Deltas) -> None:
    """Unique clicks per link: recipients not seen clicking it before."""
    if not clicks:
        return
    wanted = [(*link, r) for link, recipients in clicks.items() for r in recipients]
    rows_in, params = pairs(db, wanted, ("BIGINT", "TEXT", "TEXT"))
    stored = {
        ((row[0], row[1]), row[2])
        for row in await db.fetch_all(
            "SELECT campaign_id, url, recipient FROM email_link_recipients "
            f"WHERE (campaign_id, url, recipient) IN ({rows_in})",
            params,
        )
    }
    fresh = [
        (*link, recipient)
        for link, recipients in clicks.items()
        for recipient in sorted(recipients)
        if (link, recipient) not in stored
    ]
    for campaign, url, _ in fresh:
        deltas.add(EMAIL_LINKS, (campaign, url), 1)
    await bulk(
        db,
        "INSERT INTO email_link_recipients (campaign_id, url, recipient) "
        "SELECT c0, c1, c2 FROM {source}",
        ("BIGINT", "TEXT", "TEXT"),
        fresh,
    )
