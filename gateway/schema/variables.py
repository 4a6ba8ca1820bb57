"""An operation's variables measured before anything coerces them: how many values they hold
and how deep they nest, in time linear in them and without recursion.

The document is bounded by its tokens, but variables arrive beside it as JSON, within only the
body's size: 250 KB of them holds 3,333 `_entities` representations (10,000 values, each
representation resolved on its own) or 100,000 bare numbers, which nothing in the document
shows. Counted like tokens, each value
counts once: every scalar, list and object, wherever it sits (a list's items and an object's
fields are values too).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from gateway.errors import BadUserInput

__all__ = ["VariableLimits", "check_variables"]


@dataclass(frozen=True)
class VariableLimits:
    max_values: int
    max_depth: int


def check_variables(variables: Mapping[str, object], limits: VariableLimits) -> BadUserInput | None:
    """The refusal of variables over either limit, or None. Stops at the first value past a
    limit, so a flood costs no more than the limit itself to find."""
    values = 0
    # Iterators rather than copies: a list of a million items is walked, never copied.
    stack: list[tuple[Iterator[object], int]] = [(iter(variables.values()), 1)]
    while stack:
        items, depth = stack[-1]
        value = next(items, _END)
        if value is _END:
            stack.pop()
            continue
        values += 1
        if values > limits.max_values:
            return BadUserInput(
                f"the variables hold more values than the limit of {limits.max_values}",
                limit="maxVariableValues",
            )
        if depth > limits.max_depth:
            return BadUserInput(
                f"the variables nest {depth} levels deep, over the limit of {limits.max_depth}",
                limit="maxVariableDepth",
            )
        if isinstance(value, Mapping):
            stack.append((iter(value.values()), depth + 1))
        elif isinstance(value, list):
            stack.append((iter(value), depth + 1))
    return None


_END = object()
