"""The gateway as an Apollo Federation v2 subgraph: entities resolve through the loaders, and
its SDL composes with another subgraph's in Apollo's own composition library."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.domain.campaigns import Campaign, CampaignRef
from gateway.domain.numbers import NumberRef, WhatsAppNumber
from gateway.errors import GatewayError
from gateway.providers.native import NativeProvider
from gateway.providers.native.tenancy import Tenancy
from gateway.schema.ids import encode_id
from tests.conftest import Gateway, World, ingest
from tests.live import free_port, start_gateway
from tests.npm import installed

ENTITIES = """query ($r: [_Any!]!) { _entities(representations: $r) {
  __typename
  ... on WhatsAppNumber { phoneNumber dashboard(period: DAYS_7) { totals { total } } }
  ... on SmsCampaign { name messages { total } }
  ... on Organization { id numbers { phoneNumber } }
} }"""


async def test_many_entities_are_one_batched_provider_call_per_kind(
    gateway: Gateway, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenancy = Tenancy(world.store)
    numbers = [(await tenancy.add_number("acme", f"+55119000002{i:02}")).id for i in range(20)]
    for i in range(3):
        await ingest(
            world.store,
            {
                "type": "campaign",
                "tenant": "acme",
                "channel": "sms",
                "campaignId": f"c{i}",
                "name": f"C{i}",
                "status": "completed",
                "createdAt": "2026-11-20T10:00:00Z",
            },
        )
    rows = await world.store.fetch_all("SELECT id FROM campaigns WHERE tenant_id = 'acme'")
    number_calls: list[int] = []
    campaign_calls: list[int] = []
    load_numbers, load_campaigns = NativeProvider.load_numbers, NativeProvider.load_campaigns

    async def numbers_observed(
        self: NativeProvider, refs: Sequence[NumberRef]
    ) -> Sequence[WhatsAppNumber | GatewayError | None]:
        number_calls.append(len(refs))
        return await load_numbers(self, refs)

    async def campaigns_observed(
        self: NativeProvider, refs: Sequence[CampaignRef]
    ) -> Sequence[Campaign | GatewayError | None]:
        campaign_calls.append(len(refs))
        return await load_campaigns(self, refs)

    monkeypatch.setattr(NativeProvider, "load_numbers", numbers_observed)
    monkeypatch.setattr(NativeProvider, "load_campaigns", campaigns_observed)
    representations: list[dict[str, Any]] = [
        {"__typename": "WhatsAppNumber", "id": encode_id("WhatsAppNumber", "native", n)}
        for n in numbers
    ]
    representations += [
        {"__typename": "SmsCampaign", "id": encode_id("SmsCampaign", "native", row[0])}
        for row in rows
    ]
    representations.append({"__typename": "Organization", "id": "acme"})
    answer = await gateway.query(world.keys["acme_tenant"], ENTITIES, {"r": representations})
    assert "errors" not in answer.body, answer.body
    found = answer.data["_entities"]
    assert [e["__typename"] for e in found] == [r["__typename"] for r in representations]
    assert found[0]["phoneNumber"] == "+5511900000200"
    assert found[0]["dashboard"]["totals"]["total"] == 0
    assert {e["name"] for e in found[20:23]} == {"C0", "C1", "C2"}
    assert len(found[-1]["numbers"]) == 22
    # 20 numbers in one call, 3 campaigns in one call: not one call per entity.
    assert number_calls == [20] and campaign_calls == [3]


async def test_bad_representations_are_bad_user_input_in_their_place(
    gateway: Gateway, world: World
) -> None:
    representations = [
        {"__typename": "Organization", "id": "acme"},
        {"__typename": "Nope", "id": "1"},
        {"__typename": "WhatsAppNumber"},
        "text",
    ]
    answer = await gateway.query(
        world.keys["acme_tenant"],
        "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        {"r": representations},
    )
    assert answer.data == {"_entities": [{"__typename": "Organization"}, None, None, None]}
    assert answer.codes == ["BAD_USER_INPUT"] * 3


async def test_the_subgraph_sdl_needs_no_key(gateway: Gateway) -> None:
    answer = await gateway.query(None, "{ _service { sdl } }")
    sdl = answer.data["_service"]["sdl"]
    assert answer.status == 200 and 'type WhatsAppNumber implements Node @key(fields: "id")' in sdl
    assert (await gateway.query(None, "{ organization { id } }")).status == 401


FEDERATION = Path(__file__).parent.parent / "examples" / "federation"


async def run(*command: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=FEDERATION, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The example's pinned packages, installed from the npm registry once per run."""
    return installed(FEDERATION, "Apollo's packages")


async def test_the_sdl_composes_with_another_subgraph(
    gateway: Gateway, node_modules: Path, tmp_path: Path
) -> None:
    ours = (await gateway.query(None, "{ _service { sdl } }")).data["_service"]["sdl"]
    code, crm, _ = await run(sys.executable, str(FEDERATION / "crm_subgraph.py"), "--print-sdl")
    assert code == 0
    subgraphs = [
        {"name": "analytics", "url": "http://analytics/graphql", "sdl": ours},
        {"name": "crm", "url": "http://crm/graphql", "sdl": crm},
    ]
    (tmp_path / "subgraphs.json").write_text(json.dumps(subgraphs))
    code, supergraph, errors = await run(
        "node", str(FEDERATION / "compose.mjs"), str(tmp_path / "subgraphs.json")
    )
    assert code == 0, errors
    assert "join__type(graph: ANALYTICS" in supergraph and "join__type(graph: CRM" in supergraph


async def _line(process: asyncio.subprocess.Process, wanted: str) -> str:
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        if not line:
            raise AssertionError(f"exited before printing {wanted!r}")
        if wanted in line:
            return line


async def test_apollo_gateway_queries_across_both_subgraphs(
    node_modules: Path, tmp_path: Path
) -> None:
    analytics = start_gateway(tmp_path / "data")
    crm_port, supergraph_port = free_port(), free_port()
    crm = await asyncio.create_subprocess_exec(
        sys.executable,
        str(FEDERATION / "crm_subgraph.py"),
        *("--port", str(crm_port)),
        stdout=subprocess.PIPE,
    )
    supergraph = None
    try:
        await _line(crm, "crm subgraph on")
        supergraph = await asyncio.create_subprocess_exec(
            "node",
            str(FEDERATION / "gateway.mjs"),
            *("--port", str(supergraph_port), "--analytics", analytics.url),
            *("--crm", f"http://127.0.0.1:{crm_port}/graphql"),
            cwd=FEDERATION,
            stdout=subprocess.PIPE,
        )
        await _line(supergraph, "supergraph ready")
        query = """{ organization { id accountManager { name } numbers {
            phoneNumber owner { name } dashboard(period: DAYS_7) { totals { total } } } } }"""
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{supergraph_port}/",
                json={"query": query},
                headers={"x-api-key": analytics.keys["tenant"]},
            ) as response,
        ):
            body = await response.json()
        assert "errors" not in body, body
        organization = body["data"]["organization"]
        assert organization["id"] == "demo" and organization["accountManager"]["name"]
        numbers = organization["numbers"]
        assert len(numbers) == 4
        assert all(n["owner"]["name"] and n["dashboard"]["totals"]["total"] > 0 for n in numbers)
    finally:
        for process in (supergraph, crm):
            if process is not None and process.returncode is None:
                process.terminate()
                await process.wait()
        analytics.stop()
