"""The order in which a request to /graphql is trusted.

Each step reads what the steps before it learned and either answers the request (a typed
refusal, or a kept answer) or passes it on:

    choose the answer's media type -> the body's media type (a POST's) -> read the body ->
    identify the caller -> (a known caller's repeated request: the kept answer, after its
    rate) -> decode the body (its variables within their count and depth) -> name its
    documents -> admit the caller (the anonymous at their address's rate; a key looked up) ->
    rate-limit the key -> a stream rather than JSON, for a subscription -> register its
    persisted queries -> whole or in parts (@defer, @stream) -> the response cache ->
    execution (in the view)

Everything before a key is checked costs time linear in the request and memory bounded by it:
the body in JSON, within its size and time; JSON within orjson's depth; variables within their
count and depth; documents within the token limit; and an address's rate for whatever comes
without a valid key.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import orjson
from aiohttp import web
from graphql import DocumentNode, FieldNode, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.http import GraphQLRequestData

from gateway.domain.auth import (
    Credential,
    Principal,
    authenticate_credential,
    credential_of,
    missing_key,
)
from gateway.errors import (
    BadUserInput,
    BodyTimeout,
    GatewayError,
    NotAcceptable,
    RateLimited,
    Unauthenticated,
    UnsupportedMediaType,
    UpstreamError,
)
from gateway.http.appkeys import (
    ANONYMOUS,
    CACHE,
    CONFIGURATION,
    KEYS,
    LIMITER,
    PERSISTED,
    SETTINGS,
    SHARED_LIMITER,
    configuration_of,
)
from gateway.http.cache import CachedKeyLookup
from gateway.http.clients import client_address
from gateway.http.compression import MIN_BYTES
from gateway.http.compression import negotiate as negotiate_encoding
from gateway.http.negotiation import (
    LEGACY,
    Media,
    MediaType,
    accepted,
    incremental_media,
    may_stream,
    streams,
    takes_body,
)
from gateway.http.refusals import MEDIA, refuse
from gateway.observability.metrics import CACHE_HIT, CACHE_MISS
from gateway.schema.documents import ParseLimits, parse_within
from gateway.schema.incremental import asks_incremental, mentions_incremental
from gateway.schema.persisted import PersistedQueryNotFound, persisted_hash, sha256_of
from gateway.schema.trusted import DocumentNotTrusted
from gateway.schema.variables import VariableLimits, check_variables

__all__ = [
    "MEDIA",
    "STEPS",
    "Admission",
    "introspection_only",
    "keyed",
    "named_document",
    "not_modified",
    "take_rate",
    "variable_limits",
]

# Bodies larger than this are not worth a cache key of their own.
MAX_KEY_BODY = 16 * 1024


@dataclass
class Admission:
    """What the steps have learned of one request so far."""

    request: web.Request
    media: Media = LEGACY
    # The stream the client accepts besides the JSON chosen: a subscription's way, if it is one.
    stream: Media | None = None
    body: bytes = b""
    operations: list[GraphQLRequestData] = field(default_factory=list)
    batch: bool = False
    credential: Credential | None = None
    principal: Principal | None = None
    # Documents parsed on the way (the anonymous caller's), by their text, for execution.
    parsed: dict[str, DocumentNode] = field(default_factory=dict)
    # Automatic persisted queries to register once the caller's key is known: (hash, text).
    to_register: list[tuple[str, str]] = field(default_factory=list)
    cache_key: tuple[object, ...] | None = None
    cache_version: int = 0
    # Sent in parts as they come (@defer, @stream), in `media`'s stream.
    incremental: bool = False


Answer = web.StreamResponse | None
Step = Callable[[Admission], Awaitable[Answer]]


async def choose_media(admission: Admission) -> Answer:
    """The answer's media type from the Accept header: JSON where it is accepted, a stream
    where only a stream is; 406 when it names none served here."""
    request = admission.request
    found = accepted(request.headers.get("accept"))
    if found.first is None:
        served = ", ".join(m.value for m in MediaType)
        refusal = NotAcceptable(f"this endpoint answers in {served}; Accept names none of them")
        return refuse(refusal, request)
    admission.media = request[MEDIA] = found.first
    admission.stream = found.stream if found.whole is not None else None
    return None


async def choose_stream(admission: Admission) -> Answer:
    """A subscription goes over the stream the client accepts beside JSON; a query or a
    mutation stays a whole JSON answer here (in parts only if it asks: choose_delivery). Only a
    text that may hold one is parsed, within the keyed limits, and once per distinct text (see
    _streams); a document that does not parse is left to execution, which reports it as JSON."""
    stream, request = admission.stream, admission.request
    if stream is None or admission.batch or len(admission.operations) != 1:
        return None
    if stream.type is MediaType.MULTIPART_INCREMENTAL:
        return None  # parts of @defer and @stream, never a subscription's stream
    operation = admission.operations[0]
    text = operation.query
    if text is None or not may_stream(text):
        return None
    document = admission.parsed.get(text)
    if document is not None:
        streamed = streams(document, operation.operation_name)
    else:
        settings = request.app[SETTINGS]
        limits = ParseLimits(settings.max_tokens, settings.max_document_kib * 1024)
        decide = _streams if len(text) <= MAX_KEY_BODY else _streams.__wrapped__
        streamed = decide(text, operation.operation_name, limits)
    if streamed:
        admission.media = request[MEDIA] = stream
        admission.cache_key = None  # looked up as JSON before the document was known
    return None


@lru_cache(maxsize=512)
def _streams(text: str, operation_name: str | None, limits: ParseLimits) -> bool:
    """Whether the operation streams, decided once per distinct text: urql lists a stream
    beside JSON for every query, and parsing a query again for each (some 100-300 us) would
    add to every request whose text holds `subscription`, such as a billing query's. The
    texts kept are small (up to MAX_KEY_BODY, 16 KiB; longer ones are decided each time) and
    come from keyed callers within their rate."""
    try:
        document = parse_within(text, limits)
    except GraphQLSyntaxError:
        return False
    return streams(document, operation_name)


async def check_body_type(admission: Admission) -> Answer:
    """415 for a POST whose body is not application/json, before a byte of it is read: a form,
    `text/plain` or no type at all is what a page on another site can send without a preflight."""
    request = admission.request
    if request.method != "POST" or takes_body(request.headers.get("content-type")):
        return None
    refusal = UnsupportedMediaType(
        "send the operation as JSON (content-type: application/json, in UTF-8)",
        contentType=request.headers.get("content-type", "")[:100],
    )
    return refuse(refusal, request, headers={"accept-post": MediaType.JSON.value})


async def read_body(admission: Admission) -> Answer:
    request = admission.request
    if request.method != "POST":
        return None
    if request.content.is_eof():  # all of it came with the headers, as small bodies do
        admission.body = await request.read()
        return None
    limit = request.app[SETTINGS].body_timeout_seconds
    try:
        async with asyncio.timeout(limit):
            admission.body = await request.read()
    except TimeoutError:
        refusal = BodyTimeout(f"the request body did not arrive within {limit:g} s")
        return refuse(refusal, request, headers={"connection": "close"})
    return None


async def decode(admission: Admission) -> Answer:
    request = admission.request
    try:
        items, admission.batch = _items(request, admission.body)
        limit = request.app[SETTINGS].max_batch_operations
        if len(items) > limit:
            raise BadUserInput(
                f"the batch has {len(items)} operations, over the limit of {limit}",
                limit="maxBatchOperations",
            )
        admission.operations = [_operation(item) for item in items]
        limits = variable_limits(request.app)
        for operation in admission.operations:
            refusal = check_variables(operation.variables or {}, limits)
            if refusal is not None:
                raise refusal
    except BadUserInput as refusal:
        return refuse(refusal, request)
    return None


def variable_limits(app: web.Application) -> VariableLimits:
    settings = app[SETTINGS]
    return VariableLimits(settings.max_variable_values, settings.max_variable_depth)


def _items(request: web.Request, body: bytes) -> tuple[list[dict[str, Any]], bool]:
    """The operations the request carries, and whether they came as a batch (a JSON array)."""
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query)
        for name in ("variables", "extensions"):
            if params.get(name):
                params[name] = _json(params[name].encode(), name)
        return [params], False
    value = _json(body, "the body")
    if isinstance(value, dict):
        return [value], False
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return value, True
    raise BadUserInput("the body must be a JSON object, or for a batch a non-empty array of them")


def _json(raw: bytes, what: str) -> Any:
    # orjson refuses nesting deeper than 1024 at once (the stdlib recurses until it fails).
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadUserInput(f"{what} is not JSON (or nests deeper than 1024)") from None


def _operation(item: dict[str, Any]) -> GraphQLRequestData:
    query, variables = item.get("query"), item.get("variables")
    name, extensions = item.get("operationName"), item.get("extensions")
    if not isinstance(query, str | None):
        raise BadUserInput("the operation's `query` must be a string or null, if provided")
    if not isinstance(variables, dict | None):
        raise BadUserInput("the operation's `variables` must be an object or null, if provided")
    if not isinstance(extensions, dict | None):
        raise BadUserInput("the operation's `extensions` must be an object or null, if provided")
    if not isinstance(name, str | None):
        raise BadUserInput("the operation's `operationName` must be a string, if provided")
    document_id = item.get("documentId")
    if document_id is not None:
        if not isinstance(document_id, str):
            raise BadUserInput("`documentId` must be a string, if provided")
        extensions = {**(extensions or {}), "documentId": document_id}
    return GraphQLRequestData(query, variables, name, extensions)


async def name_documents(admission: Admission) -> Answer:
    """Give each operation its text: from the trusted documents or the persisted queries by
    hash; and, with only trusted documents taken, refuse any other by its hash, unparsed."""
    request = admission.request
    try:
        admission.operations = [
            named_document(request.app, op, admission.parsed, admission.to_register)
            for op in admission.operations
        ]
    except PersistedQueryNotFound as refusal:
        return refuse(refusal, request)  # 200: the client answers with the query
    except GatewayError as refusal:
        return refuse(refusal, request)
    return None


def named_document(
    app: web.Application,
    operation: GraphQLRequestData,
    parsed: dict[str, DocumentNode],
    to_register: list[tuple[str, str]],
) -> GraphQLRequestData:
    """The operation with its text; raises the typed refusal when it has none it may run.
    Queries to register once a key vouches for them are added to `to_register`."""
    trusted, persisted = app[CONFIGURATION].in_use.trusted, app[PERSISTED]
    digest = persisted_hash(operation.extensions)
    document_id = (operation.extensions or {}).get("documentId")
    if operation.query is None:
        wanted = document_id or digest
        if wanted is None:
            raise BadUserInput("no GraphQL query found in the request")
        text = trusted.body(wanted) if trusted.mode != "off" else None
        if text is None and digest is not None and not trusted.only:
            text = persisted.lookup(digest)
        if text is None:
            if trusted.only:
                raise DocumentNotTrusted("this gateway takes only its trusted documents")
            if digest is None:
                raise BadUserInput("no document has this documentId")
            raise PersistedQueryNotFound("PersistedQueryNotFound")
        return replace(operation, query=text)
    if digest is not None:
        if sha256_of(operation.query) != digest:
            raise BadUserInput("provided sha does not match query")
        if not trusted.only:
            to_register.append((digest, operation.query))
    if trusted.only and not trusted.trusts(operation.query):
        settings = app[SETTINGS]
        if not (settings.introspection and is_introspection(app, parsed, operation.query)):
            raise DocumentNotTrusted("this gateway takes only its trusted documents")
    return operation


async def identify(admission: Admission) -> Answer:
    """The caller's credential, and its principal when this process has seen it authenticate."""
    admission.credential = credential_of(admission.request.headers)
    keys = admission.request.app[KEYS]
    if admission.credential is not None and isinstance(keys, CachedKeyLookup):
        admission.principal = keys.known(admission.credential)
    return None


