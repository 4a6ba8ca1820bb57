"""The domain's enums as the graph shows them, every value described as every field is.

The enums belong to the domain, which imports no Strawberry, so their values cannot carry
`strawberry.enum_value(description=...)`; the descriptions are given here, beside each enum's
own, and a value left without one stops the schema from building.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

import strawberry

__all__ = ["described_enum"]

E = TypeVar("E", bound=enum.Enum)


def described_enum(
    cls: type[E], *, name: str, description: str, values: Mapping[E, str]
) -> type[E]:
    """`cls` as the GraphQL enum `name`, with a description for each of its values."""
    missing = [member.name for member in cls if member not in values]
    if missing:
        raise ValueError(f"{name}: describe every value ({', '.join(missing)} has none)")
    graph_enum = strawberry.enum(cls, name=name, description=description)
    # Strawberry's definition of the enum, the public shape its own enum_value() fills in.
    definition = graph_enum.__strawberry_definition__  # type: ignore[attr-defined]
    by_value = {member.value: text for member, text in values.items()}
    for value in definition.values:
        value.description = by_value[value.value]
    return graph_enum
