"""Scale: what a page costs on a large tenant beside a small one, served by one live gateway.

    python -m tests.benchmarks.scale                      # 10,000 numbers, 50,000 campaigns
    python -m tests.benchmarks.scale --numbers 200 --campaigns 1000 --messages 20000 --runs 3
    python -m tests.benchmarks.scale --backend postgresql # the same store copied to PostgreSQL

One store holds a large tenant (`--numbers` WhatsApp numbers, `--campaigns` campaigns, SMS and
email, and `--messages` WhatsApp messages over 120 days, SMS messages and email recipients
beside them) and a small one (5 numbers, 50 campaigns, messages at the same density per number
and per campaign). The rows are written in bulk SQL in the store's own schema, rollups summed
from the rows they roll up, so reports read what ingest would have written. `gateway serve`
serves it on a loopback port with the response cache and the dashboard memo off, so every
answer is a miss, and the rate limit off.

For each document and tenant: the median answer time, the worst /healthz wait while it runs
(from another process: how long one request held the event loop), the answer's size and the
process's RSS; then large/small. The documents ask the same page of both tenants, so the target
(ratio <= 1.5) says that cost follows the page, not the tenant.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from gateway.schema.ids import encode_id
from tests.adversarial.attacks import Probe
from tests.benchmarks.scale_store import SMALL_CAMPAIGNS, SMALL_NUMBERS, Tenant, build_store
from tests.support.live import LiveGateway, start_gateway

ZONE = "Asia/Kathmandu"  # +05:45: every local day a fold of 15-minute buckets, none of UTC's
ENV = {
    "GATEWAY_CACHE_TTL_SECONDS": "0",
    "GATEWAY_DASHBOARD_MEMO": "false",
    "GATEWAY_RATE_LIMIT": "0",
    "GATEWAY_LOG_LEVEL": "WARNING",
}

# A page of numbers with their 90-day dashboards. Switch to `numbers` (no arguments) on a schema
# without `numbersConnection`; `documents()` does so by itself, for the small tenant only.
NUMBERS_PAGE = (
    "query($z: String, $first: Int) { numbersConnection(first: $first) { edges { node { "
    "phoneNumber dashboard(period: DAYS_90, timezone: $z) { totals { total } "
    "series { date sent } } } } } }"
)
NUMBERS_UNPAGED = (
    "query($z: String) { numbers { phoneNumber dashboard(period: DAYS_90, timezone: $z) "
    "{ totals { total } series { date sent } } } }"
)
CAMPAIGNS_PAGE = (
    "query($first: Int) { campaigns(first: $first) { totalCount edges { cursor node { id name "
    "status createdAt ... on SmsCampaign { completedAt messages { total sent delivered failed "
    "deliveryRate } } ... on EmailCampaign { sentAt report { performance { sent delivered "
    "bounces { total hard soft } } linkActivity { url clicks uniqueClicks } } } } } } }"
)
DELIVERY = (
    "query($z: String) { deliveryByChannel(period: DAYS_90, timezone: $z) { days channels { "
    "channel totals { total delivered deliveryRate } series { date total delivered } } } }"
)
ENTITIES = (
    "query($r: [_Any!]!, $z: String) { _entities(representations: $r) { ... on WhatsAppNumber "
    "{ phoneNumber dashboard(period: DAYS_7, timezone: $z) { totals { total sent } } } } }"
)


# --- the documents -------------------------------------------------------------------------


@dataclass
class Document:
    name: str
    query: str
    variables: dict[str, dict[str, Any]]  # per tenant
    runs: int = 5


def documents(tenants: dict[str, Tenant], paged: bool, page: int) -> list[Document]:
    """The documents, each asked of both tenants. Where the small tenant holds less than a page
    (its 5 numbers), the large one is also asked the page the small one gets: that pair is the
    one whose ratio says whether cost follows the page or the tenant."""

    def representations(ids: list[int]) -> list[dict[str, str]]:
        return [
            {"__typename": "WhatsAppNumber", "id": encode_id("WhatsAppNumber", "native", n)}
            for n in (ids * (100 // len(ids) + 1))[:100]
        ]

    zone = {"z": ZONE}
    small = len(tenants["small"].number_ids)
    if paged:
        numbers = [
            Document(f"numbers page {page}", NUMBERS_PAGE, {"large": {**zone, "first": page}}),
            Document(
                f"numbers page {small}",
                NUMBERS_PAGE,
                {t: {**zone, "first": min(page, small)} for t in tenants},
            ),
        ]
    else:
        numbers = [Document("numbers (unpaged)", NUMBERS_UNPAGED, {"small": zone})]
    return [
        *numbers,
        Document("campaigns page", CAMPAIGNS_PAGE, {t: {"first": page} for t in tenants}),
        Document("deliveryByChannel", DELIVERY, dict.fromkeys(tenants, zone)),
        # 100 representations of distinct numbers on the large tenant; the small one's 5 in
        # turn, and the large one's first 5 in turn beside them (the same page).
        Document(
            "_entities x100",
            ENTITIES,
            {"large": {**zone, "r": representations(tenants["large"].number_ids)}},
        ),
        Document(
            f"_entities x100 of {small}",
            ENTITIES,
            {t: {**zone, "r": representations(tenants[t].number_ids[:small])} for t in tenants},
        ),
    ]


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Figures:
    median_ms: float
    loop_ms: float  # the worst /livez wait: how long the event loop was held
    stall_ms: float  # the worst /healthz wait: the loop's, or the store's (it asks SELECT 1)
    answer_kb: float
    rss_mb: float


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def ask(
    session: aiohttp.ClientSession, url: str, key: str, query: str, variables: dict[str, Any]
) -> tuple[float, int]:
    started = time.perf_counter()
    async with session.post(
        url, json={"query": query, "variables": variables}, headers={"x-api-key": key}
    ) as response:
        raw = await response.read()
    elapsed = (time.perf_counter() - started) * 1000
    body = json.loads(raw)
    if response.status != 200 or body.get("errors"):
        raise AssertionError(f"{response.status}: {raw[:600]!r}")
    return elapsed, len(raw)


Probes = tuple[Probe, Probe]  # /livez, /healthz: started once, for the whole run


async def measure(
    gateway: LiveGateway, probes: Probes, key: str, document: Document, variables: dict[str, Any]
) -> Figures:
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await ask(session, gateway.url, key, document.query, variables)  # warm
        started = time.monotonic()
        answers = [
            await ask(session, gateway.url, key, document.query, variables)
            for _ in range(document.runs)
        ]
        await asyncio.sleep(0.05)
        loop, store = [
            await asyncio.to_thread(probe.window, started, time.monotonic()) for probe in probes
        ]
    return Figures(
        median_ms=statistics.median(ms for ms, _ in answers),
        loop_ms=max(loop, default=0.0),
        stall_ms=max(store, default=0.0),
        answer_kb=answers[-1][1] / 1024,
        rss_mb=rss_mb(gateway.process.pid),
    )


async def has_paged_numbers(gateway: LiveGateway, key: str) -> bool:
    _, body = await asyncio.to_thread(
        gateway.query, key, '{ __type(name: "Query") { fields { name } } }'
    )
    return any(f["name"] == "numbersConnection" for f in body["data"]["__type"]["fields"])


def line(document: str, tenant: str, figures: Figures) -> str:
    return (
        f"  {document:20} {tenant:5} median_ms={figures.median_ms:9.1f} "
        f"worst_livez_ms={figures.loop_ms:8.1f} worst_healthz_ms={figures.stall_ms:8.1f} "
        f"answer_kb={figures.answer_kb:8.1f} rss_mb={figures.rss_mb:6.1f}"
    )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="gateway-scale-") as tmp:
        data = Path(args.keep or tmp)
        await asyncio.to_thread(data.mkdir, parents=True, exist_ok=True)
        tenants = await _built(data, args)
        url = f"sqlite:///{data / STORE}"
        if args.backend == "postgresql":
            url = await _copy_to_postgres(data / STORE, args.server)
        gateway = start_gateway(data, "--no-demo", "--store-url", url, env=ENV, wait_for="http://")
        kind = url.split(":", 1)[0]
        print(f"  serving a {kind} store on port {gateway.port}, pid {gateway.process.pid}")
        try:
            await _report(gateway, tenants, args)
        finally:
            gateway.stop()


STORE, KEPT = "gateway.sqlite3", "tenants.json"


async def _built(data: Path, args: argparse.Namespace) -> dict[str, Tenant]:
    """The store built in `data`, or the one kept there by an earlier run with --keep."""
    if (data / KEPT).exists():
        kept = json.loads((data / KEPT).read_text())
        print(f"scale: the store kept in {data}", flush=True)
        return {name: Tenant(**fields) for name, fields in kept.items()}
    started = time.perf_counter()
    path = data / STORE
    tenants = await build_store(path, args.numbers, args.campaigns, args.messages, int(time.time()))
    print(
        f"scale: built large tenant ({args.numbers:,} numbers, {args.campaigns:,} campaigns, "
        f"{args.messages:,} WhatsApp messages, {args.campaigns * 18:,} SMS) and small "
        f"({SMALL_NUMBERS} numbers, {SMALL_CAMPAIGNS} campaigns) in "
        f"{time.perf_counter() - started:.1f} s, store {path.stat().st_size / 2**20:,.0f} MB",
        flush=True,
    )
    if args.keep:
        (data / KEPT).write_text(json.dumps({name: vars(t) for name, t in tenants.items()}))
    return tenants


async def _copy_to_postgres(path: Path, server: str) -> str:
    from tests.benchmarks.store_scaling import copy_to_postgres

    started = time.perf_counter()
    url = await copy_to_postgres(path, server)
    print(f"  copied it to PostgreSQL in {time.perf_counter() - started:.1f} s", flush=True)
    return url


async def _report(
    gateway: LiveGateway, tenants: dict[str, Tenant], args: argparse.Namespace
) -> None:
    base = f"http://127.0.0.1:{gateway.port}"
    probes = (Probe(base, "/livez"), Probe(base))
    for probe in probes:
        await asyncio.to_thread(probe.start)
    try:
        await _each_document(gateway, probes, tenants, args)
    finally:
        for probe in probes:
            await asyncio.to_thread(probe.stop)


async def _each_document(
    gateway: LiveGateway, probes: Probes, tenants: dict[str, Tenant], args: argparse.Namespace
) -> None:
    started = time.monotonic()
    await asyncio.sleep(1.0)
    calm = max(await asyncio.to_thread(probes[1].window, started, time.monotonic()), default=0.0)
    print(
        f"  calm /healthz worst_ms={calm:.1f}; rss_mb={rss_mb(gateway.process.pid):.1f} "
        f"(backend {args.backend}, {args.runs} runs each, response cache off)",
        flush=True,
    )
    paged = await has_paged_numbers(gateway, tenants["small"].key)
    if not paged:
        print("  (no numbersConnection in this schema: the small tenant's unpaged numbers only)")
    ratios = []
    for document in documents(tenants, paged, args.page):
        if args.only and document.name not in args.only.split(","):
            continue
        figures = {}
        for tenant in ("small", "large"):
            if tenant not in document.variables:
                continue
            document.runs = args.runs
            figures[tenant] = await measure(
                gateway, probes, tenants[tenant].key, document, document.variables[tenant]
            )
            print(line(document.name, tenant, figures[tenant]), flush=True)
        if len(figures) == 2:
            ratio = figures["large"].median_ms / figures["small"].median_ms
            ratios.append(ratio)
            verdict = "ok" if ratio <= args.target else "over target"
            print(
                f"  {document.name} ratio large/small = {ratio:.2f} (target <= {args.target}) "
                f"{verdict}; worst on large: /livez {figures['large'].loop_ms:.0f} ms, "
                f"/healthz {figures['large'].stall_ms:.0f} ms (target < 100)",
                flush=True,
            )
    print(
        f"  peak rss_mb={rss_mb(gateway.process.pid, 'VmHWM'):.1f}; "
        f"worst ratio = {max(ratios, default=0.0):.2f}",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--numbers", type=int, default=10_000)
    parser.add_argument("--campaigns", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=3_000_000, help="WhatsApp messages")
    parser.add_argument("--page", type=int, default=50, help="first: of the paged documents")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--target", type=float, default=1.5)
    parser.add_argument("--only", help="comma-separated document names, e.g. deliveryByChannel")
    parser.add_argument(
        "--keep", type=Path, help="build the store in this directory, or reuse the one there"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    if args.backend == "postgresql":
        from tests.support.pg import postgres_server

        with postgres_server(durable=True) as server:
            args.server = server
            asyncio.run(run(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
