"""The graph: Strawberry types as thin views over domain models, assembled by build_schema()."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES, StreamResult
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.config.settings import Settings
from gateway.errors import BadUserInput, GatewayError
from gateway.schema.billing import BillingQueries
from gateway.schema.bounds import Bounds
from gateway.schema.campaigns import CampaignQueries, EmailCampaignType, SmsCampaignType
from gateway.schema.channels import ChannelQueries
from gateway.schema.compat import direct_resolver, graphql_schema
from gateway.schema.cost import CostLimiter
from gateway.schema.delivery import DeliveryDay, DeliveryTotals
from gateway.schema.documents import DocumentStore, ParseLimits
from gateway.schema.email import EmailQueries
from gateway.schema.execution import GatewayExecutor
from gateway.schema.extensions import (
    DocumentCache,
    GatewayErrors,
    OperationMetrics,
    ParserLimits,
    coded,
    request_id_of,
)
from gateway.schema.hints import CacheHints, hints_of
from gateway.schema.incremental import WholeAnswers
from gateway.schema.listed import ListedCounts
from gateway.schema.live import Subscription
from gateway.schema.number_pages import NumberPageQueries
from gateway.schema.numbers import NumberQueries
from gateway.schema.organization import OrganizationQueries
from gateway.schema.pipeline import LeanPipeline
from gateway.schema.relay import NodeQueries
from gateway.schema.shape import ShapeLimits
from gateway.schema.sms import SmsQueries
from gateway.schema.validation import LimitedValidation
from gateway.schema.viewer import ViewerQueries

__all__ = ["FEDERATION_VERSION", "Limits", "build_schema", "limits_of"]

# The lowest federation version with what the subgraph uses (@key, @shareable): composers that
# know only older versions (The Guild's, up to v2.9) refuse a subgraph that declares a newer one,
# and Strawberry refuses a directive newer than the version declared.
FEDERATION_VERSION: Final = "2.0"


@strawberry.type(description="Messaging analytics across WhatsApp, SMS and email.")
class Query(
    ViewerQueries,
    OrganizationQueries,
    NumberPageQueries,
    NumberQueries,
    ChannelQueries,
    SmsQueries,
    EmailQueries,
    CampaignQueries,
    BillingQueries,
    NodeQueries,
):
    pass


class GatewaySchema(strawberry.federation.Schema):
    def entities_resolver(
        self, info: strawberry.Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """Federation's `_entities`: each representation is checked before it reaches its
        type's resolve_reference, and a bad one is a BAD_USER_INPUT error in its place."""
        entities = {
            name
            for name, type_ in self.schema_converter.type_map.items()
            if hasattr(getattr(type_.definition, "origin", None), "resolve_reference")
        }
        results: list[FederationAny] = []
        for index, representation in enumerate(representations):
            problem = _representation_problem(representation, entities)
            if problem is not None:
                error = BadUserInput(f"representations[{index}]: {problem}")
                results.append(error)  # type: ignore[arg-type]
                continue
            assert isinstance(representation, dict)
            key = {"__typename": representation["__typename"], "id": representation["id"]}
            results.extend(super().entities_resolver(info, [key]))  # type: ignore[list-item]
        return results

    lean: LeanPipeline | None = None  # set by build_schema for the fast path
    bounds: Bounds = Bounds()  # set by build_schema from the limits
    listed: ListedCounts | None = None  # set by build_schema
    hints: CacheHints = CacheHints()  # set by build_schema: the types' and fields' cache hints

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        if self.listed is not None:
            # Both paths' estimates price the deprecated `numbers` at what it will hold.
            try:
                await self.listed.prepare(query, context_value)
            except Exception as error:  # typed when it is the gateway's, else masked and logged
                request_id = getattr(context_value, "request_id", None)
                refusal = coded(GraphQLError(str(error), original_error=error), request_id)
                return ExecutionResult(data=None, errors=[refusal], extensions={})
        if self.lean is not None:
            allowed = allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES
            result = await self.lean.execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed,
                operation_extensions,
            )
            if result is not None:
                return _with_stale(result, context_value)
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        return _with_stale(result, context_value)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        # Operations on a socket, a stream or a multipart response come this way.
        if self.listed is not None:
            # A store that cannot count leaves `numbers` priced at its cap: the operation then
            # meets the outage itself, and answers it typed in its own stream.
            try:
                await self.listed.prepare(query, context_value)
            except GatewayError:
                pass
            except Exception as error:  # masked as everywhere: logged once, the list at its cap
                request_id = getattr(context_value, "request_id", None)
                coded(GraphQLError(str(error), original_error=error), request_id)
        return await super().stream(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry hands every error here first, from every stage: parse, validation,
        # execution, each subscription round, and an exception escaping an extension (which
        # GatewayErrors, itself an extension, never sees). Each is given its code in place,
        # anything unexpected masked and logged once with the request id; the default would
        # log every bad timezone with a stack trace, and send raw messages out.
        context = None if execution_context is None else execution_context.context
        request_id = request_id_of(context)
        errors[:] = [coded(error, request_id) for error in errors]


def _with_stale(result: ExecutionResult, context: object) -> ExecutionResult:
    """The result naming the fields its stale upstream answers filled (see GatewayContext)."""
    stale = getattr(context, "stale", None)
    if stale and isinstance(result, ExecutionResult):
        result.extensions = {**(result.extensions or {}), "stale": list(stale)}
    return result


def _tracing() -> Any:
    """Strawberry's OpenTelemetry extension: a span per operation, its parsing, validation and
    each resolver, on whatever tracer provider the process set up."""
    try:
        from strawberry.extensions.tracing import OpenTelemetryExtension
    except ImportError as missing:
        raise RuntimeError(
            "GATEWAY_OTEL needs OpenTelemetry: pip install 'analytics-gateway[otel]'"
        ) from missing
    return OpenTelemetryExtension


def _representation_problem(representation: object, entities: set[str]) -> str | None:
    if not isinstance(representation, dict):
        return "a representation is an object with __typename and id"
    type_name = representation.get("__typename")
    if type_name not in entities:
        return f"__typename must be one of {', '.join(sorted(entities))}"
    if not isinstance(representation.get("id"), str):
        return "id must be a string"
    return None


@dataclass(frozen=True)
class Limits:
    """What one operation may ask for; each is checked before anything runs."""

    # GraphiQL's introspection query is 14 levels deep (its type references nest nine times).
    max_depth: int = 15
    max_aliases: int = 50
    max_tokens: int = 4000
    max_document_length: int = 64 * 1024
    max_fields: int = 4000
    max_fragment_spreads: int = 200
    max_cost: int = 20_000
    max_merge_pairs: int = 10_000
    max_batch_operations: int = 10
    max_listed_numbers: int = 100
    max_representations: int = 100
    introspection: bool = True
    otel: bool = False
    incremental: bool = True  # @defer and @stream (Strawberry's experimental support)

    @property
    def parsing(self) -> ParseLimits:
        return ParseLimits(self.max_tokens, self.max_document_length)


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_fields=settings.max_fields,
        max_fragment_spreads=settings.max_fragment_spreads,
        max_tokens=settings.max_tokens,
        max_document_length=settings.max_document_kib * 1024,
        max_cost=settings.max_cost,
        max_merge_pairs=settings.max_merge_pairs,
        max_batch_operations=settings.max_batch_operations,
        max_listed_numbers=settings.max_listed_numbers,
        max_representations=settings.max_representations,
        introspection=settings.introspection,
        otel=settings.otel,
        incremental=settings.incremental_delivery,
    )


