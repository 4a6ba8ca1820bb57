"""Fake Pilot Status, MessageSender and email reports platforms: real aiohttp applications that
serve the documented shapes and errors, with latency, 5xx, 429 + Retry-After, malformed bodies
and dropped connections on demand. Tests serve them on loopback ports; so can a person:

    python -m gateway.testing.fakes        # prints a sources file and the keys to export
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

__all__ = ["FakeState", "Fault", "emailreports_app", "messagesender_app", "pilotstatus_app"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Fault:
    """What one request meets instead of (or before) its normal answer."""

    status: int | None = None
    error: str = "Injected failure"
    code: str | None = None
    retry_after: float | None = None
    malformed: bool = False
    drop: bool = False
    delay: float = 0.0
    body: bytes | None = None  # answered as it is (with `status`, default 200)
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: int = 0  # bytes of an endless-looking JSON array, sent in chunks


@dataclass
class FakeState:
    """The platform's accepted keys, its injected faults, and what it was asked."""

    keys: dict[str, str] = field(default_factory=dict)  # secret -> who (a phone, or "tenant")
    key_header: str = "x-api-key"
    key_scheme: str = ""
    instants: bool = False  # MessageSender: take startDate/endDate as instants too
    latency: float = 0.0
    faults: deque[Fault] = field(default_factory=deque)
    outage: Fault | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    accepts: list[str] = field(default_factory=list)  # each call's Accept header
    in_flight: int = 0
    max_in_flight: int = 0
    streamed: int = 0  # bytes of Fault.stream bodies written before the client went away

    def who(self, request: web.Request) -> str | None:
        if self.key_header == "x-api-key":
            secret = request.headers.get("x-api-key") or request.headers.get("x-api-key-id") or ""
        else:
            secret = request.headers.get(self.key_header, "")
            if self.key_scheme:
                secret = secret.removeprefix(f"{self.key_scheme} ")
        return self.keys.get(secret)


STATE = web.AppKey("fake_state", FakeState)