async def keyed(request: web.Request) -> Principal | web.StreamResponse:
    """For routes that take only a key (the CSV export): its principal, or the refusal, by the
    same steps and limits as /graphql."""
    admission = Admission(request)
    await identify(admission)
    if admission.credential is None:
        gate = request.app[ANONYMOUS]
        refusal = await gate.take(client_address(request, request.app[SETTINGS].trusted_proxies))
        if refusal is not None:
            return refuse(refusal, request)
        return refuse(missing_key(request.headers), request)
    answer = await admit(admission)
    if answer is not None:
        return answer
    assert admission.principal is not None
    return admission.principal


async def admit(admission: Admission) -> Answer:
    """Look the key up, if this process does not know it yet, while its address may still make
    mistakes; without a key, only introspection goes, at the address's rate."""
    if admission.principal is not None:
        return None
    request, credential = admission.request, admission.credential
    gate = request.app[ANONYMOUS]
    address = client_address(request, request.app[SETTINGS].trusted_proxies)
    if credential is not None:
        refusal = await gate.check(address)
        if refusal is not None:
            return refuse(refusal, request)
        keys = request.app[KEYS]
        try:
            admission.principal = await authenticate_credential(credential, request.headers, keys)
        except Unauthenticated as error:
            await gate.take(address)
            return refuse(error, request)
        except UpstreamError as error:  # the store holding the keys is down
            return refuse(error, request)
        if isinstance(keys, CachedKeyLookup):
            keys.remember(credential, admission.principal)
        return None
    refusal = await gate.take(address)
    if refusal is not None:
        return refuse(refusal, request)
    settings = request.app[SETTINGS]
    texts = [op.query for op in admission.operations]
    if settings.introspection and all(
        text is not None and is_introspection(request.app, admission.parsed, text) for text in texts
    ):
        return None
    return refuse(missing_key(request.headers), request)


