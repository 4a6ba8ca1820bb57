"""An exception escaping any stage of an operation (parse, validation, execution, serialization,
a subscription's round, the lean pipeline) reaches the client as INTERNAL_SERVER_ERROR with its
message masked, and is logged once with the request id. Monkeypatch only injects the failure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import pytest
from graphql import GraphQLError
from strawberry.types import ExecutionResult

import gateway.http.admission
import gateway.http.view
import gateway.schema.extensions
import gateway.schema.listed
import gateway.schema.live
import gateway.schema.pipeline
import gateway.schema.plans
import gateway.schema.validation
from gateway.errors import INTERNAL_CODE
from gateway.providers.base import ProviderRegistry
from gateway.providers.native import NativeProvider
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.versions import TenantVersions
from gateway.schema import build_schema
from gateway.schema.context import GatewayContext
from gateway.schema.execution import GatewayExecutor
from tests.support.gateway import Gateway, World, fixed_clock
from tests.support.production import authenticate

SECRET = "password=hunter2 at db.internal:5432"
QUERY = "query Masked { numbers { phoneNumber } }"


def boom(*args: Any, **kwargs: Any) -> NoReturn:
    raise RuntimeError(SECRET)


def inject_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway.http.admission, "parse_within", boom)
    monkeypatch.setattr(gateway.schema.extensions, "parse_within", boom)
    # A document that selects the deprecated `numbers` is parsed first to price that list.
    monkeypatch.setattr(gateway.schema.listed, "parse_within", boom)


def inject_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway.schema.validation, "validate_within", boom)


def inject_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GatewayExecutor, "execute_operation", boom)


def inject_serialization(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway.http.view, "_content_type", boom)


def inject_lean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway.schema.pipeline, "experimental_execute_incrementally", boom)
    monkeypatch.setattr(gateway.schema.plans.Plan, "run", boom)  # a known document's plan


STAGES: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "parse": inject_parse,
    "validation": inject_validation,
    "execution": inject_execution,
    "serialization": inject_serialization,
    "lean pipeline": inject_lean,
}


def logged_once(caplog: pytest.LogCaptureFixture, request_id: str) -> None:
    lines = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    assert lines[0].levelname == "ERROR" and lines[0].exc_info is not None
    assert SECRET in str(lines[0].exc_info[1])  # the server keeps what the client may not see


@pytest.mark.parametrize("stage", list(STAGES))
async def test_an_exception_at_any_stage_is_masked_and_logged_with_the_request_id(
    stage: str,
    gateway: Gateway,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = world.keys["acme_tenant"]
    if stage == "lean pipeline":  # kept by a first answer, so that the second takes it
        assert (await gateway.query(key, QUERY)).codes == []
    STAGES[stage](monkeypatch)
    caplog.clear()
    answer = await gateway.query(key, QUERY)
    request_id = answer.headers["x-request-id"]
    assert answer.codes == [INTERNAL_CODE], answer.body
    assert answer.body["errors"][0]["message"] == "Internal server error"
    assert answer.body["errors"][0]["extensions"]["requestId"] == request_id
    assert SECRET not in str(answer.body)
    assert answer.data is None
    # After the graph answered (serialization), the request as a whole failed: 500. An
    # operation that failed inside is answered as GraphQL answers one: 200, error in its body.
    assert answer.status == (500 if stage == "serialization" else 200)
    logged_once(caplog, request_id)


async def test_an_exception_in_a_subscription_round_is_masked_and_logged(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(gateway.schema.live, "_round", boom)
    (error,) = await first_errors(world, TenantVersions())
    assert error.message == "Internal server error"
    assert (error.extensions or {})["code"] == INTERNAL_CODE
    assert (error.extensions or {})["requestId"] == "round-1"
    logged_once(caplog, "round-1")


async def first_errors(world: World, versions: TenantVersions | None) -> list[GraphQLError]:
    """The errors of a dashboard subscription's first answer."""
    tenancy = Tenancy(world.store)
    principal = await authenticate({"x-api-key": world.keys["acme_tenant"]}, tenancy)
    context = GatewayContext(
        caller=principal,
        registry=ProviderRegistry({"native": NativeProvider(world.store)}),
        request_id="round-1",
        clock=fixed_clock,
        versions=versions,
    )
    schema = build_schema()
    stream = await schema.subscribe("subscription { dashboard { period } }", None, context)
    assert not isinstance(stream, ExecutionResult)
    result = await anext(stream)
    await stream.aclose()
    assert isinstance(result, ExecutionResult) and result.errors
    return result.errors


async def test_a_subscription_without_the_store_watch_is_a_typed_error(world: World) -> None:
    """A schema run outside the app (no store watch) cannot push; it says so by its code, not
    as if the caller's key were wrong."""
    (error,) = await first_errors(world, None)
    assert (error.extensions or {})["code"] == "UNSUPPORTED_BY_SOURCE"
    assert error.message == "live subscriptions need the gateway's store watch"