def refuse(
    status: int, error: str, code: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    body: dict[str, str] = {"error": error}
    if code:
        body["code"] = code
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def behave(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    state.calls.append((request.path, dict(request.query)))
    state.accepts.append(request.headers.get("accept", ""))
    state.in_flight += 1
    state.max_in_flight = max(state.max_in_flight, state.in_flight)
    try:
        fault = state.faults.popleft() if state.faults else state.outage
        await asyncio.sleep(state.latency + (fault.delay if fault else 0.0))
        if fault is not None:
            if fault.drop:
                assert request.transport is not None
                request.transport.close()
                raise ConnectionResetError("dropped on purpose")
            if fault.malformed:
                return web.Response(text='{"totals": {"sent": 1', content_type="application/json")
            if fault.stream:
                return await _stream(request, fault.stream)
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            if fault.body is not None:
                return web.Response(
                    body=fault.body,
                    status=fault.status or 200,
                    content_type=fault.content_type,
                    headers=headers,
                )
            if fault.status is not None:
                return refuse(fault.status, fault.error, fault.code, headers)
        if state.who(request) is None:
            return refuse(401, "Unauthorized")
        return await handler(request)
    finally:
        state.in_flight -= 1


async def _stream(request: web.Request, size: int) -> web.StreamResponse:
    """A body of `size` bytes sent chunk by chunk with no length, as a runaway upstream would."""
    state = request.app[STATE]
    response = web.StreamResponse(headers={"content-type": "application/json"})
    await response.prepare(request)
    chunk = b"[" + b"1," * (32 * 1024)
    with contextlib.suppress(ConnectionError):
        while state.streamed < size:
            await response.write(chunk)
            state.streamed += len(chunk)
    return response


def _app(state: FakeState, routes: list[web.RouteDef]) -> web.Application:
    app = web.Application(middlewares=[behave])
    app[STATE] = state
    app.add_routes(routes)
    return app


def _n(*parts: object, low: int = 0, high: int = 100) -> int:
    """A deterministic number for these parts, so fakes answer the same every time."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return low + int.from_bytes(digest[:4], "big") % (high - low + 1)


def _zone(request: web.Request, *names: str) -> ZoneInfo | None:
    name = next((request.query[n] for n in names if n in request.query), "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# Pilot Status


def day_counts(phone: str, day: date) -> dict[str, int]:
    sent = _n(phone, day, low=20, high=60)
    delivered = sent - _n(phone, day, "lost", high=3)
    return {
        "sent": sent,
        "delivered": delivered,
        "read": delivered - _n(phone, day, "unread", high=10),
        "failed": _n(phone, day, "failed", high=2),
    }


async def ps_dashboard(request: web.Request) -> web.Response:
    state = request.app[STATE]
    who = state.who(request)
    if who == "tenant":
        return refuse(
            403, "Tenant-scoped keys cannot call number endpoints", "TENANT_SCOPE_NOT_ALLOWED"
        )
    if who == "unlinked":
        return refuse(409, "API key is not linked to a number", "NUMBER_NOT_LINKED")
    period = request.query.get("period", "30d")
    zone = _zone(request, "timezone", "tz")
    if period not in ("7d", "30d", "90d") or zone is None:
        return refuse(400, "Validation error")
    today = state.now().astimezone(zone).date()
    days = [today - timedelta(days=i) for i in range(int(period[:-1]) - 1, -1, -1)]
    counts = [day_counts(str(who), d) for d in days]
    totals = {k: sum(c[k] for c in counts) for k in ("sent", "delivered", "read", "failed")}
    series = [{"date": d.isoformat(), **c} for d, c in zip(days, counts, strict=True)]
    return web.json_response({"period": period, "totals": totals, "series": series})


def pilotstatus_app(state: FakeState) -> web.Application:
    return _app(state, [web.get("/v1/analytics/dashboard", ps_dashboard)])


# MessageSender

CAMPAIGNS: list[dict[str, Any]] = [
    {
        "id": f"b2c3d4e5-0000-4000-8000-{i:012d}",
        "name": f"Campaign {i}",
        "createdAt": f"2025-04-{1 + i % 28:02d}T13:00:00.000Z",
        "totalCount": 100 * (i + 1),
        "sentCount": 100 * (i + 1) - i,
        "deliveredCount": 100 * (i + 1) - 2 * i,
        "failedCount": i,
    }
    for i in range(12)
]


def _range(request: web.Request) -> tuple[datetime, datetime]:
    """[start, end) from startDate/endDate, ISO dates as the document types them (endDate's
    day not included); instants too when the state allows them. Else 422, as a strict server
    following the document answers."""
    state = request.app[STATE]
    bounds: list[datetime | None] = []
    for name in ("startDate", "endDate"):
        value = request.query.get(name)
        try:
            if value is None:
                bounds.append(None)
            elif state.instants and "T" in value:
                bounds.append(datetime.fromisoformat(value.replace("Z", "+00:00")))
            else:
                bounds.append(datetime.combine(date.fromisoformat(value), time(0), UTC))
        except ValueError:
            raise web.HTTPUnprocessableEntity(
                text=json.dumps({"error": f"{name} must be an ISO 8601 date (YYYY-MM-DD)"}),
                content_type="application/json",
            ) from None
    end = bounds[1] or state.now()
    return bounds[0] or end - timedelta(days=30), end


async def ms_overview(request: web.Request) -> web.Response:
    window = _range(request)
    return web.json_response(
        {
            "dateRange": {"start": window[0].isoformat(), "end": window[1].isoformat()},
            # Keys beyond the document's, as a real API adds them.
            "campaigns": {
                "total": 12,
                "completed": 10,
                "sending": 0,
                "scheduled": 1,
                "failed": 1,
                "archived": {"count": 3},
            },
            "messages": {"total": 48500, "sent": 48200, "delivered": 46800, "failed": 300},
            "contacts": {
                "total": 15420,
                "textable": 14100,
                "optedOut": 320,
                "lastImportAt": "2025-04-20T13:00:00.000Z",
            },
            "deliveryRate": 96.49,
        }
    )


async def ms_trends(request: web.Request) -> web.Response:
    window = _range(request)
    start, end = window[0].date(), (window[1] - timedelta(microseconds=1)).date()
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if request.query.get("metric", "messages") == "campaigns":
        return web.json_response(
            [
                {"date": d.isoformat(), "total": 1, "completed": 1, "sending": 0, "failed": 0}
                for d in days[::3]
            ]
        )
    rows = []
    for d in days:
        total = _n("sms", d, high=500)
        failed = _n("sms", d, "f", high=5)
        rows.append(
            {
                "date": d.isoformat(),
                "total": total,
                "sent": total - failed,
                "delivered": total - failed - _n("sms", d, "d", high=5),
                "failed": failed,
            }
        )
    return web.json_response(rows)


async def ms_top(request: web.Request) -> web.Response:
    _range(request)
    limit = int(request.query.get("limit", "10"))
    ranked = sorted(
        CAMPAIGNS,
        key=lambda c: (c["deliveredCount"] / c["totalCount"], c["totalCount"]),
        reverse=True,
    )
    return web.json_response(
        [
            {**c, "deliveryRate": round(c["deliveredCount"] / c["totalCount"] * 100, 2)}
            for c in ranked[:limit]
        ]
    )


async def ms_best(request: web.Request) -> web.Response:
    _range(request)
    return web.json_response(
        {
            "byHour": [
                {"hour": 9, "totalSent": 12400, "delivered": 12100, "deliveryRate": 97.58},
                {"hour": 10, "totalSent": 15200, "delivered": 14800, "deliveryRate": 97.37},
            ],
            "byDayOfWeek": [
                {"dayOfWeek": 1, "totalSent": 18500, "delivered": 18000, "deliveryRate": 97.3},
                {"dayOfWeek": 2, "totalSent": 22100, "delivered": 21500, "deliveryRate": 97.29},
            ],
        }
    )


BILLING: dict[str, Any] = {
    "organization_id": "3f4e5c6d-7a8b-9012-cdef-1234567890ab",
    "brand": "amplifi",
    "billing_status": "active",
    "pricing_model": "full_service",
    "subscription": {
        "id": "sub_abc123",
        "plan_type": "full_service",
        "billing_interval": "monthly",
        "status": "active",
        "paid_through": "2025-05-31",
        "current_period_end": "2025-05-31T23:59:59.000Z",
        "next_billing_date": "2025-06-01",
        "provider": "amplifi",
    },
    "credits": {"available": 24500, "included": 10000, "total": 34500, "currency": "credits"},
    "portal_urls": {
        "customer_portal": None,
        "subscription_management": None,
        "billing_history": {"url": None},
    },
    "available_credit_products": [
        {
            "id": "prod_xyz789",
            "name": "10,000 Credits",
            "credits_amount": 10000,
            "price_cents": 4900,
        }
    ],
}


async def ms_billing(request: web.Request) -> web.Response:
    return web.json_response(BILLING)


async def ms_balance(request: web.Request) -> web.Response:
    return web.json_response({"balance": BILLING["credits"]["available"]})


async def ms_export(request: web.Request) -> web.Response:
    accept = request.headers.get("accept", "*/*")
    if "text/csv" not in accept and "*/*" not in accept:
        return refuse(406, "This endpoint answers text/csv")
    _range(request)
    if request.query.get("type", "campaigns") != "campaigns":
        return refuse(400, "Unsupported export type")
    lines = ["Campaign Name,Status,Total Recipients,Sent,Delivered,Failed,Created At,Completed At"]
    lines += [
        f'"{c["name"]}, ""quoted""",completed,{c["totalCount"]},{c["sentCount"]},'
        f"{c['deliveredCount']},{c['failedCount']},{c['createdAt']},{c['createdAt']}"
        for c in CAMPAIGNS[:3]
    ]
    return web.Response(text="\r\n".join(lines) + "\r\n", content_type="text/csv")


def messagesender_app(state: FakeState) -> web.Application:
    return _app(
        state,
        [
            web.get("/api/analytics/overview", ms_overview),
            web.get("/api/analytics/trends", ms_trends),
            web.get("/api/analytics/top-campaigns", ms_top),
            web.get("/api/analytics/best-send-times", ms_best),
            web.get("/api/billing/status", ms_billing),
            web.get("/api/credits/balance", ms_balance),
            web.get("/api/analytics/export", ms_export),
        ],
    )


# Email reports

EMAIL_CAMPAIGNS = {f"em-{i:03d}": f"Newsletter {i}" for i in range(60)}


def _past_days(request: web.Request) -> int | None:
    try:
        days = int(request.query["pastDays"])
    except (KeyError, ValueError):
        return None
    return days if 1 <= days <= 90 else None


def _performance(seed: str) -> dict[str, Any]:
    sent = _n(seed, low=900, high=2000)
    hard, soft = _n(seed, "h", high=30), _n(seed, "s", high=30)
    delivered = sent - hard - soft
    opens, clicks = _n(seed, "o", low=200, high=600), _n(seed, "c", low=20, high=150)
    return {
        "sent": sent,
        "delivered": delivered,
        "opens": {
            "unique": opens,
            "total": opens + _n(seed, "ot", high=200),
            "rate": round(opens / delivered * 100, 2),
        },
        "clicks": {
            "unique": clicks,
            "total": clicks + _n(seed, "ct", high=50),
            "rate": round(clicks / delivered * 100, 2),
        },
        "totalBounces": hard + soft,
        "hardBounces": hard,
        "softBounces": soft,
        "unsubscribes": _n(seed, "u", high=10),
    }


async def er_dashboard(request: web.Request) -> web.Response:
    days = _past_days(request)
    if days is None:
        return refuse(400, "ValidationError: pastDays must be 1-90", "ValidationError")
    figures = {}
    for name in (
        "campaignsSent",
        "emailsSent",
        "delivered",
        "uniqueOpens",
        "uniqueClicks",
        "bounces",
        "unsubscribes",
        "newContacts",
    ):
        value, previous = _n(name, days, high=1000), _n(name, days, "p", high=1000)
        figures[name] = {
            "value": value,
            "previous": previous,
            "diff": round((value - previous) / previous * 100, 2) if previous else None,
        }
    return web.json_response({**figures, "pastDays": days})


async def er_overall(request: web.Request) -> web.Response:
    days = _past_days(request)
    if days is None:
        return refuse(400, "ValidationError: pastDays must be 1-90", "ValidationError")
    return web.json_response(_performance(f"overall-{days}"))


async def er_histogram(request: web.Request) -> web.Response:
    days, zone = _past_days(request), _zone(request, "timezone")
    if days is None or zone is None:
        return refuse(400, "ValidationError", "ValidationError")
    today = request.app[STATE].now().astimezone(zone).date()
    return web.json_response(
        [
            {
                "date": (today - timedelta(days=i)).isoformat(),
                "sent": _n("h", i, high=300),
                "opens": _n("ho", i, high=200),
                "uniqueOpens": _n("hu", i, high=100),
                "clicks": _n("hc", i, high=50),
                "uniqueClicks": _n("hk", i, high=20),
                "hardBounces": 1,
                "softBounces": 0,
                "unsubscribes": 0,
            }
            for i in range(days - 1, -1, -1)
        ]
    )


async def er_report(request: web.Request) -> web.Response:
    campaign_id = request.match_info["id"]
    if campaign_id not in EMAIL_CAMPAIGNS:
        return refuse(404, "RecordNotFound", "RecordNotFound")
    return web.json_response(
        {
            "campaign": {
                "id": campaign_id,
                "name": EMAIL_CAMPAIGNS[campaign_id],
                "status": "completed",
                "createdAt": "2026-11-01T09:00:00Z",
                "sentAt": "2026-11-02T09:00:00Z",
            },
            **_performance(campaign_id),
            "linkActivity": [
                {"url": "https://example.com/shop", "clicks": 40, "uniqueClicks": 31},
                {"url": "https://example.com/blog", "clicks": 12, "uniqueClicks": 9},
            ],
        }
    )


async def er_engagement(request: web.Request) -> web.Response:
    campaign_id = request.match_info["id"]
    period, zone = request.query.get("period", "24hours"), _zone(request, "timezone")
    if campaign_id not in EMAIL_CAMPAIGNS:
        return refuse(404, "RecordNotFound", "RecordNotFound")
    if period not in ("24hours", "week", "month") or zone is None:
        return refuse(400, "ValidationError: invalid period", "ValidationError")
    sent = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    count, step = {
        "24hours": (24, timedelta(hours=1)),
        "week": (7, timedelta(days=1)),
        "month": (30, timedelta(days=1)),
    }[period]
    return web.json_response(
        [
            {
                "start": (sent + step * i).isoformat(),
                "opens": _n(campaign_id, i, high=80),
                "uniqueOpens": _n(campaign_id, i, "u", high=60),
                "clicks": _n(campaign_id, i, "c", high=20),
                "uniqueClicks": _n(campaign_id, i, "k", high=15),
            }
            for i in range(count)
        ]
    )


def emailreports_app(state: FakeState) -> web.Application:
    return _app(
        state,
        [
            web.get("/api/reports/dashboard", er_dashboard),
            web.get("/api/reports/email/overall", er_overall),
            web.get("/api/reports/email/overall/histogram", er_histogram),
            web.get("/api/reports/email/{id}", er_report),
            web.get("/api/reports/email/{id}/engagement", er_engagement),
        ],
    )


# Running the three fakes by hand

FAKE_KEYS = {"ps": "ps_fake_number_key", "ms": "ms_fake_key", "er": "er_fake_key"}
FAKE_NUMBER = "+5511955550199"


def fake_states() -> dict[str, FakeState]:
    """The three platforms with the keys the example sources file names."""
    return {
        "ps": FakeState(keys={FAKE_KEYS["ps"]: FAKE_NUMBER, "ps_fake_tenant_key": "tenant"}),
        "ms": FakeState(keys={FAKE_KEYS["ms"]: "demo"}),
        "er": FakeState(
            keys={FAKE_KEYS["er"]: "demo"}, key_header="authorization", key_scheme="Bearer"
        ),
    }


def sources_toml(
    ports: dict[str, int], tenant: str = "demo", options: str = "", ms_options: str = ""
) -> str:
    """A sources file for the fakes on these ports; `options` go into every source (the
    fields all sources share), `ms_options` into MessageSender's alone."""
    return f"""[sources.ps]
platform = "pilotstatus"
base_url = "http://127.0.0.1:{ports["ps"]}"
{options}

[sources.ms]
platform = "messagesender"
base_url = "http://127.0.0.1:{ports["ms"]}"
{options}
{ms_options}

[sources.er]
platform = "emailreports"
base_url = "http://127.0.0.1:{ports["er"]}"
max_concurrency = 64
{options}

[tenants.{tenant}]
sms = "ms"
email = "er"
credentials = {{ ms = "FAKE_MS_KEY", er = "FAKE_ER_KEY" }}

[[tenants.{tenant}.numbers]]
source = "ps"
phone = "{FAKE_NUMBER}"
name = "Sales at Pilot Status"
key_env = "FAKE_PS_KEY"
"""


async def _serve(base_port: int, write_sources: str | None) -> None:
    apps = {"ps": pilotstatus_app, "ms": messagesender_app, "er": emailreports_app}
    runners, ports = [], {}
    for offset, (name, state) in enumerate(fake_states().items()):
        runner = web.AppRunner(apps[name](state))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", base_port + offset)
        await site.start()
        runners.append(runner)
        ports[name] = base_port + offset
    print("# fake Pilot Status, MessageSender and email reports on", ports, flush=True)
    print("# with the sources file as sources.toml and these keys exported, run:", flush=True)
    print("#   GATEWAY_SOURCES_FILE=sources.toml gateway serve", flush=True)
    print(
        f"# export FAKE_PS_KEY={FAKE_KEYS['ps']} FAKE_MS_KEY={FAKE_KEYS['ms']} "
        f"FAKE_ER_KEY={FAKE_KEYS['er']}",
        flush=True,
    )
    if write_sources:
        with open(write_sources, "w", encoding="utf-8") as out:  # noqa: ASYNC230
            out.write(sources_toml(ports))
        print(f"# wrote {write_sources}", flush=True)
    else:
        print(sources_toml(ports), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        for runner in runners:
            await runner.cleanup()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Serve the three fake platforms on loopback.")
    parser.add_argument("--port", type=int, default=9101, help="first of three ports")
    parser.add_argument(
        "--write-sources",
        metavar="PATH",
        help="write the sources file there instead of printing it",
    )
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.write_sources))


if __name__ == "__main__":
    main()