def is_introspection(app: web.Application, parsed: dict[str, DocumentNode], text: str) -> bool:
    """Whether the text is a document of introspection alone, parsed within the limits for
    callers without a key (what introspection needs: GraphiQL's schema query is 183 tokens);
    the parse is kept in `parsed` for execution."""
    document = parsed.get(text)
    if document is None:
        settings = app[SETTINGS]
        limits = ParseLimits(
            min(settings.anonymous_max_tokens, settings.max_tokens),
            min(settings.anonymous_max_document_kib, settings.max_document_kib) * 1024,
        )
        try:
            document = parse_within(text, limits)
        except GraphQLSyntaxError:
            return False
        parsed[text] = document
    return introspection_only(document)


def introspection_only(document: DocumentNode) -> bool:
    """Every operation asks only for the schema: `__schema`, `__type`, `__typename`, and the
    subgraph SDL (`_service`) that a federation gateway fetches."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(
        isinstance(selection, FieldNode)
        and (selection.name.value.startswith("__") or selection.name.value == "_service")
        for operation in operations
        for selection in operation.selection_set.selections
    )


async def rate_limit(admission: Admission) -> Answer:
    """Each operation of the request counts against its key's rate."""
    principal = admission.principal
    if principal is None:
        return None
    refusal = await take_rate(admission.request.app, principal, len(admission.operations))
    return None if refusal is None else refuse(refusal, admission.request)


