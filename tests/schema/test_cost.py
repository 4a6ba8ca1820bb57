"""The estimated cost of an operation: fields count 1, lists multiply what they hold."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import get_introspection_query, parse

from gateway.schema import Limits, build_schema
from gateway.schema.bounds import Bounds
from gateway.schema.cost import (
    LIST_SIZES,
    MAX_PAGE,
    PAGE_ARGUMENTS,
    list_sizes,
    operation_cost,
)
from tests.adversarial.attacks import introspection_amplified
from tests.support.production import list_fields

SCHEMA = build_schema()._schema


def cost(document: str, variables: dict[str, Any] | None = None, name: str | None = None) -> int:
    return operation_cost(SCHEMA, parse(document), name, variables)


def test_each_field_counts_one_and_a_list_multiplies_what_it_holds() -> None:
    assert cost("{ viewer { tenantId keyKind } }") == 3
    # 1 for scopes itself, and no selection inside it to multiply.
    assert cost("{ viewer { scopes } }") == 2
    # The deprecated numbers (at its cap, 100 by default) x (id, and a dashboard that folds its
    # 30 days, the default period, into a series of 30 days x 2 fields).
    one_number = 1 + (1 + 30 + (1 + 30 * 2))
    assert cost("{ numbers { id dashboard { series { date total } } } }") == 1 + 100 * one_number


def test_a_window_costs_its_days_once_per_channel_and_sizes_its_daily_lists() -> None:
    week = "{ dashboard(period: DAYS_7) { series { date } } }"
    assert cost(week) == 1 + 7 + (1 + 7 * 1)
    year = """{ deliveryByChannel(startDate: "2025-11-01", endDate: "2026-11-01") {
        days channels { series { date } } } }"""
    # 365 days folded for each of three channels; each channel's series holds 365 (days, a
    # list of scalars, costs 1).
    assert cost(year) == 1 + 365 * 3 + 1 + (1 + 3 * (1 + 365 * 1))
    assert cost("{ email { dashboard(pastDays: 10) { emailsSent { value } } } }") == (
        1 + (1 + 2 * 10 + (1 + 1))
    )
    # A range the field will refuse counts as the longest it allows.
    assert cost('{ sms { trends(startDate: "2026-13-01") { date } } }') == 1 + (1 + 366 + 366)


def test_a_page_argument_sizes_the_list_literal_variable_or_default() -> None:
    page = "query($n: Int) { campaigns(first: $n) { edges { node { id name } } } }"
    assert cost("{ campaigns(first: 5) { edges { node { id name } } } }") == 1 + 5 * (1 + 3)
    assert cost(page, {"n": 7}) == 1 + 7 * (1 + 3)
    # A variable left out takes the argument's default, 20.
    assert cost("{ campaigns { edges { node { id } } } }") == 1 + 20 * (1 + 2)
    # A page over the largest any field allows counts as that page; the field says it is wrong.
    assert cost(page, {"n": 10**9}) == 1 + MAX_PAGE * (1 + 3)
    assert cost(page, {"n": -3}) == 1


def test_fragments_count_once_per_use_and_an_abstract_field_costs_its_dearest_type() -> None:
    spread = """
        query { campaigns(first: 2) { edges { node { ...Named } } } }
        fragment Named on Campaign { id name }
    """
    assert cost(spread) == 1 + 2 * (1 + 1 + 2)
    both = """{ campaigns(first: 1) { edges { node {
        ... on SmsCampaign { id }
        ... on EmailCampaign { id name sentAt }
    } } } }"""
    # A node is one or the other: the email side, with three fields, is the dearer.
    assert cost(both) == 1 + 1 * (1 + 1 + 3)


def test_the_operation_named_is_the_one_estimated() -> None:
    two = "query Small { viewer { tenantId } } query Big { numbers { id } }"
    assert cost(two, name="Small") == 2 and cost(two, name="Big") == 1 + 100


def test_introspection_counts_like_any_field_about_the_size_of_its_answer() -> None:
    assert cost("{ __typename viewer { __typename } }") == 3
    answer = asyncio.run(build_schema(limits=Limits(max_cost=10**9)).execute(
        get_introspection_query(descriptions=True),
        context_value=SimpleNamespace(caller=None, parsed={}, cost_left=None, request_id=None),
    ))  # fmt: skip
    assert answer.data is not None
    fields = _count_fields(answer.data)
    estimated = cost(get_introspection_query(descriptions=True))
    assert fields <= estimated <= 2 * fields < Limits().max_cost
    # Fifty of them at once are refused, as an anonymous client sends them.
    assert cost(introspection_amplified(50)) > 40 * fields


def _count_fields(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + _count_fields(inner) for inner in value.values())
    if isinstance(value, list):
        return sum(_count_fields(inner) for inner in value)
    return 0


def test_every_list_of_the_schema_has_a_size_and_no_size_names_a_missing_list() -> None:
    lists = dict(list_fields(SCHEMA))
    unsized = [
        name
        for name, field in lists.items()
        if name not in list_sizes(Bounds())
        and not set(PAGE_ARGUMENTS) & set(field.args)
        and name != "Query._entities"  # sized by its representations
    ]
    assert unsized == [], "give these lists a size in gateway/schema/cost.py"
    assert set(LIST_SIZES) <= set(lists)


@pytest.mark.parametrize("path", ["campaigns", "delivery_by_channel", "sms_analytics"])
def test_the_examples_stay_well_under_the_default_limit(path: str) -> None:
    from pathlib import Path

    document = (Path(__file__).parents[2] / "examples/queries" / f"{path}.graphql").read_text()
    assert cost(document, {"first": MAX_PAGE}) < Limits().max_cost


def test_entities_cost_one_selection_per_representation() -> None:
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    representations = [{"__typename": "WhatsAppNumber", "id": str(i)} for i in range(7)]
    assert cost(entities, {"r": representations}) == 1 + 7
    named = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { id } } }"
    assert cost(named, {"r": representations}) == 1 + 7 * 1


def test_the_numbers_connection_costs_its_page_and_the_deprecated_list_its_cap() -> None:
    node = "edges { cursor node { id dashboard(period: DAYS_7) { totals { total } } } }"
    # Per item: edges, cursor, node, id, and the dashboard folding 7 days { totals { total } }.
    one = 1 + 1 + 1 + 1 + (1 + 7 + (1 + 1))
    assert cost(f"{{ numbersConnection(first: 3) {{ {node} }} }}") == 1 + 3 * one
    paged = f"query($n: Int) {{ organization {{ numbersConnection(last: $n) {{ {node} }} }} }}"
    assert cost(paged, {"n": 100}) == 1 + 1 + 100 * one
    assert cost(paged, {"n": 101}) == 1 + 1 + 100 * one  # the field refuses 101 itself
    assert cost("{ numbersConnection { totalCount } }") == 1 + 20 * 1
    # The deprecated list at the cap the settings give it, wherever it appears.
    listed = "{ numbers { id } organization { numbers { id } } }"
    wide = Bounds(max_listed_numbers=250)
    assert operation_cost(SCHEMA, parse(listed), bounds=wide) == (1 + 250) + 1 + (1 + 250)
    assert cost(listed) == (1 + 100) + 1 + (1 + 100)


def test_lists_sized_by_their_bound_where_they_are_made() -> None:
    from gateway.domain.billing import CREDIT_PRODUCTS_TOP
    from gateway.domain.email import LINK_ACTIVITY_TOP
    from gateway.schema.sms import MAX_EXPORT_ROWS

    links = """query($id: ID!) { campaign(id: $id) { ... on EmailCampaign {
        report { linkActivity { url } } } } }"""
    assert cost(links, {"id": "x"}) == 1 + 1 + 1 + LINK_ACTIVITY_TOP * 1
    products = "{ billing { availableCreditProducts { id name } } }"
    assert cost(products) == 1 + 1 + CREDIT_PRODUCTS_TOP * 2
    export = "{ sms { campaignExport { campaignName } } }"
    assert cost(export) == 1 + 1 + 30 + MAX_EXPORT_ROWS * 1
    assert (LINK_ACTIVITY_TOP, CREDIT_PRODUCTS_TOP, MAX_EXPORT_ROWS) == (20, 10, 100)


ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on WhatsAppNumber { phoneNumber dashboard(period: DAYS_7) { totals { total } } }
  ... on Organization { id }
} }"""


