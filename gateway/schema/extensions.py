"""The one place where exceptions become `extensions.code`, and internal errors are masked."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import suppress
from functools import lru_cache

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension

from gateway.errors import INTERNAL_CODE, BadUserInput, GatewayError
from gateway.metrics import GRAPHQL_OPERATIONS, GRAPHQL_SECONDS, operation_label

__all__ = ["DocumentCache", "GatewayErrors", "OperationMetrics"]

log = logging.getLogger("gateway.errors")


class GatewayErrors(SchemaExtension):
    """Give every error a code; replace anything unexpected by a masked, logged one."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [self._coded(error) for error in result.errors]

    def _coded(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        # Parse, validation and variable-coercion errors: the request itself is wrong. An error
        # of the GraphQL library with a path arose completing a value (an Int beyond 32 bits,
        # say): the gateway's or an upstream's fault, never the caller's, so it is masked below.
        if (original is None or isinstance(original, GraphQLError)) and error.path is None:
            return _with(error, error.message, {"code": BadUserInput.code})
        if isinstance(original, GatewayError):
            return _with(error, original.message, original.extensions)
        request_id = getattr(self.execution_context.context, "request_id", None)
        log.error(
            "internal error in %s (request %s)",
            ".".join(str(p) for p in error.path or ()) or "operation",
            request_id,
            exc_info=original,
        )
        extensions = {"code": INTERNAL_CODE, "requestId": request_id}
        return _with(error, "Internal server error", extensions)


def _with(error: GraphQLError, message: str, extensions: Mapping[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=dict(extensions),
    )


@lru_cache(maxsize=512)
def _parse(query: str, max_tokens: int | None) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


class DocumentCache(SchemaExtension):
    """Parse each distinct document once. Unlike Strawberry's ParserCache, a document that fails
    to parse is left to Strawberry, which reports it through the usual error path (and so with
    its code)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            with suppress(GraphQLError):
                max_tokens = context.parse_options.get("max_tokens")
                context.graphql_document = _parse(context.query, max_tokens)
        yield


class OperationMetrics(SchemaExtension):
    """Count and time each executed operation by name and outcome (its first error's code)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        name = operation_label(context.operation_name)
        errors = context.result.errors if context.result is not None else None
        code = "OK"
        if errors:
            code = str((errors[0].extensions or {}).get("code", INTERNAL_CODE))
        GRAPHQL_OPERATIONS.labels(name, code).inc()
        GRAPHQL_SECONDS.labels(name).observe(time.perf_counter() - started)
