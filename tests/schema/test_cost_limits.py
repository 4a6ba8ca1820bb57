"""The cost estimate at its edges: window clamps and defaults, pages at the largest, fragments
beside fields, and the limit over HTTP at its value, past it, and for the operation named."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import parse

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.schema import Limits, build_schema
from gateway.schema.bounds import Bounds
from gateway.schema.cost import MAX_PAGE, TooManyRepresentations, operation_cost
from tests.support.gateway import Gateway, World, fixed_clock, serve

SCHEMA = build_schema()._schema


def cost(document: str, variables: dict[str, Any] | None = None) -> int:
    return operation_cost(SCHEMA, parse(document), None, variables)


def test_fields_before_and_after_a_fragment_all_count() -> None:
    assert cost("{ viewer { tenantId ... on Viewer { keyKind } } }") == 1 + 2
    assert cost("{ viewer { tenantId keyKind ...V } } fragment V on Viewer { scopes }") == 1 + 3
    assert cost("{ viewer { ... on Viewer { keyKind } tenantId } }") == 1 + 2


def test_what_validation_refuses_costs_nothing_and_no_operation_costs_zero() -> None:
    # Validation refuses these before anything runs; the estimate neither fails nor counts them.
    assert cost("{ viewer { ...Missing tenantId } }") == 1 + 1
    assert cost("{ viewer { nope tenantId } }") == 1 + 1
    two = "query A { __typename } query B { __typename }"
    assert operation_cost(SCHEMA, parse(two), None) == 0  # which one is ambiguous
    assert operation_cost(SCHEMA, parse(two), "Missing") == 0
    # A required pastDays left out of the variables counts as the most it may be.
    missing = "query($p: Int!) { email { histogram(pastDays: $p) { date } } }"
    assert cost(missing, {}) == 1 + (1 + 90 + 90)


@pytest.mark.parametrize(("levels", "expected"), [(1, 3), (2, 4), (3, 5), (4, 5), (6, 5)])
def test_of_type_costs_only_as_deep_as_the_schema_wraps_a_type(levels: int, expected: int) -> None:
    # No type of this schema is wrapped more than three times (as [X!]! is):
    # an ofType deeper is null, and what it selects costs nothing.
    chain = "ofType { " * levels + "name" + " }" * levels
    assert cost(f'{{ __type(name: "Query") {{ {chain} }} }}') == expected


def test_the_largest_page_is_one_hundred_whatever_is_asked() -> None:
    # Written out: the constant is the contract the fields' own page checks share.
    assert MAX_PAGE == 100
    page = "query($n: Int) { campaigns(first: $n) { edges { node { id } } } }"
    # Per item: edges, node, id.
    assert cost(page, {"n": 99}) == 1 + 99 * 3
    assert cost(page, {"n": 100}) == 1 + 100 * 3
    assert cost(page, {"n": 101}) == 1 + 100 * 3
    assert cost(page, {"n": 0}) == 1


def test_too_many_representations_say_how_many_and_the_bound() -> None:
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    three = {"r": [{"__typename": "Organization", "id": "acme"}] * 3}
    bounds = Bounds(max_representations=2)
    with pytest.raises(TooManyRepresentations) as refused:
        operation_cost(SCHEMA, parse(entities), None, three, bounds)
    assert refused.value.message == (
        "_entities was sent 3 representations in one operation, over the limit of 2; send them"
        " in operations of 2 at most"
    )


ENGAGEMENT = """query($id: ID!) { campaign(id: $id) { ... on EmailCampaign {
    engagement%s { opens } } } }"""


@pytest.mark.parametrize(
    ("argument", "points"),
    [("", 24), ("(period: HOURS_24)", 24), ("(period: WEEK)", 7), ("(period: MONTH)", 30)],
)
def test_engagement_costs_its_points_and_holds_that_many(argument: str, points: int) -> None:
    # campaign, engagement folding its points, and a list of that many points of one field.
    assert cost(ENGAGEMENT % argument, {"id": "x"}) == 1 + (1 + points + points * 1)


@pytest.mark.parametrize(
    ("past_days", "days"), [(-5, 1), (0, 1), (1, 1), (2, 2), (89, 89), (90, 90), (91, 90)]
)
def test_past_days_count_between_one_and_ninety(past_days: int, days: int) -> None:
    # A pastDays the field refuses counts as the nearest it accepts: the field says what is wrong.
    histogram = f"{{ email {{ histogram(pastDays: {past_days}) {{ date }} }} }}"
    assert cost(histogram) == 1 + (1 + days + days * 1)
    # The dashboard folds the window before too.
    dashboard = f"{{ email {{ dashboard(pastDays: {past_days}) {{ emailsSent {{ value }} }} }} }}"
    assert cost(dashboard) == 1 + (1 + 2 * days + (1 + 1))


BEST = "{ sms { bestSendTimes%s { byHour { slot } } } }"
TRENDS = "{ sms { trends%s { date } } }"


@pytest.mark.parametrize(
    ("arguments", "days"),
    [
        ("", None),
        ('(startDate: "2026-01-01")', None),  # one side given: the default span from it
        ('(endDate: "2026-01-01")', None),
        ('(startDate: "2026-01-01", endDate: "2026-01-11")', 10),
        ('(startDate: "2026-01-01", endDate: "2026-01-11T05:00")', 11),  # a partial last day
        ('(startDate: "2026-01-01T05:00", endDate: "2026-01-11")', 11),
        ('(startDate: "2026-01-01", endDate: "2026-01-01")', 1),  # refused, counted at least 1
        ('(startDate: "2025-01-01", endDate: "2026-01-03")', 366),  # refused, counted at most
    ],
)
def test_ranges_count_their_days_and_best_send_times_default_to_ninety(
    arguments: str, days: int | None
) -> None:
    # bestSendTimes folds its window into 24 hours (and 7 days); trends holds a point per day.
    best, trends = (90, 30) if days is None else (days, days)
    assert cost(BEST % arguments) == 1 + (1 + best + (1 + 24 * 1))
    assert cost(TRENDS % arguments) == 1 + (1 + trends + trends * 1)


# The limit as the schema applies it, in process (the HTTP tests below show the same answers).
LIMITED = build_schema(limits=Limits(max_cost=30))


async def limited(
    document: str,
    variables: dict[str, Any] | None = None,
    name: str | None = None,
    cost_left: int | None = None,
) -> tuple[Any, SimpleNamespace]:
    context = SimpleNamespace(caller=None, parsed={}, cost_left=cost_left, request_id=None)
    result = await LIMITED.execute(
        document, variable_values=variables, context_value=context, operation_name=name
    )
    return result, context


def refused_cost(result: Any) -> int | None:
    """The estimate a maxCost refusal names, or None when the operation was let run."""
    for error in result.errors or ():
        extensions = error.extensions or {}
        if extensions.get("limit") == "maxCost":
            assert result.data is None
            return int(extensions["cost"])
    return None


async def test_the_schema_runs_an_operation_at_the_limit_and_refuses_one_past_it() -> None:
    query = "query($n: Int) { numbersConnection(first: $n) { edges { cursor } } __typename }"
    at_limit, _ = await limited(query, {"n": 14})  # 1 + 28 + 1 = 30
    assert refused_cost(at_limit) is None
    past, _ = await limited(query, {"n": 15})
    assert refused_cost(past) == 32
    assert past.errors[0].message == (
        "the operation's estimated cost is 32, over the limit of 30; ask for smaller pages or"
        " fewer fields"
    )


async def test_the_schema_estimates_the_operation_named_with_its_variables() -> None:
    query = (
        "query Cheap { __typename } "
        "query Page($n: Int) { numbersConnection(first: $n) { edges { cursor } } }"
    )
    assert refused_cost((await limited(query, {"n": 14}, "Page"))[0]) is None  # 29
    assert refused_cost((await limited(query, {"n": 15}, "Page"))[0]) == 31  # not 41
    cheap, _ = await limited(query, {"n": 15}, "Cheap")
    assert cheap.errors is None and cheap.data == {"__typename": "Query"}


async def test_the_schema_spends_a_request_s_budget_and_says_when_it_is_spent() -> None:
    query = "query($n: Int) { numbersConnection(first: $n) { edges { cursor } } }"
    ran, context = await limited(query, {"n": 10}, cost_left=40)  # 21 of 40
    assert refused_cost(ran) is None and context.cost_left == 19
    spent, context = await limited(query, {"n": 10}, cost_left=19)
    assert refused_cost(spent) == 21 and context.cost_left == 19
    assert spent.errors[0].message == (
        "the operation's estimated cost is 21, over the 19 that the request's other operations"
        " left of the limit of 30; send fewer at once"
    )
    over, context = await limited(query, {"n": 20}, cost_left=100)  # 41: over the limit itself
    assert refused_cost(over) == 41 and context.cost_left == 100
    assert over.errors[0].message.endswith(
        "over the limit of 30; ask for smaller pages or fewer fields"
    )
    # At the limit itself but over what was left: the budget is what it is over.
    at_limit = "query($n: Int) { numbersConnection(first: $n) { edges { cursor } } __typename }"
    left, _ = await limited(at_limit, {"n": 14}, cost_left=20)  # 30
    assert left.errors[0].message == (
        "the operation's estimated cost is 30, over the 20 that the request's other operations"
        " left of the limit of 30; send fewer at once"
    )
    # Without a budget (not over HTTP), the limit alone.
    alone, context = await limited(query, {"n": 10})
    assert refused_cost(alone) is None and context.cost_left is None


async def test_the_schema_estimates_without_a_context_too() -> None:
    ran = await LIMITED.execute("{ __typename }")
    assert ran.errors is None and ran.data == {"__typename": "Query"}
    refused = await LIMITED.execute("{ numbersConnection(first: 15) { edges { cursor } } }")
    assert refused_cost(refused) == 31


async def test_the_schema_refuses_too_many_representations_before_running() -> None:
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    many = {"r": [{"__typename": "Organization", "id": "acme"}] * 101}
    result, _ = await limited(entities, many)
    assert result.data is None
    assert result.errors[0].message.startswith("_entities was sent 101 representations")
    assert result.errors[0].extensions["limit"] == "maxRepresentations"


@pytest.fixture
async def priced(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = Settings(
        store_url=world.store.url, demo=False, cache_ttl_seconds=0, rate_limit=0, max_cost=30
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def post(
    gateway: Gateway, world: World, query: str, variables: dict[str, Any], name: str | None
) -> tuple[int, dict[str, Any]]:
    body = {"query": query, "variables": variables, "operationName": name}
    headers = {"x-api-key": world.keys["acme_tenant"]}
    async with gateway.session.post(gateway.url, json=body, headers=headers) as response:
        return response.status, await response.json()


# A page of n numbers costs 1 + n x (edges, cursor); __typename at the root costs 1 more.
PAGE = "numbersConnection(first: $n) { edges { cursor } }"


async def test_an_operation_exactly_at_the_cost_limit_runs_and_one_more_is_refused(
    priced: Gateway, world: World
) -> None:
    query = f"query($n: Int) {{ {PAGE} __typename }}"
    status, body = await post(priced, world, query, {"n": 14}, None)  # 1 + 28 + 1 = 30
    assert status == 200 and "errors" not in body, body
    status, body = await post(priced, world, query, {"n": 15}, None)  # 32
    assert status == 400 and body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "limit": "maxCost",
        "cost": 32,
        "maxCost": 30,
    }
    assert body["errors"][0]["message"] == (
        "the operation's estimated cost is 32, over the limit of 30; ask for smaller pages or"
        " fewer fields"
    )


async def test_a_batch_s_operations_share_one_budget_and_the_refusal_says_which_was_spent(
    priced: Gateway, world: World
) -> None:
    headers = {"x-api-key": world.keys["acme_tenant"]}
    query = f"query($n: Int) {{ {PAGE} }}"

    async def batch(*pages: int) -> list[dict[str, Any]]:
        body = [{"query": query, "variables": {"n": n}} for n in pages]
        async with priced.session.post(priced.url, json=body, headers=headers) as response:
            answers: list[dict[str, Any]] = await response.json()
            return answers

    # 21 and 9: together under 30, each answered.
    assert all("errors" not in answer for answer in await batch(10, 4))
    # 21, then 21 over the 9 left: refused as the request's, not the operation's, excess.
    first, second = await batch(10, 10)
    assert "errors" not in first
    assert second["errors"][0]["extensions"]["cost"] == 21
    assert second["errors"][0]["message"] == (
        "the operation's estimated cost is 21, over the 9 that the request's other operations"
        " left of the limit of 30; send fewer at once"
    )
    # One over the limit on its own is told so, whatever the others left.
    _, alone = await batch(1, 20)
    assert alone["errors"][0]["message"].endswith(
        "estimated cost is 41, over the limit of 30; ask for smaller pages or fewer fields"
    )


async def test_the_limit_estimates_the_operation_named_with_the_request_s_variables(
    priced: Gateway, world: World
) -> None:
    # Two operations: the one named runs, and its page is the one the variables ask for.
    query = f"query Cheap {{ viewer {{ tenantId }} }} query Page($n: Int) {{ {PAGE} }}"
    status, body = await post(priced, world, query, {"n": 14}, "Page")  # 29
    assert status == 200 and len(body["data"]["numbersConnection"]["edges"]) == 2, body
    status, body = await post(priced, world, query, {"n": 15}, "Page")  # 31, not the default 20
    assert status == 400 and body["errors"][0]["extensions"]["cost"] == 31
    status, body = await post(priced, world, query, {"n": 15}, "Cheap")
    assert status == 200 and body["data"] == {"viewer": {"tenantId": "acme"}}
