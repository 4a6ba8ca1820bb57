"""Email reports over HTTP: dashboard diffs, overall, histogram, campaign report, engagement."""

from __future__ import annotations

from typing import Any

from tests.support.gateway import Gateway, World, ingest


def email(kind: str, recipient: str, at: str, campaign: str = "e1", **extra: str) -> dict[str, Any]:
    return {
        "type": "email",
        "tenant": "acme",
        "event": kind,
        "campaignId": campaign,
        "recipient": recipient,
        "at": at,
        **extra,
    }


async def seed(world: World) -> None:
    await ingest(
        world.store,
        {
            "type": "campaign",
            "tenant": "acme",
            "channel": "email",
            "campaignId": "e1",
            "name": 'News, "Nov"',
            "status": "completed",
            "createdAt": "2026-11-19T09:00:00Z",
            "sentAt": "2026-11-20T10:00:00Z",
        },
        {
            "type": "contact",
            "tenant": "acme",
            "contactId": "p1",
            "createdAt": "2026-11-21T08:00:00Z",
        },
        email("sent", "a", "2026-11-20T10:00:00Z"),
        email("sent", "b", "2026-11-20T10:00:00Z"),
        email("sent", "c", "2026-11-21T10:00:00Z"),
        email("sent", "d", "2026-11-21T10:00:00Z"),
        email("hard_bounce", "b", "2026-11-20T10:01:00Z"),
        email("open", "a", "2026-11-21T11:00:00Z"),
        email("open", "a", "2026-11-22T11:00:00Z"),
        email("open", "c", "2026-11-21T12:00:00Z"),
        email("click", "a", "2026-11-21T11:01:00Z", url="https://x.io/shop"),
        email("click", "a", "2026-11-21T11:02:00Z", url="https://x.io/shop"),
        email("click", "c", "2026-11-21T12:01:00Z", url="https://x.io/blog"),
        email("click", "c", "2026-11-21T12:02:00Z", url="https://x.io/shop"),
        email("unsubscribe", "d", "2026-11-22T09:00:00Z"),
    )


async def test_dashboard_compares_with_the_preceding_window(gateway: Gateway, world: World) -> None:
    await seed(world)
    answer = await gateway.query(
        world.keys["acme_tenant"],
        """{ email { dashboard(pastDays: 2) {
      pastDays campaignsSent { value previous diff } emailsSent { value previous diff }
      delivered { value previous diff } uniqueOpens { value previous diff }
      openRate { value previous diff } bounces { value previous diff }
      newContacts { value previous diff } unsubscribes { value diff } } } }""",
    )
    board = answer.data["email"]["dashboard"]
    # Current window: Nov 21-22; previous: Nov 19-20 (UTC).
    assert board["pastDays"] == 2
    assert board["campaignsSent"] == {"value": 0, "previous": 1, "diff": -100.0}
    assert board["emailsSent"] == {"value": 2, "previous": 2, "diff": 0.0}
    assert board["delivered"] == {"value": 2, "previous": 1, "diff": 100.0}
    assert board["uniqueOpens"] == {"value": 2, "previous": 0, "diff": None}
    assert board["openRate"] == {"value": 100.0, "previous": 0.0, "diff": None}
    assert board["bounces"] == {"value": 0, "previous": 1, "diff": -100.0}
    assert board["newContacts"] == {"value": 1, "previous": 0, "diff": None}
    assert board["unsubscribes"] == {"value": 1, "diff": None}


async def test_dashboard_counts_arrive_as_whole_numbers(gateway: Gateway, world: World) -> None:
    await seed(world)
    figure = "{ value previous diff }"
    names = [
        "campaignsSent",
        "emailsSent",
        "delivered",
        "uniqueOpens",
        "uniqueClicks",
        "bounces",
        "unsubscribes",
        "newContacts",
    ]
    answer = await gateway.query(
        world.keys["acme_tenant"],
        "{ email { dashboard(pastDays: 2) { emailsSent { value } counts { "
        + " ".join(f"{name} {figure}" for name in names)
        + " } } } }",
    )
    board = answer.data["email"]["dashboard"]
    counts = board["counts"]
    assert counts["emailsSent"] == {"value": 2, "previous": 2, "diff": 0.0}
    assert counts["delivered"] == {"value": 2, "previous": 1, "diff": 100.0}
    assert counts["uniqueClicks"] == {"value": 2, "previous": 0, "diff": None}
    assert counts["newContacts"] == {"value": 1, "previous": 0, "diff": None}
    for name in names:
        value, previous = counts[name]["value"], counts[name]["previous"]
        assert type(value) is int and type(previous) is int, (name, counts[name])
    # The deprecated figure keeps answering as it did, a Float.
    assert type(board["emailsSent"]["value"]) is float


