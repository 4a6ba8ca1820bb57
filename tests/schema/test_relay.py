"""Relay's conventions: `node(id:)` over the global ids, a complete PageInfo, totalCount, and
pages going backward (last/before) as well as forward."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.schema.ids import encode_id
from tests.support.gateway import Gateway, World, ingest

PAGE = """query ($first: Int, $after: String, $last: Int, $before: String, $channel: Channel) {
  campaigns(first: $first, after: $after, last: $last, before: $before, channel: $channel) {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def seed(world: World, count: int = 5) -> None:
    """Campaigns c0 (oldest) .. c{count-1} (newest), one a day, SMS and email by turns."""
    await ingest(
        world.store,
        *(
            {
                "type": "campaign",
                "tenant": "acme",
                "channel": "sms" if n % 2 == 0 else "email",
                "campaignId": f"c{n}",
                "name": f"c{n}",
                "status": "completed",
                "createdAt": f"2026-11-{10 + n:02}T10:00:00Z",
            }
            for n in range(count)
        ),
    )


async def page(gateway: Gateway, world: World, **variables: Any) -> dict[str, Any]:
    answer = await gateway.query(world.keys["acme_tenant"], PAGE, variables)
    assert "errors" not in answer.body, answer.body
    connection: dict[str, Any] = answer.data["campaigns"]
    return connection


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def test_pages_go_forward_and_back_with_a_complete_page_info(
    gateway: Gateway, world: World
) -> None:
    await seed(world)
    first = await page(gateway, world, first=2)
    assert names(first) == ["c4", "c3"] and first["totalCount"] == 5
    info = first["pageInfo"]
    assert (info["hasNextPage"], info["hasPreviousPage"]) == (True, False)
    assert info["startCursor"] == first["edges"][0]["cursor"]
    assert info["endCursor"] == first["edges"][-1]["cursor"]
    second = await page(gateway, world, first=2, after=info["endCursor"])
    assert names(second) == ["c2", "c1"]
    assert (second["pageInfo"]["hasNextPage"], second["pageInfo"]["hasPreviousPage"]) == (
        True,
        True,
    )
    # Backward from the second page's start: the campaigns just before it, in list order.
    back = await page(gateway, world, last=2, before=second["pageInfo"]["startCursor"])
    assert names(back) == ["c4", "c3"]
    assert (back["pageInfo"]["hasNextPage"], back["pageInfo"]["hasPreviousPage"]) == (True, False)
    # The list's end, read backward without a cursor: the oldest, still newest first.
    tail = await page(gateway, world, last=2)
    assert names(tail) == ["c1", "c0"]
    assert (tail["pageInfo"]["hasNextPage"], tail["pageInfo"]["hasPreviousPage"]) == (False, True)
    # Between two cursors; totalCount counts the filtered list, cursors aside.
    between = await page(
        gateway,
        world,
        first=10,
        after=first["edges"][0]["cursor"],
        before=tail["edges"][-1]["cursor"],
    )
    assert names(between) == ["c3", "c2", "c1"]
    sms = await page(gateway, world, first=1, channel="SMS")
    assert names(sms) == ["c4"] and sms["totalCount"] == 3


async def test_an_empty_list_has_no_cursors(gateway: Gateway, world: World) -> None:
    empty = await page(gateway, world, last=5)
    assert empty == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


# The store's SQL runs on both backends above; what follows is the graph's own logic.
ON_SQLITE = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


@ON_SQLITE
@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"first": 2, "last": 2}, "last"),
        ({"last": 0}, "last"),
        ({"last": 101}, "last"),
        ({"first": 0}, "first"),
        ({"before": "not-a-cursor"}, "before"),
        ({"after": "bm90OmE="}, "after"),
    ],
)
async def test_bad_page_arguments_are_bad_user_input(
    gateway: Gateway, world: World, variables: dict[str, Any], argument: str
) -> None:
    answer = await gateway.query(world.keys["acme_tenant"], PAGE, variables)
    # campaigns is non-null: its error nulls the data, with the error's path.
    assert answer.data is None and answer.codes == ["BAD_USER_INPUT"]
    assert answer.body["errors"][0]["extensions"]["argument"] == argument


NODE = """query ($id: ID!) { node(id: $id) {
  __typename id
  ... on WhatsAppNumber { phoneNumber }
  ... on Campaign { name }
} }"""


@ON_SQLITE
async def test_node_fetches_each_kind_by_its_global_id(gateway: Gateway, world: World) -> None:
    await seed(world, 2)
    listed = await gateway.query(
        world.keys["acme_tenant"],
        "{ campaigns { edges { node { __typename id name } } } numbers { id phoneNumber } }",
    )
    expected = [
        *(edge["node"] for edge in listed.data["campaigns"]["edges"]),
        *({"__typename": "WhatsAppNumber", **n} for n in listed.data["numbers"]),
    ]
    assert {e["__typename"] for e in expected} == {"SmsCampaign", "EmailCampaign", "WhatsAppNumber"}
    for node in expected:
        answer = await gateway.query(world.keys["acme_tenant"], NODE, {"id": node["id"]})
        assert answer.data == {"node": node}, answer.body


@ON_SQLITE
@pytest.mark.parametrize(
    "bad", ["%%%", encode_id("Organization", "native", "acme"), encode_id("Nothing", "x", 1)]
)
async def test_node_refuses_what_is_not_a_node_id(gateway: Gateway, world: World, bad: str) -> None:
    answer = await gateway.query(world.keys["acme_tenant"], NODE, {"id": bad})
    assert answer.data == {"node": None} and answer.codes == ["BAD_USER_INPUT"]
