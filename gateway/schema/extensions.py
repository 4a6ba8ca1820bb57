"""The one place where exceptions become `extensions.code`, and internal errors are masked."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.errors import INTERNAL_CODE, BadUserInput, GatewayError
from gateway.observability.metrics import (
    EXECUTION_PATHS,
    GRAPHQL_OPERATIONS,
    GRAPHQL_SECONDS,
    operation_label,
)
from gateway.schema.documents import DocumentStore, ParseLimits, Prepared, parse_within

if TYPE_CHECKING:
    from gateway.schema.context import GatewayContext

__all__ = [
    "LEAN",
    "STOCK",
    "DocumentCache",
    "GatewayErrors",
    "OperationMetrics",
    "ParserLimits",
    "coded",
    "keyed",
    "record_operation",
    "request_id_of",
]

log = logging.getLogger("gateway.errors")


def keyed(context: GatewayContext | None) -> bool:
    """Whether the operation's caller presented a valid key (the gateway's context says; a
    schema run on its own has none)."""
    return context is not None and context.caller is not None


def request_id_of(context: GatewayContext | None) -> str | None:
    return None if context is None else context.request_id


class GatewayErrors(SchemaExtension):
    """Give every error a code; replace anything unexpected by a masked, logged one."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        # An incremental answer's initial part has errors; its container, none of its own.
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            request_id = request_id_of(self.execution_context.context)
            result.errors = [coded(error, request_id) for error in errors]


def coded(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """The error as the client sees it: with its code, and masked when unexpected."""
    original = error.original_error
    if original is None and "code" in (error.extensions or {}):
        return error  # coded already (Strawberry hands errors to process_errors, then here)
    # Parse, validation and variable-coercion errors: the request itself is wrong. An error of
    # the GraphQL library with a path arose completing a value (an Int beyond 32 bits, say):
    # the gateway's or an upstream's fault, never the caller's, so it is masked below.
    if (original is None or isinstance(original, GraphQLError)) and error.path is None:
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
            gateway: GatewayContext | None = context.context
            document = None if gateway is None else gateway.parsed.get(text)
            caller_keyed = keyed(gateway)
            if document is None and caller_keyed:
                prepared = self.store.get(text)
                document = None if prepared is None else prepared.document
            if document is None:
                with suppress(GraphQLError):
                    document = parse_within(text, self.limits)
            if document is not None and caller_keyed and self.store.get(text) is None:
                self.store.put(text, Prepared(document))
            context.graphql_document = document
        yield


class OperationMetrics(SchemaExtension):
    """Count and time each executed operation by name and outcome (its first error's code)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        errors = getattr(context.result, "errors", None)
        record_operation(context.operation_name, errors, started, keyed(context.context), STOCK)


LEAN = "lean"
STOCK = "stock"
# The two children, looked up once (see gateway.observability.metrics on the cost of labels()).
_paths = {LEAN: EXECUTION_PATHS.labels(LEAN), STOCK: EXECUTION_PATHS.labels(STOCK)}


def record_operation(
    operation_name: str | None,
    errors: list[GraphQLError] | None,
    started: float,
    keyed: bool,
    path: str,
) -> None:
    """Count an operation by name, outcome (its first error's code) and execution path (LEAN
    or STOCK), and time it. Names are the clients' own: only keyed callers' are labels (see
    operation_label)."""
    _paths[path].inc()
    code = "OK"
    if errors:
        code = str((errors[0].extensions or {}).get("code", INTERNAL_CODE))
    counted = _children.get((operation_name, code, keyed))
    if counted is None:
        # labels() checks and converts the values under a lock: each pair is looked up once.
        name = operation_label(operation_name, keyed)
        counted = GRAPHQL_OPERATIONS.labels(name, code), GRAPHQL_SECONDS.labels(name)
        if len(_children) < 1000:  # the lookups kept, a bounded few
            _children[operation_name, code, keyed] = counted
    counted[0].inc()
    counted[1].observe(time.perf_counter() - started)


_children: dict[tuple[str | None, str, bool], tuple[Any, Any]] = {}