def build_schema(
    *, fast: bool = True, limits: Limits | None = None, **options: Any
) -> GatewaySchema:
    """The graph. `fast` keeps parsed and validated documents, so a repeated query skips both;
    `limits` refuses operations that are too deep, too aliased, too long or too costly, and
    batches of too many operations."""
    limits = limits or Limits()
    bounds = Bounds(
        max_listed_numbers=limits.max_listed_numbers,
        max_representations=limits.max_representations,
    )
    shape = ShapeLimits(
        max_fields=limits.max_fields,
        max_depth=limits.max_depth,
        max_aliases=limits.max_aliases,
        max_spreads=limits.max_fragment_spreads,
    )
    # Parsed and validated documents of keyed callers, for this schema's life.
    store = DocumentStore() if fast else None
    parsing = limits.parsing
    extensions: list[Any] = [lambda: ParserLimits(parsing)]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    if store is not None:
        extensions.append(lambda: DocumentCache(store, parsing))
    if limits.otel:
        extensions.append(_tracing())
    extensions += [
        lambda: LimitedValidation(shape, limits.max_merge_pairs, store),
        lambda: CostLimiter(max_cost=limits.max_cost, bounds=bounds),
        WholeAnswers,
        OperationMetrics,  # before GatewayErrors, so that it sees the errors' codes
        GatewayErrors,
    ]
    options.setdefault(
        "config",
        StrawberryConfig(
            batching_config={"max_operations": limits.max_batch_operations},
            enable_experimental_incremental_execution=limits.incremental,
        ),
    )
    if fast:
        options.setdefault("execution_context_class", GatewayExecutor)
    schema = GatewaySchema(
        query=Query,
        subscription=Subscription,
        types=[DeliveryTotals, DeliveryDay, SmsCampaignType, EmailCampaignType],
        extensions=extensions,
        federation_version=FEDERATION_VERSION,
        **options,
    )
    schema.bounds = bounds
    schema.listed = ListedCounts(parsing, store)
    schema.hints = hints_of(schema, graphql_schema(schema))
    # The lean pipeline knows the extensions above; introspection off and tracing add others.
    if store is not None and limits.introspection and not limits.otel and not schema.directives:
        schema.lean = LeanPipeline(
            graphql_schema(schema),
            store,
            max_cost=limits.max_cost,
            executor_class=schema.execution_context_class,
            bounds=bounds,
            direct=partial(direct_resolver, schema),
        )
    return schema
