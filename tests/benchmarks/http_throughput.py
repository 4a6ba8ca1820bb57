"""HTTP throughput of the 30-day dashboard, side by side, with the CPU each request costs.

    python -m tests.benchmarks.http_throughput                 # wrk if installed, 5 s x 3 rounds
    python -m tests.benchmarks.http_throughput --seconds 1 --rounds 1 --loader python   # quick

Servers, each in its own process on loopback, all measured in one run, rounds interleaved:
  plain      an aiohttp handler answering the gateway's exact bytes
  hit        the gateway, the answer in its response cache
  miss       the gateway with the response cache off (the fast path and the dashboard memo on)
  cold       as miss, with the dashboard memo off too: every request reads the store
  default    the gateway with every fast path off: stock Strawberry pipeline, executor and JSON
  workers2   as miss, with --workers 2
  upstream2  the same dashboard of a number at Pilot Status, 2 workers, answered live (source
             TTL 0, so never from the response cache) from a static upstream on loopback
The load generator is wrk (Debian's `wrk`) when present, else a Python aiohttp loop. CPU per
request is each server's process CPU time (user and system, workers included) over the
requests it answered in its rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import orjson

from gateway.domain.auth import KeyKind
from gateway.domain.messages import MessageStatus, OutboundMessage
from gateway.providers.native import SqliteStore
from gateway.providers.native.ingest import record_messages
from gateway.providers.native.tenancy import Tenancy
from gateway.schema.ids import encode_id
from tests.benchmarks.load import Load, process_cpu, python_load, wrk
from tests.support.live import free_port

QUERY = "{ dashboard(period: DAYS_30) { series { date sent delivered read failed } } }"
KINDS = ("plain", "hit", "miss", "cold", "default", "workers2", "upstream2")
UPSTREAM_PHONE = "+5511900000099"
UPSTREAM_KEY = "ps_bench_static_key"


@dataclass
class Bench:
    """The store, the keys and the files every server of one run shares."""

    root: Path
    key: str = ""  # linked to the native number
    tenant_key: str = ""  # for the number at Pilot Status, asked by its id
    upstream_query: str = ""
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.root / "store.sqlite3"

    def ask(self, kind: str) -> tuple[str, str]:
        """The query and the key a kind's load sends."""
        if kind.startswith("upstream") or kind == "floor":
            return self.upstream_query, self.tenant_key
        return QUERY, self.key

    def url(self, kind: str) -> str:
        return f"http://127.0.0.1:{self.ports[kind]}/graphql"


async def build_store(bench: Bench, messages: int) -> None:
    store = await SqliteStore.open(bench.database)
    try:
        tenancy = Tenancy(store)
        await tenancy.create_tenant("bench", "Bench")
        number = await tenancy.add_number("bench", "+5511900000000")
        now = datetime.now(UTC)
        await record_messages(
            store,
            [
                OutboundMessage(
                    tenant_id="bench",
                    number_id=number.id,
                    external_id=f"m{i}",
                    sent_at=now - timedelta(seconds=(i * 7919) % (29 * 86400)),
                    status=MessageStatus(1 + i % 4),
                )
                for i in range(messages)
            ],
        )
        scopes = frozenset({"analytics:read"})
        issued = await tenancy.create_key("bench", KeyKind.NUMBER, scopes, number_id=number.id)
        bench.key = issued.key
        remote = await tenancy.add_number("bench", UPSTREAM_PHONE, "Upstream", source="ps")
        issued = await tenancy.create_key("bench", KeyKind.TENANT, scopes)
        bench.tenant_key = issued.key
        number_id = encode_id("WhatsAppNumber", "ps", remote.id)
        bench.upstream_query = (
            f'{{ number(id: "{number_id}") {{ dashboard(period: DAYS_30)'
            " { series { date sent delivered read failed } } } }"
        )
    finally:
        await store.close()


def write_upstream(bench: Bench) -> None:
    """Pilot Status's answer for the last 30 days, and a sources file pointing there."""
    today = datetime.now(UTC).date()
    counts = [
        {"sent": 900 + back, "delivered": 850, "read": 600, "failed": 12}
        for back in range(29, -1, -1)
    ]
    totals = {k: sum(day[k] for day in counts) for k in ("sent", "delivered", "read", "failed")}
    series = [
        {"date": (today - timedelta(days=29 - i)).isoformat(), **day}
        for i, day in enumerate(counts)
    ]
    body = {"period": "30d", "totals": totals, "series": series}
    (bench.root / "upstream.json").write_bytes(orjson.dumps(body))
    (bench.root / "sources.toml").write_text(
        f"""[sources.ps]
platform = "pilotstatus"
base_url = "http://127.0.0.1:{bench.ports["static"]}"
cache_ttl_seconds = 0
max_concurrency = 64

[[tenants.bench.numbers]]
source = "ps"
phone = "{UPSTREAM_PHONE}"
name = "Upstream"
key_env = "BENCH_PS_KEY"
"""
    )


