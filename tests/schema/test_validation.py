"""Validation: repeated fields are refused before their merging gets costly; outcomes are kept."""

from __future__ import annotations

import asyncio
import statistics
import time
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import get_introspection_query, parse

from gateway.schema import Limits, build_schema
from gateway.schema.shape import Shape, ShapeLimits, document_shape
from gateway.schema.validation import merge_pairs, validate_within
from tests.adversarial.attacks import fragment_bomb
from tests.support.gateway import Gateway, World

SCHEMA = build_schema()._schema


def test_merge_pairs_count_fields_sharing_a_path_in_pairs() -> None:
    assert merge_pairs(parse("{ viewer { tenantId keyKind } numbers { id } }")) == 0
    # viewer three times: 3 pairs, and their tenantIds 3 more.
    assert (
        merge_pairs(parse("{ viewer { tenantId } viewer { tenantId } viewer { tenantId } }")) == 6
    )
    # An alias is its own response name; the same alias twice is one name.
    assert merge_pairs(parse("{ a: viewer { tenantId } b: viewer { tenantId } }")) == 0
    assert merge_pairs(parse("{ a: viewer { tenantId } a: viewer { keyKind } }")) == 1
    # Fragments count where they are spread, as often as they are spread, inline ones too.
    spread = """
        { viewer { ...V ...V ... on Viewer { tenantId } } }
        fragment V on Viewer { tenantId }
    """
    assert merge_pairs(parse(spread)) == 3
    # Nested fragments multiply without being expanded one by one, and a cycle ends.
    doubling = (
        "{ viewer { ...F0 } }"
        + "".join(f" fragment F{i} on Viewer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
        + " fragment F30 on Viewer { tenantId }"
    )
    started = time.perf_counter()
    # (The fragments are counted where they are defined too, hence at least.)
    assert merge_pairs(parse(doubling)) >= (2**30) * (2**30 - 1) // 2
    assert time.perf_counter() - started < 0.5
    assert merge_pairs(parse("{ viewer { ...A } } fragment A on Viewer { ...A tenantId }")) == 1


async def test_repeated_fields_over_the_limit_are_refused_fast(
    gateway: Gateway, world: World
) -> None:
    document = "{ " + "viewer { tenantId } " * 150 + "}"  # 600 tokens, 22,350 pairs
    few = "{ viewer { tenantId } viewer { tenantId keyKind } }"
    # The yardstick, measured beside it: a small valid document's round trip (median of five).
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        assert (await gateway.query(world.keys["acme_tenant"], few)).status == 200
        rounds.append(time.perf_counter() - started)
    baseline = statistics.median(rounds)
    started = time.perf_counter()
    answer = await gateway.query(world.keys["acme_tenant"], document)
    assert time.perf_counter() - started < 20 * baseline
    assert answer.status == 400 and answer.data is None
    extensions = answer.body["errors"][0]["extensions"]
    assert extensions == {
        "code": "BAD_USER_INPUT",
        "limit": "maxMergePairs",
        "mergePairs": 22_350,
        "maxMergePairs": Limits().max_merge_pairs,
    }
    # A few repeats, as fragments written apart make, are fine (the yardstick above).


def test_a_keyed_callers_document_is_validated_once_and_an_anonymous_one_is_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from strawberry.schema.schema import validate_document

    calls: list[object] = []

    def counted(*args: Any) -> Any:
        calls.append(args[1])
        return validate_document(*args)

    monkeypatch.setattr("gateway.schema.validation.validate_document", counted)
    schema = build_schema()
    keyed = SimpleNamespace(caller=object(), parsed={}, cost_left=None, request_id=None)
    for _ in range(3):
        asyncio.run(schema.execute("query Once { __typename }", context_value=keyed))
    assert len(calls) == 1
    anonymous = SimpleNamespace(caller=None, parsed={}, cost_left=None, request_id=None)
    for _ in range(3):
        asyncio.run(schema.execute("query Anonymous { __typename }", context_value=anonymous))
    assert len(calls) == 4


def test_doubling_fragments_under_aliases_are_refused_in_linear_time() -> None:
    """Each fragment spreads the one before under two aliases: 2^40 fields once spread."""
    document = fragment_bomb(40)
    started = time.perf_counter()
    shape = document_shape(parse(document))
    assert shape.fields > 2**40 and shape.spreads == 81 and shape.aliases > 2**40
    errors = validate_within(
        SCHEMA, parse(document), (), ShapeLimits(4000, 15, 50, 200), Limits().max_merge_pairs
    )
    assert time.perf_counter() - started < 0.2
    assert errors[0].original_error is not None
    assert "once its fragments are spread" in errors[0].message


def test_the_shape_counts_what_strawberrys_limiters_counted() -> None:
    assert document_shape(parse("{ numbers { id } }")) == Shape(2, 1, 0, 0)
    nested = "{ numbers { dashboard { series { date } } } }"
    assert document_shape(parse(nested)).depth == 3
    spread = "{ a: viewer { ...V } b: viewer { ...V } } fragment V on Viewer { t: tenantId }"
    assert document_shape(parse(spread)) == Shape(4, 1, 4, 2)
    # Introspection counts like any field: GraphiQL's schema query is 14 deep.
    assert document_shape(parse(get_introspection_query())).depth == 14
