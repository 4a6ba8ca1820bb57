"""Compiled completion of trivial subtrees: one generated function per selection set."""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from math import isfinite
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetails
from strawberry.schema.schema_converter import GraphQLCoreConverter

__all__ = ["Bail", "Compiler", "Completer"]

# (value, info) -> the completed value; raises whenever the stock executor would do anything
# but read attributes and coerce leaves, so that the caller hands the value back to it.
Completer = Callable[[Any, Any], Any]
FieldDetailsList = list[FieldDetails]
# Where Strawberry keeps, in each graphql-core type and field it builds, its own definition.
DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


class Bail(Exception):
    """The compiled path met a value that only the stock executor answers exactly."""


# Leaves whose common Python type is returned as it is by graphql-core's own coercion; the test
# is written inline, so that an int costs no call. Anything else goes through coerce_output_value.
_INLINE: dict[int, str] = {
    id(GraphQLInt): "v.__class__ is int and -2147483648 <= v <= 2147483647",
    id(GraphQLString): "v.__class__ is str",
    id(GraphQLBoolean): "v.__class__ is bool",
    id(GraphQLFloat): "v.__class__ is float and _isfinite(v)",
}


def _leaf(coerce: Callable[[Any], Any], is_awaitable: Callable[[Any], bool]) -> Callable[..., Any]:
    """A non-null leaf, as complete_value and complete_leaf_value would give it."""

    def complete(value: Any) -> Any:
        if value is None or value is Undefined or isinstance(value, Exception):
            raise Bail
        if is_awaitable(value):
            raise Bail
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Bail
        return coerced

    return complete


def _is_strawberry_type_check(object_type: GraphQLObjectType) -> bool:
    # Strawberry's own is_type_of (made for a type that declares none) ignores its info
    # argument, so a nested object may be checked without building one. The type's definition
    # says whether it declared its own (which might read info).
    definition = (object_type.extensions or {}).get(DEFINITION)
    return definition is not None and getattr(definition, "is_type_of", None) is None


@dataclass
class Compiler:
    """Compiles completions for one executor's document; the functions outlive it."""

    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    collect: Callable[[GraphQLObjectType, FieldDetailsList], CollectedFields]
    is_awaitable: Callable[[Any], bool]

    def list_of(self, list_type: GraphQLList[Any], nodes: FieldDetailsList) -> Completer | None:
        """Items of a list field whose items are trivial objects or leaves."""
        item_type, nullable = _unwrap(list_type.of_type)
        if is_object_type(item_type):
            item = self.object(item_type, nodes, nested=False)
        elif is_leaf_type(item_type):
            item = self._leaf_completer(item_type)
        else:
            return None
        if item is None:
            return None
        complete = item
        if nullable:
            return lambda items, info: [
                None if x is None or x is Undefined else complete(x, info) for x in items
            ]
        return lambda items, info: [complete(x, info) for x in items]

    def _leaf_completer(self, leaf: GraphQLLeafType) -> Completer:
        complete = _leaf(leaf.coerce_output_value, self.is_awaitable)
        return lambda value, _info: complete(value)

    def object(
        self, object_type: GraphQLObjectType, nodes: FieldDetailsList, *, nested: bool
    ) -> Completer | None:
        """The selection set of `nodes` on `object_type`, if every field in it is trivial."""
        if not self._plain(nodes):
            return None
        grouped, new_defer_usages, _ = self.collect(object_type, nodes)
        if new_defer_usages:
            return None
        is_type_of = object_type.is_type_of
        if nested and is_type_of is not None and not _is_strawberry_type_check(object_type):
            return None
        source = _Source(object_type.name, is_type_of is not None)
        for response_name, sub_nodes in grouped.items():
            if not self._field(source, object_type, response_name, sub_nodes):
                return None
        return source.build(is_type_of, self.is_awaitable)

    def _plain(self, nodes: FieldDetailsList) -> bool:
        """No directive anywhere in the selection (whose outcome could hang on variables), no
        defer usage and no fragment variables."""
        return all(
            detail.defer_usage is None
            and detail.fragment_variable_values is None
            and detail.node.selection_set is not None
            and not _directives_in(detail.node.selection_set, self.fragments, set())
            for detail in nodes
        )

    def _field(
        self, source: _Source, parent: GraphQLObjectType, name: str, nodes: FieldDetailsList
    ) -> bool:
        if any(detail.node.arguments for detail in nodes):
            return False
        field_name = nodes[0].node.name.value
        if field_name == "__typename":
            source.constant(name, parent.name)
            return True
        field = self.schema.get_field(parent, field_name)
        attribute = _default_attribute(field)
        if field is None or attribute is None:
            return False
        field_type, nullable = _unwrap(field.type)
        if is_leaf_type(field_type):
            source.leaf(name, attribute, nullable, field_type)
            return True
        if is_object_type(field_type):
            nested = self.object(field_type, nodes, nested=True)
            if nested is None:
                return False
            source.call(name, attribute, nullable, nested)
            return True
        if is_list_type(field_type):
            items = self.list_of(field_type, nodes)
            if items is None:
                return False
            source.call(name, attribute, nullable, items, sequence=True)
            return True
        return False


