"""The realistic workload: what dashboards really ask, in their viewers' zones, side by side.

    python -m tests.benchmarks.workload                        # SQLite, about 3 minutes
    python -m tests.benchmarks.workload --quick                # seconds: small store, short runs
    python -m tests.benchmarks.workload --keep DIR             # build the store once, then reuse
    python -m tests.benchmarks.workload --backend postgresql   # the same store on PostgreSQL
    python -m tests.benchmarks.workload --baseline DIR         # another version beside this one

The team judges the gateway's speed by this one. A store the size of a real tenant (`--numbers`
WhatsApp numbers, `--campaigns` SMS and email campaigns, `--messages` WhatsApp messages over 120
days; written in bulk by the scale benchmark's builder) is served by real gateway processes as
shipped (response cache and dashboard memo on; the rate limit off, since the load comes from a
few keys), with 1 and with 2 workers, beside a plain aiohttp handler answering fixed bytes (the
machine's yardstick). The load generator is wrk with a Lua script (else aiohttp clients in a
process of their own); its own CPU is printed, so that one can see it does not starve the
servers. Rounds are interleaved: plain, 1 worker, 2 workers, again.

The mix: the documents of tests/benchmarks/workload_mix.py (issue 22's dashboards and the
README's examples), every kind as likely, each from one of several keys, in a random zone of a
sample holding DST zones and half-hour and 45-minute ones, with random periods, `pastDays` and
date ranges. Then, per document kind, its cost on a miss: a gateway with the response cache
off, each request in a zone that process was never asked before, the median in ms and in
plain-handler requests (1 / the plain rate).

`--baseline DIR` serves another version's gateway package (`git archive REV gateway | tar -x -C
DIR`) beside this one from the same store, its rounds and misses interleaved with this one's:
on a shared machine, the ratios of that one run are what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from gateway.domain.auth import KeyKind
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy
from tests.benchmarks.load import process_cpu
from tests.benchmarks.scale_store import build_store
from tests.benchmarks.workload_mix import (
    KINDS,
    Keys,
    fresh_zones,
    miss_body,
    mix_requests,
    wrk_script,
)
from tests.support.live import free_port

STORE, KEPT = "gateway.sqlite3", "workload.json"
SERVED = {"w1": 1, "w2": 2}  # mix servers: workers
QUICK = ["--numbers", "8", "--campaigns", "60", "--messages", "20000", "--seconds", "1"]
QUICK += ["--rounds", "1", "--runs", "3", "--connections", "8", "--requests", "300"]


# --- the store -----------------------------------------------------------------------------


async def _keys(path: Path) -> Keys:
    """Two tenant-scoped keys of the large tenant (one the builder made) and number-scoped ones
    for its first three numbers."""
    tenants = json.loads((path.parent / KEPT).read_text())
    store = await SqliteStore.open(path)
    try:
        tenancy = Tenancy(store)
        scopes = frozenset({"analytics:read", "reports:read"})
        second = await tenancy.create_key("large", KeyKind.TENANT, scopes)
        numbered = [
            (await tenancy.create_key("large", KeyKind.NUMBER, scopes, number_id=n)).key
            for n in tenants["number_ids"][:3]
        ]
    finally:
        await store.close()
    return Keys([tenants["key"], second.key], numbered)


async def built(data: Path, args: argparse.Namespace) -> Keys:
    """The store in `data` and its keys: the one kept there by an earlier run with --keep, or a
    new one."""
    kept = data / KEPT
    if kept.exists() and "tenant" in (fields := json.loads(kept.read_text())):
        print(f"workload: the store kept in {data}", flush=True)
        return Keys(fields["tenant"], fields["number"])
    started = time.perf_counter()
    path = data / STORE
    tenants = await build_store(path, args.numbers, args.campaigns, args.messages, int(time.time()))
    kept.write_text(json.dumps(vars(tenants["large"])))
    keys = await _keys(path)
    kept.write_text(json.dumps({"tenant": keys.tenant, "number": keys.number}))
    print(
        f"workload: built a tenant of {args.numbers} numbers, {args.campaigns} campaigns, "
        f"{args.messages:,} WhatsApp and {args.campaigns * 18:,} SMS messages over 120 days "
        f"in {time.perf_counter() - started:.1f} s, store {path.stat().st_size / 2**20:,.0f} MB",
        flush=True,
    )
    return keys


# --- the servers ---------------------------------------------------------------------------


@dataclass
class Servers:
    root: Path
    store_url: str
    baseline: Path | None = None  # another checkout's gateway, served beside this one
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def mixed(self) -> list[str]:
        """The servers the mix is measured on: this gateway with 1 and 2 workers, and the
        baseline's beside each."""
        return [*SERVED, *(f"{name} base" for name in SERVED if self.baseline)]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}/graphql"

    def start(self, name: str, *, workers: int = 1, cache: bool = True) -> None:
        self.ports[name] = free_port()
        env = dict(os.environ, GATEWAY_LOG_LEVEL="WARNING", GATEWAY_RATE_LIMIT="0")
        env["GATEWAY_METRICS_PORT"] = "0"  # servers side by side: each its own metrics port
        if not cache:
            env["GATEWAY_CACHE_TTL_SECONDS"] = "0"
        cwd = None
        if name.endswith(" base") and self.baseline is not None:
            cwd = self.baseline  # `python -m` looks there first: its gateway package is served
        if name == "plain":
            argv = ["-m", "tests.benchmarks.serve_one", "plain", "--body"]
            argv += [str(self.root / "plain.json"), "--database", "-"]
        else:
            argv = ["-m", "gateway", "serve", "--no-demo", "--store-url", self.store_url]
            argv += ["--workers", str(workers)]
        argv += ["--port", str(self.ports[name])]
        self.processes[name] = subprocess.Popen(
            [sys.executable, *argv],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(timeout=30)


async def ready(url: str, key: str, body: bytes) -> bytes:
    """The first clean answer of a server that came up."""
    headers = {"x-api-key": key, "content-type": "application/json"}
    async with aiohttp.ClientSession() as session:
        for _ in range(1200):
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    answer = await response.read()
                    if response.status == 200:
                        if b'"errors"' in answer:
                            raise AssertionError(answer[:600])
                        return answer
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


# --- the load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    rate: float
    p50_ms: float
    p99_ms: float
    hits: int
    bad: int
    requests: int
    loader_cpu: float  # the load generator's CPU, in cores


def wrk_round(url: str, script: Path, seconds: float, connections: int) -> Round:
    started = time.perf_counter()
    process = subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script), url],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    with process.stdout:
        out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)  # the CPU wrk itself spent
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    line = next(x for x in out.splitlines() if x.startswith("MIX "))
    figures = dict(pair.split("=") for pair in line.split()[1:])
    return Round(
        rate=float(next(x for x in out.splitlines() if "Requests/sec" in x).split()[1]),
        p50_ms=int(figures["p50_us"]) / 1000,
        p99_ms=int(figures["p99_us"]) / 1000,
        hits=int(figures["hits"]),
        bad=int(figures["bad"]),
        requests=int(figures["requests"]),
        loader_cpu=(usage.ru_utime + usage.ru_stime) / elapsed,
    )


