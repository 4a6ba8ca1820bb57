"""Fan-out: 50 email campaign reports from a fake reports API with 50 ms latency, against one.

    python -m tests.benchmarks.fanout                   # 50 reports, 50 ms, 7 runs
    python -m tests.benchmarks.fanout --reports 5 --runs 1 --latency 0.01    # quick

Prints the upstream requests the 50-report query made, its wall time, and the ratio to the
wall time of a query for one report (one upstream round trip), medians of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.domain.auth import KeyKind, default_scopes
from gateway.http.app import create_app
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy
from gateway.schema.ids import encode_id
from gateway.testing.fakes import FakeState, emailreports_app

SOURCES = """[sources.er]
platform = "emailreports"
base_url = "http://127.0.0.1:{port}"
max_concurrency = 64

[tenants.bench]
email = "er"
credentials = {{ er = "BENCH_ER_KEY" }}
"""


def query(count: int, run: int = 0) -> str:
    # Aliases differ from run to run, so that the response cache cannot answer a timed run.
    return (
        "{ "
        + " ".join(
            f'r{run}c{i}: campaign(id: "{encode_id("EmailCampaign", "er", f"em-{i:03d}")}") {{ '
            "... on EmailCampaign { report { performance { sent opens { unique } } } } }"
            for i in range(count)
        )
        + " }"
    )


async def measure(reports: int, runs: int, latency: float) -> dict[str, float]:
    state = FakeState(
        keys={"er_bench_key": "bench"},
        key_header="authorization",
        key_scheme="Bearer",
        latency=latency,
    )
    fake = TestServer(emailreports_app(state), host="127.0.0.1")
    await fake.start_server()
    os.environ["BENCH_ER_KEY"] = "er_bench_key"
    try:
        return await _measure(fake, state, reports, runs)
    finally:
        del os.environ["BENCH_ER_KEY"]
        await fake.close()


async def _measure(fake: TestServer, state: FakeState, reports: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(SOURCES.format(port=fake.port))
        store = await SqliteStore.open(Path(tmp) / "store.sqlite3")
        await Tenancy(store).create_tenant("bench", "Bench")
        key = (
            await Tenancy(store).create_key("bench", KeyKind.TENANT, default_scopes(KeyKind.TENANT))
        ).key
        await store.close()
        settings = Settings(database=Path(tmp) / "store.sqlite3", demo=False, sources_file=sources)
        gateway = TestServer(create_app(settings), host="127.0.0.1")
        await gateway.start_server()
        one, many, calls = [], [], []
        try:
            async with aiohttp.ClientSession() as session:

                async def ask(text: str) -> float:
                    started = time.perf_counter()
                    async with session.post(
                        gateway.make_url("/graphql"),
                        json={"query": text},
                        headers={"x-api-key": key},
                    ) as response:
                        body = await response.json()
                    assert "errors" not in body, body
                    return time.perf_counter() - started

                await ask(query(1))
                for run in range(1, runs + 1):
                    one.append(await ask(query(1, run)))
                    before = len(state.calls)
                    many.append(await ask(query(reports, run)))
                    calls.append(len(state.calls) - before)
                # The same query again, inside the source's cache TTL.
                before = len(state.calls)
                repeat = await ask(query(reports, runs))
                repeat_calls = len(state.calls) - before
        finally:
            await gateway.close()
    return {
        "one_ms": statistics.median(one) * 1000,
        "many_ms": statistics.median(many) * 1000,
        "calls": statistics.median(calls),
        "max_in_flight": state.max_in_flight,
        "repeat_ms": repeat * 1000,
        "repeat_calls": repeat_calls,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--target", type=float, default=2.0)
    args = parser.parse_args(argv)
    figures = asyncio.run(measure(args.reports, args.runs, args.latency))
    ratio = figures["many_ms"] / figures["one_ms"]
    print(
        f"fanout: {args.reports} email campaign reports, upstream latency "
        f"{args.latency * 1000:.0f} ms, median of {args.runs} runs"
    )
    print(
        f"  one_report_ms={figures['one_ms']:.1f} reports_ms={figures['many_ms']:.1f} "
        f"upstream_requests={figures['calls']:.0f} max_in_flight={figures['max_in_flight']:.0f}"
    )
    print(
        f"  repeat inside the TTL: upstream_requests={figures['repeat_calls']:.0f} "
        f"ms={figures['repeat_ms']:.1f} (target 0 requests)"
    )
    print(
        f"  ratio {args.reports} reports / one = {ratio:.2f} (target <= {args.target}) "
        f"{'ok' if ratio <= args.target else 'over target'}"
    )


if __name__ == "__main__":
    main()
