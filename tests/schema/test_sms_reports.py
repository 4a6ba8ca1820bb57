"""SMS analytics, billing and the channel comparison over HTTP, checked against hand counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.gateway import Gateway, World, ingest


def sms(message_id: str, sent_at: str, status: str = "delivered", **extra: Any) -> dict[str, Any]:
    return {
        "type": "sms.message",
        "tenant": "acme",
        "messageId": message_id,
        "sentAt": sent_at,
        "status": status,
        **extra,
    }


def campaign(campaign_id: str, created: str, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "campaign",
        "tenant": "acme",
        "channel": "sms",
        "campaignId": campaign_id,
        "name": f"Campaign {campaign_id}",
        "status": status,
        "createdAt": created,
    }


async def test_overview_and_trends_across_berlins_25_hour_day(
    gateway: Gateway, world: World
) -> None:
    await ingest(
        world.store,
        campaign("c1", "2026-10-25T12:00:00Z"),
        sms("m1", "2026-10-24T21:59:00Z"),  # Oct 24, 23:59 CEST
        sms("m2", "2026-10-24T22:00:00Z"),  # Oct 25, 00:00 CEST
        sms("m3", "2026-10-25T22:30:00Z", "failed"),  # Oct 25, 23:30 CET: its 25th hour
        sms("m4", "2026-10-25T23:00:00Z", "sent"),  # Oct 26, 00:00 CET
        sms("m5", "2026-10-25T10:00:00Z", test=True),
        sms("m6", "2026-10-27T00:00:00Z"),  # Oct 27, outside the range
        {"type": "contact", "tenant": "acme", "contactId": "p1", "isTextable": True},
        {"type": "contact", "tenant": "acme", "contactId": "p2", "isOptedIn": False},
    )
    answer = await gateway.query(
        world.keys["acme_tenant"],
        """{ sms {
      overview(startDate: "2026-10-24", endDate: "2026-10-27", timezone: "Europe/Berlin") {
        start end campaigns { total completed } deliveryRate
        messages { total sent delivered failed } contacts { total textable optedOut } }
      trends(startDate: "2026-10-24", endDate: "2026-10-27", timezone: "Europe/Berlin") {
        date messages { total delivered failed sent } campaigns { total } } } }""",
    )
    assert "errors" not in answer.body, answer.body
    overview = answer.data["sms"]["overview"]
    assert (overview["start"], overview["end"]) == (
        "2026-10-23T22:00:00+00:00",
        "2026-10-26T23:00:00+00:00",
    )
    assert overview["messages"] == {"total": 4, "sent": 3, "delivered": 2, "failed": 1}
    assert overview["deliveryRate"] == 50.0
    assert overview["campaigns"] == {"total": 1, "completed": 1}
    assert overview["contacts"] == {"total": 2, "textable": 1, "optedOut": 1}
    trends = answer.data["sms"]["trends"]
    assert [
        (
            d["date"],
            d["messages"]["total"],
            d["messages"]["delivered"],
            d["messages"]["failed"],
            d["campaigns"]["total"],
        )
        for d in trends
    ] == [("2026-10-24", 1, 1, 0, 0), ("2026-10-25", 2, 1, 1, 1), ("2026-10-26", 1, 0, 0, 0)]


async def test_kathmandu_days_and_ranges_that_cut_a_bucket(gateway: Gateway, world: World) -> None:
    await ingest(
        world.store,
        sms("k1", "2026-11-20T18:14:00Z"),
        sms("k2", "2026-11-20T18:15:00Z"),
        sms("k3", "2026-11-20T18:16:00Z"),
    )
    answer = await gateway.query(
        world.keys["acme_tenant"],
        """{ sms {
      trends(startDate: "2026-11-20", endDate: "2026-11-22", tz: "Asia/Kathmandu") {
        date messages { total } }
      overview(startDate: "2026-11-20T18:14:30Z", endDate: "2026-11-21T00:00:15+05:45") {
        messages { total } } } }""",
    )
    assert [(d["date"], d["messages"]["total"]) for d in answer.data["sms"]["trends"]] == [
        ("2026-11-20", 1),
        ("2026-11-21", 2),
    ]
    # 00:00:15 +05:45 is 18:15:15Z: the range holds k2 only, inside one 15-minute bucket.
    assert answer.data["sms"]["overview"]["messages"]["total"] == 1


async def test_top_campaigns_rank_by_rate_then_size_then_newest(
    gateway: Gateway, world: World
) -> None:
    events = []
    for cid, created, delivered, failed, status in [
        ("A", "2026-11-10T00:00:00Z", 4, 0, "completed"),
        ("B", "2026-11-12T00:00:00Z", 2, 0, "completed"),
        ("C", "2026-11-11T00:00:00Z", 9, 1, "completed"),
        ("D", "2026-11-13T00:00:00Z", 10, 0, "sending"),
        ("E", "2026-11-15T00:00:00Z", 4, 0, "completed"),
        ("old", "2026-09-01T00:00:00Z", 5, 0, "completed"),
    ]:
        events.append(campaign(cid, created, status))
        events += [sms(f"{cid}{i}", created, campaignId=cid) for i in range(delivered)]
        events += [sms(f"{cid}f{i}", created, "failed", campaignId=cid) for i in range(failed)]
    await ingest(world.store, *events)
    query = (
        "query ($limit: Int!) { sms { topCampaigns(limit: $limit) { name messages "
        "{ total deliveryRate } } } }"
    )
    answer = await gateway.query(world.keys["acme_tenant"], query, {"limit": 10})
    assert [
        (c["name"], c["messages"]["total"], c["messages"]["deliveryRate"])
        for c in answer.data["sms"]["topCampaigns"]
    ] == [
        ("Campaign E", 4, 100.0),
        ("Campaign A", 4, 100.0),
        ("Campaign B", 2, 100.0),
        ("Campaign C", 10, 90.0),
    ]
    two = await gateway.query(world.keys["acme_tenant"], query, {"limit": 2})
    assert [c["name"] for c in two.data["sms"]["topCampaigns"]] == ["Campaign E", "Campaign A"]
    for bad in (0, 101):
        refused = await gateway.query(world.keys["acme_tenant"], query, {"limit": bad})
        assert refused.codes == ["BAD_USER_INPUT"] and refused.data["sms"]["topCampaigns"] is None


async def test_best_send_times_by_local_hour_and_weekday(gateway: Gateway, world: World) -> None:
    await ingest(
        world.store,
        sms("b1", "2026-11-20T12:10:00Z"),  # Friday 09:10 in Sao Paulo
        sms("b2", "2026-11-22T13:00:00Z", "failed"),  # Sunday 10:00
        sms("b3", "2026-11-22T13:50:00Z"),  # Sunday 10:50
        sms("old", "2026-07-01T12:00:00Z"),
    )  # more than 90 days ago
    answer = await gateway.query(
        world.keys["acme_tenant"],
        """{ sms { bestSendTimes(
      timezone: "America/Sao_Paulo") { byHour { slot totalSent delivered deliveryRate }
      byDayOfWeek { slot totalSent delivered deliveryRate } } } }""",
    )
    best = answer.data["sms"]["bestSendTimes"]
    assert [h["slot"] for h in best["byHour"]] == list(range(24))
    assert [d["slot"] for d in best["byDayOfWeek"]] == list(range(7))
    assert {
        h["slot"]: (h["totalSent"], h["delivered"], h["deliveryRate"])
        for h in best["byHour"]
        if h["totalSent"]
    } == {9: (1, 1, 100.0), 10: (2, 1, 50.0)}
    assert {
        d["slot"]: (d["totalSent"], d["deliveryRate"])
        for d in best["byDayOfWeek"]
        if d["totalSent"]
    } == {0: (2, 50.0), 5: (1, 100.0)}


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ('startDate: "2026-11-10", endDate: "2026-11-01"', "before"),
        ('startDate: "2024-01-01", endDate: "2026-01-01"', "366"),
        ('startDate: "yesterday"', "ISO 8601"),
        ('timezone: "Nowhere/Land"', "unknown timezone"),
    ],
)
async def test_bad_ranges_are_bad_user_input(
    gateway: Gateway, world: World, arguments: str, fragment: str
) -> None:
    answer = await gateway.query(
        world.keys["acme_tenant"],
        f"{{ viewer {{ tenantId }} sms {{ overview({arguments}) {{ deliveryRate }} }} }}",
    )
    assert answer.status == 200 and answer.data["viewer"] == {"tenantId": "acme"}
    assert answer.codes == ["BAD_USER_INPUT"] and fragment in answer.body["errors"][0]["message"]


async def test_reports_need_a_tenant_key_with_the_scope(gateway: Gateway, world: World) -> None:
    for key in ("acme_sales", "acme_no_scopes"):
        answer = await gateway.query(
            world.keys[key],
            "{ sms { overview { deliveryRate } } billing { pricingModel } viewer { tenantId } }",
        )
        assert answer.codes == ["FORBIDDEN", "FORBIDDEN"], key
        assert answer.data["viewer"] == {"tenantId": "acme"}


async def test_billing_status_and_balance(gateway: Gateway, world: World) -> None:
    query = (
        "{ billing { billingStatus pricingModel subscription { id planType } credits "
        "{ available included total } availableCreditProducts { name creditsAmount "
        "priceCents } customerPortalUrl } creditBalance { balance } }"
    )
    empty = await gateway.query(world.keys["acme_tenant"], query)
    assert empty.data == {"billing": None, "creditBalance": None}
    await ingest(
        world.store,
        {
            "type": "billing.account",
            "tenant": "acme",
            "organizationId": "org-1",
            "billingStatus": "active",
            "pricingModel": "full_service",
            "subscription": {"id": "sub_abc123", "plan_type": "full_service"},
            "creditProducts": [
                {"id": "p", "name": "10,000 Credits", "credits_amount": 10000, "price_cents": 4900}
            ],
            "available": 24500,
            "included": 10000,
        },
        sms("s1", "2026-11-20T10:00:00Z", length=1000),
    )
    answer = await gateway.query(world.keys["acme_tenant"], query)
    assert answer.data == {
        "billing": {
            "billingStatus": "active",
            "pricingModel": "full_service",
            "subscription": {"id": "sub_abc123", "planType": "full_service"},
            "credits": {"available": 24500, "included": 9997, "total": 34497},
            "availableCreditProducts": [
                {"name": "10,000 Credits", "creditsAmount": 10000, "priceCents": 4900}
            ],
            "customerPortalUrl": None,
        },
        "creditBalance": {"balance": 24500},
    }
    other = await gateway.query(world.keys["globex_tenant"], query)
    assert other.data == {"billing": None, "creditBalance": None}


async def test_delivery_by_channel_side_by_side(gateway: Gateway, world: World) -> None:
    await world.send("sales", "w1", datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    await ingest(
        world.store,
        sms("s1", "2026-11-21T09:00:00Z"),
        sms("s2", "2026-11-22T09:00:00Z", "failed"),
        *[
            {
                "type": "email",
                "tenant": "acme",
                "event": "sent",
                "campaignId": "e1",
                "recipient": r,
                "at": "2026-11-20T09:00:00Z",
            }
            for r in ("a", "b")
        ],
        {
            "type": "email",
            "tenant": "acme",
            "event": "hard_bounce",
            "campaignId": "e1",
            "recipient": "b",
            "at": "2026-11-21T09:00:00Z",
        },
    )
    await world.send("main", "g1", datetime(2026, 11, 21, 9, 0, tzinfo=UTC))  # another tenant
    answer = await gateway.query(
        world.keys["acme_tenant"],
        """{ deliveryByChannel(
      period: DAYS_7) { days channels { channel totals { total delivered failed deliveryRate }
      series { date total } } } }""",
    )
    comparison = answer.data["deliveryByChannel"]
    assert comparison["days"][0] == "2026-11-16" and len(comparison["days"]) == 7
    totals = {c["channel"]: c["totals"] for c in comparison["channels"]}
    assert totals == {
        "WHATSAPP": {"total": 1, "delivered": 1, "failed": 0, "deliveryRate": 100.0},
        "SMS": {"total": 2, "delivered": 1, "failed": 1, "deliveryRate": 50.0},
        # By send day: both emails count on the 20th, the bounce as b's failure.
        "EMAIL": {"total": 2, "delivered": 1, "failed": 1, "deliveryRate": 50.0},
    }
    email = next(c for c in comparison["channels"] if c["channel"] == "EMAIL")
    assert [p["total"] for p in email["series"]] == [0, 0, 0, 0, 2, 0, 0]
