"""Errors to HTTP in one place: each error class carries its status beside its code, and one
function builds every refusal, in the body shape of the surface it answers on."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import make_mocked_request

from gateway import errors
from gateway.errors import GatewayError, RateLimited, StoreUnavailable
from gateway.http.health import Health, probes_app
from gateway.http.negotiation import Media, MediaType
from gateway.http.refusals import MEDIA, Surface, refuse
from gateway.schema.persisted import PersistedQueryNotFound, PersistedQueryNotSupported
from gateway.schema.trusted import DocumentNotTrusted
from tests.support.gateway import serve

# The table users read (the code, and the status of a request refused as a whole).
TABLE: dict[type[GatewayError], tuple[str, int]] = {
    GatewayError: ("INTERNAL_SERVER_ERROR", 500),
    errors.Unauthenticated: ("UNAUTHENTICATED", 401),
    errors.Forbidden: ("FORBIDDEN", 403),
    errors.TenantScopeNotAllowed: ("TENANT_SCOPE_NOT_ALLOWED", 403),
    errors.NumberNotLinked: ("NUMBER_NOT_LINKED", 400),
    errors.BadUserInput: ("BAD_USER_INPUT", 400),
    errors.MethodNotAllowed: ("BAD_USER_INPUT", 405),
    errors.NotAcceptable: ("BAD_USER_INPUT", 406),
    errors.BodyTimeout: ("BAD_USER_INPUT", 408),
    errors.BodyTooLarge: ("BAD_USER_INPUT", 413),
    errors.UnsupportedMediaType: ("BAD_USER_INPUT", 415),
    errors.TooManyResults: ("TOO_MANY_RESULTS", 400),
    errors.NotFound: ("NOT_FOUND", 404),
    errors.RateLimited: ("RATE_LIMITED", 429),
    errors.PaymentRequired: ("PAYMENT_REQUIRED", 402),
    errors.UnsupportedBySource: ("UNSUPPORTED_BY_SOURCE", 400),
    errors.TimezoneNotSupported: ("TIMEZONE_NOT_SUPPORTED", 400),
    errors.UpstreamError: ("UPSTREAM_ERROR", 502),
    errors.UpstreamTimeout: ("UPSTREAM_TIMEOUT", 502),
    errors.UpstreamUnavailable: ("UPSTREAM_UNAVAILABLE", 502),
    errors.StoreUnavailable: ("UPSTREAM_UNAVAILABLE", 503),
    errors.PlatformUnavailable: ("UPSTREAM_UNAVAILABLE", 503),
    PersistedQueryNotFound: ("PERSISTED_QUERY_NOT_FOUND", 200),
    PersistedQueryNotSupported: ("PERSISTED_QUERY_NOT_SUPPORTED", 400),
    DocumentNotTrusted: ("PERSISTED_QUERY_NOT_IN_LIST", 400),
}


def test_every_error_class_carries_its_code_and_status() -> None:
    exported = {getattr(errors, name) for name in errors.__all__}
    classes = {c for c in exported if isinstance(c, type) and issubclass(c, GatewayError)}
    assert classes <= set(TABLE), classes - set(TABLE)
    for kind, (code, status) in TABLE.items():
        assert (kind.code, kind.status) == (code, status), kind


def body(response: object) -> dict[str, object]:
    text = getattr(response, "text", None)
    assert isinstance(text, str)
    loaded: dict[str, object] = json.loads(text)
    return loaded


def test_a_graphql_refusal_has_errors_and_no_data_in_the_negotiated_type() -> None:
    request = make_mocked_request("POST", "/graphql")
    request[MEDIA] = Media(MediaType.GRAPHQL_RESPONSE, named=True)
    response = refuse(RateLimited("slow down", retryAfter=3), request)
    assert response.status == 429 and response.headers["retry-after"] == "3"
    assert response.content_type == MediaType.GRAPHQL_RESPONSE.value
    assert body(response) == {
        "errors": [
            {"message": "slow down", "extensions": {"code": "RATE_LIMITED", "retryAfter": 3}}
        ]
    }


@pytest.mark.parametrize("request_given", [True, False])
def test_a_plain_refusal_has_error_and_code_beside_the_details(request_given: bool) -> None:
    request = make_mocked_request("POST", "/webhooks/x") if request_given else None
    response = refuse(StoreUnavailable(), request, surface=Surface.PLAIN, details={"events": [1]})
    assert response.status == 503 and response.headers["retry-after"] == "5"
    assert response.content_type == "application/json"
    assert body(response) == {
        "error": "the store is not answering; try again shortly",
        "code": "UPSTREAM_UNAVAILABLE",
        "source": "native",
        "retryAfter": 5,
        "events": [1],
    }


async def test_a_starting_gateway_refuses_as_every_graphql_refusal_does() -> None:
    async for probes in serve(probes_app(Health(watch_seconds=1.0))):
        async with probes.session.post(probes.url, json={"query": "{ viewer { tenantId } }"}) as r:
            assert r.status == 503 and r.headers["retry-after"] == "1"
            answer = await r.json()
    # No `data` entry: nothing ran, as in every other refusal.
    assert set(answer) == {"errors"}
    (error,) = answer["errors"]
    assert error["extensions"] == {
        "code": "UPSTREAM_UNAVAILABLE",
        "source": "native",
        "retryAfter": 1,
    }