async def take_rate(app: web.Application, principal: Principal, count: int) -> RateLimited | None:
    """The key's bucket, shared through Redis when there is one: the refusal, or None."""
    shared = app.get(SHARED_LIMITER)
    if shared is not None:
        wait = await shared.take(principal.tenant_id, principal.key_handle, count)
    else:
        wait = app[LIMITER].take(principal.tenant_id, principal.key_handle, count)
    if wait <= 0:
        return None
    retry = max(1, math.ceil(wait))
    return RateLimited(f"this key is over its rate; try again in {retry} s", retryAfter=retry)


async def register(admission: Admission) -> Answer:
    """Keep the request's new persisted queries, now that a key vouches for them."""
    principal = admission.principal
    if principal is not None:
        persisted = admission.request.app[PERSISTED]
        for digest, text in admission.to_register:
            persisted.register(digest, text, principal.tenant_id)
    return None


async def choose_delivery(admission: Admission) -> Answer:
    """Whole or in parts: a query or mutation with @defer or @stream, from a client whose Accept
    takes a stream of parts (multipart/mixed, text/event-stream), is sent in parts as they
    come; everything else whole, as before (an answer in parts is never kept). The document
    is parsed here only when its text names either directive, after the caller's key and rate,
    and the parse is kept for execution."""
    request = admission.request
    if admission.media.type is MediaType.MULTIPART_INCREMENTAL:
        admission.incremental = not admission.batch  # asked for parts alone: one, then
        return None
    operation = admission.operations[0]
    if admission.batch or not mentions_incremental(operation.query):
        return None
    wanted = incremental_media(request.headers.get("accept"))
    if wanted is None or operation.query is None:
        return None
    document = admission.parsed.get(operation.query)
    if document is None:
        settings = request.app[SETTINGS]
        limits = ParseLimits(settings.max_tokens, settings.max_document_kib * 1024)
        try:
            document = parse_within(operation.query, limits)
        except GraphQLSyntaxError:
            return None  # refused whole, as any other document that does not parse
        admission.parsed[operation.query] = document
    if asks_incremental(document, operation.operation_name):
        admission.media = request[MEDIA] = Media(wanted)
        admission.incremental = True
        admission.cache_key = None
    return None