def test_entities_in_variables_cost_each_representation_its_own_type_s_selection() -> None:
    number = {"__typename": "WhatsAppNumber", "id": "V2hhdHNBcHBOdW1iZXI6bmF0aXZlOjE="}
    organization = {"__typename": "Organization", "id": "acme"}
    per_number = 1 + (1 + 7 + (1 + 1))  # phoneNumber, dashboard over 7 days { totals { total } }
    assert cost(ENTITIES, {"r": [number] * 3 + [organization] * 2}) == 1 + 3 * per_number + 2
    # Each at least 1, even a type the selection says nothing of, or one that is no entity.
    assert cost(ENTITIES, {"r": [{"__typename": "SmsCampaign", "id": "x"}, "text"]}) == 1 + 2
    literal = """{ _entities(representations: [{__typename: "WhatsAppNumber", id: "x"}]) {
        ... on WhatsAppNumber { phoneNumber } } }"""
    assert cost(literal) == 1 + 1


def test_entities_past_their_bound_are_refused_before_anything_runs() -> None:
    from gateway.schema.cost import TooManyRepresentations

    number = {"__typename": "WhatsAppNumber", "id": "x"}
    assert cost(ENTITIES, {"r": [number] * 100}) > 0
    with pytest.raises(TooManyRepresentations) as refused:
        cost(ENTITIES, {"r": [number] * 101})
    assert refused.value.extensions == {
        "code": "BAD_USER_INPUT",
        "limit": "maxRepresentations",
        "max": 100,
    }
    literal = "{ _entities(representations: [%s]) { __typename } }"
    three = ", ".join(['{__typename: "Organization", id: "acme"}'] * 3)
    assert operation_cost(SCHEMA, parse(literal % three), bounds=Bounds(max_representations=3)) == 4
    with pytest.raises(TooManyRepresentations):
        operation_cost(SCHEMA, parse(literal % f"{three}, {three}"), bounds=Bounds(3, 3))
    # Aliases share the bound: 60 and 60 in one operation are 120.
    aliased = """query($a: [_Any!]!, $b: [_Any!]!) {
        a: _entities(representations: $a) { __typename }
        b: _entities(representations: $b) { __typename } }"""
    assert cost(aliased, {"a": [number] * 50, "b": [number] * 50}) == 2 * (1 + 50)
    with pytest.raises(TooManyRepresentations):
        cost(aliased, {"a": [number] * 60, "b": [number] * 60})
