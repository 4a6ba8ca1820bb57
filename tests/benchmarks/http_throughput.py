"""HTTP throughput of the 30-day dashboard query, side by side, and workers 2 vs 1.

    python -m tests.benchmarks.http_throughput                 # wrk if installed, 5 s x 3 rounds
    python -m tests.benchmarks.http_throughput --seconds 1 --rounds 1 --loader python   # quick

Servers, each in its own process on loopback, all measured in one run, rounds interleaved:
  plain      an aiohttp handler answering the gateway's exact bytes
  hit        the gateway, the answer in its response cache
  miss       the gateway with the response cache off (parser and validation caches, orjson and
             the dashboard memo on)
  cold       as miss, with the dashboard memo off too: every request reads the store
  default    the gateway with every fast path off: stock Strawberry parsing, validation, JSON
  workers2   as miss, with --workers 2
The load generator is wrk (Debian's `wrk`) when present, else a Python aiohttp loop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import orjson

from gateway.auth import KeyKind
from gateway.domain.messages import MessageStatus, OutboundMessage
from gateway.providers.native import SqliteStore
from gateway.providers.native.ingest import record_messages
from gateway.providers.native.tenancy import Tenancy
from tests.live import free_port

QUERY = "{ dashboard(period: DAYS_30) { series { date sent delivered read failed } } }"
KINDS = ("plain", "hit", "miss", "cold", "default", "workers2")


async def build_store(path: Path, messages: int) -> str:
    store = await SqliteStore.open(path)
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
        issued = await tenancy.create_key(
            "bench", KeyKind.NUMBER, frozenset({"analytics:read"}), number_id=number.id
        )
        return issued.key
    finally:
        await store.close()


def start(kind: str, database: Path, port: int, body: Path) -> subprocess.Popen[bytes]:
    argv = {
        "plain": ["plain", "--body", str(body)],
        "hit": ["gateway"],
        "miss": ["gateway"],
        "cold": ["gateway"],
        "default": ["default"],
        "workers2": ["gateway", "--workers", "2"],
    }[kind]
    # The load comes from one key: the benchmark measures the gateway, not its rate limit.
    env = dict(os.environ, GATEWAY_LOG_LEVEL="WARNING", GATEWAY_RATE_LIMIT="0")
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
            str(database),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_ready(url: str, key: str) -> bytes:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.post(
                    url, json={"query": QUERY}, headers={"x-api-key": key}
                ) as response:
                    if response.status == 200:
                        return await response.read()
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def wrk(url: str, key: str, seconds: float, connections: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            f'wrk.method = "POST"\nwrk.body = {orjson.dumps({"query": QUERY}).decode()!r}'
            f'\nwrk.headers["content-type"] = "application/json"'
            f'\nwrk.headers["x-api-key"] = "{key}"\n'
        )
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, int(seconds))}s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


async def python_load(url: str, key: str, seconds: float, connections: int) -> float:
    done = 0
    deadline = time.perf_counter() + seconds
    payload = orjson.dumps({"query": QUERY})
    headers = {"x-api-key": key, "content-type": "application/json"}

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            async with session.post(url, data=payload, headers=headers) as response:
                await response.read()
                done += response.status == 200

    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(connections)))
    return done / (time.perf_counter() - started)


def measure(
    kinds: Sequence[str], rounds: int, seconds: float, loader: str, connections: int, messages: int
) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "store.sqlite3"
        key = asyncio.run(build_store(database, messages))
        body = Path(tmp) / "body.json"
        ports = {kind: free_port() for kind in kinds}
        body.write_bytes(b"{}")
        servers = {k: start(k, database, ports[k], body) for k in kinds if k != "plain"}
        try:
            for kind in servers:
                answer = asyncio.run(wait_ready(f"http://127.0.0.1:{ports[kind]}/graphql", key))
            body.write_bytes(answer)  # the plain handler answers the gateway's very bytes
            if "plain" in kinds:
                servers["plain"] = start("plain", database, ports["plain"], body)
                assert (
                    asyncio.run(wait_ready(f"http://127.0.0.1:{ports['plain']}/graphql", key))
                    == answer
                )
            for _ in range(rounds):
                for kind in kinds:
                    url = f"http://127.0.0.1:{ports[kind]}/graphql"
                    rate = (
                        wrk(url, key, seconds, connections)
                        if loader == "wrk"
                        else asyncio.run(python_load(url, key, seconds, connections))
                    )
                    results[kind].append(rate)
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(timeout=20)
    return results


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
    results = measure(
        kinds, args.rounds, args.seconds, args.loader, args.connections, args.messages
    )
    median = {kind: statistics.median(rates) for kind, rates in results.items()}
    print(
        f"http-throughput: 30-day dashboard, {args.loader}, {args.connections} connections, "
        f"{args.rounds} rounds of {args.seconds:g} s, medians"
    )
    for kind in kinds:
        print(f"  {kind:<9} requests_per_s={median[kind]:,.0f}")

    def ratio(a: str, b: str, target: str) -> None:
        if a in median and b in median:
            print(f"  ratio {a}/{b} = {median[a] / median[b]:.2f} (target {target})")

    ratio("hit", "plain", ">= 0.7")
    ratio("miss", "default", ">= 3.0")
    ratio("cold", "default", "none: the store is read every time")
    ratio("workers2", "miss", ">= 1.7")


if __name__ == "__main__":
    main()
