"""Tenant isolation: every root field and every id-taking field, asked with keys of two tenants
and every key shape, shows nothing of the other tenant; its ids are NOT_FOUND, never FORBIDDEN.
The same holds through the response cache."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from graphql import parse

from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind, default_scopes
from gateway.http.app import create_app
from gateway.providers.native.tenancy import Tenancy
from gateway.schema import build_schema
from gateway.schema.ids import encode_id
from gateway.testing.fakes import FakeState, pilotstatus_app
from tests.support.gateway import Gateway, World, fixed_clock, ingest, serve
from tests.support.isolation import EVERYTHING

# Root fields asked otherwise: _entities below, by id like number, campaign and node; _service is
# the schema's text, the same for everyone.
ELSEWHERE = {"number", "campaign", "node", "_entities", "_service"}

# Each tenant also has a number at Pilot Status in the gateway configured with it (below).
UPSTREAM_PHONES = {"acme": "+5511955550199", "globex": "+4930955550299"}
MARKERS = {
    "acme": ["ACME-CAMPAIGN", "org-acme", "+5511900000001", "+5511900000002", "+5511955550199"],
    "globex": ["GLOBEX-CAMPAIGN", "org-globex", "+4930900000003", "+4930955550299"],
}
KEYS = [
    "acme_tenant",
    "acme_sales",
    "acme_unlinked",
    "acme_no_scopes",
    "globex_tenant",
    "globex_main",
]


async def seed(world: World) -> dict[str, dict[str, str]]:
    ids: dict[str, dict[str, str]] = {}
    for tenant, number in (("acme", "sales"), ("globex", "main")):
        marker = MARKERS[tenant][0]
        await world.send(number, f"{tenant}-w", datetime(2026, 11, 21, 10, tzinfo=UTC))
        await ingest(
            world.store,
            {
                "type": "campaign",
                "tenant": tenant,
                "channel": "sms",
                "campaignId": "c1",
                "name": marker,
                "status": "completed",
                "createdAt": "2026-11-20T10:00:00Z",
            },
            {
                "type": "sms.message",
                "tenant": tenant,
                "messageId": "s1",
                "campaignId": "c1",
                "sentAt": "2026-11-20T10:05:00Z",
                "status": "delivered",
            },
            {
                "type": "campaign",
                "tenant": tenant,
                "channel": "email",
                "campaignId": "e1",
                "name": marker + "-EMAIL",
                "status": "completed",
                "createdAt": "2026-11-19T10:00:00Z",
                "sentAt": "2026-11-20T10:00:00Z",
            },
            {
                "type": "email",
                "tenant": tenant,
                "event": "sent",
                "campaignId": "e1",
                "recipient": "r",
                "at": "2026-11-20T10:00:00Z",
            },
            {"type": "contact", "tenant": tenant, "contactId": "p1"},
            {
                "type": "billing.account",
                "tenant": tenant,
                "organizationId": f"org-{tenant}",
                "billingStatus": "active",
                "pricingModel": "per_message",
                "available": 10,
            },
        )
        rows = await world.store.fetch_all(
            "SELECT channel, id FROM campaigns WHERE tenant_id = ?", (tenant,)
        )
        ids[tenant] = {
            "SmsCampaign": encode_id(
                "SmsCampaign", "native", next(r[1] for r in rows if r[0] == "sms")
            ),
            "EmailCampaign": encode_id(
                "EmailCampaign", "native", next(r[1] for r in rows if r[0] == "email")
            ),
            "WhatsAppNumber": encode_id("WhatsAppNumber", "native", world.numbers[number]),
        }
    return ids


def tenant_of(key: str) -> str:
    return key.split("_", 1)[0]


def assert_nothing_of_the_other(body: dict[str, Any], key: str) -> None:
    other = "globex" if tenant_of(key) == "acme" else "acme"
    text = json.dumps(body)
    for marker in MARKERS[other]:
        assert marker not in text, f"{key} saw {marker}"
    codes = {e["extensions"]["code"] for e in body.get("errors", [])}
    assert codes <= {"FORBIDDEN", "TENANT_SCOPE_NOT_ALLOWED", "NUMBER_NOT_LINKED"}, codes


def test_every_root_field_is_in_the_matrix() -> None:
    asked = {
        selection.name.value
        for selection in parse(EVERYTHING).definitions[0].selection_set.selections  # type: ignore[attr-defined]
    }
    assert set(build_schema()._schema.query_type.fields) - asked == ELSEWHERE  # type: ignore[union-attr]


@pytest.mark.parametrize("key", KEYS)
async def test_no_root_field_shows_another_tenant(gateway: Gateway, world: World, key: str) -> None:
    await seed(world)
    answer = await gateway.query(world.keys[key], EVERYTHING)
    assert answer.status == 200
    assert_nothing_of_the_other(answer.body, key)
    if key.endswith("_tenant"):  # a key that may see it all sees its own tenant's data
        assert MARKERS[tenant_of(key)][0] in json.dumps(answer.body)


@pytest.mark.parametrize("key", KEYS)
async def test_another_tenants_ids_are_not_found_never_forbidden(
    gateway: Gateway, world: World, key: str
) -> None:
    ids = await seed(world)
    other = ids["globex" if tenant_of(key) == "acme" else "acme"]
    for field, type_name in (
        ("number", "WhatsAppNumber"),
        ("campaign", "SmsCampaign"),
        ("campaign", "EmailCampaign"),
        ("node", "WhatsAppNumber"),
        ("node", "SmsCampaign"),
        ("node", "EmailCampaign"),
    ):
        answer = await gateway.query(
            world.keys[key],
            f"query ($id: ID!) {{ {field}(id: $id) {{ id }} }}",
            {"id": other[type_name]},
        )
        assert answer.data == {field: None}
        codes = answer.codes
        # A key that may not use the field at all is told so, whoever's id it names.
        assert codes in (["NOT_FOUND"], ["FORBIDDEN"]), (key, field, codes)
        if key.endswith("_tenant"):
            assert codes == ["NOT_FOUND"]
    # The same ids as federation entities, and the other tenant as an organization.
    representations = [{"__typename": t, "id": i} for t, i in other.items()]
    other_tenant = "globex" if tenant_of(key) == "acme" else "acme"
    representations.append({"__typename": "Organization", "id": other_tenant})
    answer = await gateway.query(
        world.keys[key],
        "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        {"r": representations},
    )
    assert answer.data == {"_entities": [None] * len(representations)}
    assert set(answer.codes) <= {"NOT_FOUND", "FORBIDDEN"}, (key, answer.codes)
    if key.endswith("_tenant"):
        assert answer.codes == ["NOT_FOUND"] * len(representations)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # the same fields, by other names
@pytest.mark.parametrize("key", KEYS)
async def test_node_sees_what_the_key_s_own_fields_see(
    gateway: Gateway, world: World, key: str
) -> None:
    """node(id:) answers an id of the key's own tenant as the field that names its type does:
    the same object, or the same refusal (a number-scoped key's other numbers are NOT_FOUND)."""
    ids = await seed(world)
    own = dict(ids[tenant_of(key)])
    if tenant_of(key) == "acme":
        own["other number"] = encode_id("WhatsAppNumber", "native", world.numbers["support"])
    for name, global_id in own.items():
        field = "number" if "Number" in name or name == "other number" else "campaign"
        direct = await gateway.query(
            world.keys[key], f"query ($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": global_id}
        )
        node = await gateway.query(
            world.keys[key],
            "query ($id: ID!) { node(id: $id) { __typename id } }",
            {"id": global_id},
        )
        assert node.codes == direct.codes, (key, name)
        if direct.data[field] is None:
            assert node.data == {"node": None}
        else:
            assert node.data["node"]["id"] == direct.data[field]["id"] == global_id
            assert node.data["node"]["__typename"] in name or name == "other number"