async def test_overall_and_histogram(gateway: Gateway, world: World) -> None:
    await seed(world)
    answer = await gateway.query(
        world.keys["acme_tenant"],
        """{ email {
      overall(pastDays: 7) { sent delivered opens { unique total rate } clicks { unique total
        rate } bounces { hard soft total } unsubscribes }
      histogram(pastDays: 3, timezone: "Asia/Kathmandu") { date sent opens uniqueOpens clicks
        uniqueClicks hardBounces unsubscribes } } }""",
    )
    assert answer.data["email"]["overall"] == {
        "sent": 4,
        "delivered": 3,
        "opens": {"unique": 2, "total": 3, "rate": 66.67},
        "clicks": {"unique": 2, "total": 4, "rate": 66.67},
        "bounces": {"hard": 1, "soft": 0, "total": 1},
        "unsubscribes": 1,
    }
    # In Kathmandu (+05:45) every event above falls on the same local date as in UTC.
    assert answer.data["email"]["histogram"] == [
        {
            "date": "2026-11-20",
            "sent": 2,
            "opens": 0,
            "uniqueOpens": 0,
            "clicks": 0,
            "uniqueClicks": 0,
            "hardBounces": 1,
            "unsubscribes": 0,
        },
        {
            "date": "2026-11-21",
            "sent": 2,
            "opens": 2,
            "uniqueOpens": 2,
            "clicks": 4,
            "uniqueClicks": 2,
            "hardBounces": 0,
            "unsubscribes": 0,
        },
        {
            "date": "2026-11-22",
            "sent": 0,
            "opens": 1,
            "uniqueOpens": 0,
            "clicks": 0,
            "uniqueClicks": 0,
            "hardBounces": 0,
            "unsubscribes": 1,
        },
    ]


async def test_past_days_out_of_range(gateway: Gateway, world: World) -> None:
    for days in (0, 91):
        answer = await gateway.query(
            world.keys["acme_tenant"], f"{{ email {{ overall(pastDays: {days}) {{ sent }} }} }}"
        )
        assert answer.codes == ["BAD_USER_INPUT"]


async def test_campaign_report_and_link_activity(gateway: Gateway, world: World) -> None:
    await seed(world)
    listed = await gateway.query(
        world.keys["acme_tenant"],
        """{ campaigns(channel: EMAIL) {
      edges { node { id name ... on EmailCampaign { sentAt report { performance { sent
      delivered opens { unique rate } clicks { unique total rate } bounces { hard soft total } }
      linkActivity { url clicks uniqueClicks } } } } } } }""",
    )
    [edge] = listed.data["campaigns"]["edges"]
    node = edge["node"]
    assert node["name"] == 'News, "Nov"' and node["sentAt"] == "2026-11-20T10:00:00+00:00"
    assert node["report"] == {
        "performance": {
            "sent": 4,
            "delivered": 3,
            "opens": {"unique": 2, "rate": 66.67},
            "clicks": {"unique": 2, "total": 4, "rate": 66.67},
            "bounces": {"hard": 1, "soft": 0, "total": 1},
        },
        "linkActivity": [
            {"url": "https://x.io/shop", "clicks": 3, "uniqueClicks": 2},
            {"url": "https://x.io/blog", "clicks": 1, "uniqueClicks": 1},
        ],
    }
    by_id = await gateway.query(
        world.keys["acme_tenant"],
        "query ($id: ID!) { campaign(id: $id) { name channel } }",
        {"id": node["id"]},
    )
    assert by_id.data["campaign"] == {"name": 'News, "Nov"', "channel": "EMAIL"}
    other = await gateway.query(
        world.keys["globex_tenant"],
        "query ($id: ID!) { campaign(id: $id) { name } }",
        {"id": node["id"]},
    )
    assert other.data == {"campaign": None} and other.codes == ["NOT_FOUND"]


async def test_engagement_windows_start_at_the_send_in_local_time(
    gateway: Gateway, world: World
) -> None:
    await ingest(
        world.store,
        {
            "type": "campaign",
            "tenant": "acme",
            "channel": "email",
            "campaignId": "e2",
            "name": "Kathmandu",
            "status": "completed",
            "createdAt": "2026-11-19T00:00:00Z",
            "sentAt": "2026-11-20T10:07:00Z",
        },  # 15:52 in Kathmandu
        email("open", "a", "2026-11-20T09:20:00Z", "e2"),
        email("open", "b", "2026-11-20T10:14:00Z", "e2"),
        email("open", "a", "2026-11-20T10:15:00Z", "e2"),
        email("click", "a", "2026-11-20T18:14:00Z", "e2", url="https://x.io"),  # 23:59 local
        email("click", "b", "2026-11-20T18:15:00Z", "e2", url="https://x.io"),  # next day
    )
    listed = await gateway.query(
        world.keys["acme_tenant"],
        """{ campaigns { edges { node {
      ... on EmailCampaign {
        hours: engagement(timezone: "Asia/Kathmandu") { start date opens uniqueOpens clicks }
        week: engagement(period: WEEK, tz: "Asia/Kathmandu") { date opens clicks uniqueClicks }
        month: engagement(period: MONTH) { date } } } } } }""",
    )
    node = listed.data["campaigns"]["edges"][0]["node"]
    hours = node["hours"]
    assert len(hours) == 24
    # The first local hour is 15:00-16:00 +05:45, that is 09:15-10:15 UTC.
    assert hours[0] == {
        "start": "2026-11-20T09:15:00+00:00",
        "date": "2026-11-20",
        "opens": 2,
        "uniqueOpens": 2,
        "clicks": 0,
    }
    assert hours[1]["opens"] == 1 and hours[1]["uniqueOpens"] == 0
    assert [(d["date"], d["opens"], d["clicks"]) for d in node["week"][:2]] == [
        ("2026-11-20", 3, 1),
        ("2026-11-21", 0, 1),
    ]
    assert len(node["week"]) == 7 and len(node["month"]) == 30
    assert node["month"][0]["date"] == "2026-11-20"
