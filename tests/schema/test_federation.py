"""The gateway as an Apollo Federation v2 subgraph: entities resolve through the loaders, and
its SDL composes with another subgraph's in Apollo's own composition library."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from graphql import ObjectTypeDefinitionNode, parse, print_ast

from gateway.domain.campaigns import Campaign, CampaignRef
from gateway.domain.numbers import NumberRef, WhatsAppNumber
from gateway.errors import GatewayError
from gateway.providers.native import NativeProvider
from gateway.providers.native.tenancy import Tenancy
from gateway.schema import build_schema
from gateway.schema.ids import encode_id
from tests.support.gateway import NOW, Gateway, World, ingest
from tests.support.live import free_port, start_gateway
from tests.support.node import processes

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


ON_SQLITE = pytest.mark.parametrize("store", ["sqlite"], indirect=True)
NUMBERS_ONLY = """query ($r: [_Any!]!) { _entities(representations: $r) {
  ... on WhatsAppNumber { phoneNumber dashboard(period: DAYS_7) { totals { total } } }
} }"""


@ON_SQLITE
async def test_a_call_of_the_most_representations_is_one_provider_call_and_one_more_is_refused(
    gateway: Gateway, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenancy = Tenancy(world.store)
    added = [(await tenancy.add_number("acme", f"+55119000030{i:02}")).id for i in range(98)]
    numbers = [world.numbers["sales"], world.numbers["support"], *added]
    calls: list[int] = []
    load_numbers = NativeProvider.load_numbers

    async def observed(
        self: NativeProvider, refs: Sequence[NumberRef]
    ) -> Sequence[WhatsAppNumber | GatewayError | None]:
        calls.append(len(refs))
        return await load_numbers(self, refs)

    monkeypatch.setattr(NativeProvider, "load_numbers", observed)
    representations = [
        {"__typename": "WhatsAppNumber", "id": encode_id("WhatsAppNumber", "native", n)}
        for n in numbers
    ]
    assert len(representations) == 100  # GATEWAY_MAX_REPRESENTATIONS' default
    answer = await gateway.query(world.keys["acme_tenant"], NUMBERS_ONLY, {"r": representations})
    assert "errors" not in answer.body, answer.body
    assert len(answer.data["_entities"]) == 100
    assert calls == [100]
    calls.clear()
    over = [*representations, representations[0]]
    answer = await gateway.query(world.keys["acme_tenant"], NUMBERS_ONLY, {"r": over})
    assert answer.data is None and answer.codes == ["BAD_USER_INPUT"]
    extensions = answer.body["errors"][0]["extensions"]
    assert (extensions["limit"], extensions["max"]) == ("maxRepresentations", 100)
    assert calls == []  # refused before anything resolved
    # Written into the document rather than sent in variables, the same.
    literal = ", ".join('{__typename: "Organization", id: "acme"}' for _ in range(101))
    document = f"{{ _entities(representations: [{literal}]) {{ __typename }} }}"
    answer = await gateway.query(world.keys["acme_tenant"], document)
    assert answer.codes == ["BAD_USER_INPUT"] and answer.data is None


@ON_SQLITE
async def test_thousands_of_representations_in_variables_are_refused_beside_a_call_within(
    gateway: Gateway, world: World
) -> None:
    key = world.keys["acme_tenant"]
    number = {
        "__typename": "WhatsAppNumber",
        "id": encode_id("WhatsAppNumber", "native", world.numbers["sales"]),
    }
    within = {"r": [number] * 100}
    over = {"r": [number] * 3333}  # about 250 KB of variables, within the body limit
    assert len(json.dumps(over)) < 256 * 1024
    # Two fields an entity: 3,333 of them are well within the cost limit.
    cheap = """query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on WhatsAppNumber { phoneNumber } } }"""
    await gateway.query(key, cheap, within)  # the document parsed and kept
    for _ in range(3):  # a refusal leaves the next call within the bound unharmed
        answer = await gateway.query(key, cheap, within)
        assert "errors" not in answer.body and len(answer.data["_entities"]) == 100
        answer = await gateway.query(key, cheap, over)
        assert answer.codes == ["BAD_USER_INPUT"] and answer.data is None
        # 3,333 representations are some 10,000 variable values: the variables' own bound
        # (GATEWAY_MAX_VARIABLE_VALUES, 4,000) meets them first; either refuses before execution
        # (that nothing resolves is observed on the provider in the test above). How long the
        # refusal holds the gateway is the adversarial suite's to judge, against its baseline.
        limit = answer.body["errors"][0]["extensions"]["limit"]
        assert limit in {"maxRepresentations", "maxVariableValues"}


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


FEDERATION = Path(__file__).parents[2] / "examples" / "federation"


async def run(*command: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=FEDERATION, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture(scope="module")
def sdls() -> dict[str, str]:
    """The subgraph SDLs: this gateway's, as `_service` answers it, and the CRM example's."""
    crm = subprocess.run(
        [sys.executable, str(FEDERATION / "crm_subgraph.py"), "--print-sdl"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {"analytics": build_schema().as_str(), "crm": crm.stdout}


def support_sdl(ours: str, channels: str) -> str:
    """A support subgraph with Relay's conventions and channels of its own: a `Node` interface,
    and a PageInfo with the fields ours has (Relay's), @shareable as federation asks of every
    subgraph defining it. (Not a `node(id:)` of its own: a graph has one, in one subgraph.)"""
    page_info = next(
        node
        for node in parse(ours).definitions
        if isinstance(node, ObjectTypeDefinitionNode) and node.name.value == "PageInfo"
    )
    fields = " ".join(f"{f.name.value}: {print_ast(f.type)}" for f in page_info.fields or ())
    return f"""
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@shareable"])
        type Query {{ tickets(after: String, channel: Channel): TicketConnection! }}
        interface Node {{ id: ID! }}
        type Ticket implements Node {{ id: ID! subject: String! channel: Channel! }}
        enum Channel {{ {channels} }}
        type TicketConnection {{ edges: [TicketEdge!]! pageInfo: PageInfo! }}
        type TicketEdge {{ cursor: String! node: Ticket! }}
        type PageInfo @shareable {{ {fields} }}
    """


def compose(
    composer: str, sdls: dict[str, str], listing: Path
) -> Coroutine[None, None, tuple[int, str, str]]:
    subgraphs = [{"name": n, "url": f"http://{n}/graphql", "sdl": sdl} for n, sdl in sdls.items()]
    listing.write_text(json.dumps(subgraphs))
    return run("node", "compose.mjs", "--composer", composer, str(listing))


@pytest.fixture(scope="module")
def schema_file() -> str:
    return (Path(__file__).parents[2] / "schema.graphql").read_text()


@pytest.mark.parametrize("composer", ["apollo", "guild"])
async def test_the_sdl_composes_beside_subgraphs_with_a_page_info_and_a_channel_of_their_own(
    composer: str, sdls: dict[str, str], schema_file: str, node_modules: Path, tmp_path: Path
) -> None:
    # The Guild's composition knows federation up to v2.9 and refuses any later @link.
    assert '@link(url: "https://specs.apollo.dev/federation/v2.0"' in sdls["analytics"]
    ours = sdls["analytics"]
    same = {**sdls, "support": support_sdl(ours, "EMAIL SMS WHATSAPP")}
    other = {"analytics": ours, "support": support_sdl(ours, "EMAIL PHONE CHAT")}
    # schema.graphql, as a registry is given it, with the definitions composers check.
    published = {"analytics": schema_file, "crm": sdls["crm"]}
    (code, supergraph, errors), (refused, _, why), (filed, _, file_errors) = await asyncio.gather(
        compose(composer, same, tmp_path / "same.json"),
        compose(composer, other, tmp_path / "other.json"),
        compose(composer, published, tmp_path / "published.json"),
    )
    assert code == 0, errors
    for graph in ("ANALYTICS", "CRM", "SUPPORT"):
        assert f"join__type(graph: {graph}" in supergraph
    # A Channel enum is both an argument and a field here and there, so federation wants the
    # same values in both subgraphs: one of other values must take another name.
    assert refused == 1 and "ENUM_VALUE_MISMATCH" in why and 'Enum type "Channel"' in why
    assert filed == 0, file_errors


@asynccontextmanager
async def supergraph(script: str, analytics: str, *options: str) -> AsyncIterator[str]:
    """The CRM example and `script` (a federating gateway over it and `analytics`) running;
    yields the federating gateway's URL."""
    crm_port = free_port()
    async with processes() as start:
        crm = (sys.executable, "crm_subgraph.py", "--port", str(crm_port))
        await start(*crm, ready="crm subgraph on", cwd=FEDERATION)
        line = await start(
            "node",
            script,
            *("--port", str(free_port()), "--analytics", analytics),
            *("--crm", f"http://127.0.0.1:{crm_port}/graphql"),
            *options,
            ready="supergraph ready at",
            cwd=FEDERATION,
        )
        yield line.split()[-1]


ACROSS = """{ organization { id accountManager { name } numbers {
    phoneNumber owner { name } dashboard(period: DAYS_7) { totals { total } } } } }"""


async def test_apollo_gateway_queries_across_both_subgraphs(
    node_modules: Path, tmp_path: Path
) -> None:
    analytics = start_gateway(tmp_path / "data")
    try:
        async with (
            supergraph("gateway.mjs", analytics.url) as url,
            aiohttp.ClientSession() as session,
            session.post(
                url, json={"query": ACROSS}, headers={"x-api-key": analytics.keys["tenant"]}
            ) as response,
        ):
            body = await response.json()
    finally:
        analytics.stop()
    assert "errors" not in body, body
    organization = body["data"]["organization"]
    assert organization["id"] == "demo" and organization["accountManager"]["name"]
    numbers = organization["numbers"]
    assert len(numbers) == 4
    assert all(n["owner"]["name"] and n["dashboard"]["totals"]["total"] > 0 for n in numbers)


async def events(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """The payloads of a server-sent event stream's `next` events."""
    kind = ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event:"):
            kind = line.partition(":")[2].strip()
        elif line.startswith("data:") and kind == "next":
            yield json.loads(line.partition(":")[2])


BOARD = "subscription { dashboard(period: DAYS_7) { totals { total } } }"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_hive_gateway_queries_subscribes_and_keeps_error_codes(
    gateway: Gateway, world: World, node_modules: Path
) -> None:
    async with supergraph("hive.mjs", gateway.url) as url:
        tenant = {"x-api-key": world.keys["acme_tenant"]}
        session = gateway.session
        async with session.post(url, json={"query": ACROSS}, headers=tenant) as response:
            body = await response.json()
        assert "errors" not in body, body
        organization = body["data"]["organization"]
        assert organization["id"] == "acme" and organization["accountManager"]["name"]
        assert [n["phoneNumber"] for n in organization["numbers"]] == [
            "+5511900000001",
            "+5511900000002",
        ]
        assert all(n["owner"]["name"] for n in organization["numbers"])
        # The subgraph's errors come through with their codes, beside the data that worked.
        bad = '{ organization { id numbers { dashboard(timezone: "Mars/Base") { period } } } }'
        async with session.post(url, json={"query": bad}, headers=tenant) as response:
            body = await response.json()
        assert body["data"]["organization"]["numbers"] == [{"dashboard": None}] * 2
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"] * 2
        async with session.post(url, json={"query": ACROSS}) as response:
            body = await response.json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        # A subscription: over server-sent events to Hive Gateway, over the websocket (the key
        # in connectionParams) from there to this gateway, pushed again when ingest moves it.
        stream = {"accept": "text/event-stream"}
        async with session.post(url, json={"query": BOARD}, headers=tenant | stream) as response:
            refused = await asyncio.wait_for(anext(events(response)), 10)
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["TENANT_SCOPE_NOT_ALLOWED"]
        # Another key, another socket: on the tenant key's, this would be refused as above.
        await a_live_dashboard_is_pushed(session, url, world)


async def a_live_dashboard_is_pushed(
    session: aiohttp.ClientSession, url: str, world: World
) -> None:
    """The sales number's dashboard, subscribed to through `url` over server-sent events: its
    figures, then again once a webhook moves them."""
    stream = {"x-api-key": world.keys["acme_sales"], "accept": "text/event-stream"}
    async with session.post(url, json={"query": BOARD}, headers=stream) as response:
        pushed = events(response)
        first = await asyncio.wait_for(anext(pushed), 10)
        assert first == {"data": {"dashboard": {"totals": {"total": 0}}}}
        await world.send("sales", "h1", NOW - timedelta(hours=1))
        second = await asyncio.wait_for(anext(pushed), 10)
        assert second == {"data": {"dashboard": {"totals": {"total": 1}}}}


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_hive_gateway_subscribes_over_http_by_default(
    gateway: Gateway, world: World, node_modules: Path
) -> None:
    # Hive Gateway's own transport for subscriptions: server-sent events to this gateway too,
    # read by GraphQL Tools' executor-http, with the key in the request's headers.
    async with supergraph("hive.mjs", gateway.url, "--subscriptions", "http") as url:
        await a_live_dashboard_is_pushed(gateway.session, url, world)
        unknown = {"x-api-key": "agk_unknown", "accept": "text/event-stream"}
        async with gateway.session.post(url, json={"query": BOARD}, headers=unknown) as response:
            refused = await asyncio.wait_for(anext(events(response)), 10)
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_hive_gateway_defers_a_part_of_a_query_to_this_subgraph(
    gateway: Gateway, world: World, node_modules: Path
) -> None:
    # Hive Gateway plans @defer itself (deferStream); what it asks this subgraph for is its
    # business, and the parts reach its client in the format it asked for.
    deferred = """{ organization { id ... @defer(label: "numbers") {
      numbers { phoneNumber owner { name } } } } }"""
    async with supergraph("hive.mjs", gateway.url, "--defer") as url:
        headers = {
            "x-api-key": world.keys["acme_tenant"],
            "accept": "multipart/mixed;deferSpec=20220824, application/json",
        }
        async with gateway.session.post(url, json={"query": deferred}, headers=headers) as r:
            kind = r.headers["content-type"]
            raw = (await r.read()).decode()
    assert kind.startswith("multipart/mixed"), (kind, raw)
    payloads = [
        json.loads(chunk.partition("\r\n\r\n")[2])
        for chunk in raw.split("\r\n---")
        if "\r\n\r\n" in chunk and chunk.partition("\r\n\r\n")[2].strip()
    ]
    first, *rest = payloads
    assert first["data"] == {"organization": {"id": "acme"}} and first["hasNext"] is True
    [entry] = [e for p in rest for e in p.get("incremental", [])]
    assert entry["path"] == ["organization"]
    numbers = entry["data"]["numbers"]
    assert [n["phoneNumber"] for n in numbers] == ["+5511900000001", "+5511900000002"]
    assert all(n["owner"]["name"] for n in numbers)
    assert rest[-1]["hasNext"] is False
