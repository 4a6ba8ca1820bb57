"""Unknown numbers in webhooks and imports: registered only where the source allows it, and
never past GATEWAY_MAX_NUMBERS_PER_TENANT; a refused event leaves nothing behind."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.__main__ import main
from gateway.config.settings import Settings
from gateway.domain.events import Event, parse_event
from gateway.http.app import create_app
from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native import SqliteStore, open_store
from gateway.providers.native.importer import import_lines
from gateway.providers.native.ingest import NumberRule, apply_events
from gateway.providers.native.store import Store
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSource, WebhookSources
from tests.support.gateway import Gateway, World, fixed_clock, serve

KNOWN = "+5511900000001"  # acme's "sales"; acme holds two numbers


def sent(message: str, number: str) -> dict[str, Any]:
    return {
        "event": "message.sent",
        "messageId": message,
        "from": number,
        "timestamp": "2026-11-21T10:00:00Z",
    }


async def post(gateway: Gateway, source: WebhookSource, body: Any) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode()
    headers = {SIGNATURE_HEADER: sign(source.secret, data), "content-type": "application/json"}
    async with gateway.session.post(
        gateway.server.make_url(f"/webhooks/{source.name}"), data=data, headers=headers
    ) as response:
        return response.status, await response.json()


async def bounded(world: World, limit: int) -> AsyncIterator[Gateway]:
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        cache_ttl_seconds=0,
        rate_limit=0,
        max_numbers_per_tenant=limit,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def phones(store: Store, tenant: str = "acme") -> list[str]:
    rows = await store.fetch_all(
        "SELECT phone_number FROM numbers WHERE tenant_id = ? ORDER BY phone_number", (tenant,)
    )
    return [row[0] for row in rows]


async def messages(store: Store) -> list[str]:
    return sorted(row[0] for row in await store.fetch_all("SELECT external_id FROM messages"))


async def test_one_below_the_bound_a_tenant_gets_one_number_and_no_more(world: World) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    async for gateway in bounded(world, 3):
        assert await post(gateway, source, sent("a1", "+100")) == (
            200,
            {"accepted": 1, "duplicates": 0},
        )
        status, body = await post(gateway, source, sent("b1", "+200"))
        assert status == 400 and body["code"] == "BAD_USER_INPUT" and body["accepted"] == 0
        assert [(e["event"], e["code"]) for e in body["events"]] == [(0, "TOO_MANY_NUMBERS")]
        assert "GATEWAY_MAX_NUMBERS_PER_TENANT" in body["error"]
        # At the bound, the numbers the tenant has take events as ever.
        assert (await post(gateway, source, sent("k1", KNOWN)))[0] == 200
        assert (await post(gateway, source, sent("a2", "+100")))[0] == 200
    assert await phones(world.store) == ["+100", "+5511900000001", "+5511900000002"]
    assert await messages(world.store) == ["a1", "a2", "k1"]
    # The refused event was not marked as seen: once the bound is raised, its retry is applied.
    async for gateway in bounded(world, 4):
        assert (await post(gateway, source, sent("b1", "+200")))[1] == {
            "accepted": 1,
            "duplicates": 0,
        }


async def test_a_batch_crossing_the_bound_keeps_its_other_events(world: World) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    batch = [
        sent("a1", "+100"),
        sent("a2", "+100"),  # the same new number: it counts once
        sent("k1", KNOWN),
        sent("b1", "+200"),
        sent("c1", "+300"),  # the third new number, past 4
        # A status with its number and send time stands for a message: it registers too.
        {**sent("c2", "+300"), "event": "message.read", "sentAt": "2026-11-21T10:00:00Z"},
        {"event": "message.read", "messageId": "a1", "timestamp": "2026-11-21T10:01:00Z"},
    ]
    async for gateway in bounded(world, 4):
        status, body = await post(gateway, source, batch)
        assert status == 400 and body["accepted"] == 5
        assert [(e["event"], e["code"]) for e in body["events"]] == [
            (4, "TOO_MANY_NUMBERS"),
            (5, "TOO_MANY_NUMBERS"),
        ]
    assert "+300" not in await phones(world.store)
    assert await messages(world.store) == ["a1", "a2", "b1", "k1"]
    seen = await world.store.fetch_all("SELECT event_id FROM ingested_events")
    assert len(seen) == 5


async def test_a_source_that_does_not_register_refuses_unknown_numbers(world: World) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus", register_numbers=False)
    assert (await WebhookSources(world.store).find(source.name)) == source
    async for gateway in bounded(world, 10_000):
        status, body = await post(
            gateway,
            source,
            [
                sent("k1", KNOWN),
                sent("u1", "+100"),
                # A status without its send time registers nothing, so it is taken.
                {"event": "message.read", "messageId": "u2", "timestamp": "2026-11-21T10:01Z"},
            ],
        )
        assert status == 400 and body["accepted"] == 2
        assert [(e["event"], e["code"]) for e in body["events"]] == [(1, "UNKNOWN_NUMBER")]
    assert "+100" not in await phones(world.store)
    assert await messages(world.store) == ["k1"]


async def test_concurrent_posts_never_pass_the_bound(world: World) -> None:
    sources = [await WebhookSources(world.store).create("acme", "pilotstatus") for _ in range(3)]
    async for gateway in bounded(world, 5):
        answers = await asyncio.gather(
            *(post(gateway, sources[i % 3], [sent(f"m{i}", f"+{i}00")]) for i in range(1, 7))
        )
    codes = sorted(body.get("events", [{"code": "ok"}])[0]["code"] for _, body in answers)
    assert codes == ["TOO_MANY_NUMBERS"] * 3 + ["ok"] * 3
    assert len(await phones(world.store)) == 5


async def test_import_follows_the_same_rules(world: World) -> None:
    def line(message: str, number: str) -> str:
        event = {
            "type": "whatsapp.message",
            "tenant": "acme",
            "number": number,
            "messageId": message,
            "sentAt": "2026-11-21T10:00:00Z",
        }
        return json.dumps(event)

    lines = [line("a1", "+100"), line("k1", KNOWN), line("b1", "+200")]
    rejects = io.StringIO()
    summary = await import_lines(world.store, lines, rejects, rule=NumberRule(True, 3))
    assert (summary.applied, summary.rejected) == (2, 1)
    refused = json.loads(rejects.getvalue())
    assert (refused["line"], refused["code"]) == (3, "TOO_MANY_NUMBERS")
    assert summary.reasons == {"TOO_MANY_NUMBERS": 1}

    rejects = io.StringIO()
    summary = await import_lines(
        world.store, [line("c1", "+300"), line("a2", "+100")], rejects, rule=NumberRule(False)
    )
    assert (summary.applied, summary.rejected) == (1, 1)
    assert json.loads(rejects.getvalue())["code"] == "UNKNOWN_NUMBER"
    assert await phones(world.store) == ["+100", "+5511900000001", "+5511900000002"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    async def prepare() -> None:
        store = await SqliteStore.open(tmp_path / "gateway.sqlite3")
        await Tenancy(store).create_tenant("acme", "Acme")
        await store.close()

    asyncio.run(prepare())
    return tmp_path


def test_the_import_command_takes_the_bound_and_the_switch(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = data_dir / "events.jsonl"
    source.write_text(
        "\n".join(
            json.dumps(
                {
                    "type": "whatsapp.message",
                    "tenant": "acme",
                    "number": f"+{i}",
                    "messageId": f"m{i}",
                    "sentAt": "2026-11-21T10:00:00Z",
                }
            )
            for i in range(3)
        )
        + "\n"
    )
    args = ["import", str(source), "--data-dir", str(data_dir)]
    assert main([*args, "--no-register-numbers"]) == 1
    assert json.loads(capsys.readouterr().out)["rejected"] == 3
    monkeypatch.setenv("GATEWAY_MAX_NUMBERS_PER_TENANT", "2")
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["applied"], report["rejected"]) == (2, 1)
    rejected = Path(report["rejectedTo"]).read_text().splitlines()
    assert [json.loads(r)["code"] for r in rejected] == ["TOO_MANY_NUMBERS"]


def test_webhooks_create_takes_the_switch(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["webhooks", "create", "--tenant", "acme", "--data-dir", str(data_dir)]
    assert main([*base, "--platform", "pilotstatus", "--no-register-numbers"]) == 0
    quiet = json.loads(capsys.readouterr().out)
    assert main([*base, "--platform", "gateway"]) == 0
    own = json.loads(capsys.readouterr().out)
    assert (quiet["registerNumbers"], own["registerNumbers"], own["platform"]) == (
        False,
        True,
        "gateway",
    )

    async def stored() -> list[bool]:
        store = await SqliteStore.open(data_dir / "gateway.sqlite3")
        try:
            sources = WebhookSources(store)
            found = [await sources.find(quiet["name"]), await sources.find(own["name"])]
            return [source is not None and source.register_numbers for source in found]
        finally:
            await store.close()

    assert asyncio.run(stored()) == [False, True]


async def test_two_replicas_registering_at_once_stop_at_the_bound(world: World) -> None:
    """Two processes' stores (two pools on PostgreSQL), twenty concurrent batches of one new
    number each: exactly the bound is reached, however the transactions interleave."""
    other = await open_store(world.store.url)
    rule = NumberRule(True, 7)  # acme holds 2: five more

    def one(i: int) -> list[Event]:
        return [
            parse_event(
                {
                    "type": "whatsapp.message",
                    "tenant": "acme",
                    "number": f"+{i}",
                    "messageId": f"r{i}",
                    "sentAt": "2026-11-21T10:00:00Z",
                }
            )
        ]

    try:
        results = await asyncio.gather(
            *(apply_events((world.store, other)[i % 2], one(i), rule) for i in range(20))
        )
    finally:
        await other.close()
    assert sum(r.applied for r in results) == 5
    assert sorted(c for r in results for c in r.codes.values()) == ["TOO_MANY_NUMBERS"] * 15
    assert len(await phones(world.store)) == 7
