"""Cache hints in the manner of Apollo's @cacheControl: a type or a field says how long an
answer holding it may be kept (`maxAge`, seconds), and an answer may be kept no longer than its
shortest hint. Hints only ever shorten what the gateway already allows (see
gateway.http.view: native answers are revalidated, upstream ones live out their source's TTL).
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import dataclass, field

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_object_type,
    parse,
)
from strawberry.schema_directive import Location

__all__ = ["CacheControl", "CacheControlScope", "CacheHints", "hints_of"]


@strawberry.enum(description="Who may keep an answer: anyone, or only the caller's own client.")
class CacheControlScope(enum.Enum):
    PUBLIC = strawberry.enum_value(
        "PUBLIC",
        description="Any cache may keep the answer (the gateway marks keyed answers private).",
    )
    PRIVATE = strawberry.enum_value(
        "PRIVATE", description="Only the caller's own client may keep the answer."
    )


@strawberry.schema_directive(
    name="cacheControl",
    locations=[Location.OBJECT, Location.FIELD_DEFINITION, Location.INTERFACE, Location.UNION],
    description="How long an answer holding this type or field may be kept (Apollo's"
    " @cacheControl): the answer's Cache-Control max-age is its shortest hint.",
)
class CacheControl:
    # Unset arguments are left out of the SDL, as Apollo prints them.
    max_age: int | None = strawberry.UNSET
    scope: CacheControlScope | None = strawberry.UNSET
    inherit_max_age: bool | None = strawberry.UNSET


@dataclass
class CacheHints:
    """The schema's hints by type and by (type, field), and the shortest hint of each
    operation, kept by its text (an operation's fields do not change with its variables; a
    field under @skip or @include counts whether or not it is left out)."""

    types: dict[str, int] = field(default_factory=dict)
    fields: dict[tuple[str, str], int] = field(default_factory=dict)
    schema: GraphQLSchema | None = None
    _kept: OrderedDict[tuple[str, str | None], int | None] = field(default_factory=OrderedDict)

    def max_age(self, text: str, operation_name: str | None) -> int | None:
        """The shortest hint of the fields the operation selects; None when none has one (or
        the schema has none). `text` is a document that has run, so within every limit."""
        if not (self.types or self.fields):
            return None
        key = (text, operation_name)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        try:
            found = self._shortest(parse(text, no_location=True), operation_name)
        except GraphQLError:
            found = None
        self._kept[key] = found
        if len(self._kept) > 512:
            self._kept.popitem(last=False)
        return found

    def _shortest(self, document: DocumentNode, operation_name: str | None) -> int | None:
        if self.schema is None or not (self.types or self.fields):
            return None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1:
            return None
        root = self.schema.get_root_type(operations[0].operation)
        if root is None:
            return None
        ages: list[int] = []
        self._walk(root, operations[0].selection_set, fragments, ages, set())
        return min(ages) if ages else None

    def _walk(
        self,
        parent: GraphQLNamedType,
        selections: SelectionSetNode,
        fragments: dict[str, FragmentDefinitionNode],
        ages: list[int],
        seen: set[str],
    ) -> None:
        for selection in selections.selections:
            if isinstance(selection, InlineFragmentNode):
                inner = parent
                if selection.type_condition is not None:
                    named = self.schema.get_type(selection.type_condition.name.value)  # type: ignore[union-attr]
                    inner = named if named is not None else parent
                self._walk(inner, selection.selection_set, fragments, ages, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in seen:
                    continue
                named = self.schema.get_type(fragment.type_condition.name.value)  # type: ignore[union-attr]
                self._walk(named or parent, fragment.selection_set, fragments, ages, seen | {name})
            elif isinstance(selection, FieldNode):
                self._field(parent, selection, fragments, ages, seen)

    def _field(
        self,
        parent: GraphQLNamedType,
        node: FieldNode,
        fragments: dict[str, FragmentDefinitionNode],
        ages: list[int],
        seen: set[str],
    ) -> None:
        name = node.name.value
        hinted = self.fields.get((parent.name, name))
        if hinted is not None:
            ages.append(hinted)
        if not is_object_type(parent) and not hasattr(parent, "fields"):
            return
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return
        returned = get_named_type(definition.type)
        typed = self.types.get(returned.name)
        if typed is not None:
            ages.append(typed)
        if node.selection_set is not None:
            self._walk(returned, node.selection_set, fragments, ages, seen)


def hints_of(schema: strawberry.Schema, built: GraphQLSchema) -> CacheHints:
    """The @cacheControl hints Strawberry's types and fields carry."""
    hints = CacheHints(schema=built)
    for name, converted in schema.schema_converter.type_map.items():
        definition = converted.definition
        for directive in getattr(definition, "directives", None) or ():
            if isinstance(directive, CacheControl) and isinstance(directive.max_age, int):
                hints.types[name] = directive.max_age
        for each in getattr(definition, "fields", None) or ():
            for directive in each.directives or ():
                if isinstance(directive, CacheControl) and isinstance(directive.max_age, int):
                    field_name = schema.config.name_converter.get_graphql_name(each)
                    hints.fields[name, field_name] = directive.max_age
    return hints