def python_round(
    url: str, requests: list[tuple[str, bytes]], seconds: float, connections: int
) -> Round:
    """The same load from aiohttp clients in a process of their own."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_python_load, (url, requests, seconds, connections))


def _python_load(
    url: str, requests: list[tuple[str, bytes]], seconds: float, connections: int
) -> Round:
    import random

    latencies: list[float] = []
    hits = bad = 0
    rng = random.Random(1)

    async def client(session: aiohttp.ClientSession, deadline: float) -> None:
        nonlocal hits, bad
        while time.perf_counter() < deadline:
            key, body = rng.choice(requests)
            headers = {"x-api-key": key, "content-type": "application/json"}
            headers["accept-encoding"] = "identity"
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                answer = await response.read()
            latencies.append(time.perf_counter() - started)
            hits += response.headers.get("x-cache") == "hit"
            bad += response.status != 200 or b'"errors"' in answer

    async def run() -> float:
        started = time.perf_counter()
        async with aiohttp.ClientSession() as session:
            deadline = started + seconds
            await asyncio.gather(*(client(session, deadline) for _ in range(connections)))
        return time.perf_counter() - started

    cpu = time.process_time()
    elapsed = asyncio.run(run())
    latencies.sort()
    return Round(
        rate=len(latencies) / elapsed,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] * 1000,
        hits=hits,
        bad=bad,
        requests=len(latencies),
        loader_cpu=(time.process_time() - cpu) / elapsed,
    )


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Figures:
    rounds: dict[str, list[Round]] = field(default_factory=dict)
    cpu_ms: dict[str, list[float]] = field(default_factory=dict)  # server CPU per request
    miss_ms: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # by server


def load_round(
    servers: Servers, name: str, requests: list[tuple[str, bytes]], args: argparse.Namespace
) -> Round:
    if args.loader == "wrk":
        script = servers.root / f"{name}.lua"
        if not script.exists():
            script.write_text(wrk_script(requests, args.seed))
        return wrk_round(servers.url(name), script, args.seconds, args.connections)
    return python_round(servers.url(name), requests, args.seconds, args.connections)


async def miss_costs(
    servers: Servers, keys: Keys, args: argparse.Namespace
) -> dict[str, dict[str, list[float]]]:
    """Each kind asked `runs` times of the cache-off gateway (and of the baseline's, in turn),
    each time in a zone no request has named before; one warm request per kind first
    (documents parsed, connections open)."""
    zones = fresh_zones(args.seed)
    names = ["miss", *(["miss base"] if servers.baseline else [])]
    costs: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    async with aiohttp.ClientSession() as session:
        for kind in KINDS:
            headers["x-api-key"] = keys.tenant[0] if kind.scope == "tenant" else keys.number[0]
            for run in range(args.runs + 1):
                for name in names:
                    body = miss_body(kind, next(zones))
                    started = time.perf_counter()
                    async with session.post(servers.url(name), data=body, headers=headers) as sent:
                        answer = await sent.read()
                    elapsed = (time.perf_counter() - started) * 1000
                    if sent.status != 200 or b'"errors"' in answer:
                        raise AssertionError(f"{kind.name}: {answer[:600]!r}")
                    if run:
                        costs[name].setdefault(kind.name, []).append(elapsed)
    return costs


async def start_all(servers: Servers, keys: Keys) -> None:
    first = miss_body(KINDS[0], "UTC")
    servers.start("miss", cache=False)
    if servers.baseline:
        servers.start("miss base", cache=False)
    for name in servers.mixed:
        servers.start(name, workers=SERVED[name.split()[0]])
    for name in ("miss", *servers.mixed):
        answer = await ready(servers.url(name), keys.tenant[0], first)
    if servers.baseline:
        await ready(servers.url("miss base"), keys.tenant[0], first)
    (servers.root / "plain.json").write_bytes(answer)  # the yardstick answers these bytes
    servers.start("plain")
    await ready(servers.url("plain"), keys.tenant[0], first)


def measure(servers: Servers, keys: Keys, args: argparse.Namespace) -> Figures:
    figures = Figures()
    asyncio.run(start_all(servers, keys))
    requests = mix_requests(keys, args.requests, args.seed)
    plain = [(keys.tenant[0], miss_body(KINDS[0], "UTC"))]
    for name in ("plain", *servers.mixed):
        figures.rounds[name], figures.cpu_ms[name] = [], []
    for _ in range(args.rounds):
        for name in ("plain", *servers.mixed):
            before = process_cpu(servers.processes[name].pid)
            result = load_round(servers, name, plain if name == "plain" else requests, args)
            after = process_cpu(servers.processes[name].pid)
            figures.rounds[name].append(result)
            if before is not None and after is not None and result.requests:
                figures.cpu_ms[name].append((after - before) * 1000 / result.requests)
    figures.miss_ms = asyncio.run(miss_costs(servers, keys, args))
    return figures


# --- the table -----------------------------------------------------------------------------


def report(figures: Figures, args: argparse.Namespace) -> None:
    def median(name: str, attribute: str) -> float:
        return statistics.median(float(getattr(r, attribute)) for r in figures.rounds[name])

    plain = median("plain", "rate")
    plain_ms = 1000 / plain
    print(
        f"workload: backend {args.backend}, {args.loader}, {args.connections} connections, "
        f"{args.rounds} rounds of {args.seconds:g} s interleaved, {len(KINDS)} document kinds, "
        f"{args.requests} distinct requests, medians"
    )
    print(f"  {'server':<22} {'requests_per_s':>14} {'p50_ms':>8} {'p99_ms':>8} "
          f"{'hit_rate':>8} {'cpu_ms/req':>10} {'loader_cpu':>10}")  # fmt: skip
    labels = {"plain": "plain aiohttp", "w1": "mix, 1 worker", "w2": "mix, 2 workers"}
    labels |= {f"{n} base": f"{labels[n]} (base)" for n in SERVED if f"{n} base" in figures.rounds}
    for name, label in labels.items():
        rounds = figures.rounds[name]
        bad = sum(r.bad for r in rounds)
        hits = sum(r.hits for r in rounds) / max(1, sum(r.requests for r in rounds))
        cpu = statistics.median(figures.cpu_ms[name]) if figures.cpu_ms[name] else 0.0
        print(
            f"  {label:<22} {median(name, 'rate'):>14,.1f} {median(name, 'p50_ms'):>8.1f} "
            f"{median(name, 'p99_ms'):>8.1f} {hits if name != 'plain' else 0:>8.2f} "
            f"{cpu:>10.3f} {median(name, 'loader_cpu'):>10.2f}"
            + (f"  NOT CLEAN: {bad} answers" if bad and name != "plain" else "")
        )
    for name in SERVED:
        print(f"  ratio {name}/plain = {median(name, 'rate') / plain:.4f}")
        if f"{name} base" in figures.rounds:
            base = median(f"{name} base", "rate")
            print(f"  ratio {name}/base = {median(name, 'rate') / base:.2f} (target >= 5)")
    print(f"  per document kind on a miss in a fresh zone (cache off, {args.runs} runs each):")
    worst = 0.0
    base_costs = figures.miss_ms.get("miss base", {})
    for kind, costs in figures.miss_ms["miss"].items():
        cost = statistics.median(costs)
        worst = max(worst, cost / plain_ms)
        line = f"    {kind:<24} miss_ms={cost:8.2f} plain_requests={cost / plain_ms:8.0f}"
        if kind in base_costs:
            base = statistics.median(base_costs[kind])
            line += f" base_ms={base:8.2f} ratio_to_base={cost / base:5.2f}"
        print(line)
    print(f"  worst miss = {worst:.0f} plain requests (target <= 50)")


def run(args: argparse.Namespace, server: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="gateway-workload-") as tmp:
        data = Path(args.keep or tmp)
        data.mkdir(parents=True, exist_ok=True)
        keys = asyncio.run(built(data, args))
        url = args.store_url or f"sqlite:///{data / STORE}"
        if server is not None and not args.store_url:
            from tests.benchmarks.store_scaling import copy_to_postgres

            started = time.perf_counter()
            url = asyncio.run(copy_to_postgres(data / STORE, server))
            print(f"  copied it to PostgreSQL in {time.perf_counter() - started:.1f} s", flush=True)
        servers = Servers(Path(tempfile.mkdtemp(dir=tmp)), url, args.baseline)
        try:
            figures = measure(servers, keys, args)
        finally:
            servers.stop()
        report(figures, args)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a small store and short rounds")
    parser.add_argument("--numbers", type=int, default=30)
    parser.add_argument("--campaigns", type=int, default=600)
    parser.add_argument("--messages", type=int, default=600_000, help="WhatsApp messages")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4000, help="distinct mix requests")
    parser.add_argument("--runs", type=int, default=7, help="requests per kind on a miss")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--loader", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument(
        "--keep", type=Path, help="build the store in this directory, or reuse the one there"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--store-url", help="serve this copy of the --keep store instead (PostgreSQL, say)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a directory holding another version's gateway package (`git archive REV gateway"
        " | tar -x -C DIR`): served beside this one, rounds interleaved, with ratios",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args = parser.parse_args([*QUICK, *(argv or sys.argv[1:])])
    if args.backend == "postgresql" and not args.store_url:
        from tests.support.pg import postgres_server

        with postgres_server(durable=True) as server:
            run(args, server)
    else:
        run(args, None)


if __name__ == "__main__":
    main()