def start(kind: str, bench: Bench) -> subprocess.Popen[bytes]:
    argv = {
        "plain": ["plain", "--body", str(bench.root / "body.json")],
        "static": ["upstream", "--body", str(bench.root / "upstream.json")],
        "hit": ["gateway"],
        "miss": ["gateway"],
        "cold": ["gateway"],
        "default": ["default"],
        "workers2": ["gateway", "--workers", "2"],
        "upstream2": ["gateway", "--workers", "2", "--sources", str(bench.root / "sources.toml")],
        "upstream1": ["gateway", "--sources", str(bench.root / "sources.toml")],
        "floor": [
            "floor",
            "--upstream",
            f"http://127.0.0.1:{bench.ports.get('static')}",  # only the floor asks it
            "--key",
            UPSTREAM_KEY,
        ],
    }[kind]
    # The load comes from one key: the benchmark measures the gateway, not its rate limit.
    env = dict(os.environ, GATEWAY_LOG_LEVEL="WARNING", GATEWAY_RATE_LIMIT="0")
    env["GATEWAY_METRICS_PORT"] = "0"  # servers side by side: each its own metrics port
    env["BENCH_PS_KEY"] = UPSTREAM_KEY
    if kind in ("miss", "cold", "workers2"):
        env["GATEWAY_CACHE_TTL_SECONDS"] = "0"
    if kind == "cold":
        env["GATEWAY_DASHBOARD_MEMO"] = "false"
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.serve_one",
            *argv,
            "--database",
            str(bench.database),
            "--port",
            str(bench.ports[kind]),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_ready(url: str, key: str, *, whole: bool = False, query: str = QUERY) -> bytes:
    """The first answer of a server that came up (`whole`: one without errors)."""
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.post(
                    url, json={"query": query}, headers={"x-api-key": key}
                ) as response:
                    body = await response.read()
                    if response.status == 200 and not (whole and b'"errors"' in body):
                        return body
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


@dataclass
class Figures:
    rates: dict[str, list[float]]
    cpu_ms: dict[str, list[float]]  # per request, by round
    sizes: dict[str, int]


def measure(
    kinds: Sequence[str], rounds: int, seconds: float, loader: str, connections: int, messages: int
) -> Figures:
    figures = Figures({k: [] for k in kinds}, {k: [] for k in kinds}, {})
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp))
        asyncio.run(build_store(bench, messages))
        bench.ports = {kind: free_port() for kind in (*kinds, "static")}
        write_upstream(bench)
        (bench.root / "body.json").write_bytes(b"{}")
        servers = {k: start(k, bench) for k in ("static", *kinds) if k != "plain"}
        try:
            for kind in kinds:
                if kind != "plain":
                    query, key = bench.ask(kind)
                    answer = asyncio.run(wait_ready(bench.url(kind), key, whole=True, query=query))
                    figures.sizes[kind] = len(answer)
                    if kind == "miss" or "body" not in figures.sizes:
                        (bench.root / "body.json").write_bytes(answer)  # plain's very bytes
                        figures.sizes["body"] = len(answer)
            if "plain" in kinds:
                servers["plain"] = start("plain", bench)
                figures.sizes["plain"] = len(asyncio.run(wait_ready(bench.url("plain"), bench.key)))
            for _ in range(rounds):
                for kind in kinds:
                    load = round_of(kind, bench, servers[kind].pid, seconds, loader, connections)
                    figures.rates[kind].append(load[0].per_second)
                    if load[1] is not None and load[0].requests:
                        figures.cpu_ms[kind].append(load[1] * 1000 / load[0].requests)
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(timeout=20)
    return figures


def round_of(
    kind: str, bench: Bench, pid: int, seconds: float, loader: str, connections: int
) -> tuple[Load, float | None]:
    before = process_cpu(pid)
    url, (query, key) = bench.url(kind), bench.ask(kind)
    if loader == "wrk":
        load = wrk(url, query, key, seconds, connections)
    else:
        load = asyncio.run(python_load(url, query, key, seconds, connections))
    after = process_cpu(pid)
    return load, None if before is None or after is None else after - before


def report(figures: Figures, kinds: Sequence[str]) -> None:
    median = {kind: statistics.median(rates) for kind, rates in figures.rates.items()}
    for kind in kinds:
        cpu = figures.cpu_ms[kind]
        spent = f" cpu_ms_per_request={statistics.median(cpu):.3f}" if cpu else ""
        print(f"  {kind:<9} requests_per_s={median[kind]:,.0f}{spent}")

    def ratio(a: str, b: str, target: str) -> None:
        if a in median and b in median:
            print(f"  ratio {a}/{b} = {median[a] / median[b]:.3f} (target {target})")

    ratio("hit", "plain", ">= 0.8")
    ratio("miss", "plain", ">= 0.10")
    ratio("miss", "default", ">= 10")
    ratio("cold", "default", "none: the store is read every time")
    ratio("workers2", "miss", ">= 1.7")
    ratio("upstream2", "plain", ">= 0.08")
    if figures.cpu_ms.get("miss"):
        miss = statistics.median(figures.cpu_ms["miss"])
        print(f"  miss cpu_ms_per_request = {miss:.3f} (target <= 0.8)")
    print(f"  bytes: {figures.sizes}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument(
        "--loader", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args(argv)
    kinds = args.kinds.split(",")
    figures = measure(
        kinds, args.rounds, args.seconds, args.loader, args.connections, args.messages
    )
    print(
        f"http-throughput: 30-day dashboard, {args.loader}, {args.connections} connections, "
        f"{args.rounds} rounds of {args.seconds:g} s, medians"
    )
    report(figures, kinds)


if __name__ == "__main__":
    main()
