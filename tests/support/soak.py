"""A soak run: a live gateway with demo data under a mix of queries, webhooks and bad input.

Clients on loopback send, side by side: the example queries with varied timezones and pages,
batches, CSV exports, signed webhook batches (new messages, their statuses, repeats), and bad
input of every kind (broken documents, unknown fields, over-limit operations, bad timezones,
bad signatures, stale signatures, malformed and unknown events, no key, a key over its rate).
It stops by itself, then reports requests by HTTP status and by error code, latency, and the
gateway's RSS over time, and checks that nothing was lost: every acknowledged webhook message
is stored once, the rollups agree with the rows, the graph's answer agrees with the store, and
the database passes its integrity check.

    .venv/bin/python -m tests.support.soak --seconds 600 --clients 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.providers.native import SqliteStore
from tests.support.live import LiveGateway, start_gateway
from tests.support.production import pragma

__all__ = ["SoakReport", "soak"]

EXAMPLES = Path(__file__).parents[2] / "examples" / "queries"
ZONES = ["UTC", "America/Sao_Paulo", "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/Berlin"]
BAD_DOCUMENTS = [
    "{ dashboard { totals { nope } } }",
    "{ dashboard(period: DAYS_7 { totals { total } } }",
    "{ " + "viewer { tenantId } " * 400 + "}",
    "{ numbers { dashboard { series { date } } } }" * 2,
    "query($first: Int!) { campaigns(first: $first) { edges { cursor } } }",
]


@dataclass
class SoakReport:
    seconds: float
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    rss_kib: list[tuple[float, int]] = field(default_factory=list)
    acknowledged_messages: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        ordered = sorted(self.latencies)

        def quantile(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0

        rss = [kib for _, kib in self.rss_kib]
        third = max(1, len(rss) // 3)
        lines = [
            f"soak: {self.requests} requests in {self.seconds:.0f} s"
            f" ({self.requests / self.seconds:,.0f}/s),"
            f" latency p50 {quantile(0.5):.1f} ms, p99 {quantile(0.99):.1f} ms",
            "  by status: " + ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items())),
            "  by code:   " + ", ".join(f"{k} {v}" for k, v in sorted(self.codes.items())),
            f"  webhook messages acknowledged: {len(self.acknowledged_messages)}",
            "  p50/p99 ms by kind: "
            + ", ".join(
                f"{kind} {_ms(times, 0.5):.0f}/{_ms(times, 0.99):.0f}"
                for kind, times in sorted(self.by_kind.items())
            ),
        ]
        if rss:
            lines.append(
                f"  RSS MiB: start {rss[0] / 1024:.1f}, first third median"
                f" {statistics.median(rss[:third]) / 1024:.1f}, last third median"
                f" {statistics.median(rss[-third:]) / 1024:.1f}, end {rss[-1] / 1024:.1f},"
                f" max {max(rss) / 1024:.1f}"
            )
            step = max(1, len(self.rss_kib) // 10)
            lines.append(
                "  RSS over time: "
                + ", ".join(f"{t:.0f}s {kib / 1024:.1f}" for t, kib in self.rss_kib[::step])
            )
        lines.append("  problems: " + ("; ".join(self.problems[:10]) or "none"))
        return "\n".join(lines)


def _ms(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def gateway_cli(data_dir: Path, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


class Soak:
    def __init__(self, gateway: LiveGateway, setup: dict[str, Any], seconds: float) -> None:
        self.gateway = gateway
        self.setup = setup
        self.deadline = time.monotonic() + seconds
        self.report = SoakReport(seconds)
        self.documents = {p.stem: p.read_text() for p in sorted(EXAMPLES.glob("*.graphql"))}
        self.sequence = 0

    def record(self, status: int, body: Any, started: float, what: str) -> None:
        report = self.report
        report.requests += 1
        report.statuses[status] += 1
        report.latencies.append(time.monotonic() - started)
        report.by_kind.setdefault(what, []).append(time.monotonic() - started)
        if status >= 500:
            report.problems.append(f"{what}: HTTP {status}")
        answers = body if isinstance(body, list) else [body]
        for answer in answers:
            if not isinstance(answer, dict):
                continue
            for error in answer.get("errors") or []:
                code = (error.get("extensions") or {}).get("code", "<no code>")
                report.codes[code] += 1
                if code in ("INTERNAL_SERVER_ERROR", "<no code>"):
                    report.problems.append(f"{what}: {code} {error.get('message')}")

    async def post(
        self, session: aiohttp.ClientSession, what: str, payload: Any, key: str | None
    ) -> None:
        headers = {"x-api-key": key} if key else {}
        started = time.monotonic()
        async with session.post(self.gateway.url, json=payload, headers=headers) as response:
            self.record(response.status, await response.json(content_type=None), started, what)

    async def query(self, session: aiohttp.ClientSession, rng: random.Random) -> None:
        name = rng.choice(list(self.documents))
        variables: dict[str, Any] = {"timezone": rng.choice(ZONES)}
        if name == "campaigns":
            variables = {"first": rng.choice([5, 20, 50])}
        elif name == "email_reports":
            variables["pastDays"] = rng.choice([1, 7, 30, 90])
        elif name == "number_dashboard":
            variables["period"] = rng.choice(["DAYS_7", "DAYS_30", "DAYS_90"])
        key = self.gateway.keys["number" if name == "number_dashboard" else "tenant"]
        await self.post(session, name, {"query": self.documents[name], "variables": variables}, key)

    async def bad_query(self, session: aiohttp.ClientSession, rng: random.Random) -> None:
        choice = rng.randrange(6)
        tenant = self.gateway.keys["tenant"]
        if choice == 0:
            await self.post(session, "bad document", {"query": rng.choice(BAD_DOCUMENTS)}, tenant)
        elif choice == 1:
            document = self.documents["number_dashboard"]
            variables = {"period": "DAYS_7", "timezone": "Mars/Olympus"}
            payload = {"query": document, "variables": variables}
            await self.post(session, "bad timezone", payload, self.gateway.keys["number"])
        elif choice == 2:
            await self.post(session, "no key", {"query": "{ viewer { tenantId } }"}, None)
        elif choice == 3:
            batch = [{"query": "{ viewer { tenantId } }"}] * rng.choice([2, 11])
            await self.post(session, "batch", batch, tenant)
        elif choice == 4:
            await self.post(
                session, "over rate", {"query": "{ viewer { keyHandle } }"}, self.setup["slow_key"]
            )
        else:
            started = time.monotonic()
            async with session.post(
                self.gateway.url,
                data=rng.choice([b"\xff\xfe", b"null", b"{", b"[]"]),
                headers={"x-api-key": tenant, "content-type": "application/json"},
            ) as response:
                self.record(
                    response.status, await response.json(content_type=None), started, "body"
                )

    async def export(self, session: aiohttp.ClientSession) -> None:
        url = self.gateway.url.replace("/graphql", "/export/campaigns.csv")
        started = time.monotonic()
        headers = {"x-api-key": self.gateway.keys["tenant"]}
        async with session.get(url, headers=headers) as response:
            body = await response.read()
            self.record(response.status, {}, started, "export")
            if response.status == 200 and not body.startswith(b"Campaign Name,"):
                self.report.problems.append("export: no CSV header")

    async def webhook(self, session: aiohttp.ClientSession, rng: random.Random) -> None:
        name, secret = self.setup["webhook"]
        url = self.gateway.url.replace("/graphql", f"/webhooks/{name}")
        self.sequence += 1
        batch_id = self.sequence
        now = datetime.now(UTC)
        events = []
        for i in range(rng.randint(1, 20)):
            message = f"soak-{batch_id}-{i}"
            sent = now - timedelta(minutes=rng.randint(0, 60 * 24 * 6))  # late ones too
            events.append(
                {
                    "type": "whatsapp.message",
                    "tenant": "demo",
                    "id": f"{message}-m",
                    "number": self.setup["number"],
                    "messageId": message,
                    "sentAt": sent.isoformat(),
                    "status": "sent",
                }
            )
            if rng.random() < 0.5:
                status = rng.choice(["delivered", "read", "failed"])
                events.append(
                    {
                        "type": "whatsapp.status",
                        "tenant": "demo",
                        "id": f"{message}-{status}",
                        "messageId": message,
                        "status": status,
                    }
                )
        rng.shuffle(events)  # a status may come before its message
        body = json.dumps(events).encode()
        kind = rng.random()
        signature = sign(secret, body)
        if kind < 0.05:
            signature = signature[:-4] + "0000"
        elif kind < 0.1:
            signature = sign(secret, body, timestamp=int(time.time()) - 3600)
        elif kind < 0.15:
            body = body[: len(body) // 2]
            signature = sign(secret, body)
        elif kind < 0.2:
            body = json.dumps([{"type": "sms.teleport", "tenant": "demo"}]).encode()
            signature = sign(secret, body)
        for _ in range(2 if rng.random() < 0.2 else 1):  # a sender that retries
            started = time.monotonic()
            async with session.post(
                url,
                data=body,
                headers={SIGNATURE_HEADER: signature, "content-type": "application/json"},
            ) as response:
                answer = await response.json(content_type=None)
                self.record(response.status, answer, started, "webhook")
                if response.status == 200 and kind >= 0.2:
                    for event in events:
                        if event["type"] == "whatsapp.message":
                            self.report.acknowledged_messages.add(event["messageId"])

    async def client(self, seed: int) -> None:
        rng = random.Random(seed)
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < self.deadline:
                roll = rng.random()
                if roll < 0.55:
                    await self.query(session, rng)
                elif roll < 0.75:
                    await self.webhook(session, rng)
                elif roll < 0.97:
                    await self.bad_query(session, rng)
                else:
                    await self.export(session)

    async def watch_memory(self) -> None:
        began = time.monotonic()
        while time.monotonic() < self.deadline:
            self.report.rss_kib.append(
                (time.monotonic() - began, rss_kib(self.gateway.process.pid))
            )
            await asyncio.sleep(1)
        self.report.rss_kib.append((time.monotonic() - began, rss_kib(self.gateway.process.pid)))

    async def run(self, clients: int) -> SoakReport:
        await asyncio.gather(self.watch_memory(), *(self.client(seed) for seed in range(clients)))
        return self.report


async def verify(gateway: LiveGateway, data_dir: Path, report: SoakReport, number: str) -> None:
    """After the load: the graph agrees with the store, then (stopped) the store with itself."""
    week = "{ dashboard(period: DAYS_7) { totals { total } } }"
    status, body = gateway.query(gateway.keys["number"], week)
    graph_total = body["data"]["dashboard"]["totals"]["total"] if status == 200 else None
    code, log = gateway.stop()
    if code != 0:
        report.problems.append(f"the gateway exited {code}")
    if "internal error" in log or "Traceback" in log:
        report.problems.append("the gateway logged an internal error")
    store = await SqliteStore.open(data_dir / "gateway.sqlite3")
    try:
        if await pragma(store, "integrity_check") != [("ok",)]:
            report.problems.append("integrity_check failed")
        rows = await store.fetch_all(
            "SELECT external_id FROM messages WHERE external_id LIKE 'soak-%'"
        )
        stored = [row[0] for row in rows]
        missing = report.acknowledged_messages - set(stored)
        if missing:
            report.problems.append(f"{len(missing)} acknowledged messages missing")
        if len(stored) != len(set(stored)):
            report.problems.append("a message stored twice")
        rolled = await store.fetch_one(
            "SELECT sum(queued + sent + failed + delivered + read) FROM message_buckets b"
            " JOIN numbers n ON n.id = b.number_id WHERE n.phone_number = ?",
            (number,),
        )
        counted = await store.fetch_one(
            "SELECT count(*) FROM messages m JOIN numbers n ON n.id = m.number_id"
            " WHERE n.phone_number = ? AND m.is_test = 0",
            (number,),
        )
        if rolled is None or counted is None or rolled[0] != counted[0]:
            report.problems.append(
                f"rollups {rolled and rolled[0]} != rows {counted and counted[0]}"
            )
        since = int((datetime.now(UTC) - timedelta(days=8)).timestamp())
        recent = await store.fetch_one(
            "SELECT count(*) FROM messages m JOIN numbers n ON n.id = m.number_id"
            " WHERE n.phone_number = ? AND m.is_test = 0 AND m.sent_at >= ?",
            (number, since),
        )
        # The 7-day window lies inside these 8 days: the graph may not count more.
        if graph_total is None or recent is None or graph_total > recent[0]:
            report.problems.append(f"graph total {graph_total} vs store {recent and recent[0]}")
    finally:
        await store.close()


async def soak(seconds: float, clients: int, data_dir: Path) -> SoakReport:
    gateway_cli(data_dir, "seed-demo", "--json")
    slow = gateway_cli(data_dir, "keys", "create", "--tenant", "demo", "--json")
    hook = gateway_cli(
        data_dir, "webhooks", "create", "--tenant", "demo", "--platform", "pilotstatus"
    )
    env = {
        "GATEWAY_RATE_LIMIT": "0",
        "GATEWAY_RATE_LIMIT_BURST": "5",
        "GATEWAY_RATE_LIMIT_OVERRIDES": json.dumps({slow["handle"]: 2}),
        "GATEWAY_LOG_LEVEL": "WARNING",
    }
    gateway = start_gateway(data_dir, env=env)
    try:
        _, body = gateway.query(gateway.keys["number"], "{ linkedNumber { phoneNumber } }")
        number = body["data"]["linkedNumber"]["phoneNumber"]
        setup = {
            "slow_key": slow["key"],
            "webhook": (hook["name"], hook["secret"]),
            "number": number,
        }
        report = await Soak(gateway, setup, seconds).run(clients)
        await verify(gateway, data_dir, report, number)
    finally:
        if gateway.process.poll() is None:
            gateway.stop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--data-dir", type=Path, help="an empty directory to keep the store and the log in"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        report = asyncio.run(soak(args.seconds, args.clients, args.data_dir or Path(scratch)))
    print(report.summary())
    sys.exit(1 if report.problems else 0)


if __name__ == "__main__":
    main()
