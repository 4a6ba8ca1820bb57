"""Live fan-out: what a steady webhook stream costs while many live dashboards are held.

    python -m tests.benchmarks.live_fanout                          # 10 and 1,000 subscriptions
    python -m tests.benchmarks.live_fanout --sizes 4,40 --seconds 2  # quick

A gateway in a process of its own (SQLite store in a temp dir) holds N dashboard subscriptions
of one tenant over real websockets (20 a socket, from two keys), then the tenant's Pilot Status
webhook posts one small signed event every --every seconds to a random one of its numbers.
Three shapes of N subscriptions:

  same      every subscription asks the same dashboard (one number, period and zone);
  distinct  each asks its own (a distinct number, with periods and zones spread);
  changing  every subscription asks the dashboard of the number every event lands on.

For each it prints the gateway's CPU time per ingested event (from /proc), the webhook answers
per second, the `next` messages sent, and the worst /healthz wait (probed from a process of
its own), then the ratios of the
largest N to the smallest, side by side. Target: CPU per event flat from the smallest to the
largest N for `same` (one read per question, and its unchanged answer sent to nobody);
/healthz under 100 ms throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from gateway.domain.auth import KeyKind, default_scopes
from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSources
from gateway.schema.ids import encode_id
from tests.adversarial.attacks import Probe
from tests.support.live import free_port

PER_SOCKET = 20  # the gateway's MAX_SUBSCRIPTIONS
SHAPES = ("same", "distinct", "changing")
PERIODS = ("DAYS_7", "DAYS_30", "DAYS_90")
ZONES = ("UTC", "America/Sao_Paulo", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu")
BOARD = (
    "subscription ($n: ID, $p: Period!, $z: String) "
    "{ dashboard(number: $n, period: $p, timezone: $z) { totals { total sent } } }"
)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Tenant:
    keys: list[str]
    numbers: list[str]  # phone numbers, in the order of `ids`
    ids: list[str]  # global ids
    hook: str  # the webhook path
    secret: str


@dataclass
class Figures:
    cpu_ms_per_event: float
    answers_per_s: float
    nexts: int
    healthz_worst_ms: float
    healthz_median_ms: float


async def prepare(path: Path, numbers: int) -> Tenant:
    store = await SqliteStore.open(path)
    try:
        tenancy = Tenancy(store)
        await tenancy.create_tenant("bench", "Bench")
        phones = [f"+5511{900000000 + i}" for i in range(numbers)]
        ids = []
        for phone in phones:
            record = await tenancy.add_number("bench", phone, None)
            ids.append(encode_id("WhatsAppNumber", "native", record.id))
        scopes = default_scopes(KeyKind.TENANT)
        keys = [(await tenancy.create_key("bench", KeyKind.TENANT, scopes)).key for _ in "ab"]
        source = await WebhookSources(store).create("bench", "pilotstatus")
        return Tenant(keys, phones, ids, f"/webhooks/{source.name}", source.secret)
    finally:
        await store.close()


def start(database: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        GATEWAY_LOG_LEVEL="WARNING",
        GATEWAY_RATE_LIMIT="0",
        GATEWAY_MAX_SOCKETS_PER_KEY="1000",
        GATEWAY_MAX_CONNECTIONS_PER_ADDRESS="0",
    )
    argv = ["gateway", "--database", str(database), "--port", str(port)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.serve_one", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def variables(shape: str, n: int, tenant: Tenant, changing: int) -> dict[str, object]:
    if shape == "same":
        return {"n": tenant.ids[0], "p": "DAYS_30", "z": "UTC"}
    if shape == "changing":
        return {"n": tenant.ids[changing], "p": "DAYS_30", "z": "UTC"}
    return {
        "n": tenant.ids[n % len(tenant.ids)],
        "p": PERIODS[n % len(PERIODS)],
        "z": ZONES[(n // len(PERIODS)) % len(ZONES)],
    }


class Subscriber:
    """One socket with up to PER_SOCKET subscriptions, counting the `next`s it gets."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.nexts = 0
        self.first: set[str] = set()
        self.answered = asyncio.Event()  # every subscription had its first answer
        self.expected = 0
        self.reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            answer = json.loads(message.data)
            if answer.get("type") == "next":
                self.nexts += 1
                self.first.add(answer["id"])
                if len(self.first) >= self.expected:
                    self.answered.set()
            elif answer.get("type") == "error":
                raise RuntimeError(f"subscription refused: {answer}")


async def subscribe(
    session: aiohttp.ClientSession, url: str, key: str, payloads: list[dict[str, object]]
) -> Subscriber:
    ws = await session.ws_connect(url, protocols=["graphql-transport-ws"])
    await ws.send_json({"type": "connection_init", "payload": {"x-api-key": key}})
    ack = await ws.receive_json(timeout=30)
    assert ack["type"] == "connection_ack", ack
    subscriber = Subscriber(ws)
    subscriber.expected = len(payloads)
    subscriber.reader = asyncio.create_task(subscriber.read())
    for i, payload in enumerate(payloads):
        await ws.send_json({"type": "subscribe", "id": str(i), "payload": payload})
    return subscriber


