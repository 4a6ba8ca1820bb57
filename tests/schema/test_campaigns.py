"""Campaign lists: cursor pages, reports through DataLoaders, and the CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from gateway.http.app import STORE
from gateway.http.export import text_cell
from tests.support.campaigns import seed
from tests.support.gateway import Gateway, World, ingest

PAGE = """query ($first: Int!, $after: String) { campaigns(first: $first, after: $after) {
  edges { cursor node { name channel ... on EmailCampaign { report { performance { sent
  opens { unique } } linkActivity { url } } } ... on SmsCampaign { messages { total } } } }
  pageInfo { hasNextPage endCursor } } }"""


def reads(gateway: Gateway) -> int:
    app = gateway.server.app
    assert app is not None
    return app[STORE].read_count


async def test_pages_walk_every_campaign_once_newest_first(gateway: Gateway, world: World) -> None:
    await seed(world, 23)
    seen, after = [], None
    while True:
        answer = await gateway.query(world.keys["acme_tenant"], PAGE, {"first": 10, "after": after})
        page = answer.data["campaigns"]
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 23 and len(set(seen)) == 23


async def test_a_page_of_50_reports_costs_as_many_reads_as_a_page_of_5(
    gateway: Gateway, world: World
) -> None:
    await seed(world, 60)
    await gateway.query(world.keys["acme_tenant"], PAGE, {"first": 1})  # the key is read once
    costs = {}
    for first in (5, 50):
        before = reads(gateway)
        answer = await gateway.query(world.keys["acme_tenant"], PAGE, {"first": first})
        assert "errors" not in answer.body and len(answer.data["campaigns"]["edges"]) == first
        costs[first] = reads(gateway) - before
    # The page, SMS counts, email counts and email links: four reads however long.
    assert costs == {5: 4, 50: 4}


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"first": 0}, "BAD_USER_INPUT"),
        ({"first": 101}, "BAD_USER_INPUT"),
        ({"first": 5, "after": "??"}, "BAD_USER_INPUT"),
    ],
)
async def test_bad_page_arguments(
    gateway: Gateway, world: World, variables: dict[str, Any], code: str
) -> None:
    answer = await gateway.query(world.keys["acme_tenant"], PAGE, variables)
    assert answer.codes == [code]


async def test_csv_export_streams_quoted_rows(gateway: Gateway, world: World) -> None:
    await ingest(
        world.store,
        {
            "type": "campaign",
            "tenant": "acme",
            "channel": "sms",
            "campaignId": "q",
            "name": 'Sale, "50%" off',
            "status": "completed",
            "createdAt": "2026-11-10T12:00:00Z",
            "completedAt": "2026-11-10T14:00:00Z",
        },
        *[
            {
                "type": "sms.message",
                "tenant": "acme",
                "messageId": f"q{i}",
                "campaignId": "q",
                "sentAt": "2026-11-10T12:30:00Z",
                "status": "failed" if i == 0 else "delivered",
            }
            for i in range(3)
        ],
    )
    url = gateway.server.make_url("/export/campaigns.csv")
    params = {"startDate": "2026-11-01", "timezone": "America/Sao_Paulo"}
    headers = {"x-api-key": world.keys["acme_tenant"]}
    async with gateway.session.get(url, params=params, headers=headers) as response:
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/csv")
        text = await response.text()
    assert '"Sale, ""50%"" off"' in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        [
            "Campaign Name",
            "Status",
            "Total Recipients",
            "Sent",
            "Delivered",
            "Failed",
            "Created At",
            "Completed At",
        ],
        [
            'Sale, "50%" off',
            "completed",
            "3",
            "2",
            "2",
            "1",
            "2026-11-10T09:00:00-03:00",
            "2026-11-10T11:00:00-03:00",
        ],
    ]
    graph = await gateway.query(
        world.keys["acme_tenant"],
        """{ sms { campaignExport(
      startDate: "2026-11-01") { campaignName totalRecipients sent delivered failed } } }""",
    )
    assert graph.data["sms"]["campaignExport"] == [
        {
            "campaignName": 'Sale, "50%" off',
            "totalRecipients": 3,
            "sent": 2,
            "delivered": 2,
            "failed": 1,
        }
    ]


@pytest.mark.parametrize(
    ("key", "params", "status", "code"),
    [
        (None, {}, 401, "UNAUTHENTICATED"),
        ("acme_sales", {}, 403, "FORBIDDEN"),
        ("acme_tenant", {"startDate": "soon"}, 400, "BAD_USER_INPUT"),
        ("acme_tenant", {"type": "contacts"}, 400, "BAD_USER_INPUT"),
    ],
)
async def test_csv_export_errors_are_typed(
    gateway: Gateway,
    world: World,
    key: str | None,
    params: dict[str, str],
    status: int,
    code: str,
) -> None:
    headers = {"x-api-key": world.keys[key]} if key else {}
    async with gateway.session.get(
        gateway.server.make_url("/export/campaigns.csv"), params=params, headers=headers
    ) as response:
        assert response.status == status
        assert (await response.json())["errors"][0]["extensions"]["code"] == code


async def test_csv_export_shows_only_the_callers_tenant(gateway: Gateway, world: World) -> None:
    await seed(world, 4)
    async with gateway.session.get(
        gateway.server.make_url("/export/campaigns.csv"),
        params={"startDate": "2026-09-01"},
        headers={"x-api-key": world.keys["globex_tenant"]},
    ) as response:
        assert (await response.text()).count("\n") == 1  # the header only


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=x", "plain"]


async def test_csv_export_neutralizes_formulas(gateway: Gateway, world: World) -> None:
    await ingest(
        world.store,
        *[
            {
                "type": "campaign",
                "tenant": "acme",
                "channel": "sms",
                "campaignId": f"f{i}",
                "name": name,
                "status": "completed",
                "createdAt": f"2026-11-10T12:0{i}:00Z",
            }
            for i, name in enumerate(FORMULAS)
        ],
    )
    async with gateway.session.get(
        gateway.server.make_url("/export/campaigns.csv"),
        params={"startDate": "2026-11-01"},
        headers={"x-api-key": world.keys["acme_tenant"]},
    ) as response:
        rows = list(csv.reader(io.StringIO(await response.text())))
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted(["'" + n if n != "plain" else n for n in FORMULAS])
    assert text_cell("a\x00b") == "ab" and text_cell("\x00=1") == "'=1"
