"""The one place where exceptions become `extensions.code`, and internal errors are masked."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import suppress
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension

from gateway.errors import INTERNAL_CODE, BadUserInput, GatewayError
from gateway.metrics import GRAPHQL_OPERATIONS, GRAPHQL_SECONDS, operation_label

__all__ = [
    "DocumentCache",
    "GatewayErrors",
    "OperationMetrics",
    "coded",
    "parse_kept",
    "record_operation",
]

log = logging.getLogger("gateway.errors")


class GatewayErrors(SchemaExtension):
    """Give every error a code; replace anything unexpected by a masked, logged one."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            request_id = getattr(self.execution_context.context, "request_id", None)
            result.errors = [coded(error, request_id) for error in result.errors]


def coded(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """The error as the client sees it: with its code, and masked when unexpected."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # Parse, validation and variable-coercion errors: the request itself is wrong.
        return _with(error, error.message, {"code": BadUserInput.code})
    if isinstance(original, GatewayError):
        return _with(error, original.message, original.extensions)
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
def parse_kept(query: str, max_tokens: int | None) -> DocumentNode:
    """The document of `query`, parsed once while it is among the 512 latest."""
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
                context.graphql_document = parse_kept(context.query, max_tokens)
        yield


class OperationMetrics(SchemaExtension):
    """Count and time each executed operation by name and outcome (its first error's code)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        errors = context.result.errors if context.result is not None else None
        record_operation(context.operation_name, errors, started)


def record_operation(
    operation_name: str | None, errors: list[GraphQLError] | None, started: float
) -> None:
    """Count an operation by name and outcome (its first error's code), and time it."""
    code = "OK"
    if errors:
        code = str((errors[0].extensions or {}).get("code", INTERNAL_CODE))
    counted = _children.get((operation_name, code))
    if counted is None:
        # labels() checks and converts the values under a lock: each pair is looked up once.
        name = operation_label(operation_name)
        counted = GRAPHQL_OPERATIONS.labels(name, code), GRAPHQL_SECONDS.labels(name)
        if len(_children) < 1000:  # names are the clients' own: keep a bounded few
            _children[operation_name, code] = counted
    counted[0].inc()
    counted[1].observe(time.perf_counter() - started)


_children: dict[tuple[str | None, str], tuple[Any, Any]] = {}
