"""A document's shape once its fragments are spread; each shape limit at its value and past it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from graphql import parse

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.schema.shape import Shape, ShapeLimits, check_shape, document_shape
from tests.support.gateway import Gateway, World, fixed_clock, serve


def shape(document: str) -> Shape:
    return document_shape(parse(document))


def test_fields_beside_a_fragment_add_to_what_the_fragment_holds() -> None:
    # A fragment measured alone would let fields written beside it pass any limit.
    inline = "{ v: viewer { t: tenantId ... on Viewer { k: keyKind s: scopes } } }"
    assert shape(inline) == Shape(fields=4, depth=1, aliases=4, spreads=0)
    spread = "{ v: viewer { t: tenantId ...V } } fragment V on Viewer { k: keyKind s: scopes }"
    assert shape(spread) == Shape(fields=4, depth=1, aliases=4, spreads=1)
    # And the fields after a fragment add to it as well.
    after = "{ viewer { ... on Viewer { keyKind } tenantId scopes } }"
    assert shape(after) == Shape(fields=4, depth=1, aliases=0, spreads=0)


def test_a_fragment_adds_no_level_of_depth() -> None:
    assert shape("{ viewer { ... on Viewer { tenantId } } }").depth == 1
    assert shape("{ viewer { ...V } } fragment V on Viewer { tenantId }").depth == 1
    assert shape("{ numbers { dashboard { ... on NumberDashboard { series { date } } } } }") == (
        Shape(fields=4, depth=3, aliases=0, spreads=0)
    )


def test_a_cycle_of_fragments_or_an_unknown_one_is_measured_and_left_to_validation() -> None:
    # Validation refuses both; measuring must end, and not fail, before it does.
    cycle = """{ viewer { ...A } }
        fragment A on Viewer { tenantId ...B }
        fragment B on Viewer { keyKind ...A }"""
    assert shape(cycle) == Shape(fields=3, depth=1, aliases=0, spreads=3)
    assert shape("{ viewer { tenantId ...Missing } }") == Shape(2, 1, 0, 1)
    unused_cycle = "{ viewer { tenantId } } fragment A on Viewer { ...A }"
    assert shape(unused_cycle) == Shape(2, 1, 0, 1)


def test_the_largest_operation_counts_and_spreads_in_unused_fragments_are_written_spreads() -> None:
    two = "query A { viewer { tenantId } } query B { a: numbers { id } b: viewer { keyKind } }"
    assert shape(two) == Shape(fields=4, depth=1, aliases=2, spreads=0)
    unused = """{ viewer { tenantId } }
        fragment U on Viewer { ...W ...W }
        fragment W on Viewer { keyKind }"""
    assert shape(unused).spreads == 2


LIMITS = ShapeLimits(max_fields=10, max_depth=3, max_aliases=4, max_spreads=5)


@pytest.mark.parametrize(
    ("at_limit", "past_it", "limit"),
    [
        (Shape(10, 3, 4, 5), Shape(10, 3, 4, 6), "maxFragmentSpreads"),
        (Shape(10, 3, 4, 5), Shape(11, 3, 4, 5), "maxFields"),
        (Shape(10, 3, 4, 5), Shape(10, 4, 4, 5), "maxDepth"),
        (Shape(10, 3, 4, 5), Shape(10, 3, 5, 5), "maxAliases"),
    ],
)
def test_each_limit_admits_its_value_and_refuses_one_more(
    at_limit: Shape, past_it: Shape, limit: str
) -> None:
    assert check_shape(at_limit, LIMITS) is None
    refusal = check_shape(past_it, LIMITS)
    assert refusal is not None
    assert refusal.extensions == {"code": "BAD_USER_INPUT", "limit": limit}


def test_the_first_limit_passed_is_the_one_named() -> None:
    # Spreads are counted from the text, so they are named before what spreading them makes.
    everything = check_shape(Shape(11, 4, 5, 6), LIMITS)
    assert everything is not None and everything.extensions["limit"] == "maxFragmentSpreads"
    assert "spreads fragments 6 times, over the limit of 5" in everything.message
    rest = check_shape(Shape(11, 4, 5, 5), LIMITS)
    assert rest is not None and rest.extensions["limit"] == "maxFields"
    assert "asks for 11 fields once its fragments are spread, over the limit of 10" in rest.message
    deep = check_shape(Shape(10, 4, 5, 5), LIMITS)
    assert deep is not None and deep.extensions["limit"] == "maxDepth"
    assert "4 levels deep, over the maximum operation depth of 3" in deep.message
    aliased = check_shape(Shape(10, 3, 5, 5), LIMITS)
    assert aliased is not None and "5 aliases found. Allowed: 4" in aliased.message


@pytest.fixture
async def small(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        cache_ttl_seconds=0,
        rate_limit=0,
        max_fields=6,
        max_aliases=3,
        max_fragment_spreads=2,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def refused_by(gateway: Gateway, world: World, document: str) -> str | None:
    """The limit that refused the document over HTTP, or None when it was answered."""
    answer = await gateway.query(world.keys["acme_tenant"], document)
    if answer.status == 200:
        assert "errors" not in answer.body, answer.body
        return None
    assert answer.status == 400 and answer.data is None
    assert answer.codes == ["BAD_USER_INPUT"]
    limit: str = answer.body["errors"][0]["extensions"]["limit"]
    return limit


async def test_a_selection_mixing_fields_and_fragments_is_limited_as_a_whole(
    small: Gateway, world: World
) -> None:
    fragment = " fragment V on Viewer { keyKind scopes }"
    # 1 + 3 beside the fragments + 2 in it: six fields, at the limit of six.
    at_limit = "{ viewer { tenantId keyKind scopes ...V } }" + fragment
    assert await refused_by(small, world, at_limit) is None
    past = "{ viewer { tenantId keyKind scopes __typename ...V } }" + fragment
    assert await refused_by(small, world, past) == "maxFields"
    inline = "{ viewer { tenantId keyKind scopes __typename ... on Viewer { keyKind scopes } } }"
    assert await refused_by(small, world, inline) == "maxFields"


async def test_aliases_beside_a_fragment_are_limited_as_a_whole(
    small: Gateway, world: World
) -> None:
    fragment = " fragment V on Viewer { b: keyKind }"
    assert await refused_by(small, world, "{ viewer { a: tenantId ...V } }" + fragment) is None
    three = "{ viewer { a: tenantId c: scopes ... on Viewer { b: keyKind } } }"
    assert await refused_by(small, world, three) is None
    four = "{ viewer { a: tenantId c: scopes d: __typename ...V } }" + fragment
    assert await refused_by(small, world, four) == "maxAliases"


async def test_fragment_spreads_at_their_limit_and_past_it(small: Gateway, world: World) -> None:
    fragment = " fragment V on Viewer { tenantId }"
    assert await refused_by(small, world, "{ viewer { ...V ...V } }" + fragment) is None
    assert await refused_by(small, world, "{ viewer { ...V ...V ...V } }" + fragment) == (
        "maxFragmentSpreads"
    )
