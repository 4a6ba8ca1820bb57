"""Validation: repeated fields are refused before their merging gets costly; outcomes are kept."""

from __future__ import annotations

import asyncio
import time

from graphql import parse

from gateway.schema import Limits, build_schema
from gateway.schema.validation import _cached_validate, merge_pairs
from tests.conftest import Gateway, World


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
    started = time.perf_counter()
    answer = await gateway.query(world.keys["acme_tenant"], document)
    assert time.perf_counter() - started < 0.2
    assert answer.status == 400 and answer.data is None
    extensions = answer.body["errors"][0]["extensions"]
    assert extensions == {
        "code": "BAD_USER_INPUT",
        "limit": "maxMergePairs",
        "mergePairs": 22_350,
        "maxMergePairs": Limits().max_merge_pairs,
    }
    # A few repeats, as fragments written apart make, are fine.
    few = "{ viewer { tenantId } viewer { tenantId keyKind } }"
    assert (await gateway.query(world.keys["acme_tenant"], few)).status == 200


def test_a_document_is_validated_once_whatever_the_request() -> None:
    schema = build_schema()
    before = _cached_validate.cache_info()
    for _ in range(3):
        asyncio.run(schema.execute("query Once { __typename }"))
    after = _cached_validate.cache_info()
    assert after.misses - before.misses == 1 and after.hits - before.hits == 2
