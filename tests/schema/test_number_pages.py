"""A tenant's numbers a page at a time (`numbersConnection`), read as an indexed range on both
stores, and the deprecated unpaged `numbers` answered within its cap."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.domain.numbers import NumberPageRequest, WhatsAppNumber
from gateway.http.app import create_app
from gateway.providers.native import NativeProvider
from gateway.providers.native.numbers import numbers_page
from gateway.providers.native.tenancy import Tenancy
from gateway.schema.ids import decode_id
from gateway.testing.fakes import FakeState, pilotstatus_app
from tests.support.gateway import Gateway, World, fixed_clock, serve

PAGE = """query ($first: Int, $after: String, $last: Int, $before: String) {
  numbersConnection(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { phoneNumber } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

# The world's acme has +5511900000001 (sales) and +5511900000002 (support); these follow.
ADDED = [f"+55119000010{n:02}" for n in range(5)]
ACME = ["+5511900000001", "+5511900000002", *ADDED]


async def add_numbers(world: World, phones: Sequence[str], tenant: str = "acme") -> None:
    tenancy = Tenancy(world.store)
    for phone in phones:
        await tenancy.add_number(tenant, phone)


async def page(gateway: Gateway, world: World, key: str = "acme_tenant", **given: Any) -> Any:
    answer = await gateway.query(world.keys[key], PAGE, given)
    assert "errors" not in answer.body, answer.body
    return answer.data["numbersConnection"]


def phones(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["phoneNumber"] for edge in connection["edges"]]


def ends(connection: dict[str, Any]) -> tuple[bool, bool]:
    info = connection["pageInfo"]
    return info["hasNextPage"], info["hasPreviousPage"]


async def test_pages_go_forward_and_back_oldest_first(gateway: Gateway, world: World) -> None:
    await add_numbers(world, ADDED)
    await add_numbers(world, ["+4930900000099"], tenant="globex")  # between, in id order
    first = await page(gateway, world, first=3)
    assert phones(first) == ACME[:3] and first["totalCount"] == 7
    assert ends(first) == (True, False)
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    second = await page(gateway, world, first=3, after=first["pageInfo"]["endCursor"])
    assert phones(second) == ACME[3:6] and ends(second) == (True, True)
    last = await page(gateway, world, first=3, after=second["pageInfo"]["endCursor"])
    assert phones(last) == ACME[6:] and ends(last) == (False, True)
    back = await page(gateway, world, last=2, before=second["pageInfo"]["startCursor"])
    assert phones(back) == ACME[1:3] and ends(back) == (True, True)
    tail = await page(gateway, world, last=2)
    assert phones(tail) == ACME[5:] and ends(tail) == (False, True)
    between = await page(
        gateway,
        world,
        first=10,
        after=first["edges"][0]["cursor"],
        before=tail["edges"][0]["cursor"],
    )
    # Forward, as for campaigns: next is "more than `first` before the end", which is `before`.
    assert phones(between) == ACME[1:5] and ends(between) == (False, True)
    default = await page(gateway, world)
    assert phones(default) == ACME and ends(default) == (False, False)


async def test_a_number_scoped_key_pages_its_own_number_only(
    gateway: Gateway, world: World
) -> None:
    await add_numbers(world, ADDED)
    own = await page(gateway, world, "acme_sales", first=100)
    assert phones(own) == ["+5511900000001"] and own["totalCount"] == 1
    assert ends(own) == (False, False)
    unlinked = await page(gateway, world, "acme_unlinked")
    assert unlinked["edges"] == [] and unlinked["totalCount"] == 0
    query = "{ organization { numbersConnection { totalCount edges { node { phoneNumber } } } } }"
    answer = await gateway.query(world.keys["acme_sales"], query)
    connection = answer.data["organization"]["numbersConnection"]
    assert phones(connection) == ["+5511900000001"] and connection["totalCount"] == 1


async def test_the_organization_pages_its_numbers_as_the_root_field_does(
    gateway: Gateway, world: World
) -> None:
    await add_numbers(world, ADDED)
    query = """{ organization { numbersConnection(first: 2) {
      totalCount edges { node { phoneNumber dashboard { totals { total } } } }
      pageInfo { hasNextPage } } } }"""
    answer = await gateway.query(world.keys["acme_tenant"], query)
    connection = answer.data["organization"]["numbersConnection"]
    assert [e["node"]["phoneNumber"] for e in connection["edges"]] == ACME[:2]
    assert connection["totalCount"] == 7 and connection["pageInfo"]["hasNextPage"]


async def test_a_page_reads_an_indexed_range_of_the_tenant_s_numbers(world: World) -> None:
    await add_numbers(world, ADDED)
    sql = "SELECT * FROM numbers WHERE tenant_id = ? AND id > ? AND id < ? ORDER BY id ASC LIMIT ?"
    params = ["acme", 0, 10**9, 21]
    if world.store.url.startswith("postgresql"):
        async with world.store.write() as db:  # one connection: the setting holds for the plan
            await db.execute("SET LOCAL enable_seqscan = off")
            rows = await db.fetch_all("EXPLAIN " + sql, params)
        plan = " ".join(str(row[0]) for row in rows)
        assert "numbers_by_tenant" in plan and "Sort" not in plan, plan
    else:
        rows = await world.store.fetch_all("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row["detail"]) for row in rows)
        assert "USING INDEX numbers_by_tenant (tenant_id=? AND id>? AND id<?)" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort of what was read
    # And the page itself is what the plan reads: size + 1 rows at most.
    request = NumberPageRequest(tenant_id="acme", size=3)
    records, has_next, has_previous = await numbers_page(world.store, request)
    assert [r.phone_number for r in records] == ACME[:3] and has_next and not has_previous


# The store's SQL runs on both backends above; what follows is the graph's own logic.
ON_SQLITE = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


@ON_SQLITE
@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"first": 2, "last": 2}, "last"),
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"last": 101}, "last"),
        ({"after": "not-a-cursor"}, "after"),
        ({"before": "bnVtYmVyOng="}, "before"),  # "number:x"
        ({"after": "Y2FtcGFpZ246MQ=="}, "after"),  # another list's kind of cursor
    ],
)
async def test_bad_page_arguments_are_bad_user_input(
    gateway: Gateway, world: World, variables: dict[str, Any], argument: str
) -> None:
    answer = await gateway.query(world.keys["acme_tenant"], PAGE, variables)
    assert answer.data is None and answer.codes == ["BAD_USER_INPUT"]
    assert answer.body["errors"][0]["extensions"]["argument"] == argument


