"""Execution plans: a document seen before runs its fields straight, without the executor's
per-field machinery, and hands anything unusual back to graphql-core."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_object_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.values import get_argument_values
from graphql.language import VariableNode
from graphql.pyutils import Path

from gateway.observability.metrics import EXECUTION_PLANS
from gateway.schema.compat import DirectResolver
from gateway.schema.compiled import (
    Bail,
    Compiler,
    Completer,
    _default_attribute,
    _is_strawberry_type_check,
    _unwrap,
)

__all__ = ["PLANNED", "PLAN_FALLBACKS", "Plan", "plan_operation"]

PLANNED = EXECUTION_PLANS.labels("planned")
PLAN_FALLBACKS = EXECUTION_PLANS.labels("handed_back")

Resolve = Callable[..., Any]
# Argument values a plan may hand every request (a resolver could change a list or a dict).
_CONSTANT = (str, int, float, bool, Enum, type(None))


@dataclass
class _Field:
    """One response entry of a selection: how to get its value and how to complete it."""

    name: str  # the response name
    field_name: str
    nodes: list[FieldNode]
    definition: GraphQLField | None  # None for __typename
    typename: str | None = None  # __typename's answer
    attribute: str | None = None  # read straight from the source
    resolve: Resolve | None = None  # else this, with arguments
    direct: DirectResolver | None = None  # or the resolver itself, as Strawberry calls it
    arguments: dict[str, Any] | None = None  # when they hang on no variable
    nullable: bool = True
    leaf: Callable[[Any], Any] | None = None
    object_type: GraphQLObjectType | None = None
    sub: _Selection | None = None  # an object's (or a list's items') selection
    listed: bool = False
    items_nullable: bool = True
    compiled: Completer | None = None  # a trivial subtree, completed in one call


@dataclass
class _Selection:
    parent: GraphQLObjectType
    fields: list[_Field] = field(default_factory=list)


@dataclass
class Plan:
    """How one operation of one document runs; answers None when it met something only the
    executor answers exactly (an error, a null where none may be, an odd value)."""

    root: _Selection

    async def run(self, executor: Executor[Any]) -> dict[str, Any] | None:
        try:
            return await _run(self.root, executor.root_value, executor, None)
        except Exception:  # Bail, a bad argument, a property that raised: the executor's
            return None


# Makes a field's DirectResolver, given the arguments it is always asked with (None: they hang
# on variables), or None where only the framework's own wrapper calls it exactly.
Direct = Callable[[GraphQLField, dict[str, Any] | None], DirectResolver | None]


def plan_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    executor: Executor[Any],
    direct: Direct | None = None,
) -> Plan | None:
    """The plan of a query without directives, fragments, introspection or abstract types;
    None for anything else (incremental delivery, @include and @skip, any directive the plan
    does not know, mutations and subscriptions all take the executor)."""
    if operation.operation is not OperationType.QUERY or operation.directives:
        return None
    if any(v.directives for v in operation.variable_definitions or ()):
        return None
    root_type = schema.query_type
    if root_type is None:
        return None
    root = _plan(schema, root_type, [operation.selection_set], executor, direct)
    return None if root is None else Plan(root)


def _plan(
    schema: GraphQLSchema,
    parent: GraphQLObjectType,
    selection_sets: list[SelectionSetNode],
    executor: Executor[Any],
    direct: Direct | None,
) -> _Selection | None:
    grouped: dict[str, list[FieldNode]] = {}
    for selection_set in selection_sets:
        for node in selection_set.selections:
            if not isinstance(node, FieldNode) or node.directives:
                return None
            name = node.alias.value if node.alias else node.name.value
            grouped.setdefault(name, []).append(node)
    selection = _Selection(parent)
    for name, nodes in grouped.items():
        planned = _plan_field(schema, parent, name, nodes, executor, direct)
        if planned is None:
            return None
        selection.fields.append(planned)
    return selection


def _plan_field(
    schema: GraphQLSchema,
    parent: GraphQLObjectType,
    name: str,
    nodes: list[FieldNode],
    executor: Executor[Any],
    direct: Direct | None,
) -> _Field | None:
    field_name = nodes[0].name.value
    if field_name == "__typename":
        return _Field(name, field_name, nodes, None, typename=parent.name)
    if field_name.startswith("__"):
        return None  # introspection
    definition = schema.get_field(parent, field_name)
    if definition is None:
        return None
    planned = _Field(name, field_name, nodes, definition)
    attribute = _default_attribute(definition)
    if attribute is not None and not nodes[0].arguments:
        planned.attribute = attribute
    else:
        planned.resolve = definition.resolve or executor.field_resolver
        if not _uses_variables(nodes[0]):
            arguments = _arguments(definition, nodes[0], executor)
            if all(isinstance(v, _CONSTANT) for v in arguments.values()):
                planned.arguments = arguments  # else built anew for each request
        if direct is not None:
            planned.direct = direct(definition, planned.arguments)
    field_type, planned.nullable = _unwrap(definition.type)
    if is_list_type(field_type):
        planned.listed = True
        assert isinstance(field_type, GraphQLList)
        field_type, planned.items_nullable = _unwrap(field_type.of_type)
    return planned if _plan_type(schema, planned, field_type, executor, direct) else None


def _plan_type(
    schema: GraphQLSchema,
    planned: _Field,
    type_: Any,
    executor: Executor[Any],
    direct: Direct | None,
) -> bool:
    sets = [node.selection_set for node in planned.nodes if node.selection_set is not None]
    if is_leaf_type(type_):
        assert isinstance(type_, GraphQLLeafType)
        planned.leaf = type_.coerce_output_value
        return not sets
    if not is_object_type(type_) or not sets:
        return False  # abstract types, nested lists
    assert isinstance(type_, GraphQLObjectType)
    if type_.is_type_of is not None and not _is_strawberry_type_check(type_):
        return False
    planned.object_type = type_
    planned.sub = _plan(schema, type_, sets, executor, direct)
    if planned.sub is None:
        return False
    if all(f.attribute is not None or f.typename is not None for f in planned.sub.fields):
        compiler = Compiler(
            schema, executor.fragment_definitions, executor.collect_subfields, executor.is_awaitable
        )
        details = [FieldDetails(node, None) for node in planned.nodes]
        planned.compiled = compiler.object(type_, details, nested=True)
    return True


def _uses_variables(node: FieldNode) -> bool:
    return any(_has_variable(argument.value) for argument in node.arguments or ())


def _has_variable(value: Any) -> bool:
    if isinstance(value, VariableNode):
        return True
    values = getattr(value, "values", None) or [f.value for f in getattr(value, "fields", ())]
    return any(_has_variable(v) for v in values)


def _arguments(
    definition: GraphQLField, node: FieldNode, executor: Executor[Any]
) -> dict[str, Any]:
    if not definition.args and not node.arguments:
        return {}
    return get_argument_values(
        definition, node, executor.variable_values, None, executor.hide_suggestions
    )


async def _run(
    selection: _Selection, source: Any, executor: Executor[Any], path: Path | None
) -> dict[str, Any]:
    """The selection's fields on `source`: every resolver called in order before any is
    awaited (so that loaders batch them, as the executor's do), then each value completed."""
    parent = selection.parent
    values: list[Any] = []
    waiting: list[int] = []
    try:
        for index, planned in enumerate(selection.fields):
            if planned.typename is not None:
                value: Any = planned.typename
            elif planned.attribute is not None:
                value = getattr(source, planned.attribute)
            else:
                value = _resolve(planned, parent, source, executor, path)
                if executor.is_awaitable(value):
                    waiting.append(index)
            values.append(value)
    except BaseException:
        _close(values[i] for i in waiting)
        raise
    if waiting:
        await _settle(values, waiting)
    nested: list[int] = []
    try:
        for index, planned in enumerate(selection.fields):
            completed = _complete(planned, values[index], executor, parent, path)
            if executor.is_awaitable(completed):
                nested.append(index)
            values[index] = completed
    except BaseException:
        _close(values[i] for i in nested)
        raise
    if nested:
        await _settle(values, nested)
    return {planned.name: value for planned, value in zip(selection.fields, values, strict=True)}


def _resolve(
    planned: _Field, parent: GraphQLObjectType, source: Any, executor: Executor[Any], path: Any
) -> Any:
    assert planned.resolve is not None and planned.definition is not None
    field_path = Path(path, planned.name, parent.name)
    info = executor.build_resolve_info(planned.definition, planned.nodes, parent, field_path)
    arguments = planned.arguments
    if arguments is None:
        arguments = _arguments(planned.definition, planned.nodes[0], executor)
    try:
        if planned.direct is not None:
            return planned.direct(source, info, arguments)
        return planned.resolve(source, info, **arguments)
    except Exception:
        raise Bail from None


def _close(awaitables: Iterable[Any]) -> None:
    """Close the coroutines a plan made but will not await, as it hands the operation back
    (their work is asked for again by the executor; unawaited, each would warn)."""
    for awaitable in awaitables:
        if inspect.iscoroutine(awaitable):
            awaitable.close()


async def _settle(values: list[Any], indexes: list[int]) -> None:
    """Await the values at `indexes` together; any failure hands the operation back."""
    if len(indexes) == 1:
        try:
            values[indexes[0]] = await values[indexes[0]]
        except Exception:
            raise Bail from None
        return
    settled = await asyncio.gather(*(values[i] for i in indexes), return_exceptions=True)
    for i, value in zip(indexes, settled, strict=True):
        if isinstance(value, BaseException):
            if isinstance(value, Exception):
                raise Bail
            raise value
        values[i] = value


def _complete(
    planned: _Field, value: Any, executor: Executor[Any], parent: GraphQLObjectType, path: Any
) -> Any:
    if value is None or value is Undefined:
        if planned.nullable:
            return None
        raise Bail
    if isinstance(value, Exception) or executor.is_awaitable(value):
        raise Bail
    if planned.leaf is not None and not planned.listed:
        return _leaf(planned.leaf, value)
    field_path = Path(path, planned.name, parent.name)
    if not planned.listed:
        return _object(planned, value, executor, field_path)
    if value.__class__ is not list and value.__class__ is not tuple:
        raise Bail  # what the executor would iterate (generators, async) stays its own
    if planned.leaf is not None:
        leaf = planned.leaf
        return [_item_leaf(planned, leaf, item) for item in value]
    items: list[Any] = []
    try:
        for index, item in enumerate(value):
            items.append(_object(planned, item, executor, field_path, index))
    except BaseException:
        _close(items)
        raise
    return _gathered(items, executor) if any(executor.is_awaitable(i) for i in items) else items


def _item_leaf(planned: _Field, leaf: Callable[[Any], Any], item: Any) -> Any:
    if item is None or item is Undefined:
        if planned.items_nullable:
            return None
        raise Bail
    return _leaf(leaf, item)


def _leaf(coerce: Callable[[Any], Any], value: Any) -> Any:
    if isinstance(value, Exception):
        raise Bail
    try:
        coerced = coerce(value)
    except Exception:
        raise Bail from None
    if coerced is None or coerced is Undefined:
        raise Bail
    return coerced


def _object(
    planned: _Field, value: Any, executor: Executor[Any], path: Path, index: int | None = None
) -> Any:
    if index is not None and (value is None or value is Undefined):
        if planned.items_nullable:
            return None
        raise Bail
    if isinstance(value, Exception) or executor.is_awaitable(value):
        raise Bail
    if planned.compiled is not None:
        return planned.compiled(value, None)
    object_type = planned.object_type
    assert object_type is not None and planned.sub is not None
    # Strawberry's own check ignores its info (the plan keeps only types that use it).
    if object_type.is_type_of is not None and not object_type.is_type_of(value, None):  # type: ignore[arg-type]
        raise Bail
    return _run(planned.sub, value, executor, path if index is None else Path(path, index, None))


async def _gathered(items: list[Any], executor: Executor[Any]) -> list[Any]:
    indexes = [i for i, item in enumerate(items) if executor.is_awaitable(item)]
    await _settle(items, indexes)
    return items