def _unwrap(type_: GraphQLOutputType) -> tuple[Any, bool]:
    if is_non_null_type(type_):
        assert isinstance(type_, GraphQLNonNull)
        return type_.of_type, False
    return type_, True


def _default_attribute(field: Any) -> str | None:
    """The attribute a field reads when its resolver is Strawberry's default one: getattr of
    the field's Python name, with no resolver, no extension (a permission is one) and no
    argument. Strawberry calls such a field basic (`StrawberryField.is_basic_field`)."""
    if field is None or field.args:
        return None
    definition = (field.extensions or {}).get(DEFINITION)
    if definition is None or not definition.is_basic_field:
        return None
    if definition.default_resolver is not getattr:
        return None
    name = definition.python_name
    return name if isinstance(name, str) else None


def _directives_in(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], seen: set[str]
) -> bool:
    return any(selection.directives for selection in _selections(selection_set, fragments, seen))


def _selections(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], seen: set[str]
) -> Iterator[Any]:
    """The selections at this level, fragments expanded (each once)."""
    for selection in selection_set.selections:
        yield selection
        if isinstance(selection, InlineFragmentNode):
            yield from _selections(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in seen and name in fragments:
                seen.add(name)
                yield from _selections(fragments[name].selection_set, fragments, seen)
        else:
            assert isinstance(selection, FieldNode)


class _Source:
    """The text of one object's completion function, built field by field."""

    def __init__(self, type_name: str, checks_type: bool) -> None:
        self.lines = [
            "def complete(s, info):",
            "    if s is None or s is _U or isinstance(s, Exception) or _is_awaitable(s):",
            "        raise _Bail",
        ]
        if checks_type:
            self.lines += ["    if not _is_type_of(s, info):", "        raise _Bail"]
        self.names: list[str] = []
        self.leaves: dict[str, Callable[[Any], Any]] = {}
        self.calls: dict[str, Completer] = {}
        self.type_name = type_name

    def _result(self, name: str) -> str:
        self.names.append(name)
        return f"r{len(self.names) - 1}"

    def constant(self, name: str, value: str) -> None:
        self.lines.append(f"    {self._result(name)} = {value!r}")

    def leaf(self, name: str, attribute: str, nullable: bool, leaf: GraphQLLeafType) -> None:
        result = self._result(name)
        helper = f"_leaf{len(self.names)}"
        self.leaves[helper] = leaf.coerce_output_value
        inline = _INLINE.get(id(leaf))
        body = f"{result} = v if {inline} else {helper}(v)" if inline else f"{result} = {helper}(v)"
        self._assign(result, attribute, nullable, [body])

    def call(
        self, name: str, attribute: str, nullable: bool, complete: Completer, sequence: bool = False
    ) -> None:
        result = self._result(name)
        helper = f"_call{len(self.names)}"
        self.calls[helper] = complete
        body = [f"{result} = {helper}(v, info)"]
        if sequence:  # what the stock executor would iterate (generators, async) stays its own
            body[:0] = [
                "if v.__class__ is not list and v.__class__ is not tuple:",
                "    raise _Bail",
            ]
        self._assign(result, attribute, nullable, body)

    def _assign(self, result: str, attribute: str, nullable: bool, body: list[str]) -> None:
        read = (
            f"s.{attribute}"
            if attribute.isidentifier() and not keyword.iskeyword(attribute)
            else f"_getattr(s, {attribute!r})"
        )
        self.lines.append(f"    v = {read}")
        if nullable:
            self.lines += ["    if v is None or v is _U:", f"        {result} = None", "    else:"]
            self.lines += [f"        {line}" for line in body]
        else:
            self.lines += [f"    {line}" for line in body]

    def build(
        self, is_type_of: Callable[..., Any] | None, is_awaitable: Callable[[Any], bool]
    ) -> Completer:
        items = ", ".join(f"{name!r}: r{index}" for index, name in enumerate(self.names))
        self.lines.append(f"    return {{{items}}}")
        namespace: dict[str, Any] = {
            "_U": Undefined,
            "_Bail": Bail,
            "_isfinite": isfinite,
            "_getattr": getattr,
            "_is_type_of": is_type_of,
            "_is_awaitable": is_awaitable,
            **self.calls,
        }
        for helper, coerce in self.leaves.items():
            namespace[helper] = _leaf(coerce, is_awaitable)
        # The text holds only names made here and repr() of the document's response names.
        exec("\n".join(self.lines), namespace)
        completer: Completer = namespace["complete"]
        return completer