async def answer_from_cache(admission: Admission) -> Answer:
    """A caller this process knows, asking in the same bytes what it asked before: the answer
    kept, once its key's rate allows, with nothing decoded. Those bytes passed every step below
    before their answer was kept (a batch's never is), and a key that changed is no longer known
    (see CachedKeyLookup), so the answer is what the whole way would give."""
    if admission.principal is None:
        return None
    answer = await look_in_cache(admission)
    if answer is None:
        return None
    refusal = await take_rate(admission.request.app, admission.principal, 1)
    return answer if refusal is None else refuse(refusal, admission.request)


async def look_in_cache(admission: Admission) -> Answer:
    request, principal = admission.request, admission.principal
    cache = request.app.get(CACHE)
    if cache is None or principal is None or admission.cache_key is not None:
        return None  # no cache, no key, or already looked (a miss) by answer_from_cache
    admission.cache_key = cache_key(admission, principal)
    if admission.cache_key is None:
        return None
    hit = cache.lookup(admission.cache_key)
    (CACHE_MISS if hit is None else CACHE_HIT).inc()
    if hit is not None:
        body, headers = hit.body, hit.headers
        if cache.compression and len(hit.body) >= MIN_BYTES:
            # Chosen here, before anything is decoded: the kept answer in the client's encoding.
            encoding = negotiate_encoding(request.headers.get("accept-encoding"))
            if encoding is not None:
                body, headers = cache.encoded(hit, encoding)
        if not_modified(request, headers):  # with the ETag the 200 would carry
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers=headers)
    admission.cache_version = cache.version(principal.tenant_id)
    return None


def cache_key(admission: Admission, principal: Principal) -> tuple[object, ...] | None:
    """What an answer depends on besides the tenant's data, or None when the cache does not
    take it. The request as sent is the key's part: the same query with the same variables
    sent the same way is the same entry, with no parsing on the way to a hit (whether the answer
    may be kept is decided when it is built), asked for in the same media type (which sets the
    answer's Content-Type and, for a request error, its status). A key's tenant, kind, number
    and scopes never change, so its handle stands for all that it may see. The configuration's
    generation is part of it too: after a reload, a document no longer trusted, or a source
    that moved, is never answered from before. Streams are never kept."""
    request, media = admission.request, admission.media
    if media.type.streams:
        return None
    generation = configuration_of(request).generation
    if request.method == "GET":
        query = request.query_string
        if len(query) > MAX_KEY_BODY:
            return None
        return (principal.tenant_id, principal.key_handle, generation, media, "GET", query)
    if len(admission.body) > MAX_KEY_BODY:
        return None  # too large to key
    return (principal.tenant_id, principal.key_handle, generation, media, admission.body)


def not_modified(request: web.Request, headers: Mapping[str, str]) -> bool:
    """Whether a GET's If-None-Match names the answer's ETag, compared weakly as RFC 9110
    says (a compressed answer's ETag is the weak form of the identity answer's)."""
    if request.method != "GET":
        return False
    wanted = request.headers.get("if-none-match")
    if wanted is None:
        return False
    etag = headers["etag"].removeprefix("W/")
    return etag in {tag.strip().removeprefix("W/") for tag in wanted.split(",")}


STEPS: tuple[Step, ...] = (
    choose_media,
    check_body_type,
    read_body,
    identify,
    answer_from_cache,
    decode,
    name_documents,
    admit,
    rate_limit,
    choose_stream,
    register,
    choose_delivery,
    look_in_cache,
)
