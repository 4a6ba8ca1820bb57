"""The graph over real HTTP on a loopback port: answers, error codes, statuses, partial data."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from gateway.config.settings import Settings
from gateway.domain.messages import MessageStatus
from gateway.http.app import create_app
from gateway.schema.ids import encode_id
from tests.support.gateway import Gateway, World, serve

DASHBOARD = """
query ($period: Period, $timezone: String) {
  dashboard(period: $period, timezone: $timezone) {
    period timezone startDate endDate
    totals { total queued sent delivered read failed deliveryRate readRate }
    series { date total sent delivered read failed }
  }
}"""

NUMBERS = "{ numbers { id phoneNumber displayName } }"


async def test_number_scoped_key_sees_its_dashboard_without_naming_it(
    gateway: Gateway, world: World
) -> None:
    at = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
    await world.send("sales", "a", at, MessageStatus.READ)
    await world.send("sales", "b", at, MessageStatus.DELIVERED)
    await world.send("sales", "c", at, MessageStatus.FAILED)
    await world.send("sales", "d", at, MessageStatus.QUEUED)
    await world.send("support", "e", at, MessageStatus.READ)  # another number: not counted

    answer = await gateway.query(world.keys["acme_sales"], DASHBOARD, {"period": "DAYS_7"})
    assert answer.status == 200 and "errors" not in answer.body
    board = answer.data["dashboard"]
    assert board["period"] == "DAYS_7" and board["timezone"] == "UTC"
    assert (board["startDate"], board["endDate"]) == ("2026-11-16", "2026-11-22")
    assert board["totals"] == {
        "total": 4,
        "queued": 1,
        "sent": 2,
        "delivered": 2,
        "read": 1,
        "failed": 1,
        "deliveryRate": 50.0,
        "readRate": 50.0,
    }
    assert [p["date"] for p in board["series"]] == [f"2026-11-{d}" for d in range(16, 23)]
    assert [p["total"] for p in board["series"]] == [0, 0, 0, 0, 0, 4, 0]


async def test_dashboard_defaults_to_30_days_in_utc_and_takes_tz(
    gateway: Gateway, world: World
) -> None:
    # 2026-11-21 20:00 UTC is already the 22nd in Kathmandu (+05:45).
    await world.send("sales", "late", datetime(2026, 11, 21, 20, 0, tzinfo=UTC))
    default = await gateway.query(
        world.keys["acme_sales"], "{ dashboard { period series { date total } } }"
    )
    series = default.data["dashboard"]["series"]
    assert default.data["dashboard"]["period"] == "DAYS_30" and len(series) == 30
    assert series[-2] == {"date": "2026-11-21", "total": 1}
    kathmandu = await gateway.query(
        world.keys["acme_sales"],
        '{ dashboard(period: DAYS_7, tz: "Asia/Kathmandu") { timezone series { date total } } }',
    )
    board = kathmandu.data["dashboard"]
    assert board["timezone"] == "Asia/Kathmandu"
    assert board["series"][-1] == {"date": "2026-11-22", "total": 1}


async def test_tenant_key_lists_and_picks_numbers_with_their_dashboards(
    gateway: Gateway, world: World
) -> None:
    await world.send("support", "s1", datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    listed = await gateway.query(world.keys["acme_tenant"], NUMBERS)
    numbers = listed.data["numbers"]
    assert [n["phoneNumber"] for n in numbers] == ["+5511900000001", "+5511900000002"]
    support_id = numbers[1]["id"]
    picked = await gateway.query(
        world.keys["acme_tenant"],
        "query ($id: ID!) { number(id: $id) { displayName dashboard(period: DAYS_7) "
        "{ totals { total } } } }",
        {"id": support_id},
    )
    assert picked.data["number"] == {
        "displayName": "Support",
        "dashboard": {"totals": {"total": 1}},
    }


async def test_number_key_lists_only_its_own_number(gateway: Gateway, world: World) -> None:
    answer = await gateway.query(world.keys["acme_sales"], NUMBERS)
    assert [n["phoneNumber"] for n in answer.data["numbers"]] == ["+5511900000001"]
    unlinked = await gateway.query(world.keys["acme_unlinked"], NUMBERS)
    assert unlinked.data == {"numbers": []}


async def test_tenant_key_on_number_field_is_refused_with_partial_data(
    gateway: Gateway, world: World
) -> None:
    answer = await gateway.query(
        world.keys["acme_tenant"], "{ viewer { tenantId } dashboard { period } }"
    )
    assert answer.status == 200
    assert answer.data == {"viewer": {"tenantId": "acme"}, "dashboard": None}
    assert answer.codes == ["TENANT_SCOPE_NOT_ALLOWED"]
    assert answer.body["errors"][0]["path"] == ["dashboard"]


async def test_unlinked_number_key_gets_number_not_linked(gateway: Gateway, world: World) -> None:
    answer = await gateway.query(
        world.keys["acme_unlinked"],
        "{ viewer { keyKind } linkedNumber { id } dashboard { period } }",
    )
    assert answer.data == {"viewer": {"keyKind": "NUMBER"}, "linkedNumber": None, "dashboard": None}
    assert answer.codes == ["NUMBER_NOT_LINKED", "NUMBER_NOT_LINKED"]


async def test_another_tenants_number_is_not_found_never_forbidden(
    gateway: Gateway, world: World
) -> None:
    globex_id = encode_id("WhatsAppNumber", "native", world.numbers["main"])
    support_id = encode_id("WhatsAppNumber", "native", world.numbers["support"])
    query = "query ($id: ID!) { number(id: $id) { phoneNumber } viewer { tenantId } }"
    for key, number_id in [
        ("acme_tenant", globex_id),
        ("acme_sales", globex_id),
        ("acme_sales", support_id),
    ]:
        answer = await gateway.query(world.keys[key], query, {"id": number_id})
        assert answer.data["number"] is None and answer.data["viewer"] is not None
        assert answer.codes == ["NOT_FOUND"], key
    missing = encode_id("WhatsAppNumber", "native", 99999)
    answer = await gateway.query(world.keys["acme_tenant"], query, {"id": missing})
    assert answer.codes == ["NOT_FOUND"]
    unknown_source = encode_id("WhatsAppNumber", "elsewhere", world.numbers["sales"])
    answer = await gateway.query(world.keys["acme_tenant"], query, {"id": unknown_source})
    assert answer.codes == ["NOT_FOUND"]


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-an-id",
        "",
        encode_id("Campaign", "native", 1),
        encode_id("WhatsAppNumber", "native", "x"),
        encode_id("WhatsAppNumber", "native", "²"),
        encode_id("WhatsAppNumber", "native", "9" * 30),
    ],
)
async def test_malformed_ids_are_bad_user_input_or_not_found(
    gateway: Gateway, world: World, bad_id: str
) -> None:
    answer = await gateway.query(
        world.keys["acme_tenant"], "query ($id: ID!) { number(id: $id) { id } }", {"id": bad_id}
    )
    assert answer.status == 200 and answer.data == {"number": None}
    assert answer.codes in (["BAD_USER_INPUT"], ["NOT_FOUND"])


@pytest.mark.parametrize("local_id", ["9" * 30, "\u00b2", "\uff11\uff12"])
async def test_ids_no_row_can_have_are_not_found(
    gateway: Gateway, world: World, local_id: str
) -> None:
    key = world.keys["acme_tenant"]
    answer = await gateway.query(
        key,
        "query ($id: ID!) { campaign(id: $id) { id } }",
        {"id": encode_id("SmsCampaign", "native", local_id)},
    )
    assert answer.status == 200 and answer.data == {"campaign": None}, answer.body
    assert set(answer.codes) <= {"NOT_FOUND"}, answer.body
    cursor = base64.urlsafe_b64encode(f"{local_id}:{local_id}".encode()).decode()
    answer = await gateway.query(
        key,
        "query ($after: String) { campaigns(first: 1, after: $after) { edges { node { id } } } }",
        {"after": cursor},
    )
    assert answer.codes == ["BAD_USER_INPUT"], answer.body


async def test_key_without_scope_is_forbidden(gateway: Gateway, world: World) -> None:
    answer = await gateway.query(
        world.keys["acme_no_scopes"], "{ viewer { scopes } numbers { id } }"
    )
    assert answer.status == 200
    assert answer.data is None or answer.data.get("numbers") is None
    assert answer.codes == ["FORBIDDEN"]
    assert answer.body["errors"][0]["extensions"]["scope"] == "analytics:read"


async def test_unknown_timezone_is_bad_user_input_with_partial_data(
    gateway: Gateway, world: World
) -> None:
    answer = await gateway.query(
        world.keys["acme_sales"], DASHBOARD + " query Other { viewer { tenantId } }", None
    )
    assert answer.status == 400  # two operations and no operationName: the request is wrong
    answer = await gateway.query(
        world.keys["acme_sales"],
        '{ viewer { tenantId } dashboard(timezone: "Mars/Olympus") { period } }',
    )
    assert answer.status == 200
    assert answer.data == {"viewer": {"tenantId": "acme"}, "dashboard": None}
    assert answer.codes == ["BAD_USER_INPUT"]
    assert "Mars/Olympus" in answer.body["errors"][0]["message"]


@pytest.mark.parametrize(
    "document",
    [
        "{ dashboard(period: 8d) { period } }",
        "{ dashboard(period: DAYS_8) { period } }",
        "{ nothing }",
        "{ dashboard { ",
    ],
)
async def test_invalid_documents_answer_400_bad_user_input(
    gateway: Gateway, world: World, document: str
) -> None:
    answer = await gateway.query(world.keys["acme_sales"], document)
    assert answer.status == 400 and answer.data is None
    assert set(answer.codes) == {"BAD_USER_INPUT"}


async def test_bad_variable_is_400_bad_user_input(gateway: Gateway, world: World) -> None:
    answer = await gateway.query(world.keys["acme_sales"], DASHBOARD, {"period": "7d"})
    assert answer.status == 400 and answer.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("key", [None, "agk_wrong", "nonsense", "x" * 5000])
async def test_missing_or_unknown_key_is_401(gateway: Gateway, key: str | None) -> None:
    answer = await gateway.query(key, "{ viewer { tenantId } }")
    assert answer.status == 401 and answer.data is None
    assert answer.codes == ["UNAUTHENTICATED"]


async def test_bearer_token_is_refused_with_a_hint(gateway: Gateway, world: World) -> None:
    answer = await gateway.query(
        f"Bearer {world.keys['acme_tenant']}", "{ viewer { tenantId } }", header="authorization"
    )
    assert answer.status == 401 and "x-api-key" in answer.body["errors"][0]["message"]


async def test_introspection_needs_no_key_but_data_does(gateway: Gateway) -> None:
    answer = await gateway.query(None, "{ __schema { queryType { name } } }")
    assert answer.status == 200 and answer.data == {"__schema": {"queryType": {"name": "Query"}}}
    mixed = await gateway.query(None, "{ __typename viewer { tenantId } }")
    assert mixed.status == 401


async def test_every_response_carries_a_request_id(gateway: Gateway, world: World) -> None:
    answer = await gateway.query(world.keys["acme_sales"], "{ viewer { tenantId } }")
    assert len(answer.headers["x-request-id"]) >= 8
    refused = await gateway.query(None, "{ viewer { tenantId } }")
    assert refused.headers["x-request-id"] != answer.headers["x-request-id"]


async def test_internal_errors_are_masked_and_logged_with_the_request_id(
    gateway: Gateway, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Break the dashboard query underneath the provider.
    async with world.store.write() as db:
        await db.execute("ALTER TABLE message_hours RENAME TO gone")
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        answer = await gateway.query(
            world.keys["acme_sales"], "{ viewer { tenantId } dashboard { period } }"
        )
    assert answer.status == 200
    assert answer.data == {"viewer": {"tenantId": "acme"}, "dashboard": None}
    [error] = answer.body["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": answer.headers["x-request-id"],
    }
    assert "message_hours" not in str(answer.body)
    assert answer.headers["x-request-id"] in caplog.text and "message_hours" in caplog.text


async def test_get_queries_work_and_browsers_get_graphiql(gateway: Gateway, world: World) -> None:
    async with gateway.session.get(
        gateway.url,
        params={"query": "{ viewer { tenantId } }"},
        headers={"x-api-key": world.keys["acme_sales"]},
    ) as response:
        assert response.status == 200
        assert await response.json() == {"data": {"viewer": {"tenantId": "acme"}}}
    async with gateway.session.get(gateway.url, headers={"accept": "text/html"}) as response:
        page = await response.text()
        assert response.status == 200 and "graphiql" in page.lower()
        # Without `gateway graphiql-assets` run, the stock page, its files from the CDN.
        assert "https://unpkg.com/graphiql@" in page


async def test_healthz_reports_the_store(gateway: Gateway) -> None:
    async with gateway.session.get(gateway.server.make_url("/healthz")) as response:
        assert response.status == 200
        body = await response.json()
        assert (body["status"], body["store"]) == ("ok", "ok") and body["worker"] > 0
        # The native source has no circuit breaker to report, only whether the store answers.
        assert body["sources"]["native"] == {"platform": "native", "lastCall": "ok"}


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xca\xfe", b"null", b"42", b'"query"', b"[]", b"[1, 2]"],
)
async def test_a_body_that_is_no_request_is_400(
    gateway: Gateway, world: World, body: bytes
) -> None:
    async with gateway.session.post(
        gateway.url,
        data=body,
        headers={"x-api-key": world.keys["acme_sales"], "content-type": "application/json"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_anything_unexpected_outside_the_graph_is_a_typed_masked_500(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise KeyError("a secret detail")

    monkeypatch.setattr("gateway.http.app.metrics_route", lambda token: broken)  # outside the graph
    app = create_app(Settings(store_url=world.store.url, demo=False, metrics_public=True))
    async for running in serve(app):
        async with running.session.get(str(running.server.make_url("/metrics"))) as response:
            # In the shape of the route's other refusals (/metrics is no GraphQL endpoint).
            error = await response.json()
            assert response.status == 500
            assert error["code"] == "INTERNAL_SERVER_ERROR"
            assert error["error"] == "Internal server error"
            assert error["requestId"] == response.headers["x-request-id"]
            assert "secret" not in await response.text()
    assert "a secret detail" in caplog.text and error["requestId"] in caplog.text


async def test_unknown_paths_and_methods_are_typed_with_a_request_id(gateway: Gateway) -> None:
    async with gateway.session.get(gateway.server.make_url("/nowhere")) as response:
        assert response.status == 404 and (await response.json())["code"] == "NOT_FOUND"
        assert response.headers["x-request-id"]
    async with gateway.session.put(gateway.url) as response:
        assert response.status == 405 and response.headers["allow"] == "GET, POST"
        assert response.headers["x-request-id"]
