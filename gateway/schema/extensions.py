"""The one place where exceptions become `extensions.code`, and internal errors are masked."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import suppress

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.errors import INTERNAL_CODE, BadUserInput, GatewayError
from gateway.metrics import GRAPHQL_OPERATIONS, GRAPHQL_SECONDS, operation_label
from gateway.schema.documents import DocumentStore, ParseLimits, Prepared, parse_within

__all__ = ["DocumentCache", "GatewayErrors", "OperationMetrics", "ParserLimits"]

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


class ParserLimits(SchemaExtension):
    """Whatever parses the operation's document (Strawberry itself, when the gateway's own
    parse did not take it) parses it within the limits."""

    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options.update(self.limits.options)  # type: ignore[typeddict-item]
        yield


class DocumentCache(SchemaExtension):
    """Parse each distinct document once: the one the admission steps parsed for this request,
    else a keyed caller's kept one, else a new parse within the limits (kept when the caller
    is keyed). A document that fails to parse is left to Strawberry, which reports it through the
    usual error path (and so with its code)."""

    def __init__(self, store: DocumentStore, limits: ParseLimits) -> None:
        self.store = store
        self.limits = limits

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        text = context.query
        if text is not None and context.graphql_document is None:
            gateway = context.context
            document = getattr(gateway, "parsed", {}).get(text)
            keyed = getattr(gateway, "caller", None) is not None
            if document is None and keyed:
                prepared = self.store.get(text)
                document = None if prepared is None else prepared.document
            if document is None:
                with suppress(GraphQLError):
                    document = parse_within(text, self.limits)
            if document is not None and keyed and self.store.get(text) is None:
                self.store.put(text, Prepared(document))
            context.graphql_document = document
        yield


class OperationMetrics(SchemaExtension):
    """Count and time each executed operation by name and outcome (its first error's code)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        keyed = getattr(context.context, "caller", None) is not None
        name = operation_label(context.operation_name, keyed)
        errors = context.result.errors if context.result is not None else None
        code = "OK"
        if errors:
            code = str((errors[0].extensions or {}).get("code", INTERNAL_CODE))
        GRAPHQL_OPERATIONS.labels(name, code).inc()
        GRAPHQL_SECONDS.labels(name).observe(time.perf_counter() - started)