@pytest.fixture
async def cached(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = Settings(store_url=world.store.url, demo=False, rate_limit=0)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def test_the_response_cache_never_crosses_tenants(cached: Gateway, world: World) -> None:
    await seed(world)
    for _ in range(2):
        for key in ("acme_tenant", "globex_tenant"):
            answer = await cached.query(world.keys[key], EVERYTHING)
            assert_nothing_of_the_other(answer.body, key)
            assert MARKERS[tenant_of(key)][0] in json.dumps(answer.body)


@pytest.fixture
async def with_upstream_numbers(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    """The same tenants, each with one more number, at a fake Pilot Status, and a key for it."""
    state = FakeState(keys={f"ps_{t}": phone for t, phone in UPSTREAM_PHONES.items()})
    state.now = fixed_clock
    platform = TestServer(pilotstatus_app(state), host="127.0.0.1")
    await platform.start_server()
    sources = f"""[sources.ps]
platform = "pilotstatus"
base_url = "http://127.0.0.1:{platform.port}"
retries = 0
"""
    for tenant, phone in UPSTREAM_PHONES.items():
        monkeypatch.setenv(f"ISOLATION_{tenant.upper()}_PS_KEY", f"ps_{tenant}")
        sources += f"""
[[tenants.{tenant}.numbers]]
source = "ps"
phone = "{phone}"
key_env = "ISOLATION_{tenant.upper()}_PS_KEY"
"""
    (tmp_path / "sources.toml").write_text(sources)
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        cache_ttl_seconds=0,
        rate_limit=0,
        sources_file=tmp_path / "sources.toml",
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        tenancy = Tenancy(world.store)
        for tenant, phone in UPSTREAM_PHONES.items():
            [number] = [n for n in await tenancy.list_numbers(tenant) if n.phone_number == phone]
            kind = KeyKind.NUMBER
            issued = await tenancy.create_key(
                tenant, kind, default_scopes(kind), number_id=number.id
            )
            world.keys[f"{tenant}_upstream"] = issued.key
            world.numbers[f"{tenant}_upstream"] = number.id
        yield running
    await platform.close()


UPSTREAM_KEYS = ["acme_upstream", "globex_upstream", "acme_tenant", "globex_tenant"]
NUMBER_FIELDS = """{ numbers { phoneNumber dashboard { totals { total } } }
  linkedNumber { phoneNumber } dashboard { totals { total } } }"""


@pytest.mark.parametrize("key", UPSTREAM_KEYS)
async def test_keys_of_upstream_numbers_see_their_number_and_nothing_of_another_tenant(
    with_upstream_numbers: Gateway, world: World, key: str
) -> None:
    await seed(world)
    answer = await with_upstream_numbers.query(world.keys[key], EVERYTHING)
    assert answer.status == 200
    assert_nothing_of_the_other(answer.body, key)
    answer = await with_upstream_numbers.query(world.keys[key], NUMBER_FIELDS)
    numbers = answer.data["numbers"]
    phones = [n["phoneNumber"] for n in numbers]
    assert UPSTREAM_PHONES[tenant_of(key)] in phones
    assert all(n["dashboard"]["totals"]["total"] >= 0 for n in numbers), answer.body
    if key.endswith("_upstream"):  # its own number, at its source, with its dashboard
        assert "errors" not in answer.body, answer.body
        assert phones == [UPSTREAM_PHONES[tenant_of(key)]]
        assert answer.data["linkedNumber"] == {"phoneNumber": phones[0]}
        assert answer.data["dashboard"]["totals"] == numbers[0]["dashboard"]["totals"]
        assert numbers[0]["dashboard"]["totals"]["total"] > 0


@pytest.mark.parametrize("key", UPSTREAM_KEYS)
async def test_another_tenants_upstream_number_is_not_found(
    with_upstream_numbers: Gateway, world: World, key: str
) -> None:
    other = "globex" if tenant_of(key) == "acme" else "acme"
    number = encode_id("WhatsAppNumber", "ps", world.numbers[f"{other}_upstream"])
    answer = await with_upstream_numbers.query(
        world.keys[key], "query ($id: ID!) { number(id: $id) { phoneNumber } }", {"id": number}
    )
    assert answer.data == {"number": None} and answer.codes == ["NOT_FOUND"]
    answer = await with_upstream_numbers.query(
        world.keys[key],
        "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        {"r": [{"__typename": "WhatsAppNumber", "id": number}]},
    )
    assert answer.data == {"_entities": [None]} and answer.codes == ["NOT_FOUND"]
