"""The fast path's operation pipeline: the schema extensions' work in one call."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar, cast

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    experimental_execute_incrementally,
)
from graphql import ExecutionResult as CoreResult
from graphql.execution import Executor
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_first_operation

from gateway.schema.bounds import Bounds
from gateway.schema.cost import TooManyRepresentations, operation_cost
from gateway.schema.documents import DocumentStore
from gateway.schema.extensions import LEAN, coded, keyed, record_operation, request_id_of
from gateway.schema.incremental import mentions_incremental
from gateway.schema.plans import PLAN_FALLBACKS, PLANNED, Direct, Plan, plan_operation

if TYPE_CHECKING:
    from gateway.schema.context import GatewayContext

__all__ = ["KEPT", "LeanPipeline"]

KEPT = 512  # costs kept, as many as DocumentCache keeps documents
_UNPLANNED = object()  # a document whose plan was not made yet

# What Strawberry gives graphql-core to tell awaitables (typed there as a TypeGuard).
_IS_AWAITABLE = cast("Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable)


class LeanPipeline:
    """What Strawberry's pipeline does with the gateway's extensions (parse limits, document
    cache, validation within the limits, cost limit, metrics, error codes), done directly for a
    keyed caller's operation whose document is kept, known valid, and within the cost the
    request has left. Anything else (a new or bad document, a caller without a key, a refused
    operation type, a cost over the limit) is left to Strawberry, which answers it with the
    extensions as it always did; the outcomes consulted here are the same kept ones its
    extensions consult, so both paths agree on every request. Strawberry's per-request
    extension machinery was a quarter of a dashboard's CPU."""

    def __init__(
        self,
        schema: GraphQLSchema,
        store: DocumentStore,
        *,
        max_cost: int,
        executor_class: type[Executor[Any]],
        bounds: Bounds | None = None,
        planning: bool = True,
        direct: Direct | None = None,
    ) -> None:
        self.schema = schema
        self.store = store
        self.max_cost = max_cost
        self.bounds = bounds or Bounds()
        self.executor_class = executor_class
        # By the text of the query, whose hash a str keeps (a document's is computed each time),
        # and what `numbers` holds for the caller: the one input of the estimate besides them.
        self._costs: dict[tuple[str, str | None, int | None], int] = {}
        # Execution plans by the text of the query and the operation's name; None: no plan.
        self._plans: dict[tuple[str, str | None], Plan | object | None] = {}
        self.planning = planning
        self.direct = direct  # resolvers called as the framework calls them, without its wrapper

    async def execute(
        self,
        query: str | None,
        variables: dict[str, Any] | None,
        context: GatewayContext | None,
        root_value: Any,
        operation_name: str | None,
        allowed: Iterable[OperationType],
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult | None:
        """The result, or None when Strawberry's own pipeline must answer."""
        started = time.perf_counter()
        document = self._known(query, context)
        if document is None or query is None or mentions_incremental(query):
            return None  # @defer and @stream take Strawberry's way (see WholeAnswers)
        name = _operation_name(document, operation_name)
        operation = _operation(document, name)
        if operation is None or OperationType(operation.operation.value) not in allowed:
            return None
        left = None if context is None else context.cost_left
        try:
            listed = getattr(context, "listed_numbers", None)
            cost = self._cost(query, document, name, variables, listed)
        except TooManyRepresentations:
            return None  # CostLimiter says why
        if cost > (self.max_cost if left is None else min(left, self.max_cost)):
            return None  # CostLimiter says why
        if context is not None and left is not None:
            context.cost_left = left - cost
        try:
            result = await self._planned(
                query, document, name, root_value, context, variables, operation_extensions
            )
            if result is None:
                # The one graphql-core entry that runs with @defer in the schema; the document
                # has none, so the outcome is one whole result.
                outcome = experimental_execute_incrementally(
                    self.schema,
                    document,
                    root_value=root_value,
                    context_value=context,
                    variable_values=variables,
                    operation_name=name,
                    executor_class=self.executor_class,
                    is_awaitable=_IS_AWAITABLE,
                    operation_extensions=operation_extensions,
                )
                if isinstance(outcome, CoreResult):
                    result = outcome
                else:
                    result = await cast("Awaitable[CoreResult]", outcome)
        except Exception as escaped:  # as the stock path answers it: masked and logged
            failed = escaped if isinstance(escaped, GraphQLError) else None
            result = CoreResult(None, [failed or GraphQLError("", original_error=escaped)])
        request_id = request_id_of(context)
        errors = [coded(error, request_id) for error in result.errors or ()] or None
        record_operation(name, errors, started, True, LEAN)
        return ExecutionResult(data=result.data, errors=errors, extensions={})

    async def _planned(
        self,
        query: str,
        document: DocumentNode,
        name: str | None,
        root_value: Any,
        context: GatewayContext | None,
        variables: dict[str, Any] | None,
        operation_extensions: dict[str, Any] | None,
    ) -> CoreResult | None:
        """The operation run by its plan, or None where the executor must run it (no plan
        for its shape, bad variables, or anything the plan met that it does not answer)."""
        key = (query, name)
        plan = self._plans.get(key, _UNPLANNED)
        if plan is None or not self.planning:
            return None
        executor = self.executor_class.build(
            self.schema,
            document,
            root_value,
            context,
            variables,
            name,
            is_awaitable=_IS_AWAITABLE,
            operation_extensions=operation_extensions,
        )
        if isinstance(executor, list):
            return None  # the executor reports the variables' errors
        if plan is _UNPLANNED:
            plan = plan_operation(self.schema, executor.operation, executor, self.direct)
            _keep(self._plans, key, plan)
            if plan is None:
                return None
        assert isinstance(plan, Plan)
        data = await plan.run(executor)
        if data is None:
            PLAN_FALLBACKS.inc()
            return None
        PLANNED.inc()
        return CoreResult(data, None)

    def _known(self, query: str | None, context: GatewayContext | None) -> DocumentNode | None:
        """A keyed caller's kept document, if validating it found nothing (documents are kept,
        and validated once, by the extensions the first time a keyed caller sends them)."""
        if not query or not keyed(context):
            return None
        prepared = self.store.get(query)
        if prepared is None or prepared.errors is None or prepared.errors:
            return None
        return prepared.document

    def _cost(
        self,
        query: str,
        document: DocumentNode,
        name: str | None,
        variables: dict[str, Any] | None,
        listed: int | None,
    ) -> int:
        """The estimate CostLimiter makes; without variables, a document's is always the same
        for callers whose `numbers` hold as many."""
        if variables:
            return operation_cost(self.schema, document, name, variables, self.bounds, listed)
        key = (query, name, listed)
        cost = self._costs.get(key)
        if cost is None:
            cost = operation_cost(self.schema, document, name, variables, self.bounds, listed)
            _keep(self._costs, key, cost)
        return cost


K = TypeVar("K")
V = TypeVar("V")


def _keep(kept: dict[K, V], key: K, value: V) -> None:
    if len(kept) >= KEPT:  # documents come and go rarely: starting afresh is cheap enough
        kept.clear()
    kept[key] = value


def _operation_name(document: DocumentNode, provided: str | None) -> str | None:
    """The name Strawberry runs an operation by: the one given, else the first operation's."""
    if provided is not None:
        return provided
    first = get_first_operation(document)
    return first.name.value if first is not None and first.name is not None else None


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    if name is None:
        return get_first_operation(document)
    named = (
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    )
    return next((d for d in named if d.name is not None and d.name.value == name), None)
