"""Incremental delivery (@defer and @stream): which documents ask for it, the whole answer for
clients that did not, and each part as Apollo's deferSpec=20220824 shapes it."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    REMOVE,
    DirectiveNode,
    DocumentNode,
    GraphQLError,
    IncrementalStreamResult,
    InitialIncrementalExecutionResult,
    OperationDefinitionNode,
    OperationType,
    SubsequentIncrementalExecutionResult,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from gateway.observability.metrics import INCREMENTAL_PAYLOADS
from gateway.schema.extensions import coded, request_id_of

__all__ = [
    "DIRECTIVES",
    "Payload",
    "WholeAnswers",
    "asks_incremental",
    "incremental_payloads",
    "mentions_incremental",
    "without_incremental",
]

DIRECTIVES = frozenset({"defer", "stream"})
_MENTION = re.compile(r"@\s*(?:defer|stream)\b")


def mentions_incremental(text: str | None) -> bool:
    """Whether the document's text names @defer or @stream (cheap, and never misses one: a
    mention in a string or a comment only sends its answer the incremental way, whole)."""
    return text is not None and "@" in text and _MENTION.search(text) is not None


def asks_incremental(document: DocumentNode, operation_name: str | None) -> bool:
    """Whether the operation that runs is a query or a mutation using @defer or @stream:
    subscriptions are streams of their own, and graphql-core refuses @defer in them."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is OperationType.SUBSCRIPTION:
        return False
    return _Finder.finds(document)


