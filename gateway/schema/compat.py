"""Strawberry's graphql-core schema, which no Strawberry release offers through a public name.

The gateway's own validation, cost analysis, trusted-document checks, SDL file and lean
pipeline run graphql-core over the schema Strawberry built; Strawberry keeps it in
`Schema._schema` (its own printer reads it there too). This module is the one place that reads
it. At import it checks the Strawberry release against the range the gateway is tested with;
outside that range it still works while `_schema` holds a graphql-core schema, and says clearly
which releases are supported as soon as it does not.
"""

from __future__ import annotations

import warnings
from importlib.metadata import version

from graphql import GraphQLSchema
from strawberry.schema.base import BaseSchema

__all__ = ["SUPPORTED", "graphql_schema", "supported"]

# The releases .ci/frameworks runs the framework tests on: the oldest, and the newest below.
SUPPORTED = ((0, 330, 0), (0, 342, 0))  # from the first, up to the second excluded


def _release(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def supported(release: str) -> bool:
    """Whether the gateway is tested with Strawberry `release`."""
    low, high = SUPPORTED
    return low <= _release(release) < high


def _range() -> str:
    low, high = SUPPORTED
    return f">={'.'.join(map(str, low))},<{'.'.join(map(str, high))}"


INSTALLED = version("strawberry-graphql")
if not supported(INSTALLED):
    warnings.warn(
        f"strawberry-graphql {INSTALLED} is outside the releases the gateway is tested with"
        f" ({_range()})",
        RuntimeWarning,
        stacklevel=2,
    )


def graphql_schema(schema: BaseSchema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built for `schema`."""
    built = getattr(schema, "_schema", None)
    if not isinstance(built, GraphQLSchema):
        raise RuntimeError(
            f"strawberry-graphql {INSTALLED} no longer keeps its graphql-core schema where the"
            f" gateway reads it; install a release in {_range()}"
        )
    return built
