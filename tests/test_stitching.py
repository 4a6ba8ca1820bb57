"""The gateway stitched with @graphql-tools/stitch beside a service whose names clash with its
own (examples/stitching/): the renames make one graph of both, the key is passed on per request
and the gateway's errors keep their codes."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway import Gateway, World, ingest
from tests.support.live import free_port
from tests.support.node import processes

STITCHING = Path(__file__).parent.parent / "examples" / "stitching"


@asynccontextmanager
async def stitched(analytics: str) -> AsyncIterator[str]:
    """The marketing service and the stitching gateway over it and `analytics`; yields the
    stitching gateway's URL."""
    port = free_port()
    async with processes() as start:
        service = (sys.executable, "marketing_service.py", "--port", str(port))
        await start(*service, ready="marketing service on", cwd=STITCHING)
        line = await start(
            "node",
            "gateway.mjs",
            *("--port", str(free_port()), "--analytics", analytics),
            *("--marketing", f"http://127.0.0.1:{port}/graphql"),
            ready="stitched gateway ready at",
            cwd=STITCHING,
        )
        yield line.split()[-1]


BOTH = """{
  organization { id }
  campaigns { name budgetCents }
  analyticsCampaigns(first: 5) { edges { node {
    __typename ... on AnalyticsCampaign { name channel } ... on SmsCampaign { messages { total } }
  } } }
}"""


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_the_stitched_graph_asks_both_services_with_each_callers_key(
    gateway: Gateway, world: World, node_modules: Path
) -> None:
    for tenant in ("acme", "globex"):
        campaign = {"type": "campaign", "tenant": tenant, "channel": "sms", "campaignId": "c1"}
        created = {"status": "completed", "createdAt": "2026-11-20T10:00:00Z"}
        await ingest(world.store, {**campaign, **created, "name": f"{tenant} sale"})

    async def ask(url: str, key: str | None, query: str) -> dict[str, Any]:
        headers = {"x-api-key": key} if key else {}
        async with gateway.session.post(url, json={"query": query}, headers=headers) as response:
            assert response.status == 200
            body: dict[str, Any] = await response.json()
            return body

    async with stitched(gateway.url) as url:
        acme, globex = await asyncio.gather(
            ask(url, world.keys["acme_tenant"], BOTH), ask(url, world.keys["globex_tenant"], BOTH)
        )
        assert "errors" not in acme, acme
        assert acme["data"]["organization"] == {"id": "acme"}
        assert [c["name"] for c in acme["data"]["campaigns"]] == ["Black Friday", "Christmas"]
        edges = acme["data"]["analyticsCampaigns"]["edges"]
        assert [e["node"] for e in edges] == [
            {
                "__typename": "SmsCampaign",
                "name": "acme sale",
                "channel": "SMS",
                "messages": {"total": 0},
            }
        ]
        # Each request carries its own caller's key, so each sees its own tenant.
        assert globex["data"]["organization"] == {"id": "globex"}
        assert globex["data"]["analyticsCampaigns"]["edges"][0]["node"]["name"] == "globex sale"
        # The gateway's errors keep their codes, beside the other service's data.
        mixed = '{ campaign(id: "p1") { name } analyticsCampaign(id: "nope") { name } }'
        body = await ask(url, world.keys["acme_tenant"], mixed)
        assert body["data"] == {"campaign": {"name": "Black Friday"}, "analyticsCampaign": None}
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
        body = await ask(url, None, "{ organization { id } }")
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        # One graph: both Campaign types, and none of the gateway's federation fields.
        names = "{ __schema { types { name } queryType { fields { name } } } }"
        schema = (await ask(url, None, names))["data"]["__schema"]
        assert {"Campaign", "AnalyticsCampaign"} <= {t["name"] for t in schema["types"]}
        fields = {f["name"] for f in schema["queryType"]["fields"]}
        assert {"campaigns", "analyticsCampaigns", "campaign", "analyticsCampaign"} <= fields
        assert not {"_service", "_entities"} & fields