class _Finder(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        if node.name.value in DIRECTIVES:
            self.found = True

    @classmethod
    def finds(cls, document: DocumentNode) -> bool:
        finder = cls()
        visit(document, finder)
        return finder.found


class _Stripper(Visitor):
    def enter_directive(self, node: DirectiveNode, *_: object) -> object:
        return REMOVE if node.name.value in DIRECTIVES else None


def without_incremental(document: DocumentNode) -> DocumentNode:
    """A copy of the document without @defer and @stream: the same fields, all in one answer
    (`visit` copies what it changes; a kept document is shared by requests)."""
    stripped = visit(document, _Stripper())
    assert isinstance(stripped, DocumentNode)
    return stripped


class WholeAnswers(SchemaExtension):
    """An operation whose client did not ask for incremental delivery (plain JSON, `gateway
    query`) runs as if it had no @defer or @stream: the whole answer at once, as always. The
    context says whether the client asked (see GatewayContext.incremental)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        gateway = context.context
        if (
            document is not None
            and not getattr(gateway, "incremental", False)
            and mentions_incremental(context.query)
        ):
            context.graphql_document = without_incremental(document)
        yield


@dataclass(frozen=True)
class Payload:
    """One part of an incremental answer, formatted: what a transport sends as it is. `errors`
    is None because they are in the body already, coded (Strawberry's view reads it)."""

    body: dict[str, Any]
    errors: None = None


async def incremental_payloads(
    results: AsyncIterator[Any], context: object
) -> AsyncGenerator[Any, None]:
    """graphql-core's incremental frames as deferSpec=20220824 parts (what Apollo Client,
    Apollo Router and Hive Gateway read): the initial `{data, errors, hasNext}`, then
    `{incremental: [{data | items, path, label, errors}], hasNext}`, each error coded as in a
    whole answer; a deferred fragment that failed as a whole (a null in a non-null field)
    comes as its own entry with its errors. Anything else (a whole result, a refusal) passes
    as it is."""
    parts = _Parts(request_id_of(context), getattr(context, "stale", None))  # type: ignore[arg-type]
    try:
        async for result in results:
            if isinstance(result, InitialIncrementalExecutionResult):
                yield Payload(parts.initial(result))
            elif isinstance(result, SubsequentIncrementalExecutionResult):
                body = parts.subsequent(result)
                if body is not None:
                    yield Payload(body)
            else:
                yield result
    finally:
        closing = getattr(results, "aclose", None)
        if closing is not None:
            await closing()


class _Parts:
    """The state one answer's parts need: each pending id's path and label, and the data sent
    so far (a streamed list's next item has the index after those already sent). Each part's
    `extensions.stale` names the stale fields it holds (see GatewayContext.stale)."""

    def __init__(self, request_id: str | None, stale: list[dict[str, object]] | None) -> None:
        self.request_id = request_id
        self.stale = stale if stale is not None else []
        self.named = 0  # stale fields named in the parts sent so far
        self.pending: dict[str, tuple[list[str | int], str | None]] = {}
        self.data: dict[str, Any] = {}

    def _extensions(self, body: dict[str, Any], extensions: dict[str, Any] | None) -> None:
        found = self.stale[self.named :]
        self.named = len(self.stale)
        if found:
            extensions = {**(extensions or {}), "stale": found}
        if extensions:
            body["extensions"] = extensions

    def _errors(self, errors: list[GraphQLError] | None) -> list[dict[str, Any]]:
        return [dict(coded(error, self.request_id).formatted) for error in errors or ()]

    def _pend(self, pending: list[Any] | None) -> None:
        for item in pending or ():
            self.pending[item.id] = (list(item.path), item.label)

    def initial(self, result: InitialIncrementalExecutionResult) -> dict[str, Any]:
        self._pend(result.pending)
        self.data = result.data or {}
        body: dict[str, Any] = {"data": result.data}
        errors = self._errors(result.errors)
        if errors:
            body["errors"] = errors
        self._extensions(body, result.extensions)
        body["hasNext"] = result.has_next
        _count(errors)
        return body

    def subsequent(self, result: SubsequentIncrementalExecutionResult) -> dict[str, Any] | None:
        self._pend(result.pending)
        entries = [self._entry(item) for item in result.incremental or ()]
        for completed in result.completed or ():
            if completed.errors:
                entries.append(self._failed(completed.id, completed.errors))
            self.pending.pop(completed.id, None)
        if not entries and result.has_next:
            return None  # nothing a client could show yet
        body: dict[str, Any] = {}
        if entries:
            body["incremental"] = entries
        self._extensions(body, result.extensions)
        body["hasNext"] = result.has_next
        return body

    def _entry(self, item: Any) -> dict[str, Any]:
        path, label = self.pending.get(item.id, ([], None))
        path = path + list(item.sub_path or ())
        entry: dict[str, Any]
        if isinstance(item, IncrementalStreamResult):
            listed = _at(self.data, path)
            index = len(listed) if isinstance(listed, list) else 0
            if isinstance(listed, list):
                listed.extend(item.items)
            entry = {"items": item.items, "path": [*path, index]}
        else:
            _merge(self.data, path, item.data)
            entry = {"data": item.data, "path": path}
        if label is not None:
            entry["label"] = label
        errors = self._errors(item.errors)
        if errors:
            entry["errors"] = errors
        if item.extensions:
            entry["extensions"] = item.extensions
        _count(errors)
        return entry

    def _failed(self, pending_id: str, errors: list[GraphQLError]) -> dict[str, Any]:
        path, label = self.pending.get(pending_id, ([], None))
        listed = isinstance(_at(self.data, path), list)
        entry: dict[str, Any] = {"items" if listed else "data": None, "path": path}
        if label is not None:
            entry["label"] = label
        entry["errors"] = self._errors(errors)
        _count(entry["errors"])
        return entry


def _at(data: Any, path: list[str | int]) -> Any:
    for key in path:
        if isinstance(data, dict) and isinstance(key, str):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def _merge(data: dict[str, Any], path: list[str | int], patch: dict[str, Any]) -> None:
    target = _at(data, path)
    if isinstance(target, dict):
        _deep_update(target, patch)


def _deep_update(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value


def _count(errors: list[dict[str, Any]]) -> None:
    code = "OK" if not errors else str(errors[0].get("extensions", {}).get("code", "UNKNOWN"))
    INCREMENTAL_PAYLOADS.labels(code).inc()
