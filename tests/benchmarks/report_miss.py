"""What each report costs on a miss in a zone the process was never asked before: the native
store's computation against the straightforward one (tests/support/reports.py: every bucket
read and placed in Python), beside a plain aiohttp handler's CPU per request, in one run.

    python -m tests.benchmarks.report_miss                       # demo store, 15 rounds
    python -m tests.benchmarks.report_miss --quick               # a small store, 3 rounds
    python -m tests.benchmarks.report_miss --backends sqlite     # SQLite only

Each round asks every document kind once, in a zone of its own (a fresh IANA zone for each
computation), the two computations in turn so that machine noise falls on both; the figures are
medians. The documents are the dashboards' own: every number's 30- and 90-day dashboard, best
send times (90 days), the channel comparison over 90 days (WhatsApp, email and SMS days), the SMS
trends (30 days) and the email dashboard (pastDays 30), computed by the native provider as a
request's loaders would ask it (no response cache), timed by the wall clock and, for the native
computation, by this process's CPU too (on a machine others load, the CPU figure is the steadier
one; on PostgreSQL it leaves out the server's share). The native provider is the one the
gateway serves: it keeps the sums over the intervals it read while the tenant's data version
stands, so a fresh zone of an offset asked before reads less; the `cold` columns give the
native computation by a provider that has kept nothing (the first zone of an offset), the
`seen` columns the served provider's in fresh zones of +04:00 after Asia/Dubai was asked. The
plain handler answers a 2 KB body to POST /graphql under wrk (or Python) load; its CPU per
request is the yardstick: the target is at most 50 of those per document.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.domain.email import PastDaysRequest
from gateway.domain.numbers import DashboardRequest, NumberRef
from gateway.domain.sms import RangeRequest
from gateway.domain.timewindows import DayWindow, Period, zone_names
from gateway.providers.native import PostgresStore, SqliteStore, Store
from gateway.providers.native.copy import copy_store
from gateway.providers.native.demo import DEMO_TENANT, seed_demo
from gateway.providers.native.provider import NativeProvider
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.versions import TenantVersions, VersionedMemo
from tests.benchmarks.load import process_cpu, python_load, wrk
from tests.support.live import free_port
from tests.support.pg import create_database, postgres_server
from tests.support.reports import (
    reference_best_send_times,
    reference_daily,
    reference_daily_series,
    reference_email_dashboard,
    reference_trends,
    seed_traffic,
)

NOW = datetime(2026, 11, 22, 15, 7, 30, tzinfo=UTC)
TARGET = 50  # plain-handler requests per document
Compute = Callable[[Store, str], Awaitable[object]]


def _range(days: int, zone: str, *, messages_only: bool = False) -> RangeRequest:
    return RangeRequest(
        source="native",
        tenant_id=DEMO_TENANT,
        start=NOW - timedelta(days=days),
        end=NOW,
        timezone=zone,
        messages_only=messages_only,
    )


def _today(zone: str) -> datetime:
    return NOW.astimezone(ZoneInfo(zone))


async def _numbers(store: Store) -> list[int]:
    rows = await store.fetch_all("SELECT id FROM numbers WHERE tenant_id = ?", [DEMO_TENANT])
    return sorted(int(row[0]) for row in rows)


# The provider as the gateway serves it (its memo and kept sums on), one per store; with
# KEEP["on"] false, a new one for each computation: nothing kept, as in an offset never asked.
KEEP = {"on": True}
_SERVED: dict[int, NativeProvider] = {}


def provider(store: Store) -> NativeProvider:
    found = _SERVED.get(id(store)) if KEEP["on"] else None
    if found is None:
        found = NativeProvider(store, memo=VersionedMemo(TenantVersions()))
        if KEEP["on"]:
            _SERVED[id(store)] = found
    return found


def _dashboards(period: Period) -> tuple[Compute, Compute]:
    async def fast(store: Store, zone: str) -> object:
        today = _today(zone).date()
        requests = [
            DashboardRequest(
                number=NumberRef(source="native", tenant_id=DEMO_TENANT, number_id=n),
                period=period,
                timezone=zone,
                today=today,
            )
            for n in await _numbers(store)
        ]
        return await provider(store).load_dashboards(requests)

    async def slow(store: Store, zone: str) -> object:
        today = _today(zone).date()
        window = DayWindow.from_dates(
            today - timedelta(days=period.days - 1), today, ZoneInfo(zone)
        )
        series = await reference_daily_series(store, await _numbers(store), window)
        return [(s, s.totals()) for s in series.values()]

    return fast, slow


async def _channels(store: Store, zone: str) -> object:
    request = _range(90, zone)
    alone = _range(90, zone, messages_only=True)
    served = provider(store)
    return (
        await served.load_whatsapp_daily([request]),
        await served.load_email_daily([request]),
        await served.load_sms_trends([alone]),
    )


async def _reference_channels(store: Store, zone: str) -> object:
    request = _range(90, zone)
    alone = _range(90, zone, messages_only=True)
    return (
        await reference_daily(store, request, "whatsapp"),
        await reference_daily(store, request, "email"),
        await reference_trends(store, alone),
    )


def _email(
    request: Callable[[str], PastDaysRequest], compute: Callable[..., Awaitable[object]]
) -> Compute:
    async def run(store: Store, zone: str) -> object:
        return await compute(store, request(zone))

    return run


def _past_days(zone: str) -> PastDaysRequest:
    return PastDaysRequest(
        source="native",
        tenant_id=DEMO_TENANT,
        past_days=30,
        timezone=zone,
        today=_today(zone).date(),
    )


def _ranged(days: int, compute: Callable[..., Awaitable[object]]) -> Compute:
    async def run(store: Store, zone: str) -> object:
        return await compute(store, _range(days, zone))

    return run


KINDS: dict[str, tuple[Compute, Compute]] = {
    "numbers dashboard DAYS_30": _dashboards(Period.DAYS_30),
    "numbers dashboard DAYS_90": _dashboards(Period.DAYS_90),
    "sms bestSendTimes (90 days)": (
        _ranged(90, lambda store, r: provider(store).load_best_send_times([r])),
        _ranged(90, reference_best_send_times),
    ),
    "deliveryByChannel DAYS_90": (_channels, _reference_channels),
    "sms trends (30 days)": (
        _ranged(30, lambda store, r: provider(store).load_sms_trends([r])),
        _ranged(30, reference_trends),
    ),
    "email dashboard pastDays 30": (
        _email(_past_days, lambda store, r: provider(store).load_email_dashboards([r])),
        _email(_past_days, reference_email_dashboard),
    ),
}


def fresh_zones(seed: int) -> Iterator[str]:
    """IANA zones in a shuffled order, each once: no zone is asked twice in a run."""
    zones = sorted(zone_names())
    random.Random(seed).shuffle(zones)
    yield from ["Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns"]
    yield from (z for z in zones if z not in ("Asia/Kathmandu", "Australia/Lord_Howe"))


async def build(root: Path, quick: bool) -> Path:
    path = root / "reports.sqlite3"
    store = await SqliteStore.open(path)
    try:
        if quick:
            await Tenancy(store).create_tenant(DEMO_TENANT, "Demo")
            await seed_traffic(store, DEMO_TENANT, NOW, 100)
        else:
            await seed_demo(store, NOW)
    finally:
        await store.close()
    return path


async def copy_to_postgres(path: Path, server: str) -> str:
    url = await create_database(server)
    source, target = await SqliteStore.open(path), await PostgresStore.open(url)
    try:
        await copy_store(source, target)
    finally:
        await source.close()
        await target.close()
    return url


Timings = dict[str, tuple[list[float], list[float], list[float], list[float], list[float]]]
# Zones of +04:00 all year: after Asia/Dubai is asked, each asks only days its offset already
# has (the `seen` columns); one each per round and document, so no answer is asked twice.
SEEN_OFFSET = (
    "Asia/Muscat",
    "Indian/Mauritius",
    "Indian/Reunion",
    "Indian/Mahe",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Europe/Samara",
    "Europe/Astrakhan",
    "Europe/Saratov",
    "Europe/Ulyanovsk",
    "Asia/Baku",
    "Etc/GMT-4",
)


async def measure_reports(store: Store, rounds: int, zones: Iterator[str]) -> Timings:
    """Per document: wall seconds of the reference and of the native computation, the native
    one's CPU seconds in this process (for SQLite, the store's work too), the CPU seconds of
    the native computation by a provider that has kept nothing, and its CPU seconds in a zone
    of an offset asked before."""
    timings: Timings = {k: ([], [], [], [], []) for k in KINDS}
    for fast, slow in KINDS.values():  # one of each first: statements prepared, pages read
        await fast(store, "UTC")
        await slow(store, "UTC")
        await fast(store, "Asia/Dubai")
    for round_ in range(rounds):
        for name, (fast, slow) in KINDS.items():
            sides = [(0, fast), (1, slow), (3, fast)]
            if round_ < len(SEEN_OFFSET):
                KEEP["on"] = True
                cpu = time.process_time()
                await fast(store, SEEN_OFFSET[round_])
                timings[name][4].append(time.process_time() - cpu)
            for side, compute in sides if round_ % 2 == 0 else sides[::-1]:
                zone = next(zones)
                KEEP["on"] = side != 3
                started, cpu = time.perf_counter(), time.process_time()
                await compute(store, zone)
                if side != 3:
                    timings[name][side].append(time.perf_counter() - started)
                if side != 1:
                    timings[name][2 if side == 0 else 3].append(time.process_time() - cpu)
    KEEP["on"] = True
    return timings


def plain_cost(seconds: float, loader: str) -> tuple[float, float]:
    """A plain aiohttp handler's requests/s and CPU microseconds per request."""
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "body.json"
        body.write_bytes(b'{"data":{"dashboard":{"series":[' + b'{"total":1234},' * 140 + b"{}]}}}")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.serve_one", "plain", "--body", str(body),
             "--database", str(Path(tmp) / "unused"), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/graphql"
            asyncio.run(_wait(url))
            before = process_cpu(server.pid)
            if loader == "wrk":
                load = wrk(url, "{ plain }", "none", seconds, 16)
            else:
                load = asyncio.run(python_load(url, "{ plain }", "none", seconds, 16))
            after = process_cpu(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
    spent = (after or 0.0) - (before or 0.0)
    return load.per_second, spent * 1e6 / max(load.requests, 1)


async def _wait(url: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for _ in range(400):
            try:
                async with session.post(url, data=b"{}") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the plain handler did not come up")


async def open_backend(backend: str, path: Path, server: str | None) -> Store:
    if backend == "sqlite":
        return await SqliteStore.open(path)
    assert server is not None
    return await PostgresStore.open(await copy_to_postgres(path, server))


def run(args: argparse.Namespace) -> None:
    backends = args.backends.split(",")
    zones = fresh_zones(args.seed)
    plain: list[tuple[float, float]] = []
    results: dict[str, Timings] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = asyncio.run(build(Path(tmp), args.quick))
        server_cm = postgres_server() if "postgresql" in backends else None
        server = server_cm.__enter__() if server_cm else None
        try:
            for backend in backends:
                plain.append(plain_cost(args.seconds, args.loader))

                async def measure(backend: str = backend) -> Timings:
                    store = await open_backend(backend, path, server)
                    try:
                        return await measure_reports(store, args.rounds, zones)
                    finally:
                        await store.close()

                results[backend] = asyncio.run(measure())
            plain.append(plain_cost(args.seconds, args.loader))
        finally:
            if server_cm:
                server_cm.__exit__(None, None, None)
    report(plain, results, args)


def report(
    plain: Sequence[tuple[float, float]],
    results: dict[str, Timings],
    args: argparse.Namespace,
) -> None:
    rate = statistics.median(r for r, _ in plain)
    per_request_us = statistics.median(c for _, c in plain)
    store = "small generated store" if args.quick else "demo store"
    print(
        f"report-miss: {store}, {args.rounds} rounds, a fresh zone per computation, medians; "
        f"plain aiohttp handler ({args.loader}, 16 connections): {rate:,.0f} requests/s, "
        f"{per_request_us:.0f} us CPU per request"
    )
    print(
        f"  {'backend':<11}{'document':<30}{'straightforward_ms':>19}{'native_ms':>11}"
        f"{'ratio':>8}{'plain_requests':>16}{'native_cpu_ms':>15}{'cpu_plain_requests':>20}"
        f"{'cold_cpu_ms':>13}{'cold_plain_requests':>21}{'seen_cpu_ms':>13}"
        f"{'seen_plain_requests':>21}"
    )
    worst = 0.0
    for backend, timings in results.items():
        for name, (fast, slow, cpu, cold, seen) in timings.items():
            fast_ms, slow_ms = statistics.median(fast) * 1000, statistics.median(slow) * 1000
            cpu_ms, cold_ms = statistics.median(cpu) * 1000, statistics.median(cold) * 1000
            seen_ms = statistics.median(seen) * 1000
            in_plain = fast_ms * 1000 / per_request_us
            worst = max(worst, in_plain)
            print(
                f"  {backend:<11}{name:<30}{slow_ms:>19.2f}{fast_ms:>11.2f}"
                f"{slow_ms / fast_ms:>8.1f}{in_plain:>16.0f}{cpu_ms:>15.2f}"
                f"{cpu_ms * 1000 / per_request_us:>20.0f}"
                f"{cold_ms:>13.2f}{cold_ms * 1000 / per_request_us:>21.0f}"
                f"{seen_ms:>13.2f}{seen_ms * 1000 / per_request_us:>21.0f}"
            )
    verdict = "ok" if worst <= TARGET else "over target"
    print(f"  worst document = {worst:.0f} plain requests (target <= {TARGET}): {verdict}")
    print(
        "  (plain_requests: the native computation's wall time over the plain handler's CPU per"
        " request; cpu_plain_requests: its CPU in this process, which on PostgreSQL leaves out"
        " the server's; cold: the same by a provider that has kept nothing, as in an offset"
        " no zone asked before; seen: the served provider's in a fresh zone of an offset asked"
        " before, +04:00)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=2, help="of plain-handler load")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="a small store, 3 rounds")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--loader", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = min(args.rounds, 3)
    run(args)


if __name__ == "__main__":
    main()
