"""Trusted documents: a manifest of the operations a frontend ships, served by id, and with
`only`, every other document refused by its hash before it is parsed."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.appkeys import CONFIGURATION
from gateway.schema.trusted import ManifestError, load_manifest
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.sockets import PROTOCOL, Socket

WEEK = "query Week { dashboard(period: DAYS_7) { totals { total } } }"
LIVE = "subscription Live { dashboard(period: DAYS_7) { totals { total } } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apollo_manifest(path: Path, *bodies: str) -> Path:
    operations = [{"id": sha(b), "name": b.split()[1], "type": b.split()[0], "body": b}
                  for b in bodies]  # fmt: skip
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest))
    return path


async def trusting(world: World, manifest: Path, mode: str, **extra: Any) -> AsyncIterator[Gateway]:
    options: dict[str, Any] = {"cache_ttl_seconds": 0, "rate_limit": 0, "anonymous_rate_limit": 0}
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        trusted_documents=manifest,
        trusted_documents_mode=mode,
        **(options | extra),
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def post(gateway: Gateway, key: str | None, payload: dict[str, Any]) -> tuple[int, Any]:
    headers = {"x-api-key": key} if key else {}
    async with gateway.session.post(gateway.url, json=payload, headers=headers) as response:
        return response.status, await response.json()


@pytest.fixture
async def only(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    manifest = apollo_manifest(tmp_path / "manifest.json", WEEK, LIVE)
    async for running in trusting(world, manifest, "only"):
        yield running


async def test_listed_documents_go_by_id_or_by_their_text(only: Gateway, world: World) -> None:
    key = world.keys["acme_sales"]
    by_hash = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(WEEK)}}}
    for payload in (by_hash, {"documentId": f"sha256:{sha(WEEK)}"}, {"query": WEEK}):
        status, body = await post(only, key, payload)
        assert status == 200 and body["data"]["dashboard"]["totals"]["total"] == 0, payload


async def test_anything_else_is_refused_by_its_hash_unparsed(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With introspection off too: otherwise an unlisted text is parsed (within the token
    limit) to let introspection through, and only then refused."""
    parsed: list[str] = []
    monkeypatch.setattr("gateway.schema.documents.parse", lambda text, **_: parsed.append(text))
    manifest = apollo_manifest(tmp_path / "manifest.json", WEEK)
    async for gateway in trusting(world, manifest, "only", introspection=False):
        await _refused_unparsed(gateway, world)
    assert parsed == []


async def _refused_unparsed(only: Gateway, world: World) -> None:
    key = world.keys["acme_sales"]
    for payload in (
        {"query": "{ viewer { tenantId } }"},
        {"documentId": "sha256:" + "0" * 64},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "1" * 64}}},
    ):
        status, body = await post(only, key, payload)
        assert status == 400, payload
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    # Nor can automatic persisted queries add to the list.
    other = "query Other { viewer { tenantId } }"
    apq = {
        "query": other,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(other)}},
    }
    status, _ = await post(only, key, apq)
    assert status == 400


async def test_introspection_follows_its_own_switch(world: World, tmp_path: Path) -> None:
    manifest = apollo_manifest(tmp_path / "manifest.json", WEEK)
    schema = {"query": "{ __schema { queryType { name } } }"}
    async for gateway in trusting(world, manifest, "only"):
        assert (await post(gateway, None, schema))[0] == 200
    async for gateway in trusting(world, manifest, "only", introspection=False):
        status, body = await post(gateway, None, schema)
        assert status == 400
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"


async def test_prefer_serves_listed_ids_and_still_takes_other_documents(
    world: World, tmp_path: Path
) -> None:
    manifest = tmp_path / "map.json"
    manifest.write_text(json.dumps({sha(WEEK): WEEK}))  # graphql-codegen's shape
    async for gateway in trusting(world, manifest, "prefer"):
        key = world.keys["acme_sales"]
        assert (await post(gateway, key, {"documentId": sha(WEEK)}))[0] == 200
        assert (await post(gateway, key, {"query": "{ viewer { tenantId } }"}))[0] == 200


async def test_subscriptions_obey_the_list_too(only: Gateway, world: World) -> None:
    async with only.session.ws_connect(only.url, protocols=[PROTOCOL]) as ws:
        socket = Socket(ws)
        await socket.send(
            {"type": "connection_init", "payload": {"x-api-key": world.keys["acme_sales"]}}
        )
        assert (await socket.receive())["type"] == "connection_ack"
        unlisted = "subscription { dashboard { totals { read } } }"
        await socket.send({"type": "subscribe", "id": "1", "payload": {"query": unlisted}})
        refused = await socket.receive()
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        by_hash = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(LIVE)}}}
        await socket.send({"type": "subscribe", "id": "2", "payload": by_hash})
        assert (await socket.receive())["type"] == "next"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "not JSON"),
        ('{"format": "apollo-persisted-query-manifest", "version": 2}', "version 1"),
        (json.dumps({"0" * 64: WEEK}), "not the sha256 of the body"),
        (json.dumps({"nope": WEEK}), "sha256 hex digest"),
        ("[1, 2]", "expected Apollo's manifest"),
    ],
)
def test_a_bad_manifest_is_one_clear_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(ManifestError, match=problem):
        load_manifest(path, "only")


def test_the_command_checks_every_document_against_the_graph(tmp_path: Path) -> None:
    broken = "query Broken { dashboard { nonsense } }"
    deep = (
        "query Deep { __schema { types { fields { type { "
        + "ofType { " * 14
        + "name"
        + " }" * 18
        + " }"
    )
    manifest = apollo_manifest(tmp_path / "manifest.json", WEEK, broken, deep)
    checked = subprocess.run(
        [sys.executable, "-m", "gateway", "trusted-documents", str(manifest)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 1
    assert "3 documents, 2 with problems" in checked.stdout
    assert (
        "Cannot query field 'nonsense'" in checked.stderr
        and "maximum operation depth" in checked.stderr
    )
    assert "Traceback" not in checked.stderr


async def test_a_document_taken_off_the_list_is_not_answered_from_the_cache(
    world: World, tmp_path: Path
) -> None:
    manifest = apollo_manifest(tmp_path / "manifest.json", WEEK, LIVE)
    async for gateway in trusting(world, manifest, "only", cache_ttl_seconds=30):
        key, payload = world.keys["acme_sales"], {"query": WEEK}
        for expected in ("miss", "hit"):
            async with gateway.session.post(
                gateway.url, json=payload, headers={"x-api-key": key}
            ) as response:
                assert response.status == 200 and response.headers["x-cache"] == expected
        apollo_manifest(manifest, LIVE)
        app = gateway.server.app
        assert app is not None and await app[CONFIGURATION].reload()
        _, body = await post(gateway, key, payload)
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST", body
