"""Durability: the gateway killed with SIGKILL under webhook load loses no acknowledged event,
counts none twice, and leaves a sound database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp

from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSources
from gateway.webhooks import SIGNATURE_HEADER, sign
from tests.live import free_port


async def prepare(path: Path) -> tuple[str, str]:
    store = await SqliteStore.open(path)
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


async def test_sigkill_under_webhook_load_loses_no_acknowledged_event(tmp_path: Path) -> None:
    name, secret = await prepare(tmp_path / "gateway.sqlite3")
    port = free_port()
    env = {**os.environ, "GATEWAY_DATA_DIR": str(tmp_path), "GATEWAY_PORT": str(port)}
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

    store = await SqliteStore.open(tmp_path / "gateway.sqlite3")  # as a restart would
    try:
        assert await store.pragma("integrity_check") == [("ok",)]
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
