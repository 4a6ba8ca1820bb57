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
from graphql import parse

from gateway.app import create_app
from gateway.schema import build_schema
from gateway.schema.ids import encode_id
from gateway.settings import Settings
from tests.conftest import Gateway, World, fixed_clock, ingest, serve

EVERYTHING = """{
  viewer { tenantId }
  numbers { id phoneNumber dashboard { totals { total } } }
  linkedNumber { phoneNumber }
  dashboard { totals { total } }
  sms { overview { messages { total } campaigns { total } contacts { total } }
        topCampaigns { id name } campaignExport { campaignName }
        trends { date messages { total } } }
  email { dashboard(pastDays: 30) { emailsSent { value } } overall(pastDays: 30) { sent } }
  campaigns { edges { node { id name ... on EmailCampaign { report { performance { sent } } } } } }
  billing { organizationId } creditBalance { balance }
  deliveryByChannel { channels { channel totals { total } } }
  organization { id numbers { phoneNumber } billing { organizationId } }
}"""
# Root fields asked otherwise: _entities below, by id like number and campaign; _service is the
# schema's text, the same for everyone.
ELSEWHERE = {"number", "campaign", "_entities", "_service"}

MARKERS = {
    "acme": ["ACME-CAMPAIGN", "org-acme", "+5511900000001", "+5511900000002"],
    "globex": ["GLOBEX-CAMPAIGN", "org-globex", "+4930900000003"],
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
