"""A webhook source takes only its platform's events, and no link from an event is anything but
http(s), neither as it enters nor as it is served."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native import migrations, open_store
from gateway.providers.native.importer import import_lines
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSource, WebhookSources
from tests.support.gateway import Gateway, World, ingest
from tests.support.pg import create_database, drop_database

ACCOUNT = {
    "type": "billing.account",
    "organizationId": "org-1",
    "billingStatus": "active",
    "pricingModel": "per_message",
    "available": 100,
    "portalUrls": {"customer_portal": "https://billing.example/portal"},
}
# The attack: signed with the WhatsApp source's secret, it raised the credits to 10 M.
CREDITS = {"type": "billing.credits", "id": "x-1", "pool": "purchased", "delta": 10_000_000}
XSS = "javascript:alert(document.domain)//"


async def post(gateway: Gateway, source: WebhookSource, body: Any) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode()
    headers = {SIGNATURE_HEADER: sign(source.secret, data), "content-type": "application/json"}
    async with gateway.session.post(
        gateway.server.make_url(f"/webhooks/{source.name}"), data=data, headers=headers
    ) as response:
        return response.status, await response.json()


async def billing(gateway: Gateway, world: World) -> Any:
    answer = await gateway.query(
        world.keys["acme_tenant"],
        "{ billing { customerPortalUrl subscriptionManagementUrl credits { available } } }",
    )
    assert answer.codes == []
    return answer.data["billing"]


async def test_a_whatsapp_source_cannot_move_credits(gateway: Gateway, world: World) -> None:
    await ingest(world.store, {**ACCOUNT, "tenant": "acme"})
    whatsapp = await WebhookSources(world.store).create("acme", "pilotstatus")
    status, body = await post(gateway, whatsapp, CREDITS)
    assert status == 400 and body["code"] == "BAD_USER_INPUT"
    assert body["events"] == [
        {
            "event": 0,
            "code": "EVENT_NOT_FOR_SOURCE",
            "error": "a pilotstatus source does not take 'billing.credits' events",
        }
    ]
    assert (await billing(gateway, world))["credits"]["available"] == 100
    assert await world.store.fetch_all("SELECT * FROM ingested_events WHERE event_id = 'x-1'") == []
    # The same event from the platform that bills is taken.
    sms = await WebhookSources(world.store).create("acme", "messagesender")
    assert (await post(gateway, sms, {**CREDITS, "delta": 5}))[0] == 200
    assert (await billing(gateway, world))["credits"]["available"] == 105


@pytest.mark.parametrize(
    ("platform", "event"),
    [
        ("pilotstatus", ACCOUNT),
        ("pilotstatus", {"type": "contact", "contactId": "c1"}),
        ("messagesender", {"type": "whatsapp.status", "messageId": "m", "status": "read"}),
        (
            "messagesender",
            {
                "type": "campaign",
                "channel": "email",
                "campaignId": "n1",
                "name": "News",
                "status": "draft",
                "createdAt": "2026-11-20T09:00:00Z",
            },
        ),
        ("email", CREDITS),
        ("email", {"type": "sms.status", "messageId": "m", "status": "sent"}),
    ],
)
async def test_each_platform_refuses_the_others_events(
    gateway: Gateway, world: World, platform: str, event: dict[str, Any]
) -> None:
    source = await WebhookSources(world.store).create("acme", platform)
    # In a batch with a good event of its own platform: the whole body is refused, as for any
    # bad event, and nothing of it is stored.
    own = {
        "pilotstatus": {"type": "whatsapp.status", "messageId": "w", "status": "sent"},
        "messagesender": {"type": "contact", "contactId": "mine"},
        "email": {
            "type": "email",
            "event": "sent",
            "campaignId": "n2",
            "recipient": "a@x.io",
            "at": "2026-11-20T09:00:00Z",
        },
    }[platform]
    status, body = await post(gateway, source, [own, event])
    assert status == 400
    assert [(e["event"], e["code"]) for e in body["events"]] == [(1, "EVENT_NOT_FOR_SOURCE")]
    assert await world.store.fetch_all("SELECT * FROM ingested_events") == []


@pytest.mark.parametrize(
    "event",
    [
        {"type": ["billing.credits"]},
        {"type": {"a": 1}},
        {"type": "teleport"},
        {"type": "campaign", "channel": ["sms"]},
    ],
)
async def test_a_type_no_area_knows_is_a_plain_refusal(
    gateway: Gateway, world: World, event: dict[str, Any]
) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    status, body = await post(gateway, source, event)
    assert status == 400 and body["code"] == "BAD_USER_INPUT"
    assert body["events"][0]["code"] in ("BAD_USER_INPUT", "EVENT_NOT_FOR_SOURCE"), body


async def test_a_gateway_source_takes_every_area(gateway: Gateway, world: World) -> None:
    own = await WebhookSources(world.store).create("acme", "gateway")
    status, body = await post(
        gateway,
        own,
        [
            {**ACCOUNT},
            {**CREDITS, "delta": 7},
            {"type": "contact", "contactId": "c1"},
            {
                "type": "whatsapp.message",
                "number": "+5511900000001",
                "messageId": "w1",
                "sentAt": "2026-11-21T10:00:00Z",
            },
        ],
    )
    assert (status, body) == (200, {"accepted": 4, "duplicates": 0})
    assert (await billing(gateway, world))["credits"]["available"] == 107
    # It takes no platform's own shapes: they belong to that platform's source.
    status, body = await post(
        gateway, own, {"event": "message.sent", "messageId": "m", "timestamp": "2026-11-21T10:00Z"}
    )
    assert status == 400 and "gateway's own events" in body["error"]


@pytest.mark.parametrize(
    "url",
    [
        XSS,
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https:alert(1)",
        "https://billing.example/\x09x",
        "//billing.example/portal",
    ],
)
async def test_a_link_that_is_not_http_is_refused_as_it_enters(
    gateway: Gateway, world: World, url: str
) -> None:
    sms = await WebhookSources(world.store).create("acme", "messagesender")
    account = {**ACCOUNT, "portalUrls": {"customer_portal": url}}
    status, body = await post(gateway, sms, account)
    assert status == 400 and body["events"][0]["code"] == "URL_NOT_HTTP", body
    assert "portalUrls.customer_portal" in body["error"]
    assert await world.store.fetch_all("SELECT * FROM billing_accounts") == []
    mail = await WebhookSources(world.store).create("acme", "email")
    click = {
        "event": "email.clicked",
        "campaignId": "n1",
        "email": "a@x.io",
        "timestamp": "2026-11-20T09:00:00Z",
        "url": url,
    }
    status, body = await post(gateway, mail, click)
    assert status == 400 and body["events"][0]["code"] == "URL_NOT_HTTP", body
    assert await world.store.fetch_all("SELECT * FROM email_links") == []


async def test_http_links_enter_and_are_served(gateway: Gateway, world: World) -> None:
    sms = await WebhookSources(world.store).create("acme", "messagesender")
    portals = {"customer_portal": "HTTPS://billing.example/p", "subscription_management": None}
    assert (await post(gateway, sms, {**ACCOUNT, "portalUrls": portals}))[0] == 200
    served = await billing(gateway, world)
    assert served["customerPortalUrl"] == "HTTPS://billing.example/p"
    assert served["subscriptionManagementUrl"] is None


async def test_a_stored_javascript_link_is_never_served(gateway: Gateway, world: World) -> None:
    # As an older release stored it: written straight into the store.
    await ingest(world.store, {**ACCOUNT, "tenant": "acme"})
    portals = {"customer_portal": XSS, "subscription_management": "https://billing.example/m"}
    async with world.store.write() as db:
        await db.execute("UPDATE billing_accounts SET portal_urls = ?", (json.dumps(portals),))
    served = await billing(gateway, world)
    assert served["customerPortalUrl"] is None
    assert served["subscriptionManagementUrl"] == "https://billing.example/m"

    await ingest(
        world.store,
        *(
            {
                "type": "email",
                "tenant": "acme",
                "event": "click",
                "campaignId": "n1",
                "recipient": "a@x.io",
                "at": "2026-11-20T09:00:00Z",
                "url": url,
            }
            for url in ("https://shop.example/a", "https://shop.example/b")
        ),
    )
    async with world.store.write() as db:
        await db.execute(
            "UPDATE email_links SET url = ? WHERE url = ?",
            ("data:text/html,x", "https://shop.example/b"),
        )
    answer = await gateway.query(
        world.keys["acme_tenant"],
        """{ campaigns(channel: EMAIL) { edges { node { ... on EmailCampaign {
        report { linkActivity { url clicks } } } } } } }""",
    )
    report = answer.data["campaigns"]["edges"][0]["node"]["report"]
    assert report["linkActivity"] == [{"url": "https://shop.example/a", "clicks": 1}]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_sources_of_an_older_store_keep_registering_numbers(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
) -> None:
    everything = migrations.available_migrations
    monkeypatch.setattr(
        migrations,
        "available_migrations",
        lambda dialect="sqlite": [m for m in everything(dialect) if m[0] <= 5],
    )
    if backend == "sqlite":
        url = str(tmp_path / "old.sqlite3")
    else:
        server = request.getfixturevalue("postgres")
        url = await create_database(server)
        request.addfinalizer(lambda: drop_database(server, url.rsplit("/", 1)[1]))
    old = await open_store(url)
    await Tenancy(old).create_tenant("acme", "Acme")
    async with old.write() as db:
        await db.execute(
            "INSERT INTO webhook_sources (name, tenant_id, platform, secret, created_at) "
            "VALUES ('old', 'acme', 'pilotstatus', 'whsec_x', 0)"
        )
    await old.close()
    monkeypatch.setattr(migrations, "available_migrations", everything)
    store = await open_store(url)
    try:
        sources = WebhookSources(store)
        assert await sources.find("old") == WebhookSource(
            "old", "acme", "pilotstatus", "whsec_x", register_numbers=True
        )
        made = await sources.create("acme", "gateway", "own", register_numbers=False)
        assert await sources.find("own") == made and not made.register_numbers
    finally:
        await store.close()


async def test_import_refuses_the_same_links(world: World) -> None:
    account = {**ACCOUNT, "tenant": "acme", "portalUrls": {"customer_portal": XSS}}
    rejects = io.StringIO()
    summary = await import_lines(world.store, [json.dumps(account)], rejects)
    assert (summary.applied, summary.rejected) == (0, 1)
    refused = json.loads(rejects.getvalue())
    assert refused["code"] == "URL_NOT_HTTP"
    assert refused["reason"].startswith("billing.account.portalUrls.customer_portal")
    assert await world.store.fetch_all("SELECT * FROM billing_accounts") == []
