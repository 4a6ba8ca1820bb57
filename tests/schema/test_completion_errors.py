"""An error the GraphQL library raises while writing a value (an Int beyond 32 bits) is the
gateway's or a source's fault, never the caller's: masked as INTERNAL_SERVER_ERROR, not coded
BAD_USER_INPUT, while errors in the request itself still are."""

from __future__ import annotations

from pathlib import Path

import strawberry

from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind, default_scopes
from gateway.http.app import create_app
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy
from gateway.schema.extensions import GatewayErrors
from tests.support.gateway import fixed_clock, ingest, serve


@strawberry.type
class Query:
    @strawberry.field
    def big(self) -> int | None:
        return 3_000_000_000

    @strawberry.field
    def small(self) -> int:
        return 1


SCHEMA = strawberry.Schema(query=Query, extensions=[GatewayErrors])


async def test_a_value_beyond_int_is_masked_not_the_callers_fault() -> None:
    result = await SCHEMA.execute("{ big small }")
    assert result.data == {"big": None, "small": 1}
    [error] = result.errors or []
    assert error.path == ["big"]
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": None}
    assert error.message == "Internal server error"


async def test_errors_in_the_request_itself_are_still_bad_user_input() -> None:
    for document in ("{ big(", "{ nope }"):
        result = await SCHEMA.execute(document)
        assert [e.extensions for e in result.errors or []] == [{"code": "BAD_USER_INPUT"}]


async def test_a_stored_count_beyond_int_is_masked_on_the_native_store(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "gateway.sqlite3")
    try:
        tenancy = Tenancy(store)
        await tenancy.create_tenant("acme", "Acme")
        key = (await tenancy.create_key("acme", KeyKind.TENANT, default_scopes(KeyKind.TENANT))).key
        account = {
            "type": "billing.account",
            "tenant": "acme",
            "organizationId": "o",
            "billingStatus": "active",
            "pricingModel": "per_message",
            "available": 10,
        }
        await ingest(store, account)
        # Written past ingest, as a store filled before ingest bounded its fields could hold it.
        async with store.write() as db:
            await db.execute("UPDATE billing_accounts SET available_credits = 3000000000")
    finally:
        await store.close()
    settings = Settings(store_url=f"sqlite:///{tmp_path / 'gateway.sqlite3'}", demo=False)
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        answer = await gateway.query(
            key, "{ viewer { tenantId } billing { credits { available } } }"
        )
        assert answer.codes == ["INTERNAL_SERVER_ERROR"]
        assert answer.data["viewer"] == {"tenantId": "acme"}
