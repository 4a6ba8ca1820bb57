"""The aiohttp view: authenticates, builds the per-request context, shapes HTTP statuses."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from cross_web import HTTPException
from graphql import FieldNode, GraphQLSyntaxError, OperationDefinitionNode, parse
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse

from gateway.appkeys import CLOCK, KEYS, PRINCIPAL, REGISTRY, REQUEST_ID, SETTINGS
from gateway.auth import authenticate
from gateway.context import GatewayContext
from gateway.errors import BadUserInput, GatewayError, Unauthenticated
from gateway.providers.upstream.http import DEADLINE, MEMO
from gateway.schema import build_schema

__all__ = ["GatewayView", "error_response"]


def error_response(error: GatewayError, status: int, request: web.Request) -> web.Response:
    body = {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]}
    headers = {"x-request-id": request.get(REQUEST_ID, "")}
    return web.json_response(body, status=status, headers=headers)


class GatewayView(GraphQLView[GatewayContext, None]):
    def __init__(self, *, graphiql: bool) -> None:
        super().__init__(
            schema=build_schema(),
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=(),
        )

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if not self.should_render_graphql_ide(self.request_adapter_class(request)):
            try:
                await self._authenticate(request)
            except Unauthenticated as exc:
                return error_response(exc, 401, request)
        try:
            return await self.run(request=request)
        except HTTPException as exc:
            return error_response(BadUserInput(exc.reason), exc.status_code, request)

    async def _authenticate(self, request: web.Request) -> None:
        has_key = "x-api-key" in request.headers or "x-api-key-id" in request.headers
        # The schema is public: GraphiQL fetches it before the user has typed a key in.
        if not has_key and await _is_introspection_only(request):
            return
        request[PRINCIPAL] = await authenticate(request.headers, request.app[KEYS])

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> GatewayContext:
        # Upstream calls made for this request share its deadline and send identical GETs once.
        DEADLINE.set(time.monotonic() + request.app[SETTINGS].request_deadline_seconds)
        MEMO.set({})
        return GatewayContext(
            caller=request.get(PRINCIPAL),
            registry=request.app[REGISTRY],
            request_id=request[REQUEST_ID],
            clock=request.app[CLOCK],
        )

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        # A document that failed to parse or validate has no data and no error paths: the
        # request as a whole is bad, so it answers 400 rather than 200.
        if isinstance(response_data, Mapping) and _is_request_error(response_data):
            sub_response.set_status(400)
        return super().create_response(response_data, sub_response)


def _is_request_error(response: Mapping[str, Any]) -> bool:
    errors = response.get("errors") or []
    return (
        response.get("data") is None
        and bool(errors)
        and all("path" not in error for error in errors)
    )


async def _is_introspection_only(request: web.Request) -> bool:
    query: object
    if request.method == "GET":
        query = request.query.get("query")
    else:
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return False
        query = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(query, str):
        return False
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(
        isinstance(selection, FieldNode) and selection.name.value.startswith("__")
        for operation in operations
        for selection in operation.selection_set.selections
    )