async def run(
    shape: str, size: int, tenant: Tenant, base: str, pid: int, seconds: float, every: float
) -> Figures:
    rng = random.Random(size)
    changing = rng.randrange(len(tenant.ids))
    payloads: list[dict[str, object]] = [
        {"query": BOARD, "variables": variables(shape, n, tenant, changing)} for n in range(size)
    ]
    async with aiohttp.ClientSession() as session:
        subscribers = []
        for s, start in enumerate(range(0, size, PER_SOCKET)):
            key = tenant.keys[s % len(tenant.keys)]
            chunk = payloads[start : start + PER_SOCKET]
            subscribers.append(await subscribe(session, f"{base}/graphql", key, chunk))
        async with asyncio.timeout(120):
            for subscriber in subscribers:
                await subscriber.answered.wait()
        await asyncio.sleep(min(1.0, seconds / 2))  # the first answers settle
        nexts = sum(s.nexts for s in subscribers)
        # /healthz from a process of its own: this one's reading of a thousand sockets never
        # delays it, so its worst wait is the gateway's.
        async with Probe(base) as probe:
            answered = 0
            cpu = cpu_seconds(pid)
            started = time.perf_counter()
            deadline = started + seconds
            while time.perf_counter() < deadline:
                phone = tenant.numbers[changing if shape == "changing" else rng.randrange(size)]
                if shape == "same":
                    phone = tenant.numbers[rng.randrange(len(tenant.numbers))]
                answered += await post_event(session, base, tenant, phone, answered)
                await asyncio.sleep(max(0.0, started + answered * every - time.perf_counter()))
            elapsed = time.perf_counter() - started
            await asyncio.sleep(min(1.0, seconds / 2))  # the last round's answers go out
            used = cpu_seconds(pid) - cpu
        sent = sum(s.nexts for s in subscribers) - nexts
        for subscriber in subscribers:
            await subscriber.ws.close()
            if subscriber.reader is not None:
                await subscriber.reader
    return Figures(
        used * 1000 / max(answered, 1), answered / elapsed, sent, probe.worst, probe.median
    )


async def post_event(
    session: aiohttp.ClientSession, base: str, tenant: Tenant, phone: str, n: int
) -> int:
    sent_at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    event = {"event": "message.sent", "messageId": f"m{time.time_ns()}-{n}", "from": phone}
    body = json.dumps([{**event, "timestamp": sent_at}]).encode()
    headers = {SIGNATURE_HEADER: sign(tenant.secret, body), "content-type": "application/json"}
    async with session.post(f"{base}{tenant.hook}", data=body, headers=headers) as response:
        assert response.status == 200, await response.text()
    return 1


async def wait_up(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the gateway did not come up")


def measure(shape: str, size: int, numbers: int, seconds: float, every: float) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "store.sqlite3"
        tenant = asyncio.run(prepare(database, numbers))
        port = free_port()
        server = start(database, port)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(wait_up(base))
            return asyncio.run(run(shape, size, tenant, base, server.pid, seconds, every))
        finally:
            server.terminate()
            server.wait(timeout=30)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,1000", help="subscription counts, comma-separated")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--seconds", type=float, default=8.0, help="of webhook stream each")
    parser.add_argument("--every", type=float, default=0.05, help="seconds between events")
    parser.add_argument("--target", type=float, default=1.5, help="CPU/event ratio, same")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    shapes = args.shapes.split(",")
    numbers = max(sizes)
    figures = {
        (shape, size): measure(shape, size, numbers, args.seconds, args.every)
        for shape in shapes
        for size in sizes
    }
    print(
        f"live fan-out: one tenant of {numbers} numbers, a webhook event every "
        f"{args.every * 1000:g} ms for {args.seconds:g} s"
    )
    for (shape, size), f in figures.items():
        print(
            f"  {shape:<8} subscriptions={size:<5} cpu_ms_per_event={f.cpu_ms_per_event:.2f} "
            f"answers_per_s={f.answers_per_s:.1f} nexts={f.nexts} "
            f"healthz_worst_ms={f.healthz_worst_ms:.1f} median_ms={f.healthz_median_ms:.1f}"
        )
    low, high = sizes[0], sizes[-1]
    for shape in shapes:
        a, b = figures[(shape, low)], figures[(shape, high)]
        ratio = b.cpu_ms_per_event / max(a.cpu_ms_per_event, 1e-9)
        print(
            f"  {shape} ratio {high}/{low}: cpu_per_event = {ratio:.2f} "
            f"answers_per_s = {b.answers_per_s / max(a.answers_per_s, 1e-9):.2f}"
            + (f" (target <= {args.target:g})" if shape == "same" else "")
        )
    worst = max(f.healthz_worst_ms for f in figures.values())
    print(f"  healthz worst = {worst:.1f} ms (target < 100)")


if __name__ == "__main__":
    main()
