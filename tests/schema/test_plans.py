"""An execution plan hands back what it cannot answer without leaving work behind."""

from __future__ import annotations

import gc
import warnings

import strawberry
from graphql import parse
from graphql.execution import Executor

from gateway.schema.compat import graphql_schema
from gateway.schema.execution import GatewayExecutor
from gateway.schema.plans import plan_operation


@strawberry.type
class Query:
    @strawberry.field
    async def slow(self) -> str:
        return "late"

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("no")

    @strawberry.field
    def fine(self) -> str:
        return "here"


async def test_a_plan_handing_back_leaves_no_coroutine_unawaited() -> None:
    schema = graphql_schema(strawberry.Schema(query=Query))
    executor = GatewayExecutor.build(schema, parse("{ slow broken }"))
    assert isinstance(executor, Executor)
    plan = plan_operation(schema, executor.operation, executor)
    assert plan is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert await plan.run(executor) is None  # `broken` raised: the executor answers
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


async def test_a_plan_answers_what_it_knows() -> None:
    schema = graphql_schema(strawberry.Schema(query=Query))
    executor = GatewayExecutor.build(schema, parse("{ slow fine }"))
    assert isinstance(executor, Executor)
    plan = plan_operation(schema, executor.operation, executor)
    assert plan is not None and await plan.run(executor) == {"slow": "late", "fine": "here"}
