"""Durability: the gateway killed with SIGKILL under webhook load, and an import killed with it,
lose no acknowledged event, count none twice, and leave a sound database."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native import SqliteStore, open_store
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSources
from tests.support.gateway import BACKENDS
from tests.support.live import free_port
from tests.support.pg import create_database
from tests.support.production import pragma


async def prepare(path: Path | str) -> tuple[str, str]:
    store = await open_store(path)
    try:
        await Tenancy(store).create_tenant("acme", "Acme")
        source = await WebhookSources(store).create("acme", "messagesender")
        return source.name, source.secret
    finally:
        await store.close()


def batch(number: int) -> bytes:
    return json.dumps(
        [
            {
                "type": "sms.message",
                "tenant": "acme",
                "id": f"evt-{number}-{i}",
                "messageId": f"m-{number}-{i}",
                "sentAt": "2026-11-20T10:00:00Z",
                "status": "sent",
            }
            for i in range(20)
        ]
    ).encode()


async def load(
    port: int,
    name: str,
    secret: str,
    acknowledged: list[int],
    enough: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    url = f"http://127.0.0.1:{port}/webhooks/{name}"
    counter = iter(range(10**6))

    async def sender(session: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            number = next(counter)
            body = batch(number)
            try:
                async with session.post(
                    url,
                    data=body,
                    headers={
                        SIGNATURE_HEADER: sign(secret, body),
                        "content-type": "application/json",
                    },
                ) as response:
                    if response.status == 200:
                        acknowledged.append(number)
                        if len(acknowledged) >= 30:
                            enough.set()
            except aiohttp.ClientError:
                return

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(sender(session) for _ in range(4)))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_under_webhook_load_loses_no_acknowledged_event(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    if backend == "postgresql":
        url = await create_database(request.getfixturevalue("postgres"))
    name, secret = await prepare(url)
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_PORT": str(port),
        "GATEWAY_STORE_URL": url,
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "serve",
        "--no-demo",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    assert server.stdout is not None
    await server.stdout.readline()  # the banner: serving
    acknowledged: list[int] = []
    enough, stop = asyncio.Event(), asyncio.Event()
    sending = asyncio.ensure_future(load(port, name, secret, acknowledged, enough, stop))
    await asyncio.wait_for(enough.wait(), timeout=30)
    server.send_signal(signal.SIGKILL)  # in the middle of the load
    await server.wait()
    stop.set()
    await sending

    store = await open_store(url)  # as a restart would
    try:
        if isinstance(store, SqliteStore):
            assert await pragma(store, "integrity_check") == [("ok",)]
        rows = await store.fetch_all("SELECT external_id FROM sms_messages")
        stored = [row[0] for row in rows]
        assert len(stored) == len(set(stored))  # nothing twice
        present = set(stored)
        for number in acknowledged:
            for i in range(20):
                assert f"m-{number}-{i}" in present, f"acknowledged batch {number} lost"
        totals = await store.fetch_one("SELECT sum(sent) FROM sms_buckets")
        assert totals is not None and totals[0] == len(stored)  # rollups agree with rows
    finally:
        await store.close()


IMPORTED = 150_000


def import_file(path: Path) -> Path:
    source = path / "events.jsonl"
    with source.open("w") as out:
        for n in range(IMPORTED):
            event = {
                "type": "sms.message",
                "tenant": "acme",
                "id": f"imp-{n}",
                "messageId": f"i-{n}",
                "sentAt": "2026-11-19T10:00:00Z",
                "status": "sent",
            }
            out.write(json.dumps(event) + "\n")
    return source


async def applied_so_far(stderr: asyncio.StreamReader, seen: list[int], enough: int) -> None:
    """Follow the import's progress line ("N lines, M applied, ..."); M counts committed
    events only. Return once it passes `enough`."""
    text = ""
    while True:
        chunk = await stderr.read(4096)
        if not chunk:
            return
        text = (text + chunk.decode())[-4096:]
        counts = re.findall(r"(\d+) applied", text)
        if counts:
            seen.append(int(counts[-1]))
            if seen[-1] >= enough:
                return


async def test_sigkill_under_webhook_and_import_load_then_resume(tmp_path: Path) -> None:
    name, secret = await prepare(tmp_path / "gateway.sqlite3")
    source = import_file(tmp_path)
    port = free_port()
    env = {**os.environ, "GATEWAY_DATA_DIR": str(tmp_path), "GATEWAY_PORT": str(port)}
    server = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway", "serve", "--no-demo"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    assert server.stdout is not None
    await server.stdout.readline()
    acknowledged: list[int] = []
    enough, stop = asyncio.Event(), asyncio.Event()
    sending = asyncio.ensure_future(load(port, name, secret, acknowledged, enough, stop))
    importer = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway", "import", str(source)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert importer.stderr is not None
    applied: list[int] = []
    await asyncio.wait_for(applied_so_far(importer.stderr, applied, 20_000), timeout=60)
    await asyncio.wait_for(enough.wait(), timeout=30)
    # Both writers die at once, each in the middle of its load.
    importer.send_signal(signal.SIGKILL)
    server.send_signal(signal.SIGKILL)
    await asyncio.gather(importer.wait(), server.wait())
    stop.set()
    await sending
    assert 0 < applied[-1] < IMPORTED, "the import was not killed in its middle"

    store = await SqliteStore.open(tmp_path / "gateway.sqlite3")
    try:
        assert await pragma(store, "integrity_check") == [("ok",)]
        rows = await store.fetch_all("SELECT external_id FROM sms_messages")
        stored = {row[0] for row in rows}
        assert len(rows) == len(stored)
        # Batches commit in order: every event the import had reported applied is there.
        missing = [n for n in range(applied[-1]) if f"i-{n}" not in stored]
        assert missing == [], f"{len(missing)} imported events lost"
        for number in acknowledged:
            assert all(f"m-{number}-{i}" in stored for i in range(20)), number
    finally:
        await store.close()

    # Running the same import again applies the rest and counts the rest as duplicates.
    resumed = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway", "import", str(source)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    out, _ = await resumed.communicate()
    report = json.loads(out)
    assert report["applied"] + report["duplicates"] == IMPORTED and report["rejected"] == 0
    assert report["duplicates"] >= applied[-1]
    print(
        f"\nkilled with {applied[-1]} imported events reported and {len(acknowledged)} webhook"
        f" batches acknowledged; the resumed import applied {report['applied']} and found"
        f" {report['duplicates']} already there"
    )
    store = await SqliteStore.open(tmp_path / "gateway.sqlite3")
    try:
        imported = await store.fetch_one(
            "SELECT count(*) FROM sms_messages WHERE external_id LIKE 'i-%'"
        )
        assert imported is not None and imported[0] == IMPORTED
        total = await store.fetch_one("SELECT count(*) FROM sms_messages")
        sent = await store.fetch_one("SELECT sum(sent) FROM sms_buckets")
        assert total is not None and sent is not None and sent[0] == total[0]
        assert await pragma(store, "integrity_check") == [("ok",)]
    finally:
        await store.close()
