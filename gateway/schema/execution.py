"""The executor of the fast path: trivial subtrees completed by compiled functions."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.schema.compiled import Compiler, Completer

__all__ = ["GatewayExecutor"]

FieldDetailsList = list[FieldDetails]

# Completers by (type, the field nodes asking for it), across requests: documents are kept by
# DocumentCache, so a repeated query meets the same nodes. Each entry holds its type and nodes,
# which keeps their ids from being reused while it lives.
_KEPT: OrderedDict[tuple[int, ...], tuple[object, tuple[object, ...], Completer | None]] = (
    OrderedDict()
)
MAX_KEPT = 2048
_STOCK = object()  # what _compiled answers when the stock code must complete the value


def _alive(executor: weakref.ref[GatewayExecutor]) -> GatewayExecutor:
    """The executor a helper belongs to: only its own resolvers call the helper, while the
    executor runs them."""
    running = executor()
    assert running is not None, "an operation's helper called after the operation"
    return running


class GatewayExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, as Strawberry sets it up, except that a list or object whose
    selection asks only for attributes (Strawberry's default resolver, no arguments, no
    directives) down to its leaves is completed by one generated function. Whenever that
    function meets anything else (a null in a non-null field, a value a scalar refuses, an
    awaitable, an error value) the value is completed again by the stock code, which then
    reports exactly what it always did; the functions only read attributes, so nothing runs
    twice that could tell."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core hands resolvers two of the executor's bound methods, kept on the
        # executor itself: a reference cycle, so every operation's state (its variables,
        # fields, errors: some forty objects) waited for a full collection to be freed, and
        # full collections pause the loop longer the more they walk. Through a weak reference
        # the state goes as soon as its operation does.
        this = weakref.ref(self)
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=lambda values: _alive(this).gather_async_work(values),
            track=lambda values: _alive(this).track_async_work(values),
        )
        self._completers: dict[tuple[int, int], tuple[FieldDetailsList, Completer | None]] = {}
        middleware = self.middleware_manager
        # Per-field middleware (tracing) must see every field: then nothing is compiled.
        self._compiling = middleware is None or not middleware.middlewares

    def build_per_event_executor(self, payload: Any) -> GatewayExecutor:
        # graphql-core copies the subscription's executor for each event, sharing its caches
        # of collected subfields (and ours of completers). Both are keyed by the identity of
        # field lists each event collects anew, and hold those lists: they never hit across
        # events, but grew by every event for as long as the subscription lived (a thousand
        # live dashboards answering a few times a second: some 20 objects an answer, kept, and
        # walked by every full collection, which held the loop 150-400 ms). Each event
        # now has its own, gone with it.
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, GatewayExecutor)
        executor._relevant_sub_fields = {}
        executor._completers = {}
        return executor

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if result.__class__ is list or result.__class__ is tuple:
            completed = self._compiled(
                return_type, field_details_list, info, result, position_context
            )
            if completed is not _STOCK:
                return completed
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        completed = self._compiled(return_type, field_details_list, info, result, position_context)
        if completed is not _STOCK:
            return completed
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _compiled(
        self,
        type_: GraphQLList[Any] | GraphQLObjectType,
        nodes: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        result: Any,
        position_context: Any,
    ) -> Any:
        """The value completed by its compiled function, or _STOCK when the stock code must
        complete it: nothing compiled for it, incremental delivery, or a value it refused."""
        completer = self._completer(type_, nodes) if position_context is None else None
        if completer is None:
            return _STOCK
        try:
            return completer(result, info)
        except Exception:  # the stock code reports it, with its path and bubbling
            return _STOCK

    def _completer(
        self, type_: GraphQLList[Any] | GraphQLObjectType, nodes: FieldDetailsList
    ) -> Completer | None:
        local = self._completers.get((id(type_), id(nodes)))
        if local is not None:
            return local[1]
        completer = self._kept(type_, nodes) if self._compiling else None
        # Kept with the list itself, whose id is the key (as graphql-core's collect_subfields).
        self._completers[id(type_), id(nodes)] = (nodes, completer)
        return completer

    def _kept(
        self, type_: GraphQLList[Any] | GraphQLObjectType, nodes: FieldDetailsList
    ) -> Completer | None:
        field_nodes = tuple(detail.node for detail in nodes)
        key = (id(type_), *map(id, field_nodes))
        kept = _KEPT.get(key)
        if kept is not None:
            _KEPT.move_to_end(key)
            return kept[2]
        compiler = Compiler(
            self.schema, self.fragment_definitions, self.collect_subfields, self.is_awaitable
        )
        if isinstance(type_, GraphQLList):
            completer = compiler.list_of(type_, nodes)
        else:
            completer = compiler.object(type_, nodes, nested=False)
        _KEPT[key] = (type_, field_nodes, completer)
        while len(_KEPT) > MAX_KEPT:
            _KEPT.popitem(last=False)
        return completer
