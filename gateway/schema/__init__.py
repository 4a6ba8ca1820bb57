"""The graph: Strawberry types as thin views over domain models, assembled by build_schema()."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from gateway.schema.delivery import DeliveryDay, DeliveryTotals
from gateway.schema.extensions import GatewayErrors
from gateway.schema.numbers import NumberQueries
from gateway.schema.viewer import ViewerQueries

__all__ = ["build_schema"]


@strawberry.type(description="Messaging analytics across WhatsApp, SMS and email.")
class Query(ViewerQueries, NumberQueries):
    pass


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # GatewayErrors logs what needs logging (internal errors, with the request id); the
        # default would log every bad timezone with a stack trace.
        pass


def build_schema(**options: Any) -> strawberry.Schema:
    return GatewaySchema(
        query=Query,
        types=[DeliveryTotals, DeliveryDay],
        extensions=[GatewayErrors],
        **options,
    )
