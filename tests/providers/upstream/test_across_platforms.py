"""One tenant whose WhatsApp number is at Pilot Status, SMS at MessageSender and email at the
reports API: one query answered across the three fakes, with the documented shapes mapped."""

from __future__ import annotations

import logging

import pytest

from gateway.schema.ids import encode_id
from gateway.testing.fakes import FAKE_KEYS, FAKE_NUMBER, day_counts
from tests.support.gateway import NOW, Gateway, World
from tests.support.platforms import Platforms

ACROSS = """{
  numbers { phoneNumber dashboard(period: DAYS_7, timezone: "America/Sao_Paulo") {
    totals { total sent delivered read failed } series { date sent } } }
  sms { overview(startDate: "2025-03-25", endDate: "2025-04-24") {
    messages { total queued sent delivered failed } deliveryRate
    campaigns { total completed scheduled failed } contacts { total textable optedOut } }
    topCampaigns(limit: 2) { id name messages { total delivered deliveryRate } } }
  email { overall(pastDays: 30) { sent delivered opens { unique total } bounces { hard soft } } }
  billing { billingStatus credits { available included total } subscription { id } }
  creditBalance { balance }
}"""


async def test_one_query_across_all_three_platforms(
    upstream: Gateway, world: World, platforms: Platforms, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        answer = await upstream.query(world.keys["acme_tenant"], ACROSS)
    assert answer.status == 200 and "errors" not in answer.body, answer.body
    data = answer.data
    numbers = {n["phoneNumber"]: n for n in data["numbers"]}
    # The tenant's list spans sources: its two native numbers and the one at Pilot Status.
    assert set(numbers) == {"+5511900000001", "+5511900000002", FAKE_NUMBER}
    board = numbers[FAKE_NUMBER]["dashboard"]
    assert len(board["series"]) == 7 and board["series"][-1]["date"] == "2026-11-22"
    expected = day_counts(FAKE_NUMBER, NOW.date())
    assert board["series"][-1]["sent"] == expected["sent"]
    totals = board["totals"]
    assert totals["total"] == totals["sent"] + totals["failed"]
    assert platforms.states["ps"].calls[-1][1] == {"period": "7d", "timezone": "America/Sao_Paulo"}

    overview = data["sms"]["overview"]
    assert overview["messages"] == {
        "total": 48500,
        "queued": 0,
        "sent": 48200,
        "delivered": 46800,
        "failed": 300,
    }
    assert overview["deliveryRate"] == 96.49
    assert overview["campaigns"] == {"total": 12, "completed": 10, "scheduled": 1, "failed": 1}
    assert overview["contacts"] == {"total": 15420, "textable": 14100, "optedOut": 320}
    top = data["sms"]["topCampaigns"]
    assert [c["name"] for c in top] == ["Campaign 0", "Campaign 1"]
    assert top[1]["messages"] == {"total": 200, "delivered": 198, "deliveryRate": 99.0}
    assert data["email"]["overall"]["sent"] >= data["email"]["overall"]["delivered"]
    assert data["billing"] == {
        "billingStatus": "active",
        "credits": {"available": 24500, "included": 10000, "total": 34500},
        "subscription": {"id": "sub_abc123"},
    }
    assert data["creditBalance"] == {"balance": 24500}
    # Billing status and balance come from their own endpoints, each asked once.
    paths = [path for path, _ in platforms.states["ms"].calls]
    assert paths.count("/api/billing/status") == paths.count("/api/credits/balance") == 1
    for secret in FAKE_KEYS.values():
        assert secret not in str(answer.body) and secret not in caplog.text


async def test_campaign_ids_route_to_their_source(upstream: Gateway, world: World) -> None:
    email_id = encode_id("EmailCampaign", "er", "em-007")
    answer = await upstream.query(
        world.keys["acme_tenant"],
        """query ($id: ID!) {
      campaign(id: $id) { name channel ... on EmailCampaign { sentAt report { performance {
      sent } linkActivity { url uniqueClicks } } engagement(period: WEEK) { date opens } } } }""",
        {"id": email_id},
    )
    campaign = answer.data["campaign"]
    assert campaign["name"] == "Newsletter 7" and campaign["channel"] == "EMAIL"
    assert campaign["report"]["linkActivity"][0] == {
        "url": "https://example.com/shop",
        "uniqueClicks": 31,
    }
    assert len(campaign["engagement"]) == 7
    missing = await upstream.query(
        world.keys["acme_tenant"],
        "query ($id: ID!) { campaign(id: $id) { name } }",
        {"id": encode_id("EmailCampaign", "er", "em-999")},
    )
    assert missing.codes == ["NOT_FOUND"]
    assert missing.body["errors"][0]["extensions"]["source"] == "er"
    assert missing.body["errors"][0]["extensions"]["upstreamStatus"] == 404


async def test_what_a_source_cannot_answer_is_unsupported(upstream: Gateway, world: World) -> None:
    answer = await upstream.query(
        world.keys["acme_tenant"],
        """{
      sms { trends(timezone: "Europe/Berlin") { date } utc: trends(timezone: "UTC",
        startDate: "2025-04-20", endDate: "2025-04-22") { date messages { total } } }
      deliveryByChannel(startDate: "2026-11-01") { channels { channel totals { total } } }
      top: sms { topCampaigns(limit: 1) { id } } }""",
    )
    errors = {(tuple(e["path"]), e["extensions"]["code"]) for e in answer.body["errors"]}
    # Its days are UTC days: local days in Berlin would be a near miss, refused as such.
    assert (("sms", "trends"), "TIMEZONE_NOT_SUPPORTED") in errors
    assert answer.data["sms"]["utc"][0]["date"] == "2025-04-20"
    assert len(answer.data["sms"]["utc"]) == 2
    channels = answer.data["deliveryByChannel"]["channels"]
    # WhatsApp at Pilot Status answers periods only; email reports have no send-day cohort.
    assert [c["totals"] is None for c in channels] == [True, False, True]
    assert (("deliveryByChannel", "channels", 0, "totals"), "UNSUPPORTED_BY_SOURCE") in errors
    top_id = answer.data["top"]["topCampaigns"][0]["id"]
    again = await upstream.query(
        world.keys["acme_tenant"], "query ($id: ID!) { campaign(id: $id) { name } }", {"id": top_id}
    )
    assert again.codes == ["UNSUPPORTED_BY_SOURCE"]


async def test_period_comparison_adds_the_pilot_status_number(
    upstream: Gateway, world: World
) -> None:
    answer = await upstream.query(
        world.keys["acme_tenant"],
        """{ deliveryByChannel(
      period: DAYS_7) { days channels { channel totals { total } } } }""",
    )
    whatsapp = answer.data["deliveryByChannel"]["channels"][0]
    week = [
        day_counts(FAKE_NUMBER, d)
        for d in (NOW.date().fromordinal(NOW.date().toordinal() - i) for i in range(7))
    ]
    assert whatsapp["totals"]["total"] == sum(c["sent"] + c["failed"] for c in week)


async def test_csv_export_from_messagesender(upstream: Gateway, world: World) -> None:
    async with upstream.session.get(
        upstream.server.make_url("/export/campaigns.csv"),
        headers={"x-api-key": world.keys["acme_tenant"]},
    ) as response:
        text = await response.text()
    assert response.status == 200
    assert text.splitlines()[1].startswith('"Campaign 0, ""quoted""",completed,100,100,100,0,')
