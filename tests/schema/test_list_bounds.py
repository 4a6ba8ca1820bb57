"""Lists whose length grows with a tenant or a campaign answer at most the size the cost
estimate prices them at: a campaign's most clicked links, the first credit products on sale,
and campaignExport within its bound (past it TOO_MANY_RESULTS, read without the whole window)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from gateway.domain.billing import CREDIT_PRODUCTS_TOP
from gateway.domain.email import LINK_ACTIVITY_TOP
from gateway.domain.sms import RangeRequest
from gateway.errors import GatewayError
from gateway.providers.native import NativeProvider
from gateway.schema.ids import encode_id
from gateway.schema.sms import MAX_EXPORT_ROWS
from tests.support.gateway import Gateway, World, ingest

REPORT = """query ($id: ID!) { campaign(id: $id) { ... on EmailCampaign {
  report { linkActivity { url clicks } } } } }"""


async def email_campaign_with_links(world: World, links: int) -> str:
    """A sent email campaign whose link number n was clicked n + 1 times; its global id."""
    clicks = [
        {
            "type": "email",
            "tenant": "acme",
            "event": "click",
            "campaignId": "e1",
            "recipient": f"r{n}-{k}",
            "at": "2026-11-21T11:00:00Z",
            "url": f"https://x.io/{n:02}",
        }
        for n in range(links)
        for k in range(n + 1)
    ]
    campaign = {
        "type": "campaign",
        "tenant": "acme",
        "channel": "email",
        "campaignId": "e1",
        "name": "News",
        "status": "completed",
        "createdAt": "2026-11-19T09:00:00Z",
        "sentAt": "2026-11-20T10:00:00Z",
    }
    await ingest(world.store, campaign, *clicks)
    row = await world.store.fetch_one("SELECT id FROM campaigns WHERE tenant_id = 'acme'")
    assert row is not None
    return encode_id("EmailCampaign", "native", row[0])


@pytest.mark.parametrize("links", [LINK_ACTIVITY_TOP, LINK_ACTIVITY_TOP + 1])
async def test_link_activity_lists_the_most_clicked_links_up_to_its_bound(
    gateway: Gateway, world: World, links: int
) -> None:
    campaign = await email_campaign_with_links(world, links)
    answer = await gateway.query(world.keys["acme_tenant"], REPORT, {"id": campaign})
    listed = answer.data["campaign"]["report"]["linkActivity"]
    assert len(listed) == LINK_ACTIVITY_TOP
    # Most clicked first; one past the bound leaves out the least clicked link.
    assert listed[0] == {"url": f"https://x.io/{links - 1:02}", "clicks": links}
    assert listed[-1]["clicks"] == links - LINK_ACTIVITY_TOP + 1


def product(n: int) -> dict[str, Any]:
    return {"id": f"p{n}", "name": f"{n} credits", "credits_amount": n, "price_cents": n}


@pytest.mark.parametrize("products", [CREDIT_PRODUCTS_TOP, CREDIT_PRODUCTS_TOP + 1])
async def test_credit_products_list_the_first_on_sale_up_to_their_bound(
    gateway: Gateway, world: World, products: int
) -> None:
    await ingest(
        world.store,
        {
            "type": "billing.account",
            "tenant": "acme",
            "organizationId": "org-1",
            "billingStatus": "active",
            "pricingModel": "per_message",
            "creditProducts": [product(n) for n in range(products)],
            "available": 10,
        },
    )
    query = "{ billing { availableCreditProducts { id } } }"
    answer = await gateway.query(world.keys["acme_tenant"], query)
    listed = [p["id"] for p in answer.data["billing"]["availableCreditProducts"]]
    assert listed == [f"p{n}" for n in range(CREDIT_PRODUCTS_TOP)]


EXPORT = "{ sms { campaignExport { campaignName } } }"


async def sms_campaigns(world: World, count: int) -> None:
    await ingest(
        world.store,
        *(
            {
                "type": "campaign",
                "tenant": "acme",
                "channel": "sms",
                "campaignId": f"c{n}",
                "name": f"c{n}",
                "status": "completed",
                "createdAt": f"2026-11-20T10:{n // 60:02}:{n % 60:02}Z",
            }
            for n in range(count)
        ),
    )


async def test_campaign_export_answers_its_bound_and_refuses_one_past_it(
    gateway: Gateway, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits: list[int] = []
    load = NativeProvider.load_campaign_exports

    async def observed(
        self: NativeProvider, requests: Sequence[RangeRequest]
    ) -> Sequence[object | GatewayError]:
        limits.extend(r.limit for r in requests)
        return await load(self, requests)

    monkeypatch.setattr(NativeProvider, "load_campaign_exports", observed)
    await sms_campaigns(world, MAX_EXPORT_ROWS)
    answer = await gateway.query(world.keys["acme_tenant"], EXPORT)
    assert "errors" not in answer.body, answer.body
    assert len(answer.data["sms"]["campaignExport"]) == MAX_EXPORT_ROWS
    await ingest(
        world.store,
        {
            "type": "campaign",
            "tenant": "acme",
            "channel": "sms",
            "campaignId": "one-more",
            "name": "one more",
            "status": "completed",
            "createdAt": "2026-11-21T10:00:00Z",
        },
    )
    answer = await gateway.query(world.keys["acme_tenant"], EXPORT)
    assert answer.codes == ["TOO_MANY_RESULTS"]
    error = answer.body["errors"][0]
    assert "/export/campaigns.csv" in error["message"]
    assert error["extensions"]["max"] == MAX_EXPORT_ROWS
    # The store is asked for one row past the bound, never the whole window.
    assert limits == [MAX_EXPORT_ROWS + 1] * 2