@ON_SQLITE
async def test_the_largest_page_is_a_hundred(gateway: Gateway, world: World) -> None:
    await add_numbers(world, [f"+55119000020{n:02}" for n in range(99)])
    full = await page(gateway, world, first=100)
    assert len(full["edges"]) == 100 and full["totalCount"] == 101
    assert ends(full) == (True, False)
    rest = await page(gateway, world, last=100)
    assert len(rest["edges"]) == 100 and ends(rest) == (False, True)


CAP = 5


@pytest.fixture
async def capped(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        cache_ttl_seconds=0,
        rate_limit=0,
        max_listed_numbers=CAP,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


@ON_SQLITE
async def test_deprecated_numbers_answer_up_to_the_cap_and_name_the_connection_past_it(
    capped: Gateway, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits: list[int | None] = []
    list_numbers = NativeProvider.list_numbers

    async def observed(
        self: NativeProvider, tenant_id: str, limit: int | None = None
    ) -> list[WhatsAppNumber]:
        limits.append(limit)
        return await list_numbers(self, tenant_id, limit)

    monkeypatch.setattr(NativeProvider, "list_numbers", observed)
    await add_numbers(world, ADDED[:3])  # 2 + 3: the cap exactly
    query = "{ numbers { phoneNumber } organization { numbers { phoneNumber } } }"
    answer = await capped.query(world.keys["acme_tenant"], query)
    assert "errors" not in answer.body, answer.body
    assert [n["phoneNumber"] for n in answer.data["numbers"]] == ACME[:CAP]
    assert len(answer.data["organization"]["numbers"]) == CAP
    # One past the cap is read, never the whole list.
    assert limits == [CAP + 1, CAP + 1]
    await add_numbers(world, ADDED[3:4])
    answer = await capped.query(world.keys["acme_tenant"], query)
    assert answer.data is None and answer.codes == ["TOO_MANY_RESULTS"]
    error = answer.body["errors"][0]
    assert "numbersConnection" in error["message"]
    assert error["extensions"]["limit"] == "maxListedNumbers"
    assert error["extensions"]["max"] == CAP
    # The organization's own list says the same.
    answer = await capped.query(world.keys["acme_tenant"], "{ organization { numbers { id } } }")
    assert answer.codes == ["TOO_MANY_RESULTS"]
    # The paged form answers the same tenant, and a number-scoped key is never over the cap.
    paged = await page(capped, world, first=CAP + 1)
    assert len(paged["edges"]) == CAP + 1
    own = await capped.query(world.keys["acme_sales"], "{ numbers { phoneNumber } }")
    assert own.data == {"numbers": [{"phoneNumber": "+5511900000001"}]}


@ON_SQLITE
async def test_numbers_is_deprecated_in_favour_of_the_connection(gateway: Gateway) -> None:
    query = """{ q: __type(name: "Query") { fields(includeDeprecated: true) {
      name isDeprecated deprecationReason } }
      o: __type(name: "Organization") { fields(includeDeprecated: true) {
      name isDeprecated deprecationReason } } }"""
    answer = await gateway.query(None, query)
    for type_ in ("q", "o"):
        fields = {f["name"]: f for f in answer.data[type_]["fields"]}
        assert fields["numbers"]["isDeprecated"]
        assert "numbersConnection" in fields["numbers"]["deprecationReason"]
        assert not fields["numbersConnection"]["isDeprecated"]


PS_PHONES = ["+5511955550201", "+5511955550202", "+5511955550203"]


@pytest.fixture
def listed_cap() -> int:
    return 100


@pytest.fixture
async def with_pilot_status(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed_cap: int
) -> AsyncIterator[tuple[Gateway, FakeState]]:
    """acme with three more numbers whose dashboards live at a fake Pilot Status."""
    state = FakeState(keys={f"ps_{n}": phone for n, phone in enumerate(PS_PHONES)})
    state.now = fixed_clock
    platform = TestServer(pilotstatus_app(state), host="127.0.0.1")
    await platform.start_server()
    sources = f'[sources.ps]\nplatform = "pilotstatus"\nbase_url = "{platform.make_url("")}"\n'
    for n, phone in enumerate(PS_PHONES):
        monkeypatch.setenv(f"PAGING_PS_KEY_{n}", f"ps_{n}")
        sources += f'\n[[tenants.acme.numbers]]\nsource = "ps"\nphone = "{phone}"\n'
        sources += f'key_env = "PAGING_PS_KEY_{n}"\n'
    (tmp_path / "sources.toml").write_text(sources)
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        cache_ttl_seconds=0,
        rate_limit=0,
        sources_file=tmp_path / "sources.toml",
        max_listed_numbers=listed_cap,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running, state
    await platform.close()


DASHBOARDS = """query ($after: String) { numbersConnection(first: 3, after: $after) {
  edges { node { id phoneNumber dashboard(period: DAYS_7) { totals { total } } } }
  pageInfo { hasNextPage endCursor } } }"""


@ON_SQLITE
async def test_numbers_at_pilot_status_page_with_the_others_one_upstream_call_a_dashboard(
    with_pilot_status: tuple[Gateway, FakeState], world: World
) -> None:
    gateway, platform = with_pilot_status
    key = world.keys["acme_tenant"]
    platform.calls.clear()
    first = (await gateway.query(key, DASHBOARDS)).data["numbersConnection"]
    assert phones(first) == [*ACME[:2], PS_PHONES[0]]
    sources = [decode_id(e["node"]["id"], "WhatsAppNumber")[0] for e in first["edges"]]
    assert sources == ["native", "native", "ps"]
    assert first["edges"][2]["node"]["dashboard"]["totals"]["total"] > 0
    # Only the page's own number at Pilot Status was asked for its dashboard.
    assert [path for path, _ in platform.calls] == ["/v1/analytics/dashboard"]
    platform.calls.clear()
    after = first["pageInfo"]["endCursor"]
    rest = (await gateway.query(key, DASHBOARDS, {"after": after})).data["numbersConnection"]
    assert phones(rest) == PS_PHONES[1:] and not rest["pageInfo"]["hasNextPage"]
    assert len(platform.calls) == 2


CHANNELS = """{ deliveryByChannel(period: DAYS_7) { channels { channel totals { total } } } }"""


@ON_SQLITE
@pytest.mark.parametrize("listed_cap", [len(PS_PHONES), len(PS_PHONES) - 1])
async def test_delivery_by_channel_asks_upstream_numbers_up_to_the_cap_reading_no_others(
    with_pilot_status: tuple[Gateway, FakeState],
    world: World,
    listed_cap: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway, platform = with_pilot_status
    await add_numbers(world, ADDED)  # native ones, more than the cap: they are not listed
    asked: list[tuple[int | None, bool]] = []
    list_numbers = NativeProvider.list_numbers

    async def observed(
        self: NativeProvider, tenant_id: str, limit: int | None = None, *, upstream_only: bool
    ) -> list[WhatsAppNumber]:
        asked.append((limit, upstream_only))
        return await list_numbers(self, tenant_id, limit, upstream_only=upstream_only)

    monkeypatch.setattr(NativeProvider, "list_numbers", observed)
    platform.calls.clear()
    answer = await gateway.query(world.keys["acme_tenant"], CHANNELS)
    channels = {c["channel"]: c["totals"] for c in answer.data["deliveryByChannel"]["channels"]}
    assert asked == [(listed_cap + 1, True)]
    if listed_cap == len(PS_PHONES):  # at the cap: every upstream number's dashboard, once
        assert "errors" not in answer.body, answer.body
        assert channels["WHATSAPP"]["total"] > 0 and len(platform.calls) == len(PS_PHONES)
        return
    # One past it: the WhatsApp channel says so, asking its platform nothing; the others stand.
    assert answer.codes == ["TOO_MANY_RESULTS"] and platform.calls == []
    assert "numbersConnection" in answer.body["errors"][0]["message"]
    assert channels["WHATSAPP"] is None and channels["SMS"] is not None
