"""A document's size once its fragments are spread, measured reading each fragment once.

A fragment may spread another twice, which spreads another twice, and so on: a kilobyte of text
can stand for 2^18 fields. Anything that walks the spread-out document (depth and alias limits,
the merge-pairs count, the cost estimate, validation itself) would take that long, so the shape
is measured first, in time linear in the text: each fragment's figures are worked out once and
reused wherever it is spread. A document too large once spread is refused before anything walks
it, and what runs after walks at most `max_fields` fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from gateway.errors import BadUserInput

__all__ = ["Shape", "ShapeLimits", "check_shape", "document_shape"]


@dataclass(frozen=True)
class Shape:
    """What a document asks for with every fragment spread out."""

    fields: int  # field selections
    depth: int  # the most fields with selections above any leaf, as Strawberry counts depth
    aliases: int
    spreads: int  # fragment spreads as written in the text


_NONE = Shape(0, 0, 0, 0)


def document_shape(document: DocumentNode) -> Shape:
    """The largest figures of any operation in the document (every operation may be the one
    that runs), and the spreads written anywhere in it."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    known: dict[str, Shape] = {}
    visiting: set[str] = set()
    written = 0

    def measure(selection_set: SelectionSetNode) -> Shape:
        nonlocal written
        fields = depth = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                aliases += selection.alias is not None
                if selection.selection_set is not None:
                    inner = measure(selection.selection_set)
                    fields += inner.fields
                    aliases += inner.aliases
                    depth = max(depth, inner.depth + 1)
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = measure(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                written += 1
                inner = spread(selection.name.value)
            else:
                continue
            fields += inner.fields
            aliases += inner.aliases
            depth = max(depth, inner.depth)
        return Shape(fields, depth, aliases, 0)

    def spread(name: str) -> Shape:
        if name in known:
            return known[name]
        fragment = fragments.get(name)
        if fragment is None or name in visiting:
            return _NONE  # unknown or cyclic: validation reports it
        visiting.add(name)
        known[name] = measure(fragment.selection_set)
        visiting.discard(name)
        return known[name]

    largest = _NONE
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            shape = measure(definition.selection_set)
            largest = Shape(
                max(largest.fields, shape.fields),
                max(largest.depth, shape.depth),
                max(largest.aliases, shape.aliases),
                0,
            )
    for name in fragments:  # spreads inside fragments no operation uses count as written too
        if name not in known:
            spread(name)
    return Shape(largest.fields, largest.depth, largest.aliases, written)


@dataclass(frozen=True)
class ShapeLimits:
    max_fields: int
    max_depth: int
    max_aliases: int
    max_spreads: int


def check_shape(shape: Shape, limits: ShapeLimits) -> BadUserInput | None:
    """The first limit the shape is over, as the refusal to answer with; None when within."""
    if shape.spreads > limits.max_spreads:
        return BadUserInput(
            f"the document spreads fragments {shape.spreads} times, over the limit of"
            f" {limits.max_spreads}",
            limit="maxFragmentSpreads",
        )
    if shape.fields > limits.max_fields:
        return BadUserInput(
            f"the document asks for {shape.fields} fields once its fragments are spread, over"
            f" the limit of {limits.max_fields}",
            limit="maxFields",
        )
    if shape.depth > limits.max_depth:
        return BadUserInput(
            f"the operation is {shape.depth} levels deep, over the maximum operation depth of"
            f" {limits.max_depth}",
            limit="maxDepth",
        )
    if shape.aliases > limits.max_aliases:
        return BadUserInput(
            f"{shape.aliases} aliases found. Allowed: {limits.max_aliases}",
            limit="maxAliases",
        )
    return None
